"""Figures kept in memory between requests: home's and the reports' counts per scope.

An entry is keyed by what it was computed for (the database, the kind of figures, the user's
scope, his role and the day, plus the caller's own arguments) and remembers the data generation
it was computed under (`db.data_generation()`, moved on by every committed write of this
process). It is served while the generation is unchanged and it is at most `MAX_AGE` seconds
old: a write through this server shows on the next page at once, a write by another process
(a command line job) within a minute. Pages show when their figures were counted ("统计于").

In-process memory only: the server's threads share it; at most `MAX_ENTRIES` entries, the
least recently used dropped first. Two threads asking for the same missing entry compute it
once: the second waits for the first.
"""

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from . import clock
from .db import data_generation, database

MAX_ENTRIES = 256
MAX_AGE = 60.0  # seconds


@dataclass(frozen=True)
class Entry:
    value: object
    generation: int
    made: float  # time.monotonic() when computed
    at: datetime  # clock.now() when computed, for "统计于 HH:MM"


_entries: OrderedDict = OrderedDict()
_computing: dict = {}
_lock = threading.Lock()


def _fresh(entry):
    return (
        entry is not None
        and entry.generation == data_generation()
        and time.monotonic() - entry.made < MAX_AGE
    )


def _lookup(key):
    with _lock:
        entry = _entries.get(key)
        if _fresh(entry):
            _entries.move_to_end(key)
            return entry
        return None


def get(kind, scope, role, day, compute, *args):
    """The Entry of `compute()` for this kind, scope, role, day and args: cached, or computed
    now and kept."""
    key = (database.database, kind, scope, role, day, *args)
    entry = _lookup(key)
    if entry is not None:
        return entry
    with _lock:
        gate = _computing.setdefault(key, threading.Lock())
    with gate:
        entry = _lookup(key)  # another thread may have computed it while this one waited
        if entry is not None:
            return entry
        # The generation is read before computing: a write committed meanwhile makes the
        # entry stale at once rather than hiding behind it.
        generation = data_generation()
        try:
            entry = Entry(compute(), generation, time.monotonic(), clock.now())
        finally:
            with _lock:
                _computing.pop(key, None)
        with _lock:
            _entries[key] = entry
            _entries.move_to_end(key)
            while len(_entries) > MAX_ENTRIES:
                _entries.popitem(last=False)
        return entry


def clear():
    """Forget every entry (tests, a restored database)."""
    with _lock:
        _entries.clear()


def size():
    with _lock:
        return len(_entries)
