"""Other processes' writes and the day: the shared counters the server reads at each request's
start, moving the whole data generation (db_generation) when another process wrote or the day
changed. Split from db_generation.py, which re-exports these names."""

import threading
import time

from . import clock

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
CHECK_EVERY = {"sqlite": 0.0, "postgres": 0.5}  # seconds between two reads of the counter
_sharing = [False]
_seen = {}  # database name -> the counter's value last read
_day = [None]  # the day of the last look
_looked = {}  # database name -> time.monotonic() of the last read
_seen_lock = threading.Lock()


def _move_all():
    """The whole data generation moves on (every village, the registry), as no user's write."""
    from . import db_generation  # it imports this module's names: not at import time

    db_generation._bump(db_generation.ALL, True, own=False)


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
            _move_all()
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
            _move_all()
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
