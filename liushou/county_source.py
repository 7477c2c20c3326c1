"""Reading a township's file for a county load: a private copy, checked and migrated to the
latest schema (the file itself is only read), its digest, and the refusal a load raises."""

import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from . import backup as backups
from . import clock
from .backup_restore import _check_schema as check_schema
from .backup_restore import _migrate as migrate_copy


class LoadError(Exception):
    """A refusal, with a message for the user in Chinese; nothing was written."""


@dataclass
class Report:
    """What a load did, for the command's output."""

    township: object = None
    record: object = None
    counts: dict = field(default_factory=dict)  # table -> (source rows, loaded rows)
    renamed: list = field(default_factory=list)  # (what, old, new)
    settings: list = field(default_factory=list)  # (key, value, valid_from): the township's own
    unmapped: dict = field(default_factory=dict)  # "table.column" -> ids cleared
    replaced: object = None  # the earlier load it replaced
    files_copied: int = 0
    files_refused: list = field(default_factory=list)  # digests named by a link or other bytes


def prepare(path, folder):
    """A checked copy of the township file at `path`, migrated to the latest schema, in
    `folder`; returns (copy, the file's schema version). The file itself is only read."""
    path = Path(path)
    if not path.is_file():
        raise LoadError(f"找不到文件 {path}")
    copy = Path(folder) / "township.sqlite3"
    shutil.copyfile(path, copy)
    wal = Path(f"{path}-wal")
    if wal.is_file():  # committed writes not yet in the main file
        shutil.copyfile(wal, f"{copy}-wal")
    try:
        with open(copy, "rb") as fh:
            is_sqlite = fh.read(16) == backups.SQLITE_HEADER
        if is_sqlite:
            con = sqlite3.connect(copy)
            try:  # folds the -wal in: the copy is one self-contained file
                con.execute("PRAGMA journal_mode=DELETE").fetchone()
            finally:
                con.close()
        version = backups.check(copy, label=path.name)
        migrate_copy(copy)
        check_schema(copy, path.name)
        _refuse_future_visits(copy, path.name)
    except sqlite3.DatabaseError as e:
        raise LoadError(f"{path.name} 已损坏，无法打开（{e}），没有载入") from e
    except backups.BackupError as e:
        message = str(e).replace("不能用来恢复", "不能载入").replace("没有恢复", "没有载入")
        message = message.replace("再恢复", "再载入，没有载入")
        raise LoadError(message) from e
    return copy, version


# A visit or check-in dated after today would count as this month's and keep a person shown as
# visited until that day (the kept last visit days are read as "no later than today").
_FUTURE = (
    ("visit", "visited_on", "走访"),
    ("checkin", '"on"', "一敲门"),
)


def _refuse_future_visits(copy, name):
    """Refuse a file with a visit or check-in in force dated after today (a clock set wrong on
    the township's machine, a hand-edited file): it is corrected there first."""
    today = clock.today().isoformat()
    con = sqlite3.connect(copy)
    try:
        for table, column, what in _FUTURE:
            n, last = con.execute(
                f"SELECT count(*), max({column}) FROM {table} "
                f"WHERE {column} > ? AND voided_at IS NULL",
                (today,),
            ).fetchone()
            if n:
                raise LoadError(
                    f"{name} 中有 {n} 条{what}记录的日期晚于今天（最晚 {last}），没有载入："
                    "请先在乡镇的系统里更正或作废这些记录（并核对那台电脑的日期）"
                )
    finally:
        con.close()
