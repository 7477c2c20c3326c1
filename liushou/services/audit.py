"""Writing to the audit log.

Every row is one prepared INSERT (its statement written once per engine, not built by peewee
on each call: a child's page writes one on every read, cached page or not).

Durability of audited reads (action "view", outside a transaction, SQLite): the row is
committed before the page is sent, so a crash of the server never loses it; but it is
committed with `synchronous=NORMAL` (written to the WAL, not yet fsynced), except once every
`READ_SYNC_SECONDS`, when it is committed with the usual FULL (fsync) and so makes durable
every audited read before it. A power cut may lose at most the reads audited in the last
`READ_SYNC_SECONDS` (the next change of any record, which commits with FULL, syncs them
sooner). An fsync here costs about 4 ms and holds the write lock meanwhile: a child's page on
every read would otherwise cost an fsync. Every other audit row (a change) is committed with
its change, FULL, as before.
"""

import json
import threading
import time

from .. import clock
from ..db import PRAGMAS, database
from ..models import AuditLog

READ_SYNC_SECONDS = 2.0
_synced = [0.0]  # time.monotonic() of the last audited read committed with FULL
_sync_lock = threading.Lock()

_COLUMNS = (
    "at",
    "user_id",
    "username",
    "ip",
    "action",
    "object_type",
    "object_id",
    "object_label",
    "changes",
)
_statements = {}  # engine -> (sql, fields)


def _statement():
    engine = type(database.obj)
    built = _statements.get(engine)
    if built is None:
        fields = [AuditLog._meta.fields[name] for name in _COLUMNS]
        mark = database.obj.param
        sql = 'INSERT INTO "audit_log" ({}) VALUES ({})'.format(
            ", ".join(f'"{f.column_name}"' for f in fields), ", ".join([mark] * len(fields))
        )
        if database.is_postgres:
            sql += ' RETURNING "id"'
        built = _statements[engine] = (sql, fields)
    return built


def _relaxed_read(action, changes):
    """Whether this row is an audited read that may skip its fsync (see the module's doc)."""
    if action != "view" or changes or database.is_postgres or database.in_transaction():
        return False
    now = time.monotonic()
    with _sync_lock:
        if now - _synced[0] < READ_SYNC_SECONDS:
            return True
        _synced[0] = now  # this one is committed with FULL
        return False


def record(actor, action, obj=None, *, changes=None, object_type=None, label=None, object_id=None):
    """Append one audit row; `changes` is [(field, before, after)]."""
    if actor.approval and action != "view":
        changes = [*(changes or []), ("reviewed", None, actor.approval)]
    if obj is not None:
        object_type = object_type or obj._meta.table_name
        object_id = obj.id if object_id is None else object_id
        label = label if label is not None else str(obj)
    values = {
        "at": clock.now(),
        "user_id": actor.user_id,
        "username": actor.username,
        "ip": actor.ip or "",
        "action": action,
        "object_type": object_type or "",
        "object_id": object_id,
        "object_label": (label or "")[:128],
        "changes": json.dumps(changes, ensure_ascii=False, default=str) if changes else "",
    }
    sql, fields = _statement()
    params = [f.db_value(values[f.name]) for f in fields]
    if _relaxed_read(action, changes):
        database.execute_sql("PRAGMA synchronous = NORMAL")
        try:
            cursor = database.execute_sql(sql, params)
        finally:
            database.execute_sql(f"PRAGMA synchronous = {int(PRAGMAS['synchronous'])}")
    else:
        cursor = database.execute_sql(sql, params)
    row_id = cursor.fetchone()[0] if database.is_postgres else cursor.lastrowid
    row = AuditLog(__no_default__=1, id=row_id, **values)
    row._dirty.clear()
    return row
