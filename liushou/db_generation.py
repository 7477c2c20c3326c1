"""The data generation: a number that moves with every committed write, per village, so that what
was computed under one generation (a kept page, a figure) is known to still hold. The database
(db.py) reports each statement it runs and each transaction's end here; a model's save() names
its row's village, a bulk write inside `touching(ids)` those villages; any other write counts as
township-wide.

Other processes' writes (the daily job's child, command line tools) are invisible to this
count; they move a shared counter instead (the one-row table `shared_generation`, see
"Other processes" below), which the server reads at each request's start (`observe`): when it
moved, the whole generation (every village, the registry too) moves on here, so every keep
recounts. What is kept may then hold for long (`KEEP_MAX_AGE`, `keep_valid`)."""

import itertools
import re
import threading
import time
from contextlib import contextmanager

from . import clock

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


# Other processes. A process that is not the server (the daily job's child, a command line
# tool: `share_writes`) moves the shared counter, the one row of `shared_generation`, with each
# of its committed writes that moves its own generation (`move_shared`): inside the writing
# transaction, just before its COMMIT (db.Database.commit), or right after a write outside a
# transaction (never before the data it follows is committed). The server reads the counter at
# each request's start (`sync_shared`: one indexed read on the request's connection, about 5 us
# on SQLite; on PostgreSQL, a round trip, at most every CHECK_EVERY seconds) and hands it to
# `observe`:
# a counter moved since the last look moves the whole generation here, every village and the
# registry, as a township-wide write of its own would (but no user's own write:
# figure_cache's read-your-writes is left alone). So another process's write shows on the
# server's next page (PostgreSQL: within CHECK_EVERY seconds).
#
# The server's own writes leave the counter alone (its threads' generation is exact, per
# village, and a hot row would make every writer wait for the one before): only one process
# serves a database. A change of day moves the whole generation too (`observe`): what is kept
# holds until the day changes.
#
# Writes no process reports (by hand, with sqlite3 or psql; a process that did not call
# share_writes, e.g. a benchmark's builder) are seen only through KEEP_MAX_AGE: nothing is kept
# longer than that (15 minutes), whatever the generation.
KEEP_MAX_AGE = 900.0  # seconds
CHECK_EVERY = {"sqlite": 0.0, "postgres": 0.5}  # seconds between two reads of the counter
_sharing = [False]
_seen = {}  # database name -> the counter's value last read
_day = [None]  # the day of the last look
_looked = {}  # database name -> time.monotonic() of the last read
_seen_lock = threading.Lock()


def share_writes(on=True):
    """From now on (or no longer), this process's committed writes move the shared counter:
    for a process that writes beside the server (the daily job, a command). Returns what it
    was before."""
    before, _sharing[0] = _sharing[0], bool(on)
    return before


def sharing():
    return _sharing[0]


def look_due(dialect, name, now=None):
    """Is it time to read the shared counter of database `name` again (CHECK_EVERY)?"""
    every = CHECK_EVERY.get(dialect, 0.0)
    if every <= 0:
        return True
    now = time.monotonic() if now is None else now
    last = _looked.get(name)
    if last is not None and now - last < every:
        return False
    _looked[name] = now
    return True


def observe(name, value):
    """The shared counter of database `name` reads `value`: when it moved since the last look,
    the whole generation moves on (another process wrote). The first look at a database only
    notes the counter (this process has counted nothing of it that another process could have
    changed unseen: the server looks before its first page and before its warm-up). Returns
    whether the generation moved."""
    with _seen_lock:
        before = _seen.get(name)
        _seen[name] = value
        moved = before is not None and before != value
        if moved:
            _bump(ALL, True, own=False)
    return moved


def new_day(day):
    """It is `day` (looked at each request's start): on a new day the whole generation moves
    on, so what is kept holds until the day changes. Returns whether it moved."""
    if _day[0] == day:
        return False
    with _seen_lock:
        moved = _day[0] is not None and _day[0] != day
        _day[0] = day
        if moved:
            _bump(ALL, True, own=False)
    return moved


# The counter's statements, run by the database handle (db.Database) on the connection's own
# cursor: neither is a write of data (statement_run) nor one of the page's statements.
# Row 2 is the accounts' counter (services.accounts: moved by an account change, read here in
# the same statement so that following it costs no statement of its own: `shared_accounts`).
_SHARED_READ = 'SELECT "id", "n" FROM "shared_generation" WHERE "id" IN (1, 2)'
_accounts_seen = {}  # database name -> the accounts' counter (row 2) last read
_SHARED_MOVE = 'UPDATE "shared_generation" SET "n" = "n" + 1 WHERE "id" = 1'
_shared_tables = set()  # the databases known to hold the counter's table (step 33)


def _has_shared(db):
    if db.database in _shared_tables:
        return True
    if db.dialect == "postgres":
        sql = "SELECT to_regclass('shared_generation')"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'shared_generation'"
    cursor = db.cursor()
    cursor.execute(sql)
    row = cursor.fetchone()
    if row is None or row[0] is None:
        return False  # a schema before step 33 (a migration in progress)
    _shared_tables.add(db.database)
    return True


def move_shared(db):
    """Move the shared counter of database `db` (a process that shares its writes, inside the
    writing transaction or right after a write outside one: db.Database)."""
    if _has_shared(db):
        db.cursor().execute(_SHARED_MOVE)


def sync_shared(db, force=False):
    """Look at the day and read the shared counter of database `db` (`new_day`, `observe`): on
    a new day, or when another process wrote, the whole data generation moves on. The counter
    at most every CHECK_EVERY seconds unless `force`; never inside a transaction (its snapshot
    may be older than the counter). Returns whether the generation moved."""
    if db.in_transaction():
        return False
    moved = new_day(clock.today())
    if not (force or look_due(db.dialect, db.database)):
        return moved
    try:
        cursor = db.cursor()
        cursor.execute(_SHARED_READ)
        rows = cursor.fetchall()  # to the end: no read snapshot left open
    except Exception:  # noqa: BLE001 - a schema before step 33: the age bound only
        return moved
    counters = dict(rows)
    _accounts_seen[db.database] = counters.get(2, 0)
    return observe(db.database, counters.get(1, 0)) or moved


def shared_accounts(name):
    """The accounts' shared counter (row 2 of shared_generation) of database `name` as last read
    by `sync_shared` (at each request's start; on PostgreSQL at most every CHECK_EVERY seconds):
    another process's account change moves it (services.accounts)."""
    return _accounts_seen.get(name, 0)


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
