"""Online backups with SQLite's backup API, rotation (30 daily, 12 monthly), checked restore.

No Flask in here: the CLI, the server's nightly thread and tests call these functions.
Daily copies are BACKUP_DIR/liushou-YYYY-MM-DD.sqlite3; the first copy of each month is also kept
as BACKUP_DIR/monthly/liushou-YYYY-MM.sqlite3. Every copy is one self-contained file (rollback
journal mode, no -wal beside it), so it can be carried on a USB disk and opened anywhere.
"""

import os
import re
import shutil
import sqlite3
import tempfile
import threading
import time
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from pathlib import Path

from . import clock
from .backup_files import backup_store
from .db import bind, database
from .instance_files import private_dir
from .migrations import LATEST, migrate

PREFIX = "liushou-"
DAILY = re.compile(r"^liushou-(\d{4})-(\d{2})-(\d{2})\.sqlite3$")
MONTHLY = re.compile(r"^liushou-(\d{4})-(\d{2})\.sqlite3$")
# Tables every liushou database has had since the first schema steps.
REQUIRED_TABLES = {"village", "grid", "app_user", "user_grid", "setting", "audit_log"}
KEEP_DAILY = 30
KEEP_MONTHLY = 12
SQLITE_HEADER = b"SQLite format 3\x00"


class BackupError(Exception):
    """A refusal or failure, with a message for the user in Chinese."""


def _latest():
    return LATEST


