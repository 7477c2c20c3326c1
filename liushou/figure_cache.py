"""Figures kept in memory between requests: home's and the reports' counts per scope.

An entry is keyed by what it was computed for (the database, the kind of figures, the user's
scope, his role and the day, plus the caller's own arguments) and remembers the data generation
of its scope's villages it was computed under (`db.data_generation(villages)`, moved on by every
committed write of this process in one of those villages or township-wide; the whole township's
by every write; every village's by another process's write, e.g. the daily job's child or a
command, seen at the server's next request, and by a new day: db_generation, "Other
processes"). It is served while that generation is unchanged and it is at most `MAX_AGE`
seconds old (15 minutes: writes no process reported, by hand with sqlite3 or psql): a write
through this server shows on the next page of its village and of the township at once (a
visit in village A leaves village B's entries alone), a write by another process on the
server's next page. So the start-of-day warm-up, counted after the day's job, serves the
township all morning while nobody writes. Pages show when their figures were counted
("统计于").

Figures that take long to count (over `SLOW` seconds, e.g. a township's home at 100,000
persons) would be recounted after every write while cadres keep recording visits; such an
entry is recounted at most every `REFRESH` seconds: after a write it is still served for what
is left of those seconds, with its time on the page.

Slow figures kept with `background` are recounted in a background thread once they are asked
for `AHEAD` seconds after they were counted under a generation that has moved since (or
`AHEAD` seconds before `MAX_AGE`), while the last count is served (at most `STALE_MAX_AGE`
after a write): no request waits for their recount while they are asked for at least every
half minute. When only other processes wrote since their count (the day's job commits batch
after batch beside the server), their last count is served to users whose own writes it holds
while one background thread counts them again, whatever its age (up to MAX_AGE): no township
user waits for the recount while the job runs (`_others_moved`).

Figures that follow every visit in a wide scope (a township user's worklist and home: any
visit anywhere in the township moves them) may be kept with `others`: after visits recorded
by OTHER users (transactions that left the registry generation alone, see
db.data_generation) such an entry is still served up to `STALE_MAX_AGE` seconds old, its page
saying when it was counted ("统计于"); a user whose own committed write (this process, any
request) came after the entry was counted always gets a fresh count (read-your-writes:
`_writers`), and any other write (a registration, a setting) shows at once as before.

In-process memory only: the server's threads share it; at most `MAX_ENTRIES` entries, the
least recently used dropped first, and one user's entries (those his requests counted) at most
`MAX_ENTRIES / USER_SHARE`: his own least recently used go first, so his many ?q= do not push
out everybody's figures. Two threads asking for the same missing entry compute it
once: the second waits for the first. Lists patched after visits (`_patched`): figure_patch.py.
"""

import dataclasses
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from flask import g, has_request_context, request_started, request_tearing_down, session

from . import clock, figure_patch
from .db import data_generation, database, last_bump
from .db_generation import KEEP_MAX_AGE, own_generation

MAX_ENTRIES = 256
USER_SHARE = 8  # one user's entries may be at most MAX_ENTRIES / USER_SHARE (page_cache's too)
MAX_AGE = KEEP_MAX_AGE  # seconds, while the generation holds (db_generation: 15 minutes)
STALE_MAX_AGE = 60.0  # seconds an entry is served after its generation moved (others, REFRESH)
SLOW = 2.0  # seconds of counting that make an entry "slow" (a township at 100,000 persons)
TIMED = 0.125  # of SLOW (0.25 s) for figures whose page says when they were counted
REFRESH = 60.0  # seconds a slow entry is served after a write (issue 17 item 3: a minute)
AHEAD = 30.0  # seconds after which a slow entry asked for is recounted in the background


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
    others: bool = False  # served up to STALE_MAX_AGE old after other users' visits: see `get`
    registry_generation: int = 0  # the registry generation when computed (for `others`)


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
_owner: dict = {}  # key -> the id of the user whose request counted it (None: no user)
_owned: dict = {}  # user id -> OrderedDict of his keys, least recently used first
_writers: dict = {}  # user id -> the data generation of his last committed write
_lock = threading.Lock()
NEVER = float("inf")


def _user_id():
    if has_request_context():
        user = g.get("user")
        return getattr(user, "id", None)
    return None


def _own_write():
    """The generation of the requesting user's last committed write: 0 when he wrote nothing
    since the server started, NEVER outside a user's request (no allowance for others' writes
    without a user to tell them apart)."""
    user_id = _user_id()
    if user_id is None or "_flashes" in session:
        return NEVER  # nor with a message to show (it follows the user's own action)
    return _writers.get(user_id, 0)


