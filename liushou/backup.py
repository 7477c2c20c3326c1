"""Online backups with SQLite's backup API, rotation (30 daily, 12 monthly), checked restore.

No Flask in here: the CLI, the server's nightly thread and tests call these functions.
"""
import os
import shutil
import sqlite3
from datetime import date, datetime
from pathlib import Path

PREFIX = "liushou-"
REQUIRED_TABLES = {"village", "grid", "app_user", "audit_log", "setting"}
KEEP_DAILY = 30
KEEP_MONTHLY = 12


class BackupError(Exception):
    """A message for the user, in Chinese."""


def backup(db_path, backup_dir, today=None):
    """Copy the live database into backup_dir/liushou-YYYY-MM-DD.sqlite3 (safe while users write),
    check the copy, keep the month's first copy in monthly/, rotate; returns the copy's path."""
    today = today or date.today()
    folder = Path(backup_dir)
    (folder / "monthly").mkdir(parents=True, exist_ok=True)
    target = folder / f"{PREFIX}{today:%Y-%m-%d}.sqlite3"
    temp = target.with_suffix(".tmp")
    source = sqlite3.connect(db_path, timeout=30)
    try:
        copy = sqlite3.connect(temp)
        with copy:
            source.backup(copy, pages=1024)
        ok = copy.execute("PRAGMA integrity_check").fetchone()[0]
        copy.close()
    finally:
        source.close()
    if ok != "ok":
        temp.unlink(missing_ok=True)
        raise BackupError(f"备份副本校验失败：{ok}")
    os.replace(temp, target)
    monthly = folder / "monthly" / f"{PREFIX}{today:%Y-%m}.sqlite3"
    if not monthly.exists():
        shutil.copy2(target, monthly)
    rotate(folder)
    return target


def rotate(folder):
    """Keep the newest KEEP_DAILY daily copies and KEEP_MONTHLY monthly copies."""
    folder = Path(folder)
    for pattern, keep in (("*.sqlite3", KEEP_DAILY), ("monthly/*.sqlite3", KEEP_MONTHLY)):
        copies = sorted(p for p in folder.glob(pattern) if p.name.startswith(PREFIX))
        for old in copies[:-keep]:
            old.unlink()


def last_backup(backup_dir):
    """When the newest daily copy was written, or None."""
    copies = sorted(Path(backup_dir).glob(f"{PREFIX}*.sqlite3")) if Path(backup_dir).exists() else []
    return datetime.fromtimestamp(copies[-1].stat().st_mtime) if copies else None


def check(path, latest_version):
    """Refuse anything that is not an intact liushou database of a schema we know."""
    path = Path(path)
    with open(path, "rb") as fh:
        if fh.read(16) != b"SQLite format 3\x00":
            raise BackupError("这不是 SQLite 数据库文件")
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        if con.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError("备份文件已损坏（完整性校验未通过）")
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not REQUIRED_TABLES <= tables:
            raise BackupError("这不是本系统的数据库")
        version = con.execute("PRAGMA user_version").fetchone()[0]
    finally:
        con.close()
    if version > latest_version:
        raise BackupError(f"备份来自更新版本的程序（数据库版本 {version} > {latest_version}），请先升级程序")
    return version


def restore(backup_file, db_path, latest_version, now=None):
    """Check the backup, set the current database aside (kept), put the backup in its place.

    Returns the path the old database was moved to. The caller migrates afterwards.
    """
    check(backup_file, latest_version)
    now = now or datetime.now()
    db_path = Path(db_path)
    aside = db_path.with_name(f"{db_path.name}.before-restore-{now:%Y%m%d-%H%M%S}")
    if db_path.exists():
        con = sqlite3.connect(db_path)
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.close()
        os.replace(db_path, aside)
        for suffix in ("-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    temp = db_path.with_name(db_path.name + ".restoring")
    shutil.copy2(backup_file, temp)
    os.replace(temp, db_path)
    return aside


def start_nightly(db_path, backup_dir, hour=2, log=print):
    """A daemon thread in the server process: once a day after `hour` o'clock, if today's copy
    is missing, make it. (A systemd timer running `flask --app app backup` does the same.)"""
    import threading
    import time

    def loop():
        while True:
            now = datetime.now()
            today_copy = Path(backup_dir) / f"{PREFIX}{now:%Y-%m-%d}.sqlite3"
            if now.hour >= hour and not today_copy.exists():
                try:
                    log(f"nightly backup: {backup(db_path, backup_dir)}")
                except Exception as e:  # keep serving; the settings page warns after two days
                    log(f"nightly backup failed: {e}")
            time.sleep(600)

    thread = threading.Thread(target=loop, name="nightly-backup", daemon=True)
    thread.start()
    return thread
