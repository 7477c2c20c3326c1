"""Files the app keeps under instance/ hold personal data: folders 700, files 600.

Created that way from the start (never written first and tightened after), whatever the
process umask is.
"""

import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path):
    """Make `path` (and missing parents) with mode 700; returns it as a Path. An existing
    folder is left as it is (its owner may have chosen its mode)."""
    path = Path(path)
    missing = []
    for folder in (path, *path.parents):
        if folder.is_dir():
            break
        missing.append(folder)
    for folder in reversed(missing):  # the parents too, not only the last folder
        folder.mkdir(mode=DIR_MODE, exist_ok=True)
        os.chmod(folder, DIR_MODE)  # mkdir's mode is filtered through the umask
    return path


def write_private(path, data):
    """Write bytes to a file readable by its owner only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)  # an existing file keeps its old mode through O_CREAT
        with os.fdopen(fd, "wb") as fh:
            fd = None
            fh.write(data)
    finally:
        if fd is not None:
            os.close(fd)


def create_private(path):
    """Create `path` empty with mode 600 if it does not exist yet (SQLite then gives the
    -wal, -shm and -journal files beside it the same mode). True if it was created."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return False
    os.fchmod(fd, FILE_MODE)
    os.close(fd)
    return True
