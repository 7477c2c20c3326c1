"""The data generation: a number that moves with every committed write, per village, so that what
was computed under one generation (a kept page, a figure) is known to still hold. The database
(db.py) reports each statement it runs and each transaction's end here; a model's save() names
its row's village, a bulk write inside `touching(ids)` those villages; any other write counts as
township-wide.

Other processes' writes (the daily job's child, command line tools) are invisible to this
count; they move a shared counter instead (the one-row table `shared_generation`, see
"Other processes" in db_shared.py), which the server reads at each request's start
(`observe`): when it moved, the whole generation (every village, the registry too) moves on
here, so every keep recounts. What is kept may then hold for long (`KEEP_MAX_AGE`, `keep_valid`)."""

import itertools
import re
import threading
import time
from contextlib import contextmanager

# Statements that change data or schema (their first word), and the tables whose writes change
# no figure (audited reads, logins, final rates kept): these leave the data generation alone.
_WRITE_WORDS = frozenset(["INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER"])
# (month_rates and period_figures keep final figures already counted: writing them changes none.)
# (shared_generation is the other processes' counter below: moving it is no write of data.)
_UNCOUNTED_TABLES = (
    '"audit_log"',
    '"app_user"',
    '"month_rates"',
    '"period_figures"',
    '"shared_generation"',
)
# Writes of a column no page or figure reads: a visit state's refreshed_on, the day's job's mark
# of the states it brought up to the day (queries.visits.stale_states). Only a statement that
# sets that column alone (services.visit_tiers.refresh_state), on either engine's placeholder.
_UNCOUNTED_STATEMENTS = tuple(
    f'UPDATE "visit_state" SET "refreshed_on" = {mark} WHERE' for mark in ("?", "%s")
)
_END_WORDS = frozenset(["COMMIT", "END", "ROLLBACK"])
ALL = None  # "every village": a write whose village is not known
# The tables a recorded visit writes (and the need it may raise), which no registry list shows:
# a transaction that writes only these (and uncounted tables) leaves the *registry* generation
# alone (`data_generation(..., registry=True)`: the person list and search, which read persons,
# households, villages and grids). Every other generation moves as before.
_VISIT_TABLES = frozenset(["visit", "visit_person", "visit_helper", "visit_state", "need"])
_WRITTEN_TABLE = re.compile(
    r'\s*(?:INSERT(?: OR \w+)? INTO|REPLACE INTO|UPDATE|DELETE FROM)\s+"(\w+)"'
)
_generation = itertools.count(1)
# The accounts generation: moves with every committed write to app_user (which the data
# generation leaves alone: logins), so the signed-in user's row read at each request can be
# kept while it holds (auth._active_user). Other processes' account writes reach it through
# the shared counter (they count app_user writes as data writes: `statement_run`).
_ACCOUNTS_TABLE = '"app_user"'
_accounts = [0]
_accounts_count = itertools.count(1)
_current = [0]  # the last generation of any write
_township = [0]  # the last generation of a township-wide write (or one of unknown village)
_villages = {}  # village id -> the last generation of a write in it
_registry = ([0], [0], {})  # the same three, moved only by writes outside _VISIT_TABLES
# The same two (township-wide, per village) moved only by this process's own writes, not by
# another process's seen through the shared counter (`observe`) nor a new day: `own_generation`.
_own = ([0], {})
_thread = threading.local()  # .villages: what this transaction touched; .declared: see save()
# .touching: the villages declared by touching() for the writes that name no row


def data_generation(village_ids=ALL, registry=False):
    """A number that grows after every committed write of this process (audit rows and logins
    apart): what was computed under one generation still holds while it is unchanged.

    With `village_ids`, the generation of those villages only: it moves with a write in one
    of them or a township-wide write (or a write whose village is unknown), not with a write
    in another village. With `registry`, the same left alone by transactions that wrote
    visits only (_VISIT_TABLES): for what shows no visit (the person list)."""
    current, township, villages = _registry if registry else (_current, _township, _villages)
    if village_ids is ALL:
        return current[0]
    return max([township[0], *(villages.get(v, 0) for v in village_ids)])


