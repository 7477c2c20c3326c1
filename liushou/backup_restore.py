"""Restoring a backup: the copy is checked, migrated and compared with our schema beside the
live database, the live file is set aside (refused while a server uses it), then one os.replace
puts the copy in its place. No Flask in here; backup.restore names the same function."""

import os
import shutil
import sqlite3
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from . import clock
from .backup_check import (
    BackupError,
    _fsync_dir,
    _latest,
    _temp_beside,
    _unlink_with_sidecars,
    check,
)
from .db import bind, database
from .instance_files import private_dir
from .migrations import migrate


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
