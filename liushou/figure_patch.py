"""Patches of kept figures (issue 17 item 6): which persons' visit data each write changed.

A visit or check-in moves its village's data generation, so a village's worklist and duty lists
(and a township's) would be counted again on the next page after every visit. Instead the write
tells, after its commit, which persons' visit data alone its transaction changed (`moving`):
{generation: person ids}. A kept entry whose generation was moved on by such writes only (every
generation since it was counted is one of them: `moved_since`) is patched for those persons
(figure_cache.get(..., patch=...): the patch reads their rows afresh, figure_cache._patched) and
takes the current generation; any other write in between (a registration, a pairing, a setting,
another process's) leaves a gap, and the entry is counted again as before. A patched entry keeps
its age (`made`): it is still counted again after figure_cache.MAX_AGE.

The patches themselves (the kept worklist keys in due order, their counts by bisection; the duty
lists) are the queries': queries/visits.py (worklist_patched, worklist_counts) and
queries/visit_duties.py (patched).
"""

import threading
from collections import OrderedDict
from contextlib import contextmanager

from .db import database, last_bump

_moved: OrderedDict = OrderedDict()  # generation -> frozenset of person ids
_lock = threading.Lock()
MOVED_MAX = 4096  # writes remembered
PATCH_SPAN = 512  # at most this many writes patched over; more: counted again


@contextmanager
def moving(person_ids):
    """Around a write (its own transaction, committed at the end of the block) that changes
    nothing but the visit data (visits, their persons and helpers, visit states, duty dates,
    check-ins, a need raised in a visit) of the persons `person_ids`. Inside an outer
    transaction, or when the block committed more than one transaction, nothing is noted
    (entries are counted again)."""
    before = last_bump()
    yield
    after = last_bump()
    if after and after != before and not database.in_transaction():
        with _lock:
            _moved[after] = frozenset(int(i) for i in person_ids)
            while len(_moved) > MOVED_MAX:
                _moved.popitem(last=False)


def moved_since(old, generation):
    """The persons whose visit data the writes of generations `old` + 1 … `generation` changed,
    or None when an entry counted under `old` cannot be patched up to `generation` (not ints,
    no write or more than PATCH_SPAN since, or one of them was not a noted visit write, or one
    not noted yet)."""
    if not isinstance(generation, int) or not isinstance(old, int):
        return None
    if not 0 < generation - old <= PATCH_SPAN:
        return None
    persons = set()
    with _lock:
        for n in range(old + 1, generation + 1):
            moved = _moved.get(n)
            if moved is None:
                return None
            persons |= moved
    return frozenset(persons)


def forget_moves():
    """Forget the noted visit writes (tests)."""
    with _lock:
        _moved.clear()