def own_generation(village_ids=ALL):
    """The generation of this process's last own committed write in those villages (or
    township-wide; any village's with ALL): a kept value counted under a generation at least
    this one was moved since only by other processes' writes (or a new day)."""
    township, villages = _own
    if village_ids is ALL:
        return max([township[0], *villages.values()])
    return max([township[0], *(villages.get(v, 0) for v in village_ids)])


def accounts_generation():
    """A value that changes after every committed write to app_user by this process and with
    the whole data generation (another process's write, accounts included; a new day): a user
    row read under one value is still the stored row while it is unchanged."""
    return (_accounts[0], _current[0])


def _bump_accounts():
    _accounts[0] = next(_accounts_count)


def last_bump(reset=False):
    """The generation of this thread's last committed write (0: none since the last reset):
    figure_cache tells a user's own writes from others' by it."""
    n = getattr(_thread, "bumped", 0)
    if reset:
        _thread.bumped = 0
    return n


def _bump(villages=ALL, registry=True, own=True):
    n = next(_generation)
    if own:  # not another process's write seen here (`observe`): no write of this thread
        _thread.bumped = n
        if villages is ALL:
            _own[0][0] = n
        else:
            for village_id in villages:
                _own[1][village_id] = n
    for current, township, by_village in [(_current, _township, _villages)] + (
        [_registry] if registry else []
    ):
        if villages is ALL:
            township[0] = n
        else:
            for village_id in villages:
                by_village[village_id] = n
        current[0] = n  # last: a reader of the total never sees it before the villages' own


def _registry_write(sql):
    """Does this write statement change a table other than a visit's (_VISIT_TABLES)?"""
    match = _WRITTEN_TABLE.match(sql)
    return match is None or match.group(1) not in _VISIT_TABLES


def _known_villages(village_ids):
    """A set of village ids, or ALL when any of them is not known (None, not an id)."""
    if village_ids is ALL:
        return ALL
    ids = set(village_ids)
    if not ids or not all(isinstance(v, int) and not isinstance(v, bool) for v in ids):
        return ALL
    return ids


@contextmanager
def touching(village_ids):
    """Within the block, a write that names no row (a bulk insert_many, UPDATE or DELETE by a
    condition) counts as a write in these villages only, not township-wide: for a service that
    knows where its bulk write lands (a person's group events, his household's completeness
    scores). A model's own save() still names its row's village. Unknown ids (None), or none
    at all, leave the safe default: every village. Nested blocks: the inner one's villages."""
    villages = _known_villages(village_ids)
    outer = getattr(_thread, "touching", ALL)
    _thread.touching = villages
    try:
        yield villages
    finally:
        _thread.touching = outer


def _declared():
    """The villages the statement being run writes in: the saved row's (save()), else those
    of the enclosing touching() block, else ALL."""
    villages = getattr(_thread, "declared", None)
    if villages is None:
        return getattr(_thread, "touching", ALL)
    return villages


def _village_of(instance):
    """The village id a row belongs to (following `__scope__` / `__village_of__` foreign keys),
    or ALL when it has none (a township-wide row) or it cannot be told."""
    model = type(instance)
    for _ in range(4):
        scope = getattr(model, "__scope__", None) or getattr(model, "__village_of__", None)
        if isinstance(scope, tuple):
            name = scope[0]
            value = instance._pk if name == "id" else instance.__data__.get(name)
            return value if isinstance(value, int) else ALL
        if not isinstance(scope, str):
            return ALL
        related = instance.__rel__.get(scope)
        if related is None:
            key = instance.__data__.get(scope)
            if key is None:
                return ALL
            related = getattr(model, scope).rel_model.get_or_none(
                getattr(model, scope).rel_model._meta.primary_key == key
            )
            if related is None:
                return ALL
        instance, model = related, type(related)
    return ALL


def _scope_field(model):
    scope = getattr(model, "__scope__", None) or getattr(model, "__village_of__", None)
    return scope[0] if isinstance(scope, tuple) else scope