def _request_started(_sender, **_extra):
    last_bump(reset=True)  # a thread's earlier request (or job) is not this one's


def _request_ended(_sender, **_extra):
    """After a request that committed a write (its teardown, errors too): its user's next pages
    count afresh."""
    n = last_bump(reset=True)
    user_id = _user_id()
    if n and user_id is not None:
        with _lock:
            _writers[user_id] = max(n, _writers.get(user_id, 0))


request_started.connect(_request_started)
request_tearing_down.connect(_request_ended)


def _fresh(entry, mine=NEVER):
    """Whether `entry` may be served to a user whose own last write is generation `mine`."""
    if entry is None:
        return False
    age = time.monotonic() - entry.made
    if entry.generation == data_generation(entry.villages, entry.registry):
        return age < MAX_AGE
    if (
        entry.others
        and entry.generation >= mine
        and age < STALE_MAX_AGE
        and entry.registry_generation == data_generation(entry.villages, True)
    ):
        return True  # moved by others' visits only: at most a minute old, "统计于" shown
    return _slow(entry) and age < min(REFRESH, STALE_MAX_AGE)


def _due_ahead(entry):
    """Is a slow entry being served due for its background recount: AHEAD seconds after it was
    counted when a write has moved its generation since, or AHEAD seconds before MAX_AGE?"""
    age = time.monotonic() - entry.made
    if entry.generation != data_generation(entry.villages, entry.registry):
        return age >= AHEAD
    return age >= MAX_AGE - AHEAD


def _lookup(key, mine=NEVER):
    with _lock:
        entry = _entries.get(key)
        if _fresh(entry, mine):
            _entries.move_to_end(key)
            owned = _owned.get(_owner.get(key))
            if owned is not None and key in owned:
                owned.move_to_end(key)
            return entry
        return None


def get(
    kind,
    scope,
    role,
    day,
    compute,
    *args,
    background=False,
    registry=False,
    timed=False,
    others=False,
    patch=None,
):
    """The Entry of `compute()` for this kind, scope, role, day and args: cached, or computed
    now and kept.

    With `background` (a `compute` that needs no request: it reads no `g`), slow figures that
    are due for a recount are recounted by one background thread while the last count is
    served (at most `STALE_MAX_AGE` old after a write), so no request waits for them.

    With `registry` (figures that show no visit, need or visit state), the entry holds across
    recorded visits (db.data_generation(..., registry=True)).

    With `timed` (the page shows the entry's "统计于" time), figures that take over
    SLOW * TIMED seconds count as slow.

    With `others` (the page shows the entry's "统计于" time), an entry moved on only by other
    users' visits is served up to STALE_MAX_AGE old; one counted before the requesting user's own
    last write is counted again (read-your-writes).

    With `patch(value, person_ids)` (a new value, or None: count again), an entry moved on
    only by visits and check-ins (figure_patch.moving) is patched for their persons instead of
    counted again: see `_patched`."""
    key = (database.database, kind, scope, role, day, *args)
    mine = _own_write()
    entry = _lookup(key, mine)
    if entry is not None:
        if background and _slow(entry) and _due_ahead(entry):
            _recount_ahead(key, scope, compute, registry, timed, others)
        return _served(entry)
    with _lock:
        gate = _computing.setdefault(key, threading.Lock())
        old = _entries.get(key)
    last = old is not None and _slow(old) and time.monotonic() - old.made < STALE_MAX_AGE
    last = last or (background and _others_moved(old, mine))
    if not gate.acquire(blocking=False):
        if last:
            return _served(old)  # another thread is recounting slow figures: the last count
        gate.acquire()
    elif last and background:
        thread = threading.Thread(
            target=_recount,
            args=(key, gate, scope, compute, registry, timed, others),
            name="figure-recount",
            daemon=True,
        )
        thread.start()  # it releases the gate
        return _served(old)
    try:
        entry = _lookup(key, mine)  # another thread may have computed it while this one waited
        if entry is not None:
            return _served(entry)
        entry = _patched(key, patch, mine) if patch is not None else None
        if entry is not None:
            return _served(entry)
        return _compute(key, scope, compute, registry, timed, others, _user_id())
    finally:
        gate.release()


def _others_moved(old, mine):
    """May the last count `old` of slow figures kept with `background` be served while one
    background thread counts them again, however long ago it was counted (up to MAX_AGE):
    since then only other processes wrote (the day's job's batches, a command: db_shared),
    no write of this server in its villages, and the requesting user's own last write is in
    it (read-your-writes). The page says when they were counted ("统计于"); each request that
    finds them moved starts their recount (unless one runs), so while the job writes they are
    about a minute plus one count old when asked for at least every half minute."""
    if old is None or not _slow(old) or mine is NEVER or old.generation < mine:
        return False
    if time.monotonic() - old.made >= MAX_AGE:
        return False
    return own_generation(old.villages) <= old.generation


