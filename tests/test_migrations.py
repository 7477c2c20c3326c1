"""Schema migrations: numbered steps in PRAGMA user_version (SQLite) or schema_version
(PostgreSQL); old databases keep their data. Runs on PostgreSQL with LIUSHOU_TEST_POSTGRES=1."""

import sqlite3

import pytest
from peewee import BooleanField

from liushou import create_app
from liushou.db import database
from liushou.migrations import LATEST, STEPS, current_version, migrate
from liushou.models import ALL_MODELS
from tests._helpers import _fresh
from tests.pg_cluster import POSTGRES


def test_steps_are_numbered_without_gaps():
    assert sorted(STEPS) == list(range(1, LATEST + 1))


def test_old_database_migrates_with_data_intact(tmp_path):
    target = _fresh(tmp_path).config["DATABASE"]
    migrate(target=1)
    assert current_version() == 1
    database.execute_sql(
        "INSERT INTO village (code, name, kind, sort_order, active, created_at) "
        "VALUES ('V09', '老村', '村', 1, TRUE, '2025-01-01 08:00:00')"
    )
    database.execute_sql(
        "INSERT INTO app_user (username, display_name, role, village_id, phone, password_hash, "
        "active, failed_logins, created_at) VALUES ('old', '老用户', 'village', 1, '', 'x', TRUE, "
        "0, '2025-01-01 08:00:00')"
    )
    database.close()

    # Start-up migrates the old file to the latest schema.
    app = create_app({"TESTING": True, "DATABASE": target, "SECRET_KEY": "t"})
    with app.app_context():
        database.connect(reuse_if_open=True)
        assert current_version() == LATEST
        from liushou.models import User, Village

        assert Village.get(Village.code == "V09").name == "老村"
        assert User.get(User.username == "old").village.code == "V09"
        database.close()


@pytest.mark.parametrize("start", range(0, LATEST))
def test_every_step_applies_on_top_of_the_previous(tmp_path, start):
    _fresh(tmp_path)
    migrate(target=start)
    assert migrate() == list(range(start + 1, LATEST + 1))
    assert current_version() == LATEST
    assert migrate() == []


def test_schema_matches_the_models(tmp_path):
    """Every model column exists in the migrated database, so the frozen SQL has not drifted;
    on PostgreSQL a flag is a BOOLEAN column and an id a serial one."""
    _fresh(tmp_path)
    migrate()
    for model in ALL_MODELS:
        table = model._meta.table_name
        columns = {c.name: c for c in database.get_columns(table)}
        expected = {f.column_name for f in model._meta.sorted_fields}
        assert expected <= set(columns), (table, expected - set(columns))
        if POSTGRES:
            for field in model._meta.sorted_fields:
                kind = columns[field.column_name].data_type
                if isinstance(field, BooleanField):
                    assert kind == "boolean", (table, field.name, kind)
            assert "nextval" in (columns["id"].default or ""), table


def test_newer_database_is_refused(tmp_path):
    if POSTGRES:
        target = _fresh(tmp_path).config["DATABASE"]
        migrate()
        database.execute_sql('UPDATE "schema_version" SET "version" = %s', (LATEST + 1,))
        database.close()
    else:
        target = tmp_path / "new.sqlite3"
        con = sqlite3.connect(target)
        con.execute(f"PRAGMA user_version = {LATEST + 1}")
        con.close()
    with pytest.raises(RuntimeError, match="升级程序"):
        create_app({"TESTING": True, "DATABASE": str(target), "SECRET_KEY": "t"})
    database.close()


def test_pragmas(app):
    if POSTGRES:  # a lock wait ends like SQLite's busy timeout
        assert database.execute_sql("SHOW lock_timeout").fetchone()[0] == "10s"
        return
    assert database.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert database.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    assert database.execute_sql("PRAGMA synchronous").fetchone()[0] == 2
    assert database.execute_sql("PRAGMA busy_timeout").fetchone()[0] >= 5000


def test_init_db_command(runner, app):
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0
    assert f"版本 {LATEST}" in result.output


def test_audit_log_is_append_only(app):
    from peewee import IntegrityError

    from liushou.models import AuditLog
    from liushou.services import SYSTEM
    from liushou.services.audit import record

    row = record(SYSTEM, "settings", label="x")
    with pytest.raises(IntegrityError):
        AuditLog.update(username="tampered").where(AuditLog.id == row.id).execute()
    with pytest.raises(IntegrityError):
        AuditLog.delete().where(AuditLog.id == row.id).execute()
    # Rows past the 180-day retention may be purged.
    if POSTGRES:
        database.execute_sql("DROP TRIGGER audit_log_no_update ON audit_log")
        database.execute_sql(
            "UPDATE audit_log SET at = now() - interval '200 days' WHERE id = %s", (row.id,)
        )
    else:
        database.execute_sql("DROP TRIGGER audit_log_no_update")
        database.execute_sql(
            "UPDATE audit_log SET at = datetime('now', '-200 days') WHERE id = ?", (row.id,)
        )
    assert AuditLog.delete().where(AuditLog.id == row.id).execute() == 1
