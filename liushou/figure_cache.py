"""Figures kept in memory between requests: home's and the reports' counts per scope.

An entry is keyed by what it was computed for (the database, the kind of figures, the user's
scope, his role and the day, plus the caller's own arguments) and remembers the data generation
of its scope's villages it was computed under (`db.data_generation(villages)`, moved on by every
committed write of this process in one of those villages or township-wide; the whole township's
by every write). It is served while that generation is unchanged and it is at most `MAX_AGE`
seconds old: a write through this server shows on the next page of its village and of the
township at once (a visit in village A leaves village B's entries alone), a write by another
process (a command line job) within a minute. Pages show when their figures were counted
("统计于").

Figures that take long to count (over `SLOW` seconds, e.g. a township's home at 100,000
persons) would be recounted after every write while cadres keep recording visits; such an
entry is recounted at most every `REFRESH` seconds: after a write it is still served for what
is left of those seconds, with its time on the page.

In-process memory only: the server's threads share it; at most `MAX_ENTRIES` entries, the
least recently used dropped first. Two threads asking for the same missing entry compute it
once: the second waits for the first.
"""

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from flask import g, has_request_context

from . import clock
from .db import data_generation, database

MAX_ENTRIES = 256
MAX_AGE = 60.0  # seconds
SLOW = 2.0  # seconds of counting that make an entry "slow" (a township at 100,000 persons)
TIMED = 0.125  # of SLOW (0.25 s) for figures whose page says when they were counted
REFRESH = 60.0  # seconds a slow entry is served after a write (issue 17 item 3: a minute)


@dataclass(frozen=True)
class Entry:
    value: object
    generation: int
    made: float  # time.monotonic() when computed
    at: datetime  # clock.now() when computed, for "统计于 HH:MM"
    cost: float = 0.0  # seconds it took to compute
    villages: frozenset | None = None  # whose data generation it follows (None: every village)
    registry: bool = False  # follows the registry generation (visits apart: db.data_generation)
    timed: bool = False  # its page says when it was counted ("统计于"): see TIMED


def _slow(entry):
    """Served for up to REFRESH seconds after a write while it is recounted: figures that took
    over SLOW seconds, or, on a page that shows when they were counted (home), over
    SLOW * TIMED (issue 17 item 3: at most a minute stale, said on the page)."""
    return entry.cost > SLOW * (TIMED if entry.timed else 1)


def villages_of(scope):
    """The villages whose writes can change a scope's figures; None: any village's (the whole
    township, or a helper's persons wherever they live)."""
    if getattr(scope, "everything", True) or getattr(scope, "is_helper", True):
        return None
    return scope.village_ids


_entries: OrderedDict = OrderedDict()
_computing: dict = {}
_lock = threading.Lock()


def _fresh(entry):
    if entry is None:
        return False
    age = time.monotonic() - entry.made
    if entry.generation == data_generation(entry.villages, entry.registry):
        return age < MAX_AGE
    return _slow(entry) and age < min(REFRESH, MAX_AGE)


def _lookup(key):
    with _lock:
        entry = _entries.get(key)
        if _fresh(entry):
            _entries.move_to_end(key)
            return entry
        return None


def get(kind, scope, role, day, compute, *args, background=False, registry=False, timed=False):
    """The Entry of `compute()` for this kind, scope, role, day and args: cached, or computed
    now and kept.

    With `background` (a `compute` that needs no request: it reads no `g`), slow figures that
    are due for a recount are recounted by one background thread while the last count is
    served (at most `MAX_AGE` old), so no request waits for them.

    With `registry` (figures that show no visit, need or visit state), the entry holds across
    recorded visits (db.data_generation(..., registry=True)).

    With `timed` (the page shows the entry's "统计于" time), figures that take over
    SLOW * TIMED seconds count as slow."""
    key = (database.database, kind, scope, role, day, *args)
    entry = _lookup(key)
    if entry is not None:
        return _served(entry)
    with _lock:
        gate = _computing.setdefault(key, threading.Lock())
        old = _entries.get(key)
    last = old is not None and _slow(old) and time.monotonic() - old.made < MAX_AGE
    if not gate.acquire(blocking=False):
        if last:
            return _served(old)  # another thread is recounting slow figures: the last count
        gate.acquire()
    elif last and background:
        thread = threading.Thread(
            target=_recount,
            args=(key, gate, scope, compute, registry, timed),
            name="figure-recount",
            daemon=True,
        )
        thread.start()  # it releases the gate
        return _served(old)
    try:
        entry = _lookup(key)  # another thread may have computed it while this one waited
        if entry is not None:
            return entry
        return _compute(key, scope, compute, registry, timed)
    finally:
        gate.release()


def _served(entry):
    """`entry`, noting on the request when it was counted before the last write of its villages
    (a slow entry served meanwhile): a page drawn from it is not kept (page_cache)."""
    if (
        entry.generation != data_generation(entry.villages, entry.registry)
        and has_request_context()
    ):
        g.stale_figures = True
    return entry


def _compute(key, scope, compute, registry=False, timed=False):
    # The generation is read before computing: a write committed meanwhile makes the entry
    # stale at once rather than hiding behind it.
    villages = villages_of(scope)
    generation = data_generation(villages, registry)
    started = time.monotonic()
    try:
        value = compute()
        made = time.monotonic()
        entry = Entry(
            value, generation, made, clock.now(), made - started, villages, registry, timed
        )
    finally:
        with _lock:
            _computing.pop(key, None)
    with _lock:
        _entries[key] = entry
        _entries.move_to_end(key)
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)
    return entry


def _recount(key, gate, scope, compute, registry=False, timed=False):
    """A slow entry counted again in a thread of its own (reads only: no write lock)."""
    opened = database.is_closed()
    try:
        if opened:
            database.connect()
        _compute(key, scope, compute, registry, timed)
    except Exception:  # noqa: BLE001 - the last count stays; the next request tries again
        pass
    finally:
        if opened and not database.is_closed():
            database.close()
        gate.release()


def warm(kind, scope, role, day, compute, *args, timed=False):
    """Count an entry now unless it is already fresh (the start-of-day warm-up): returns the
    seconds it took, 0 when it was fresh, None when another thread was counting it."""
    key = (database.database, kind, scope, role, day, *args)
    if _lookup(key) is not None:
        return 0.0
    with _lock:
        gate = _computing.setdefault(key, threading.Lock())
    if not gate.acquire(blocking=False):
        return None
    try:
        return _compute(key, scope, compute, timed=timed).cost
    finally:
        gate.release()


def clear():
    """Forget every entry (tests, a restored database)."""
    with _lock:
        _entries.clear()


def size():
    with _lock:
        return len(_entries)
