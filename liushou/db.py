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


def is_locked(error):
    """Is this SQLite error a lock timeout (the busy timeout ran out)?"""
    return isinstance(error, OperationalError) and "locked" in str(error)


# Statements that change data or schema (their first word), and the tables whose writes change
# no figure (audited reads, logins, final rates kept): these leave the data generation alone.
_WRITE_WORDS = frozenset(["INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER"])
# (month_rates keeps final figures already counted: writing it changes none.)
_UNCOUNTED_TABLES = ('"audit_log"', '"app_user"', '"month_rates"')
_END_WORDS = frozenset(["COMMIT", "END", "ROLLBACK"])
ALL = None  # "every village": a write whose village is not known
_generation = itertools.count(1)
_current = [0]  # the last generation of any write
_township = [0]  # the last generation of a township-wide write (or one of unknown village)
_villages = {}  # village id -> the last generation of a write in it
_thread = threading.local()  # .villages: what this transaction touched; .declared: see save()


def data_generation(village_ids=ALL):
    """A number that grows after every committed write of this process (audit rows and logins
    apart): what was computed under one generation still holds while it is unchanged.

    With `village_ids`, the generation of those villages only: it moves with a write in one
    of them or a township-wide write (or a write whose village is unknown), not with a write
    in another village."""
    if village_ids is ALL:
        return _current[0]
    return max([_township[0], *(_villages.get(v, 0) for v in village_ids)])


def _bump(villages=ALL):
    n = next(_generation)
    if villages is ALL:
        _township[0] = n
    else:
        for village_id in villages:
            _villages[village_id] = n
    _current[0] = n  # last: a reader of the total never sees it before the villages' own


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


class Database(SqliteDatabase):
    """SQLite whose transactions take the write lock at BEGIN (BEGIN IMMEDIATE), so a
    transaction never fails half-way on a lock; a BEGIN that times out is tried once more.

    It also keeps `data_generation()`: a write marks the thread's transaction with the villages
    it touched (a model's `save()` names its row's village; any other write, e.g. a bulk
    UPDATE, counts as township-wide), and the transaction's end (commit or rollback) moves the
    generation of those villages on; a write outside a transaction moves it at once."""

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
                villages = getattr(_thread, "declared", ALL)
                if not self.in_transaction():
                    _bump(villages)
                else:
                    touched = getattr(_thread, "villages", set())
                    if touched is not ALL:
                        touched = ALL if villages is ALL else touched | villages
                    _thread.villages = touched
        elif word in _END_WORDS:
            self._ended()
        return cursor

    def _ended(self):
        touched = getattr(_thread, "villages", set())
        if touched is ALL or touched:
            _thread.villages = set()
            _bump(touched)

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

    def save(self, *args, **kwargs):
        """Save, telling the data generation which villages the write touches (_villages_of)."""
        try:
            villages = _villages_of(self)
        except Exception:  # noqa: BLE001 - never fail a write for its bookkeeping: all villages
            villages = ALL
        _thread.declared = villages
        try:
            return super().save(*args, **kwargs)
        finally:
            _thread.declared = ALL


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
        database.init(path, pragmas=PRAGMAS, check_same_thread=False)


def init_app(app):
    """Bind the database and open/close one connection per request."""
    path = app.config["DATABASE"]
    if path and path != ":memory:" and not path.startswith("file:"):
        private_dir(Path(path).parent)
        create_private(path)  # 600: SQLite gives its -wal and -shm the same mode
    bind(path)

    @app.before_request
    def _connect():
        database.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(exc):
        if not database.is_closed():
            database.close()
