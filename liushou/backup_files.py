"""Attachments in backups: the content-addressed store (instance/files/ab/cdef…) copied into
BACKUP_DIR/files beside the database copies, and brought back by restore.

A stored file never changes (its name is its sha256), so one folder serves every daily and
monthly copy: each backup adds the files that are new since the last. Copy the whole backup
folder (files/ included) to a USB disk. No Flask in here.
"""

import hashlib
import os
import re
import shutil
import sqlite3
import tempfile
from pathlib import Path

from .instance_files import FILE_MODE, private_dir

FOLDER = "files"
_PART = re.compile(r"^[0-9a-f]{2}$")
_REST = re.compile(r"^[0-9a-f]{62}$")


def stored(store):
    """{sha256: path} of the files in a store (anything else in it is ignored)."""
    store = Path(store)
    out = {}
    if not store.is_dir():
        return out
    for part in store.iterdir():
        if part.is_dir() and _PART.match(part.name):
            for f in part.iterdir():
                if f.is_file() and _REST.match(f.name):
                    out[part.name + f.name] = f
    return out


def sha256_of(path):
    """The hex sha256 of a file's content, read a block at a time."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _copy_in(source, target):
    """Copy one file to target (600, folders 700) through a temp file renamed into place."""
    folder = private_dir(Path(target).parent)
    fd, temp = tempfile.mkstemp(prefix=".copy-", dir=folder)
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
            shutil.copyfileobj(src, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def copy_new(source_store, target_store, check=False):
    """Copy the files of source_store that target_store lacks; returns how many. With `check`,
    a file whose content does not match its name is skipped (a damaged copy)."""
    have = stored(target_store)
    copied = 0
    for sha, path in stored(source_store).items():
        if sha in have:
            continue
        if check and sha256_of(path) != sha:
            continue
        _copy_in(path, Path(target_store) / sha[:2] / sha[2:])
        copied += 1
    return copied


def backup_store(files_dir, backup_dir):
    """After a database copy: the attachments new since the last backup; returns how many."""
    if not files_dir:
        return 0
    return copy_new(files_dir, Path(backup_dir) / FOLDER)


def beside(backup_file):
    """The files folder of the backup folder a copy was taken from (daily or monthly/)."""
    backup_file = Path(backup_file).resolve()
    for folder in (backup_file.parent, backup_file.parent.parent):
        if (folder / FOLDER).is_dir():
            return folder / FOLDER
    return None


def needed(db_path):
    """The sha256 of every file the database's attachments name (none before migration 17)."""
    con = sqlite3.connect(f"{Path(db_path).resolve().as_uri()}?mode=ro", uri=True)
    try:
        try:
            rows = con.execute("SELECT sha256, thumb_sha256 FROM attachment").fetchall()
        except sqlite3.OperationalError:
            return set()
    finally:
        con.close()
    return {sha for row in rows for sha in row if sha}


def restore_store(backup_file, db_path, files_dir):
    """After a restore: bring back the attachments missing from files_dir (each checked against
    its hash). Returns (copied, [sha256 the restored database names but no copy holds])."""
    source = beside(backup_file)
    copied = copy_new(source, files_dir, check=True) if source else 0
    missing = sorted(needed(db_path) - set(stored(files_dir)))
    return copied, missing
