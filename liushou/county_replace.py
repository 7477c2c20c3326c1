"""Replacing an earlier county load of a township (`--replace`): refused once someone entered
data on its rows; its rows removed, the append-only tables' triggers lifted for those deletes
only, inside the load's transaction."""

from peewee import (
    IntegrityError,
)

from . import clock
from .county_copy import load_order
from .county_source import LoadError
from .db import database
from .models import (
    AgreementEvent,
    AuditLog,
    CountyLoad,
    GroupEvent,
    SiteEvent,
    TierEvent,
)

# Append-only tables (triggers refuse updates and deletes): --replace lifts the triggers for its
# own deletes only, inside its transaction.
APPEND_ONLY = (AuditLog, GroupEvent, TierEvent, SiteEvent, AgreementEvent)


# Audit actions that enter nothing (a read, a login): they do not stop a --replace.
READ_ACTIONS = frozenset(["login", "login_failed", "logout", "view", "print", "export"])


def remove_load(previous, township):
    """Delete the rows of the township's previous load, in reverse dependency order; refused if
    anything was entered for the township on the county since (nothing a user entered is
    lost)."""
    ranges = previous.id_ranges
    users = set()
    for lo, hi in ranges.get("app_user", []):
        users.update(range(lo, hi + 1))
    last_audit = max((hi for _lo, hi in ranges.get("audit_log", [])), default=0)
    since = AuditLog.select().where(
        (AuditLog.id > last_audit)
        & AuditLog.action.not_in(list(READ_ACTIONS))
        & (AuditLog.object_type != CountyLoad._meta.table_name)
    )
    for row in since.iterator():
        touched = row.user_id in users
        if not touched and row.object_id is not None:
            touched = any(lo <= row.object_id <= hi for lo, hi in ranges.get(row.object_type, []))
        if touched:
            raise LoadError(
                f"乡镇 {township.code} 载入后，县库中已有人录入或修改了它的数据"
                f"（{row.at:%Y-%m-%d %H:%M} "
                f"{row.username} {row.action_label} {row.object_label}）；为免丢失，不能替换"
            )
    lifted = _lift_triggers()
    try:
        for model in reversed(load_order()):
            table = model._meta.table_name
            for lo, hi in ranges.get(table, []):
                try:
                    with database.atomic():
                        model.delete().where(model.id.between(lo, hi)).execute()
                except IntegrityError as e:
                    raise LoadError(
                        f"县库中有新录入的记录引用乡镇 {township.code} 的 {table} 数据；"
                        "为免丢失，不能替换"
                    ) from e
    finally:
        _restore_triggers(lifted)
    previous.replaced_at = clock.now()
    previous.save()


def _lift_triggers():
    """Lift the append-only tables' delete triggers for this transaction; returns what to put
    back."""
    tables = [m._meta.table_name for m in APPEND_ONLY]
    if database.is_postgres:
        for t in tables:
            database.execute_sql(f'ALTER TABLE "{t}" DISABLE TRIGGER USER')
        return tables
    marks = ", ".join("?" for _ in tables)
    rows = database.execute_sql(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ({marks})",
        tables,
    ).fetchall()
    for trigger, _sql in rows:
        database.execute_sql(f'DROP TRIGGER "{trigger}"')
    return rows


def _restore_triggers(lifted):
    if database.is_postgres:
        for t in lifted:
            database.execute_sql(f'ALTER TABLE "{t}" ENABLE TRIGGER USER')
        return
    for _name, sql in lifted:
        database.execute_sql(sql)
