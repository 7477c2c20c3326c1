"""Checking a database file before it is kept or restored (an intact liushou database of a
schema we know), and the file steps backup and restore share: temp files beside the target,
durable renames, removing a file with its -journal/-wal/-shm. No Flask in here."""

import os
import sqlite3
import tempfile
from pathlib import Path

from .migrations import LATEST

# Tables every liushou database has had since the first schema steps.
REQUIRED_TABLES = {"village", "grid", "app_user", "user_grid", "setting", "audit_log"}
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
