"""Schema migrations: numbered steps in PRAGMA user_version; old databases keep their data."""

import sqlite3

import pytest

from liushou import create_app
from liushou.db import database
from liushou.migrations import LATEST, STEPS, current_version, migrate
from liushou.models import ALL_MODELS


def _fresh(tmp_path, name="old.sqlite3"):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE": str(tmp_path / name),
            "SECRET_KEY": "t",
            "MIGRATE_ON_START": False,
        }
    )
    database.connect(reuse_if_open=True)
    return app


def test_steps_are_numbered_without_gaps():
    assert sorted(STEPS) == list(range(1, LATEST + 1))


def test_old_database_migrates_with_data_intact(tmp_path):
    _fresh(tmp_path)
    migrate(target=1)
    assert current_version() == 1
    database.execute_sql(
        "INSERT INTO village (code, name, kind, sort_order, active, created_at) "
        "VALUES ('V09', '老村', '村', 1, 1, '2025-01-01 08:00:00')"
    )
    database.execute_sql(
        "INSERT INTO app_user (username, display_name, role, village_id, phone, password_hash, "
        "active, failed_logins, created_at) VALUES ('old', '老用户', 'village', 1, '', 'x', 1, 0, "
        "'2025-01-01 08:00:00')"
    )
    database.close()

    # Start-up migrates the old file to the latest schema.
    app = create_app(
        {"TESTING": True, "DATABASE": str(tmp_path / "old.sqlite3"), "SECRET_KEY": "t"}
    )
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
    """Every model column exists in the migrated database, so the frozen SQL has not drifted."""
    _fresh(tmp_path)
    migrate()
    for model in ALL_MODELS:
        table = model._meta.table_name
        columns = {row[1] for row in database.execute_sql(f'PRAGMA table_info("{table}")')}
        expected = {f.column_name for f in model._meta.sorted_fields}
        assert expected <= columns, (table, expected - columns)


def test_newer_database_is_refused(tmp_path):
    path = tmp_path / "new.sqlite3"
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA user_version = {LATEST + 1}")
    con.close()
    with pytest.raises(RuntimeError, match="升级程序"):
        create_app({"TESTING": True, "DATABASE": str(path), "SECRET_KEY": "t"})
    database.close()


def test_pragmas(app):
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
    database.execute_sql("DROP TRIGGER audit_log_no_update")
    database.execute_sql(
        "UPDATE audit_log SET at = datetime('now', '-200 days') WHERE id = ?", (row.id,)
    )
    assert AuditLog.delete().where(AuditLog.id == row.id).execute() == 1
