"""The database: one deferred handle (SQLite by default, PostgreSQL for a county), its
pragmas, the base model. Which writes move the data generation, and the shared counter other
processes' writes move (read by `Database.sync_shared`): db_generation.py. The connections a
request takes and gives back (kept connections): db_connections.py."""

import time
from pathlib import Path
from urllib.parse import urlsplit

from peewee import (
    SQL,
    Case,
    CharField,
    DatabaseProxy,
    DateTimeField,
    IntegerField,
    Model,
    OperationalError,
    PostgresqlDatabase,
    SqliteDatabase,
    fn,
)

from .db_connections import KeptConnections, install, reused

# ALL, data_generation, last_bump, row_villages and touching: the data generation's API, which
# many modules use through db.
from .db_generation import (  # noqa: F401
    ALL,
    data_generation,
    last_bump,
    move_shared,
    pending,
    row_villages,
    saving,
    share_writes,
    sharing,
    statement_run,
    sync_shared,
    touching,
    transaction_ended,
)
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


# PostgreSQL: a lock wait gives up after this long (as SQLite's busy timeout), and these SQLSTATEs
# mean "another writer was in the way" (serialization failure, deadlock, lock not available).
PG_LOCK_TIMEOUT_MS = 10000
_PG_BUSY_STATES = frozenset(["40001", "40P01", "55P03"])


def is_locked(error):
    """Is this database error a lock timeout or a writer in the way (nothing was written)?"""
    if not isinstance(error, OperationalError):
        return False
    cause = error.__cause__ or error.__context__
    if getattr(cause, "sqlstate", None) in _PG_BUSY_STATES:
        return True
    return "locked" in str(error)


# A transaction PostgreSQL rolled back for a conflict (serialization failure, deadlock): the
# whole write is safe to run again.
_PG_RETRY_STATES = frozenset(["40001", "40P01"])


def retry_write(work):
    """`work()`, run once more if PostgreSQL rolled its transaction back for a conflict with
    another writer (never inside an outer transaction, whose earlier work is gone too); a
    second conflict is raised (the 503 page)."""
    try:
        return work()
    except OperationalError as e:
        cause = e.__cause__ or e.__context__
        if getattr(cause, "sqlstate", None) not in _PG_RETRY_STATES or database.in_transaction():
            raise
    return work()


class Database(KeptConnections):
    """What both engines share (mixed in before peewee's class): a BEGIN that fails on a lock is
    tried once more; on SQLite transactions take the write lock at BEGIN (BEGIN IMMEDIATE), so a
    transaction never fails half-way on a lock.

    It also keeps `data_generation()`: a write marks the thread's transaction with the villages
    it touched (a model's `save()` names its row's village; a bulk write inside `touching(ids)`
    those villages; any other write, e.g. a bulk UPDATE, counts as township-wide), and the
    transaction's end (commit or rollback) moves the generation of those villages on; a write
    outside a transaction moves it at once. Kept connections (`_connect`, `_close`,
    `close_idle`): db_connections.py."""

    dialect = None

    def begin(self, lock_type=None):
        try:
            super().begin(lock_type)
        except OperationalError as e:
            if not is_locked(e):
                raise
            super().begin(lock_type)

    def execute_sql(self, sql, params=None):
        before = last_bump() if sharing() else None
        cursor = super().execute_sql(sql, params)
        if statement_run(sql, self.in_transaction):
            transaction_ended()
        if before is not None and last_bump() != before and not self.in_transaction():
            move_shared(self)  # a write outside a transaction (or a COMMIT statement)
        return cursor

    def commit(self):
        if sharing() and pending():
            move_shared(self)  # in the writing transaction: committed with its data
        super().commit()
        transaction_ended()

    def sync_shared(self, force=False):
        """Look at the day and read the shared counter (db_generation.sync_shared): on a new
        day, or when another process wrote, the whole data generation moves on. Returns whether
        it moved."""
        return sync_shared(self, force)

    def rollback(self):
        super().rollback()
        transaction_ended()


class SqliteEngine(Database, SqliteDatabase):
    dialect = "sqlite"


class PostgresEngine(Database, PostgresqlDatabase):
    """PostgreSQL: plain (READ COMMITTED) transactions; a lock wait ends after
    PG_LOCK_TIMEOUT_MS, like SQLite's busy timeout, and becomes the same 503 page."""

    dialect = "postgres"

    def begin(self, lock_type=None):
        # SQLite's lock types (atomic("IMMEDIATE")) mean nothing here: a plain transaction.
        super().begin(None if lock_type in ("DEFERRED", "IMMEDIATE", "EXCLUSIVE") else lock_type)

    def _initialize_connection(self, conn):
        # peewee runs this under the handle's lock at every connect: a kept connection has its
        # setting already, and a round trip here would hold every other request's connect.
        if reused():
            return
        super()._initialize_connection(conn)
        with conn.cursor() as cursor:
            cursor.execute(f"SET lock_timeout = {int(PG_LOCK_TIMEOUT_MS)}")


