"""Online backups with SQLite's backup API, rotation (30 daily, 12 monthly), checked restore.

No Flask in here: the CLI, the server's nightly thread and tests call these functions.
Daily copies are BACKUP_DIR/liushou-YYYY-MM-DD.sqlite3; the first copy of each month is also kept
as BACKUP_DIR/monthly/liushou-YYYY-MM.sqlite3. Every copy is one self-contained file (rollback
journal mode, no -wal beside it), so it can be carried on a USB disk and opened anywhere.
Checking a copy is in backup_check.py, restoring in backup_restore.py, attachments in
backup_files.py; check, restore and BackupError are importable from here too.
"""

import os
import re
import shutil
import sqlite3
import threading
import time
from datetime import datetime
from pathlib import Path

from . import clock
from .backup_check import (  # noqa: F401  (re-exported for callers)
    REQUIRED_TABLES,
    SQLITE_HEADER,
    BackupError,
    _fsync_dir,
    _temp_beside,
    _unlink_with_sidecars,
    check,
)
from .backup_files import backup_store
from .backup_restore import restore  # noqa: F401  (re-exported for callers)
from .instance_files import private_dir

PREFIX = "liushou-"
DAILY = re.compile(r"^liushou-(\d{4})-(\d{2})-(\d{2})\.sqlite3$")
MONTHLY = re.compile(r"^liushou-(\d{4})-(\d{2})\.sqlite3$")
KEEP_DAILY = 30
KEEP_MONTHLY = 12


def backup(db_path, backup_dir, now=None, files_dir=None):
    """Copy the live database into backup_dir (safe while users write), check the copy, keep the
    month's first copy in monthly/, rotate; returns the daily copy's path. With files_dir, the
    attachments new since the last backup are copied into backup_dir/files after the database
    (a file is stored before its row is written, so every file the copy names is there)."""
    now = now or clock.now()
    if not Path(db_path).is_file():
        raise BackupError(f"找不到数据库文件 {db_path}，没有备份")
    folder = Path(backup_dir)
    private_dir(folder / "monthly")  # copies are mkstemp files: 600 from the start
    target = folder / f"{PREFIX}{now:%Y-%m-%d}.sqlite3"
    temp = _temp_beside(target, ".tmp")
    try:
        source = copy = None
        try:
            # Read-write so it can recover a -wal left by a crash; it only reads.
            source = sqlite3.connect(db_path, timeout=30)
            copy = sqlite3.connect(temp)
            # One step (pages=-1) copies a consistent snapshot under a WAL read lock: writers go on.
            # Copying in small steps would restart whenever another connection writes.
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")
        except sqlite3.Error as e:
            raise BackupError(f"备份失败：无法读取数据库 {Path(db_path).name}（{e}）") from e
        finally:
            for con in (copy, source):
                if con is not None:
                    con.close()
        check(temp, label=Path(db_path).name)
        os.replace(temp, target)
    except BaseException:
        _unlink_with_sidecars(temp)
        raise
    _fsync_dir(folder)
    monthly = folder / "monthly" / f"{PREFIX}{now:%Y-%m}.sqlite3"
    if not monthly.exists():
        _keep_copy(target, monthly)
    rotate(folder)
    backup_store(files_dir, folder)
    return target


def _keep_copy(source, target):
    """target becomes a copy of source: a hard link where the disk allows it (no extra space;
    a later same-day backup replaces the daily name, not this one), else a real copy."""
    temp = _temp_beside(target, ".tmp")
    temp.unlink()
    try:
        try:
            os.link(source, temp)
        except OSError:  # FAT/exFAT USB disks have no hard links
            shutil.copy2(source, temp)
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
    _fsync_dir(Path(target).parent)


def _copies(folder, pattern):
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if pattern.match(p.name))


def rotate(backup_dir):
    """Keep the newest KEEP_DAILY daily and KEEP_MONTHLY monthly copies (by the date in the name);
    also drop temp files a crashed backup left behind more than a day ago."""
    folder = Path(backup_dir)
    for sub, pattern, keep in (
        (folder, DAILY, KEEP_DAILY),
        (folder / "monthly", MONTHLY, KEEP_MONTHLY),
    ):
        for old in _copies(sub, pattern)[:-keep]:
            old.unlink(missing_ok=True)
        if sub.is_dir():
            for stale in sub.glob(f".{PREFIX}*.tmp*"):
                try:  # another backup running now may finish with its temp file meanwhile
                    if stale.stat().st_mtime < time.time() - 86400:
                        stale.unlink(missing_ok=True)
                except FileNotFoundError:
                    pass


def daily_copies(backup_dir):
    """The daily copies, oldest first."""
    return _copies(backup_dir, DAILY)


def monthly_copies(backup_dir):
    """The monthly copies, oldest first."""
    return _copies(Path(backup_dir) / "monthly", MONTHLY)


def last_backup(backup_dir):
    """When the newest copy was written, or None if there is none."""
    times = [p.stat().st_mtime for p in daily_copies(backup_dir) + monthly_copies(backup_dir)]
    return datetime.fromtimestamp(max(times)) if times else None


def nightly_due(backup_dir, now, hour=2):
    """True once it is past `hour` o'clock and today's copy is not there yet."""
    today = Path(backup_dir) / f"{PREFIX}{now:%Y-%m-%d}.sqlite3"
    return now.hour >= hour and not today.exists()


def hold(db_path):
    """An open connection in WAL mode that has read the file: while it is open the -wal file
    stays, which is how restore tells that a server is using the database. None if the file
    cannot be opened (the server reports that on its first request)."""
    try:
        con = sqlite3.connect(db_path, timeout=10, check_same_thread=False)
        con.execute("PRAGMA journal_mode=wal")
        con.execute("PRAGMA user_version").fetchone()
        return con
    except sqlite3.Error:
        return None


def start_nightly(
    db_path, backup_dir, hour=2, every=600, log=print, stop=None, files_dir=None, delay=0
):
    """A daemon thread in the server process that makes the day's copy after `hour` o'clock,
    checking every `every` seconds until `stop` (an Event) is set. A systemd timer running
    `flask --app app backup` may run too: a second copy on the same day replaces the first.

    The thread also holds one connection to the database for the server's life, so the -wal
    stays beside it and `restore` (see backup_restore._set_aside) knows the server is running
    and refuses. The first look is `delay` seconds after the start (the server's first pages go
    first)."""
    stop = stop or threading.Event()
    keeper = hold(db_path)

    def loop():
        try:
            stop.wait(delay)
            while not stop.is_set():
                if nightly_due(backup_dir, clock.now(), hour):
                    try:
                        copy = backup(db_path, backup_dir, files_dir=files_dir)
                        log(f"nightly backup: {copy}")
                    except Exception as e:  # keep serving; the settings page warns after 2 days
                        log(f"nightly backup failed: {e}")
                stop.wait(every)
        finally:
            if keeper is not None:
                keeper.close()

    thread = threading.Thread(target=loop, name="nightly-backup", daemon=True)
    thread.start()
    return thread