def _villages_of(instance):
    """{village ids} a save of `instance` changes, or ALL: its village, and on an update that
    sets the field placing it (a move), the village it is stored in now."""
    new = _village_of(instance)
    if new is ALL:
        return ALL
    villages = {new}
    field = _scope_field(type(instance))
    if instance._pk is not None and field != "id" and field in instance._dirty:
        stored = type(instance).get_or_none(type(instance)._meta.primary_key == instance._pk)
        if stored is not None:
            old = _village_of(stored)
            if old is ALL:
                return ALL
            villages.add(old)
    return villages


def row_villages(instance):
    """{village ids} a write about `instance` (a saved row) lands in, or ALL when that cannot
    be told: for `touching(row_villages(row))` around a bulk write of rows hanging off it."""
    try:
        return _villages_of(instance)
    except Exception:  # noqa: BLE001 - the bookkeeping never fails a write: all villages
        return ALL


def statement_run(sql, in_transaction):
    """Note what the statement `sql` just run wrote (outside a transaction the generation moves
    at once; inside one, its villages are kept for its end). True when it ended a transaction.
    `in_transaction()` tells whether a transaction is open."""
    word = sql[:8].lstrip().split(" ", 1)[0].upper()
    if word in _WRITE_WORDS:
        head = sql[:40]
        accounts = _ACCOUNTS_TABLE in head
        if accounts:
            if in_transaction():
                _thread.accounts = True
            else:
                _bump_accounts()
        if sql.startswith(_UNCOUNTED_STATEMENTS):
            return False
        if (accounts and _sharing[0]) or not any(table in head for table in _UNCOUNTED_TABLES):
            villages = _declared()
            registry = _registry_write(sql)
            if not in_transaction():
                _bump(villages, registry)
            else:
                touched = getattr(_thread, "villages", set())
                if touched is not ALL:
                    touched = ALL if villages is ALL else touched | villages
                _thread.villages = touched
                if registry:
                    _thread.registry = True
        return False
    return word in _END_WORDS


def transaction_ended():
    """A transaction committed or rolled back: the generation of the villages it wrote in moves."""
    if getattr(_thread, "accounts", False):
        _thread.accounts = False
        _bump_accounts()
    touched = getattr(_thread, "villages", set())
    if touched is ALL or touched:
        registry = getattr(_thread, "registry", False)
        _thread.villages, _thread.registry = set(), False
        _bump(touched, registry)


@contextmanager
def saving(instance):
    """Within the block (a model's save()), a write lands in `instance`'s row's village."""
    _thread.declared = row_villages(instance)
    try:
        yield
    finally:
        _thread.declared = None


def pending():
    """Has this thread's open transaction written what moves the generation (so far)?"""
    touched = getattr(_thread, "villages", set())
    return touched is ALL or bool(touched)


# Other processes (the shared counters read at each request's start, a new day): db_shared.py.
# Writes no process reports (by hand, with sqlite3 or psql; a process that did not call
# share_writes, e.g. a benchmark's builder) are seen only through KEEP_MAX_AGE: nothing is kept
# longer than that (15 minutes), whatever the generation.
KEEP_MAX_AGE = 900.0  # seconds

from .db_shared import (  # noqa: E402, F401 - re-exported: db.py and callers import them from here
    CHECK_EVERY,
    _sharing,
    look_due,
    move_shared,
    new_day,
    observe,
    share_writes,
    shared_accounts,
    sharing,
    sync_shared,
)


def keep_valid(made, generation, village_ids=ALL, registry=False):
    """May a value kept at `made` (time.monotonic()) under `generation` (data_generation of
    `village_ids`, `registry`) still be used: the generation holds (no write of this process
    in those villages, no other process's write seen, the same day) and it is younger than
    KEEP_MAX_AGE (writes no process reported). For the person page's kept check
    (queries/person_page.page_check) as for memo, page_cache and figure_cache."""
    return (
        generation == data_generation(village_ids, registry)
        and time.monotonic() - made < KEEP_MAX_AGE
    )
