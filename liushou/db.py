"""The SQLite database: one deferred handle, its pragmas, the base model, connections."""

import itertools
import threading
import time
from pathlib import Path

from peewee import CharField, DateTimeField, IntegerField, Model, OperationalError, SqliteDatabase

from .instance_files import create_private, private_dir

# synchronous=FULL: an acknowledged write survives a power cut; WAL lets readers beside a writer.
PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": 2,
    "busy_timeout": 10000,
    "cache_size": -16000,
}

# A background batch holds the write lock about this long, then lets waiting writers in.
BATCH_SECONDS = 0.1
# Longer than SQLite's longest busy-handler sleep (100 ms), so a waiting writer wakes inside it.
BATCH_GAP_SECONDS = 0.12


# At most this many idle connections are kept (one per server thread is enough).
IDLE_MAX = 8
_idle = []
_idle_lock = threading.Lock()
_reuse = threading.local()


def is_locked(error):
    """Is this SQLite error a lock timeout (the busy timeout ran out)?"""
    return isinstance(error, OperationalError) and "locked" in str(error)


# Statements that change data or schema (their first word), and the tables whose writes change
# no figure (audited reads, logins): these leave the data generation alone.
_WRITE_WORDS = frozenset(["INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER"])
_UNCOUNTED_TABLES = ('"audit_log"', '"app_user"')
_END_WORDS = frozenset(["COMMIT", "END", "ROLLBACK"])
_generation = itertools.count(1)
_current = [0]
_dirty = threading.local()


def data_generation():
    """A number that grows after every committed write of this process (audit rows and logins
    apart): what was computed under one generation still holds while it is unchanged."""
    return _current[0]


def _bump():
    _current[0] = next(_generation)


class Database(SqliteDatabase):
    """SQLite whose transactions take the write lock at BEGIN (BEGIN IMMEDIATE), so a
    transaction never fails half-way on a lock; a BEGIN that times out is tried once more.

    It also keeps `data_generation()`: a write marks the thread's transaction, whose end (commit
    or rollback) moves the generation on; a write outside a transaction moves it at once."""

    def begin(self, lock_type=None):
        try:
            super().begin(lock_type)
        except OperationalError as e:
            if not is_locked(e):
                raise
            super().begin(lock_type)

    def execute_sql(self, sql, params=None):
        cursor = super().execute_sql(sql, params)
        word = sql[:8].lstrip().split(" ", 1)[0].upper()
        if word in _WRITE_WORDS:
            if not any(table in sql[:40] for table in _UNCOUNTED_TABLES):
                if self.in_transaction():
                    _dirty.value = True
                else:
                    _bump()
        elif word in _END_WORDS:
            self._ended()
        return cursor

    # Connections of finished requests, kept open for the next request (a fresh connection
    # costs its pragmas and reading the schema again: about 3 ms, more than most pages).
    # Only web requests reuse them (`reusing()`); commands, jobs and backups open and close
    # their own. Each is tagged with its file: a handle pointed elsewhere never reuses it.
    def _connect(self):
        if getattr(_reuse, "on", False):
            while True:
                with _idle_lock:
                    if not _idle:
                        break
                    path, conn = _idle.pop()
                if path == self.database:
                    return conn
                conn.close()
        return super()._connect()

    def _close(self, conn):
        if getattr(_reuse, "on", False):
            if conn.in_transaction:
                conn.rollback()
            with _idle_lock:
                if len(_idle) < IDLE_MAX:
                    _idle.append((self.database, conn))
                    return
        conn.close()

    def close_idle(self):
        """Close the kept connections (the handle is pointed at another file, or tests)."""
        with _idle_lock:
            kept = _idle[:]
            del _idle[:]
        for _path, conn in kept:
            conn.close()

    def _ended(self):
        if getattr(_dirty, "value", False):
            _dirty.value = False
            _bump()

    def commit(self):
        super().commit()
        self._ended()

    def rollback(self):
        super().rollback()
        self._ended()


database = Database(None, pragmas=PRAGMAS, check_same_thread=False, lock_type="IMMEDIATE")


class BaseModel(Model):
    """Base for every table; `__scope__` names the fields that place a row in an area."""

    # (village field name, grid field name); "id" means the row itself. None = not area-bound.
    __scope__ = None

    class Meta:
        database = database
        legacy_table_names = False


class Voidable(BaseModel):
    """A record that is voided (作废) with a reason instead of deleted.

    `select()` leaves voided rows out, so every list, figure and reminder drops them; `get()`
    and `with_voided()` still find them, for the record's own page, its history and the
    archive, where they stay visible, struck through.
    """

    voided_at = DateTimeField(null=True)
    voided_by = IntegerField(null=True)
    void_reason = CharField(max_length=200, default="")

    @classmethod
    def select(cls, *fields):
        return super().select(*fields).where(cls.voided_at.is_null())

    @classmethod
    def with_voided(cls, *fields):
        return super().select(*fields)

    @classmethod
    def get(cls, *query, **filters):
        sq = cls.with_voided()
        if query:
            if len(query) == 1 and isinstance(query[0], int):
                sq = sq.where(cls._meta.primary_key == query[0])
            else:
                sq = sq.where(*query)
        if filters:
            sq = sq.filter(**filters)
        return sq.get()

    @property
    def voided(self):
        return self.voided_at is not None


def in_batches(model, query, work, seconds=BATCH_SECONDS, gap=BATCH_GAP_SECONDS, step=2):
    """Call `work(rows)` on the rows of `query`, `step` rows at a time, in transactions that
    each end (commit) once they have held the write lock `seconds`, with a `gap` between them
    for the writes that wait; returns the list of work's results."""
    ids = [row[0] for row in query.select(model.id).order_by(model.id).tuples()]
    results, done = [], 0
    while done < len(ids):
        with database.atomic():
            started = time.perf_counter()
            while done < len(ids) and time.perf_counter() - started < seconds:
                chunk = ids[done : done + step]
                rows = list(model.select().where(model.id.in_(chunk)).order_by(model.id))
                results.append(work(rows))
                done += len(chunk)
        if done < len(ids):
            time.sleep(gap)
    return results


def bind(path):
    """Point the deferred handle at a file (idempotent for the same path)."""
    if database.database != path:
        if not database.is_closed():
            database.close()
        database.close_idle()
        database.init(path, pragmas=PRAGMAS, check_same_thread=False)


def init_app(app):
    """Bind the database; each request takes a connection (a kept one if any) and gives it
    back at its end."""
    path = app.config["DATABASE"]
    if path and path != ":memory:" and not path.startswith("file:"):
        private_dir(Path(path).parent)
        create_private(path)  # 600: SQLite gives its -wal and -shm the same mode
    bind(path)

    @app.before_request
    def _connect():
        _reuse.on = True  # this request's connection comes from, and goes back to, the idle ones
        database.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(exc):
        try:
            if not database.is_closed():
                database.close()
        finally:
            _reuse.on = False