def parse_target(target):
    """("sqlite", path) or ("postgres", url) for a LIUSHOU_DATABASE value: a path or
    `sqlite:///path` is SQLite; `postgresql://user@/db?host=/socket/dir` (or host:port)
    PostgreSQL."""
    text = str(target)
    scheme = urlsplit(text).scheme.lower() if "://" in text else ""
    if scheme in ("postgresql", "postgres"):
        return "postgres", "postgresql://" + text.split("://", 1)[1]
    if scheme == "sqlite":
        return "sqlite", text.split("://", 1)[1][1:] or ":memory:"
    if scheme:
        raise ValueError(f"不支持的数据库地址：{text}（只支持 SQLite 文件路径或 postgresql://）")
    return "sqlite", text


def _engine(kind, name):
    if kind == "postgres":
        return PostgresEngine(name, prefer_psycopg3=True)
    return SqliteEngine(name, pragmas=PRAGMAS, check_same_thread=False, lock_type="IMMEDIATE")


class Handle(DatabaseProxy):
    """The one deferred handle the models use; `init(target)` points it at a SQLite file or a
    PostgreSQL database (see parse_target), `init(None)` leaves it unbound."""

    __slots__ = ("obj", "_callbacks", "_Model")

    def init(self, target, **_ignored):
        if self.obj is not None and not self.obj.deferred and not self.obj.is_closed():
            self.obj.close()
        if target is None:
            if self.obj is not None:
                self.obj.init(None)
            return
        kind, name = parse_target(target)
        if self.obj is not None and self.obj.dialect == kind:
            if kind == "sqlite":
                self.obj.init(name, pragmas=PRAGMAS, check_same_thread=False)
            else:
                self.obj.init(name, prefer_psycopg3=True)
        else:
            self.initialize(_engine(kind, name))

    @property
    def dialect(self):
        return self.obj.dialect if self.obj is not None else "sqlite"

    @property
    def is_postgres(self):
        return self.dialect == "postgres"


database = Handle()
database.initialize(_engine("sqlite", None))


class BaseModel(Model):
    """Base for every table; `__scope__` names the fields that place a row in an area."""

    # (village field name, grid field name); "id" means the row itself. None = not area-bound.
    __scope__ = None

    class Meta:
        database = database
        legacy_table_names = False

    def save(self, *args, **kwargs):
        """Save, telling the data generation which villages the write touches (_villages_of)."""
        with saving(self):
            return super().save(*args, **kwargs)


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


_PG_DATE_PARTS = {"%Y": "YYYY", "%m": "MM", "%d": "DD"}


def date_text(fmt, field):
    """A date column as text, strftime-style (only %Y, %m, %d), on either engine."""
    if database.is_postgres:
        for part, pg in _PG_DATE_PARTS.items():
            fmt = fmt.replace(part, pg)
        # A literal, not a parameter: GROUP BY must repeat the selected expression exactly.
        return fn.to_char(field, SQL(f"'{fmt}'"))
    return fn.strftime(fmt, field)


def count_if(condition):
    """How many rows meet `condition`, as an aggregate (SUM of a CASE: PostgreSQL has no SUM of
    a boolean)."""
    return fn.SUM(Case(None, ((condition, 1),), 0))


def reset_sequences(models):
    """After rows were inserted with explicit ids: move each table's id sequence past its largest
    id, so the next plain insert gets a free one (PostgreSQL; SQLite needs nothing)."""
    if not database.is_postgres:
        return
    for model in models:
        table = model._meta.table_name
        database.execute_sql(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
            f'coalesce((SELECT max("id") FROM "{table}"), 0) + 1, false)'
        )


def bind(target):
    """Point the deferred handle at a file or PostgreSQL URL (idempotent for the same one)."""
    kind, name = parse_target(target)
    if database.dialect != kind or database.database != name:
        if not database.is_closed():
            database.close()
        database.close_idle()
        database.init(target)


def init_app(app):
    """Bind the database; each request takes a connection (a kept one if any) and gives it
    back at its end (db_connections.install)."""
    target = app.config["DATABASE"]
    kind, path = parse_target(target)
    if kind == "sqlite" and path != ":memory:" and not path.startswith("file:"):
        private_dir(Path(path).parent)
        create_private(path)  # 600: SQLite gives its -wal and -shm the same mode
    bind(target)
    install(app, database)
