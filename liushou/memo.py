"""Small values read on every request (settings, a user's scope, open emergency steps) kept
in memory between requests while the data is unchanged.

An entry holds while `db.data_generation()` is the one it was read under (every committed
write of this process moves it on; so does another process's write, e.g. the daily job's child
or a command, seen at the server's next request, and a new day: db_generation, "Other
processes") and for at most `MAX_AGE` seconds (15 minutes: writes no process reported, by hand
with sqlite3 or psql). Unlike figure_cache there is no waiting and no stale
serving: a missing or stale entry is simply read again. Bounded: past `MAX_ENTRIES` entries
the oldest read are dropped first (never the whole memo at once: a request that fills it would
otherwise drop what it had just read).
"""

import threading
import time

from .db import data_generation, database
from .db_generation import KEEP_MAX_AGE

MAX_AGE = KEEP_MAX_AGE  # seconds (15 minutes)
MAX_ENTRIES = 4096

_entries: dict = {}
_lock = threading.Lock()


def get(key, compute):
    """compute()'s value for `key` (any hashable) in this database: kept, or read now."""
    if database.in_transaction():
        return compute()  # the transaction may have written what it reads: not yet committed
    key = (database.database, *key)
    generation = data_generation()
    now = time.monotonic()
    entry = _entries.get(key)
    if entry is not None and entry[0] == generation and now - entry[1] < MAX_AGE:
        return entry[2]
    value = compute()
    with _lock:
        _entries.pop(key, None)  # kept in the order they were read: the oldest go first
        while len(_entries) >= MAX_ENTRIES:
            del _entries[next(iter(_entries))]
        _entries[key] = (generation, now, value)
    return value


def clear():
    """Forget every entry (tests, a restored database)."""
    with _lock:
        _entries.clear()