def _fsync_dir(folder):
    """Make a rename durable: the directory entry must reach the disk too (POSIX only)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _temp_beside(path, suffix):
    """A fresh, uniquely named file in path's folder, so os.replace onto path is atomic and two
    backups running at once (the server's thread and a timer) never share a temp file."""
    fd, name = tempfile.mkstemp(prefix=f".{Path(path).name}.", suffix=suffix, dir=Path(path).parent)
    os.close(fd)
    return Path(name)


def _unlink_with_sidecars(path):
    for p in (Path(path), Path(f"{path}-journal"), Path(f"{path}-wal"), Path(f"{path}-shm")):
        p.unlink(missing_ok=True)


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


def check(path, latest=None, label=None):
    """Refuse anything that is not an intact liushou database of a schema we know; returns its
    schema version. Opens the file immutable: only the main file is read, nothing is written.
    `label` names the file in messages (a temp copy is reported under the original's name)."""
    latest = _latest() if latest is None else latest
    path = Path(path)
    name = label or path.name
    if not path.is_file():
        raise BackupError(f"找不到文件 {path}")
    try:
        with open(path, "rb") as fh:
            header = fh.read(16)
    except OSError as e:
        raise BackupError(f"无法读取文件 {path}：{e.strerror}") from e
    if header != SQLITE_HEADER:
        raise BackupError(f"{name} 不是 SQLite 数据库文件，不能用来恢复")
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?immutable=1", uri=True)
        try:
            result = [r[0] for r in con.execute("PRAGMA integrity_check")]
            tables = {
                r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            version = con.execute("PRAGMA user_version").fetchone()[0]
        finally:
            con.close()
    except sqlite3.DatabaseError as e:
        raise BackupError(f"{name} 已损坏，无法打开（{e}）") from e
    if result != ["ok"]:
        raise BackupError(f"{name} 已损坏（完整性校验未通过：{result[0]}）")
    missing = REQUIRED_TABLES - tables
    if missing:
        raise BackupError(
            f"{name} 不是本系统（留守人员服务）的数据库：缺少 {'、'.join(sorted(missing))} 等表"
        )
    if version > latest:
        raise BackupError(
            f"{name} 来自更新版本的程序（数据库版本 {version}，本程序只认识到 {latest}），"
            "请先升级程序再恢复"
        )
    return version


def _schema(rows):
    """({table: [(column, type, notnull, pk), ...]}, {(kind, name) of indexes and triggers})
    from the rows _SCHEMA_SQL returns."""
    tables, others = {}, set()
    for kind, name, column, coltype, notnull, pk in rows:
        if kind == "table":
            tables.setdefault(name, []).append((column, coltype.upper(), notnull, pk))
        elif not name.startswith("sqlite_"):
            others.add((kind, name))
    return tables, others


_SCHEMA_SQL = (
    'SELECT m.type, m.name, c.name, c.type, c."notnull", c.pk FROM sqlite_master m '
    "JOIN pragma_table_info(m.name) c WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' "
    "UNION ALL SELECT type, name, NULL, NULL, NULL, NULL FROM sqlite_master "
    "WHERE type IN ('index', 'trigger') ORDER BY 1, 2"
)


@cache
def _expected_schema(latest):
    """The schema a fresh database gets from the migrations (built once, in memory)."""
    with _bound(":memory:"):
        with database.connection_context():
            migrate(latest)
            return _schema(database.execute_sql(_SCHEMA_SQL).fetchall())


def _check_schema(path, label):
    """Refuse a migrated copy whose tables, columns, indexes or triggers differ from ours: it has
    our table names and a version number, but it is some other program's database."""
    tables, others = _expected_schema(_latest())
    con = sqlite3.connect(path)
    try:
        found_tables, found_others = _schema(con.execute(_SCHEMA_SQL).fetchall())
    finally:
        con.close()
    wrong = sorted(t for t, columns in tables.items() if found_tables.get(t) != columns)
    missing = sorted(name for _kind, name in others - found_others)
    if wrong or missing:
        names = "、".join((wrong + missing)[:5])
        raise BackupError(
            f"{label} 的表结构与本程序不符（{names} 等不一致），不是本系统的数据库，没有恢复"
        )


@contextmanager
def _bound(path):
    """Point the app's shared database handle at `path` for the block (the migration steps run
    against that handle), then back at whatever it named before."""
    previous = database.database
    if not database.is_closed():
        database.close()
    bind(str(path))
    try:
        yield
    finally:
        if not database.is_closed():
            database.close()
        if previous:
            bind(previous)
        else:
            database.init(None)


def _migrate(path):
    """Bring the file at path up to the latest schema; returns the steps applied."""
    with _bound(path):
        try:
            with database.connection_context():
                return migrate()
        except Exception as e:  # a schema that does not match its version number
            raise BackupError(f"无法把备份升级到本程序的数据库版本（{e}），没有恢复") from e


def _set_aside(db_path, aside):
    """Keep the current database as `aside` (with any -wal beside it); refuse if it is in use."""
    wal = Path(f"{db_path}-wal")
    try:
        con = sqlite3.connect(db_path, timeout=5)
        try:
            busy = con.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        finally:
            con.close()
        healthy = True
    except sqlite3.DatabaseError:
        busy, healthy = 0, False  # a damaged file is kept as it is, sidecars and all
    # The last connection to close removes the -wal: if it is still there, the file is open.
    if busy or (healthy and wal.exists()):
        raise BackupError("数据库正在被使用，请先停止服务（python app.py）再恢复")
    for suffix in ("", "-wal", "-shm"):
        src = Path(f"{db_path}{suffix}")
        if src.exists():
            try:
                os.link(src, f"{aside}{suffix}")
            except OSError:
                shutil.copy2(src, f"{aside}{suffix}")


def _same_owner_and_mode(model, path):
    """Give the restored file the old one's mode and owner: a restore run with sudo must not leave
    a root-owned database the server cannot open."""
    st = os.stat(model)
    os.chmod(path, st.st_mode & 0o777)
    if hasattr(os, "chown") and os.stat(path).st_uid != st.st_uid:
        try:
            os.chown(path, st.st_uid, st.st_gid)
        except PermissionError:
            pass


def restore(backup_file, db_path, now=None):
    """Check the backup, keep the current database as <name>.before-restore-<time>, put the backup
    in its place and migrate it to the latest schema. Returns (aside path or None, steps applied).

    The backup is copied and migrated beside the database first, so any refusal or failure leaves
    the current database exactly as it was; the swap itself is one os.replace.
    """
    now = now or clock.now()
    db_path = Path(db_path).resolve()
    check(backup_file)  # refuse early, before copying a large file
    private_dir(db_path.parent)
    temp = _temp_beside(db_path, ".restoring")
    try:
        shutil.copyfile(backup_file, temp)
        check(temp, label=Path(backup_file).name)  # exactly the bytes about to be installed
        applied = _migrate(temp)  # closing its connection removes the temp's -wal and -shm
        _check_schema(temp, Path(backup_file).name)
        if db_path.exists():
            _same_owner_and_mode(db_path, temp)
    except BaseException:
        _unlink_with_sidecars(temp)
        raise
    aside = None
    try:
        if db_path.exists():
            aside = db_path.with_name(f"{db_path.name}.before-restore-{now:%Y%m%d-%H%M%S}")
            _set_aside(db_path, aside)
        # A -wal left beside the path would be replayed onto the restored file: remove it first
        # (it is kept with the aside copy).
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
        os.replace(temp, db_path)
    except BaseException:
        _unlink_with_sidecars(temp)
        raise
    _fsync_dir(db_path.parent)
    return aside, applied


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
    stays beside it and `restore` (see _set_aside) knows the server is running and refuses.
    The first look is `delay` seconds after the start (the server's first pages go first)."""
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
