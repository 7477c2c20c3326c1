"""Backups on PostgreSQL are the database server's (pg_dump on a timer, README): `flask backup`
and `flask restore` say how and change nothing, the settings page does not warn about missing
copies. The SQLite file's backups are tests/test_backup.py."""

from pathlib import Path

import pytest

from liushou import backup_pg
from liushou.models.places import Village
from tests.conftest import login

pytestmark = pytest.mark.postgres_only(reason="the pg_dump advice replaces SQLite's file copy")


def test_backup_command_says_how_with_pg_dump_and_writes_nothing(runner, app):
    result = runner.invoke(args=["backup"])
    assert result.exit_code == 0, result.output
    assert "PostgreSQL" in result.output and "pg_dump --format=custom" in result.output
    assert "systemd" in result.output and app.config["FILES_DIR"] in result.output
    assert "已备份到" not in result.output
    folder = Path(app.config["BACKUP_DIR"])
    assert not folder.exists() or not any(folder.iterdir())


def test_the_advice_never_shows_the_password():
    text = backup_pg.backup_help("postgresql://liushou:s3cret@db.local:5432/liushou", "/srv/f")
    assert "s3cret" not in text and "postgresql://liushou:***@db.local:5432/liushou" in text


def test_restore_command_says_how_with_pg_restore_and_changes_nothing(runner, app, places):
    before = sorted(v.code for v in Village.select())
    result = runner.invoke(args=["restore", "/srv/backup/liushou-2026-01-01.dump", "--yes"])
    assert result.exit_code == 0, result.output
    assert "pg_restore --clean --if-exists --single-transaction" in result.output
    assert "/srv/backup/liushou-2026-01-01.dump" in result.output
    assert "已恢复" not in result.output
    assert sorted(v.code for v in Village.select()) == before


def test_settings_page_names_pg_dump_and_does_not_warn(client, users):
    login(client, "admin")
    page = client.get("/admin/settings").get_data(as_text=True)
    assert "pg_dump" in page
    assert "还没有备份" not in page and "flash warn" not in page
