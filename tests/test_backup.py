"""Backups while users write, rotation, restore into a fresh instance, refusals."""
import sqlite3
import threading
from datetime import date, timedelta

import pytest

from liushou import backup as backups
from liushou import create_app
from liushou.db import database
from liushou.migrations import LATEST
from liushou.models import AuditLog, Grid, User, Village
from liushou.models.persons import Person


def test_backup_while_another_connection_writes(demo_app, tmp_path):
    db = demo_app.config["DATABASE"]
    stop = threading.Event()

    def writer():
        con = sqlite3.connect(db, timeout=30)
        i = 0
        while not stop.is_set() and i < 400:
            with con:
                con.execute("INSERT INTO setting (key, value, valid_from, created_at) "
                            "VALUES ('probe', ?, '2026-01-01', '2026-01-01')", (str(i),))
            i += 1
        con.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        path = backups.backup(db, tmp_path / "b")
    finally:
        stop.set()
        thread.join()
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("SELECT count(*) FROM person").fetchone()[0] > 100
    assert (tmp_path / "b" / "monthly").glob("liushou-*.sqlite3")


def test_rotation_keeps_30_daily_and_12_monthly(app, tmp_path):
    db = app.config["DATABASE"]
    day = date(2025, 1, 1)
    for _ in range(420):
        backups.backup(db, tmp_path / "b", today=day)
        day += timedelta(days=1)
    daily = sorted((tmp_path / "b").glob("liushou-*.sqlite3"))
    monthly = sorted((tmp_path / "b" / "monthly").glob("liushou-*.sqlite3"))
    assert len(daily) == 30 and daily[-1].name == f"liushou-{day - timedelta(days=1):%Y-%m-%d}.sqlite3"
    assert len(monthly) == 12 and monthly[-1].name == "liushou-2026-02.sqlite3"


def test_restore_into_a_fresh_instance_finds_every_record(demo_app, tmp_path, monkeypatch):
    counts = {m.__name__: m.select().count() for m in (Village, Grid, User, Person, AuditLog)}
    path = backups.backup(demo_app.config["DATABASE"], tmp_path / "b")
    database.close()
    monkeypatch.setenv("LIUSHOU_INSTANCE", str(tmp_path / "fresh"))
    fresh = create_app({"TESTING": True, "DATABASE": str(tmp_path / "fresh.sqlite3"), "SECRET_KEY": "t"})
    database.close()
    result = fresh.test_cli_runner().invoke(args=["restore", str(path), "--yes"])
    assert result.exit_code == 0, result.output
    assert "原数据库另存为" in result.output
    database.connect(reuse_if_open=True)
    assert {m.__name__: m.select().count() for m in (Village, Grid, User, Person, AuditLog)} == counts
    assert list(tmp_path.glob("fresh.sqlite3.before-restore-*"))


def test_restore_refuses_what_is_not_a_liushou_backup(tmp_path):
    text = tmp_path / "note.txt"
    text.write_text("hello")
    with pytest.raises(backups.BackupError, match="不是 SQLite"):
        backups.check(text, LATEST)
    other = tmp_path / "other.sqlite3"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE x (id INTEGER)")
    con.close()
    with pytest.raises(backups.BackupError, match="不是本系统"):
        backups.check(other, LATEST)
    newer = tmp_path / "newer.sqlite3"
    con = sqlite3.connect(newer)
    for table in backups.REQUIRED_TABLES:
        con.execute(f'CREATE TABLE "{table}" (id INTEGER)')
    con.execute(f"PRAGMA user_version = {LATEST + 1}")
    con.close()
    with pytest.raises(backups.BackupError, match="更新版本"):
        backups.check(newer, LATEST)


def test_backup_command_and_settings_page_warning(login_as, runner, app):
    page = login_as("admin").get("/admin/settings").get_data(as_text=True)
    assert "还没有备份" in page
    result = runner.invoke(args=["backup"])
    assert result.exit_code == 0 and "已备份到" in result.output
    page = login_as("admin").get("/admin/settings").get_data(as_text=True)
    assert "最近一次备份" in page and "还没有备份" not in page
