"""Backups while users write, rotation, restore into a fresh instance, refusals, settings page."""

import hashlib
import os
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from liushou import backup as backups
from liushou import create_app
from liushou.db import database
from liushou.migrations import LATEST
from liushou.services import SYSTEM
from tests.conftest import PASSWORD, login

# On PostgreSQL backups are pg_dump's (tests/test_backup_pg.py): these are about SQLite's file.
pytestmark = pytest.mark.sqlite_only(reason="the SQLite file's online copy, check and restore")


def dump(path):
    """Every row of every table, for comparing two databases exactly."""
    con = sqlite3.connect(path)  # read-write: its close checkpoints and removes the -wal
    try:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type='table' "
                "AND sql NOT LIKE 'CREATE VIRTUAL%' "
                "ORDER BY name"
            )
        ]
        return {t: sorted(con.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}
    finally:
        con.close()


def digest(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def leftovers(folder):
    """Temp files a backup or restore should never leave behind."""
    return [
        p.name
        for p in folder.rglob("*")
        if p.name.endswith((".tmp", ".restoring", "-wal", "-journal"))
    ]


def write_probe(path, value):
    con = sqlite3.connect(path, timeout=30)
    with con:
        con.execute(
            "INSERT INTO setting (key, value, valid_from, created_at) "
            "VALUES ('probe', ?, '2026-01-01', '2026-01-01')",
            (value,),
        )
    con.close()


def probes(path):
    con = sqlite3.connect(path)  # read-write: its close checkpoints and removes the -wal
    try:
        return [
            r[0] for r in con.execute("SELECT value FROM setting WHERE key='probe' ORDER BY id")
        ]
    finally:
        con.close()


# --- backup ---------------------------------------------------------------------------------


def test_backup_while_another_connection_writes(demo_app, tmp_path):
    db = demo_app.config["DATABASE"]
    database.close()
    stop, written, errors = threading.Event(), [], []

    def writer():
        con = sqlite3.connect(db, timeout=30)
        try:
            while not stop.is_set():
                with con:  # one committed transaction per row, like one form post
                    con.execute(
                        "INSERT INTO setting (key, value, valid_from, created_at) "
                        "VALUES ('probe', ?, '2026-01-01', '2026-01-01')",
                        (str(len(written)),),
                    )
                written.append(len(written))
        except Exception as e:  # "database is locked" would land here
            errors.append(e)
        finally:
            con.close()

    thread = threading.Thread(target=writer)
    thread.start()
    copies = []
    try:
        while len(written) < 20 and thread.is_alive():
            time.sleep(0.01)
        for i in range(5):
            before = len(written)
            path = backups.backup(db, tmp_path / "b", now=datetime(2026, 11, 1 + i, 3))
            copies.append((path, before, len(written)))
    finally:
        stop.set()
        thread.join()
    assert not errors
    assert written[-1] > copies[0][1], "the writer should have gone on while backups ran"
    for path, before, after in copies:
        con = sqlite3.connect(path)
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("SELECT count(*) FROM person").fetchone()[0] > 100
        con.close()
        # A consistent snapshot: an unbroken run of committed rows, none torn or skipped.
        got = probes(path)
        assert got == [str(i) for i in range(len(got))]
        assert before <= len(got) <= after + 1  # +1: a row committed but not yet counted
    assert leftovers(tmp_path / "b") == []


def test_a_copy_is_one_self_contained_checked_file(app, tmp_path):
    path = backups.backup(app.config["DATABASE"], tmp_path / "b", now=datetime(2026, 11, 22, 2, 30))
    assert path == tmp_path / "b" / "liushou-2026-11-22.sqlite3"
    assert backups.check(path) == LATEST
    con = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    con.close()
    assert (tmp_path / "b" / "monthly" / "liushou-2026-11.sqlite3").is_file()


def test_second_backup_on_a_day_replaces_that_day_and_keeps_the_months_first(app, tmp_path):
    db, folder = app.config["DATABASE"], tmp_path / "b"
    database.close()
    write_probe(db, "morning")
    backups.backup(db, folder, now=datetime(2026, 11, 1, 2))
    write_probe(db, "evening")
    path = backups.backup(db, folder, now=datetime(2026, 11, 1, 20))
    assert [p.name for p in backups.daily_copies(folder)] == ["liushou-2026-11-01.sqlite3"]
    assert probes(path) == ["morning", "evening"]
    assert probes(folder / "monthly" / "liushou-2026-11.sqlite3") == ["morning"]
    assert leftovers(folder) == []


def test_backup_refuses_a_missing_or_foreign_database(app, tmp_path):
    good = backups.backup(app.config["DATABASE"], tmp_path / "b", now=datetime(2026, 11, 22, 2))
    kept = digest(good)
    with pytest.raises(backups.BackupError, match="找不到数据库"):
        backups.backup(tmp_path / "nothing.sqlite3", tmp_path / "b")
    assert not (tmp_path / "nothing.sqlite3").exists()
    other = tmp_path / "other.sqlite3"
    sqlite3.connect(other).execute("CREATE TABLE x (id INTEGER)").connection.close()
    with pytest.raises(backups.BackupError, match="other.sqlite3 不是本系统"):
        backups.backup(other, tmp_path / "b", now=datetime(2026, 11, 22, 14))
    text = tmp_path / "text.sqlite3"
    text.write_text("名单")
    with pytest.raises(backups.BackupError, match="无法读取数据库 text.sqlite3"):
        backups.backup(text, tmp_path / "b", now=datetime(2026, 11, 22, 15))
    # The failed runs left the day's good copy as it was, and nothing else.
    assert backups.daily_copies(tmp_path / "b") == [good] and digest(good) == kept
    assert leftovers(tmp_path / "b") == []


def test_rotation_keeps_30_daily_and_12_monthly(app, tmp_path):
    db, folder = app.config["DATABASE"], tmp_path / "b"
    database.close()
    folder.mkdir()
    (folder / "notes.txt").write_text("not ours")
    (folder / "liushou-old.sqlite3").write_text("not a dated copy")
    day = datetime(2025, 1, 15, 2, 30)
    con = sqlite3.connect(db)
    con.execute(
        "INSERT INTO setting (key, value, valid_from, created_at) "
        "VALUES ('probe', '', '2026-01-01', '2026-01-01')"
    )
    con.commit()
    for _ in range(420):  # 2025-01-15 .. 2026-03-10
        con.execute("UPDATE setting SET value = ? WHERE key = 'probe'", (f"{day:%Y-%m-%d}",))
        con.commit()
        backups.backup(db, folder, now=day)
        day += timedelta(days=1)
    con.close()
    last = day - timedelta(days=1)
    assert [p.name for p in backups.daily_copies(folder)] == [
        f"liushou-{last - timedelta(days=n):%Y-%m-%d}.sqlite3" for n in range(29, -1, -1)
    ]
    assert [p.name for p in backups.monthly_copies(folder)] == [
        f"liushou-{m}.sqlite3"
        for m in (
            "2025-04",
            "2025-05",
            "2025-06",
            "2025-07",
            "2025-08",
            "2025-09",
            "2025-10",
            "2025-11",
            "2025-12",
            "2026-01",
            "2026-02",
            "2026-03",
        )
    ]
    # Each monthly copy is the month's first backup.
    assert probes(folder / "monthly" / "liushou-2025-04.sqlite3") == ["2025-04-01"]
    assert probes(folder / "monthly" / "liushou-2026-03.sqlite3") == ["2026-03-01"]
    assert (folder / "notes.txt").exists() and (folder / "liushou-old.sqlite3").exists()
    assert leftovers(folder) == []


def test_last_backup(app, tmp_path):
    folder = tmp_path / "b"
    assert backups.last_backup(folder) is None
    path = backups.backup(app.config["DATABASE"], folder)
    assert abs(backups.last_backup(folder) - datetime.now()) < timedelta(seconds=30)
    three_days_ago = time.time() - 3 * 86400
    for p in [path, *backups.monthly_copies(folder)]:
        os.utime(p, (three_days_ago, three_days_ago))
    assert abs(backups.last_backup(folder).timestamp() - three_days_ago) < 1


def test_nightly_thread_makes_the_days_copy(app, tmp_path):
    folder = tmp_path / "b"
    assert not backups.nightly_due(folder, datetime(2026, 11, 22, 1, 59))
    assert backups.nightly_due(folder, datetime(2026, 11, 22, 2, 0))
    stop, logs = threading.Event(), []
    thread = backups.start_nightly(
        app.config["DATABASE"], folder, hour=0, every=0.05, log=logs.append, stop=stop
    )
    try:
        deadline = time.time() + 10
        while not backups.daily_copies(folder) and time.time() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)  # a few more turns of the loop: still one copy, no second backup
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()
    assert len(backups.daily_copies(folder)) == 1 and len(logs) == 1
    assert not backups.nightly_due(folder, datetime.now().replace(hour=3))


# --- restore --------------------------------------------------------------------------------


def test_restore_into_a_fresh_instance_finds_every_record(demo_app, tmp_path, monkeypatch):
    from liushou.models import AuditLog, Grid, Setting, User, Village
    from liushou.services.accounts import create_user
    from liushou.services.places import save_grid, save_village
    from liushou.services.settings import update_settings

    database.connect(reuse_if_open=True)
    village = save_village(SYSTEM, {"code": "V99", "name": "备份测试村", "sort_order": 99})
    grid = save_grid(SYSTEM, {"village": village.id, "code": "V99-G1", "name": "备份一组"})
    create_user(
        SYSTEM,
        {
            "username": "beifen",
            "display_name": "备份员",
            "role": "grid",
            "village": village.id,
            "grids": [grid.id],
        },
        PASSWORD,
    )
    update_settings(SYSTEM, {"township_name": "备份镇"})
    counts = {m.__name__: m.select().count() for m in (Village, Grid, User, Setting, AuditLog)}
    assert counts["AuditLog"] >= 4 and counts["Village"] > 1
    database.close()
    source = demo_app.config["DATABASE"]
    path = backups.backup(source, tmp_path / "b")
    before = dump(source)
    assert sum(len(rows) for rows in before.values()) > 1000

    monkeypatch.setenv("LIUSHOU_INSTANCE", str(tmp_path / "fresh"))
    fresh_db = tmp_path / "fresh" / "liushou.sqlite3"
    fresh = create_app({"TESTING": True, "SECRET_KEY": "t"})
    assert fresh.config["DATABASE"] == str(fresh_db) and fresh_db.exists()  # empty, at LATEST
    database.close()
    result = fresh.test_cli_runner().invoke(args=["restore", str(path), "--yes"])
    assert result.exit_code == 0, result.output
    assert "已恢复" in result.output and "原数据库另存为" in result.output
    assert dump(fresh_db) == before
    assert len(list((tmp_path / "fresh").glob("liushou.sqlite3.before-restore-*"))) == 1
    assert leftovers(tmp_path / "fresh") == []
    # The restored instance serves the restored data to a restored account.
    client = fresh.test_client()
    assert login(client, "beifen").status_code == 303
    assert "备份测试村" in client.get("/").get_data(as_text=True) + client.get("/persons").get_data(
        as_text=True
    )


def test_restore_migrates_an_older_backup_and_keeps_the_current_file(tmp_path):
    from liushou.db import bind
    from liushou.migrations import migrate

    old = tmp_path / "old.sqlite3"
    bind(str(old))
    with database.connection_context():
        migrate(target=2)
        database.execute_sql(
            "INSERT INTO village (code, name, kind, sort_order, active, created_at) "
            "VALUES ('V01', '老村', '村', 1, 1, '2025-01-01')"
        )
    database.init(None)
    current = tmp_path / "live.sqlite3"
    write_current = sqlite3.connect(current)
    write_current.execute("CREATE TABLE marker (x)")
    write_current.close()
    os.chmod(current, 0o640)
    aside, applied = backups.restore(old, current, now=datetime(2026, 11, 22, 9, 30, 5))
    assert applied == list(range(3, LATEST + 1))
    con = sqlite3.connect(current)
    assert con.execute("PRAGMA user_version").fetchone()[0] == LATEST
    assert con.execute("SELECT name FROM village").fetchall() == [("老村",)]
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()
    assert os.stat(current).st_mode & 0o777 == 0o640  # the server's access to the file is kept
    assert aside == tmp_path / "live.sqlite3.before-restore-20261122-093005"
    assert dump(aside) == {"marker": []}
    assert (
        sqlite3.connect(old).execute("PRAGMA user_version").fetchone()[0] == 2
    )  # backup untouched


def _newer(path):
    con = sqlite3.connect(path)
    for table in backups.REQUIRED_TABLES:
        con.execute(f'CREATE TABLE "{table}" (id INTEGER)')
    con.execute(f"PRAGMA user_version = {LATEST + 1}")
    con.close()


def _corrupt(app, path):
    backups.backup(app.config["DATABASE"], path.parent / "c")
    data = bytearray(
        (path.parent / "c" / backups.daily_copies(path.parent / "c")[0].name).read_bytes()
    )
    for offset in range(4096 * 2, len(data), 4096):  # scribble over every page but the first two
        data[offset + 8 : offset + 64] = b"\xff" * 56
    path.write_bytes(bytes(data))


def _index_mismatch(app, path):
    """Opens fine, but an index no longer matches its table: only integrity_check finds it."""
    backups.backup(app.config["DATABASE"], path.parent / "c")
    path.write_bytes(backups.daily_copies(path.parent / "c")[0].read_bytes())
    con = sqlite3.connect(path)
    con.executemany(
        "INSERT INTO village (code, name, kind, sort_order, active, created_at) "
        "VALUES (?, ?, '村', 1, 1, '2026-01-01')",
        [("V01", "乙村"), ("V02", "甲村")],
    )
    con.commit()
    con.execute("PRAGMA writable_schema = ON")
    con.execute(
        "UPDATE sqlite_master SET sql = "
        """'CREATE UNIQUE INDEX "village_code" ON "village" ("name")' """
        "WHERE name = 'village_code'"
    )
    con.commit()
    con.close()


def _unversioned(app, path):
    """Our tables but user_version 0: migrating it would fail, so it is refused whole."""
    backups.backup(app.config["DATABASE"], path.parent / "c")
    path.write_bytes(backups.daily_copies(path.parent / "c")[0].read_bytes())
    con = sqlite3.connect(path)
    con.execute("PRAGMA user_version = 0")
    con.close()


def _truncated(app, path):
    """A copy cut off half-way, as an interrupted USB transfer leaves it."""
    backups.backup(app.config["DATABASE"], path.parent / "c")
    data = backups.daily_copies(path.parent / "c")[0].read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _empty_tables(app, path, version=0):
    """Empty tables under our names, nothing else: at version 0 the migration cannot run on it."""
    con = sqlite3.connect(path)
    for table in backups.REQUIRED_TABLES:
        con.execute(f'CREATE TABLE "{table}" (id INTEGER)')
    con.execute(f"PRAGMA user_version = {version}")
    con.close()


def _foreign_schema(app, path):
    """Our table names and the latest version number, but another program's columns: nothing
    is left to migrate, so only comparing the schema finds it."""
    _empty_tables(app, path, version=LATEST)


def _trigger_dropped(app, path):
    """A real copy whose append-only trigger on the audit log was dropped."""
    backups.backup(app.config["DATABASE"], path.parent / "c")
    path.write_bytes(backups.daily_copies(path.parent / "c")[0].read_bytes())
    con = sqlite3.connect(path)
    con.execute('DROP TRIGGER "audit_log_no_update"')
    con.close()


REFUSALS = {
    "truncated": (_truncated, "损坏"),
    "empty-tables-version-0": (_empty_tables, "无法把备份升级"),
    "foreign-schema": (_foreign_schema, "表结构与本程序不符"),
    "trigger-dropped": (_trigger_dropped, "表结构与本程序不符"),
    "text": (lambda app, p: p.write_text("姓名,电话\n张三,139\n"), "不是 SQLite"),
    "empty": (lambda app, p: p.write_bytes(b""), "不是 SQLite"),
    "foreign": (
        lambda app, p: sqlite3.connect(p).execute("CREATE TABLE x (id)").connection.close(),
        "不是本系统",
    ),
    "newer": (lambda app, p: _newer(p), "更新版本"),
    "damaged": (_corrupt, "损坏"),
    "index-mismatch": (_index_mismatch, "完整性校验未通过"),
    "missing": (lambda app, p: None, "找不到"),
    "unversioned": (_unversioned, "无法把备份升级"),
}


@pytest.mark.parametrize("kind", REFUSALS)
def test_restore_refuses_and_leaves_the_database_alone(kind, app, tmp_path):
    make, message = REFUSALS[kind]
    bad = tmp_path / f"bad-{kind}.sqlite3"
    make(app, bad)
    db = app.config["DATABASE"]
    database.close()
    before = digest(db)
    with pytest.raises(backups.BackupError, match=message):
        backups.restore(bad, db)
    assert digest(db) == before
    assert not list(tmp_path.glob("*.before-restore-*")) and leftovers(tmp_path) == []


def test_restore_refuses_while_the_database_is_in_use(app, tmp_path):
    db = app.config["DATABASE"]
    copy = backups.backup(db, tmp_path / "b")
    database.close()
    server = sqlite3.connect(db)  # a running server holds a connection like this one
    server.execute("PRAGMA journal_mode=wal")
    server.execute(
        "INSERT INTO setting (key, value, valid_from, created_at) "
        "VALUES ('x', '1', '2026-01-01', '2026-01-01')"
    )
    server.commit()
    try:
        with pytest.raises(backups.BackupError, match="正在被使用"):
            backups.restore(copy, db)
        assert server.execute("SELECT count(*) FROM setting WHERE key='x'").fetchone()[0] == 1
    finally:
        server.close()
    assert not list(tmp_path.glob("*.before-restore-*")) and leftovers(tmp_path) == []
    backups.restore(copy, db)  # once the server has stopped
    assert dump(db)["setting"] == []


# --- commands and the settings page ---------------------------------------------------------


def test_backup_command(runner, app):
    result = runner.invoke(args=["backup"])
    assert result.exit_code == 0, result.output
    assert "已备份到" in result.output and "完整性校验通过" in result.output
    assert len(backups.daily_copies(app.config["BACKUP_DIR"])) == 1


def test_restore_command_asks_first_and_refuses_clearly(runner, app, tmp_path):
    db = app.config["DATABASE"]
    copy = backups.backup(db, tmp_path / "b")
    from liushou.services.places import save_village

    save_village(SYSTEM, {"code": "V77", "name": "备份后新建村", "sort_order": 1})
    database.close()
    before = digest(db)

    result = runner.invoke(args=["restore", str(copy)], input="n\n")
    assert result.exit_code == 1 and "已取消" in result.output and "确定" in result.output
    assert digest(db) == before

    text = tmp_path / "notes.txt"
    text.write_text("hello")
    result = runner.invoke(args=["restore", str(text), "--yes"])
    assert result.exit_code == 1 and "不能恢复" in result.output and "不是 SQLite" in result.output
    result = runner.invoke(args=["restore", str(tmp_path / "nope.sqlite3"), "--yes"])
    assert result.exit_code == 1 and "找不到文件" in result.output
    assert digest(db) == before

    result = runner.invoke(args=["restore", str(copy)], input="y\n")
    assert result.exit_code == 0, result.output
    assert "已恢复" in result.output
    assert "备份后新建村" not in {r[2] for r in dump(db)["village"]}


def test_settings_page_shows_the_last_backup_and_warns(login_as, runner, app):
    page = login_as("admin").get("/admin/settings").get_data(as_text=True)
    assert "还没有备份" in page and "flash warn" in page
    assert runner.invoke(args=["backup"]).exit_code == 0
    page = login_as("admin").get("/admin/settings").get_data(as_text=True)
    assert f"最近一次备份：{datetime.now():%Y-%m-%d}" in page
    assert "还没有备份" not in page and "已超过两天" not in page and "flash warn" not in page
    old = time.time() - 3 * 86400
    folder = app.config["BACKUP_DIR"]
    for p in backups.daily_copies(folder) + backups.monthly_copies(folder):
        os.utime(p, (old, old))
    page = login_as("admin").get("/admin/settings").get_data(as_text=True)
    assert f"最近一次备份：{datetime.fromtimestamp(old):%Y-%m-%d}" in page
    assert "已超过两天" in page and "flash warn" in page


def test_two_backups_at_once_do_not_collide(app, tmp_path):
    """The server's nightly thread and a systemd timer may copy at the same moment."""
    db = app.config["DATABASE"]
    database.close()
    folder = tmp_path / "b"
    start, results, errors = threading.Barrier(4), [], []

    def one():
        try:
            start.wait()
            results.append(backups.backup(db, folder, now=datetime(2026, 11, 22, 2)))
        except Exception as e:
            errors.append(e)

    threads = [threading.Thread(target=one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert len(results) == 4 and backups.daily_copies(folder) == [results[0]]
    assert backups.check(results[0]) == LATEST
    assert leftovers(folder) == [] and not list(folder.rglob(".*"))


@pytest.mark.skipif(os.name != "posix", reason="starts the real server in a process group")
def test_restore_command_refuses_while_the_real_server_runs(tmp_path):
    from tests.crash_harness import PASSWORD as CRASH_PASSWORD
    from tests.crash_harness import _flask, _free_port, _kill, _start

    db = tmp_path / "live.sqlite3"
    env = {
        **os.environ,
        "LIUSHOU_DATABASE": str(db),
        "LIUSHOU_INSTANCE": str(tmp_path / "instance"),
        "LIUSHOU_BACKUP_DIR": str(tmp_path / "backups"),
    }
    env.pop("FLASK_APP", None)
    _flask(env, "init-db")
    _flask(env, "create-user", "admin", "--role", "admin", stdin=CRASH_PASSWORD + "\n")
    _flask(env, "backup")
    copy = backups.daily_copies(tmp_path / "backups")[0]
    with open(tmp_path / "server.log", "ab") as log:
        proc = _start(env, _free_port(), log)
        try:
            before = dump(db)
            refused = subprocess.run(
                [sys.executable, "-m", "flask", "--app", "app", "restore", str(copy), "--yes"],
                cwd=Path(__file__).resolve().parents[1],
                env=env,
                text=True,
                capture_output=True,
                timeout=120,
            )
            assert refused.returncode != 0, refused.stdout
            assert "正在被使用" in refused.stdout + refused.stderr
            assert not list(tmp_path.glob("*.before-restore-*"))
        finally:
            _kill(proc)
    assert dump(db) == before
    done = _flask(env, "restore", str(copy), "--yes")  # once the server has stopped
    assert "已恢复" in done.stdout


# --- attachments (photos and scanned papers) -------------------------------------------------


def _attach_photo(app, caption):
    """An attachment row and its files (its owner's existence does not matter to a backup)."""
    import io
    from types import SimpleNamespace

    from PIL import Image

    from liushou.services.files import attach

    database.connect(reuse_if_open=True)
    photo = io.BytesIO()
    Image.new("RGB", (300, 200), "orange").save(photo, "PNG")
    owner = SimpleNamespace(id=1, voided_at=None)
    row = attach(
        SYSTEM, app.config["FILES_DIR"], "person", owner, (photo.getvalue(), "a.png"), caption
    )
    database.close()
    return row


def test_backup_carries_the_attachments_and_restore_brings_them_back(runner, app, tmp_path):
    from liushou.backup_files import stored

    row = _attach_photo(app, "合影")
    files = Path(app.config["FILES_DIR"])
    originals = {sha: p.read_bytes() for sha, p in stored(files).items()}
    assert set(originals) == {row.sha256, row.thumb_sha256}
    result = runner.invoke(args=["backup"])
    assert result.exit_code == 0, result.output
    folder = Path(app.config["BACKUP_DIR"])
    kept = stored(folder / "files")
    assert set(kept) == set(originals)
    assert all(os.stat(p).st_mode & 0o777 == 0o600 for p in kept.values())
    assert os.stat(folder / "files").st_mode & 0o777 == 0o700
    # A second backup copies nothing new and keeps one copy of each file.
    assert runner.invoke(args=["backup"]).exit_code == 0
    assert len(stored(folder / "files")) == 2

    # The machine is lost: an empty instance; the whole backup folder is copied back.
    import shutil

    for path in files.rglob("*"):
        if path.is_file():
            path.unlink()
    copy = backups.daily_copies(folder)[0]
    moved = tmp_path / "usb"
    shutil.copytree(folder, moved)
    result = runner.invoke(args=["restore", str(moved / copy.name), "--yes"])
    assert result.exit_code == 0, result.output
    assert "从备份取回 2 个文件" in result.output and "找不到" not in result.output
    back = stored(files)
    assert {sha: p.read_bytes() for sha, p in back.items()} == originals
    assert all(os.stat(p).st_mode & 0o777 == 0o600 for p in back.values())
    # The monthly copy finds the same files folder (one level up).
    for path in files.rglob("*"):
        if path.is_file():
            path.unlink()
    monthly = backups.monthly_copies(moved)[0]
    result = runner.invoke(args=["restore", str(monthly), "--yes"])
    assert result.exit_code == 0 and "从备份取回 2 个文件" in result.output


def test_restore_warns_when_the_files_were_not_copied_with_the_backup(runner, app, tmp_path):
    _attach_photo(app, "合影")
    db = app.config["DATABASE"]
    copy = backups.backup(db, tmp_path / "b")  # the database alone, no files folder
    for path in Path(app.config["FILES_DIR"]).rglob("*"):
        if path.is_file():
            path.unlink()
    result = runner.invoke(args=["restore", str(copy), "--yes"])
    assert result.exit_code == 0, result.output
    assert (
        "已恢复" in result.output
        and "有 2 个附件文件在备份文件夹的 files 中找不到" in result.output
    )


def test_restore_skips_a_damaged_file_copy(runner, app, tmp_path):
    from liushou.backup_files import stored

    row = _attach_photo(app, "合影")
    assert runner.invoke(args=["backup"]).exit_code == 0
    folder = Path(app.config["BACKUP_DIR"])
    damaged = stored(folder / "files")[row.sha256]
    damaged.write_bytes(b"not the photo")
    for path in Path(app.config["FILES_DIR"]).rglob("*"):
        if path.is_file():
            path.unlink()
    result = runner.invoke(args=["restore", str(backups.daily_copies(folder)[0]), "--yes"])
    assert result.exit_code == 0
    assert "取回 1 个文件" in result.output and "有 1 个附件文件" in result.output
    assert row.sha256 not in stored(app.config["FILES_DIR"])