def _recount_ahead(key, scope, compute, registry, timed, others):
    """Start the background recount of a slow entry due for it (`_due_ahead`; unless one is
    running), while it is still served: the next requests get the new count before this one
    is too old to serve (STALE_MAX_AGE after a write, MAX_AGE), so none of them waits."""
    with _lock:
        gate = _computing.setdefault(key, threading.Lock())
    if gate.acquire(blocking=False):
        threading.Thread(
            target=_recount,
            args=(key, gate, scope, compute, registry, timed, others),
            name="figure-recount",
            daemon=True,
        ).start()  # it releases the gate


def _served(entry):
    """`entry`, noting on the request when it was counted before the last write of its villages
    (a slow entry served meanwhile): a page drawn from it is not kept (page_cache); and when the
    oldest figures the page shows were counted (`g.figures_made`: a kept page ages from then)."""
    if has_request_context():
        if entry.generation != data_generation(entry.villages, entry.registry):
            g.stale_figures = True
        made = g.get("figures_made")
        if made is None or entry.made < made:
            g.figures_made = entry.made
    return entry


def _compute(key, scope, compute, registry=False, timed=False, others=False, owner=None):
    # The generation is read before computing: a write committed meanwhile makes the entry
    # stale at once rather than hiding behind it.
    villages = villages_of(scope)
    generation = data_generation(villages, registry)
    registry_generation = data_generation(villages, True)
    started = time.monotonic()
    try:
        value = compute()
        made = time.monotonic()
        entry = Entry(
            value,
            generation,
            made,
            clock.now(),
            made - started,
            villages,
            registry,
            timed,
            others,
            registry_generation,
        )
    finally:
        with _lock:
            _computing.pop(key, None)
    with _lock:
        _store(key, entry, owner)
    return entry


def _store(key, entry, owner):
    """Keep `entry` (under _lock). A recount keeps the entry's first owner."""
    if key in _entries:
        owner = _owner.get(key, owner)
        _drop(key)
    _entries[key] = entry
    _owner[key] = owner
    if owner is not None:
        owned = _owned.setdefault(owner, OrderedDict())
        owned[key] = None
        while len(owned) > MAX_ENTRIES // USER_SHARE:
            _drop(next(iter(owned)))
    while len(_entries) > MAX_ENTRIES:
        _drop(next(iter(_entries)))


def _drop(key):
    del _entries[key]
    owner = _owner.pop(key, None)
    owned = _owned.get(owner)
    if owned is not None:
        owned.pop(key, None)
        if not owned:
            del _owned[owner]


def _recount(key, gate, scope, compute, registry=False, timed=False, others=False):
    """A slow entry counted again in a thread of its own (reads only: no write lock)."""
    opened = database.is_closed()
    try:
        if opened:
            database.connect()
        _compute(key, scope, compute, registry, timed, others)
    except Exception:  # noqa: BLE001 - the last count stays; the next request tries again
        pass
    finally:
        if opened and not database.is_closed():
            database.close()
        gate.release()


def warm(kind, scope, role, day, compute, *args, timed=False, registry=False):
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
        return _compute(key, scope, compute, registry, timed).cost
    finally:
        gate.release()


def clear():
    """Forget every entry (tests, a restored database)."""
    with _lock:
        _entries.clear()
        _owner.clear()
        _owned.clear()
        _writers.clear()


def size():
    with _lock:
        return len(_entries)


def _patched(key, patch, mine=NEVER):
    """The kept entry of `key` patched by `patch(value, person ids)` for the persons of the
    visit writes since it was counted (figure_patch.moved_since), kept and returned; None when
    it cannot be (no entry, too old, a write in between that was not a noted visit write, or
    `patch` gave None)."""
    with _lock:
        old = _entries.get(key)
    if old is None or time.monotonic() - old.made >= MAX_AGE:
        return None
    # The registry generation first: it never runs ahead of the full one read after it.
    registry_generation = data_generation(old.villages, True)
    generation = data_generation(old.villages, old.registry)
    persons = figure_patch.moved_since(old.generation, generation)
    if persons is None:
        return None
    value = patch(old.value, persons)
    if value is None:
        return None
    entry = dataclasses.replace(
        old, value=value, generation=generation, registry_generation=registry_generation
    )
    with _lock:
        if _entries.get(key) is not old:
            return None  # counted or patched meanwhile by another thread
        _store(key, entry, _owner.get(key))
    return entry if _fresh(entry, mine) else None
