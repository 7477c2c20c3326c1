"""Writing to the audit log.

Every row is one prepared INSERT (its statement written once per engine, not built by peewee
on each call: a child's page writes one on every read, cached page or not).

Audited reads on SQLite (action "view", no changes, outside a transaction) are committed by
group commit (`_insert_grouped`): the request queues its row and waits until a commit
containing it has happened; the first waiter finding no batch under way leads: it takes every
row queued so far, inserts them as one INSERT statement of all of them (one
transaction, one call into SQLite; at most BATCH_MAX rows) and wakes them all, and the
rows queued meanwhile go in the next batch, led by one of their own. A batch failed for a lock
raises its error in every request whose row it held (each one's page is the 503 page or an
error, never a page without its row); one the database refused for a row (a constraint) is
written again row by row, so only that row's request fails. So the row is still committed
before its page is sent, with the same durability as a row committed alone (below); many rows
share one commit (one WAL append of the table's and indexes' pages for the batch, where each
row alone appended them again).

Durability of audited reads on SQLite: committed with `synchronous=NORMAL` (written to the
WAL, not yet fsynced), except once every `READ_SYNC_SECONDS`, when the row is committed alone
with the usual FULL (fsync) on the request's own connection and so makes durable every
audited read before it. The batches are written through a connection of their own kept at
NORMAL (one per process, kept open, used by the batch's leader only). In WAL mode NORMAL and
FULL differ only at commit, per connection: a FULL commit on any connection syncs the WAL
with every frame before it. A power cut may lose at most the reads audited in the last
`READ_SYNC_SECONDS` (the next change of any record, which commits with FULL, syncs them
sooner). An fsync here costs about 4 ms and holds the write lock meanwhile: a child's page on
every read would otherwise cost an fsync.

On PostgreSQL an audited read (but the one every READ_SYNC_SECONDS, committed as usual) is
committed on the request's own connection with synchronous_commit off (`_insert_unflushed`:
one statement, its own transaction, one round trip), before its page is sent: the server's WAL
writer flushes it within 3 × wal_writer_delay (0.6 s by default), and the next ordinary commit
flushes it sooner. It is
committed (seen by every other connection) before the page is sent, but a crash of the database
server or of the machine may lose at most those last reads (on SQLite only a crash of the
machine, within READ_SYNC_SECONDS). Measured on 8–16 threads, this cost a third of a flushed
commit, where grouping the rows (PostgreSQL already shares one WAL flush among concurrent
commits) cost more than committing each alone (benchmarks/README.md, "group commit").

Every other audit row (a change) is committed with its change, as before.
"""

import json
import sqlite3
import threading
import time

from peewee import __exception_wrapper__

from .. import clock
from ..db import PRAGMAS, database, is_locked
from ..models import AuditLog

READ_SYNC_SECONDS = 2.0
_synced = [0.0]  # time.monotonic() of the last audited read committed with FULL
_sync_lock = threading.Lock()

_COLUMNS = (
    "at",
    "user_id",
    "username",
    "ip",
    "action",
    "object_type",
    "object_id",
    "object_label",
    "changes",
)
_statements = {}  # engine -> (sql, fields)
_reader = {}  # "conn": (file, sqlite3 connection at synchronous=NORMAL) for grouped read rows


def _statement():
    engine = type(database.obj)
    built = _statements.get(engine)
    if built is None:
        fields = [AuditLog._meta.fields[name] for name in _COLUMNS]
        mark = database.obj.param
        sql = 'INSERT INTO "audit_log" ({}) VALUES ({})'.format(
            ", ".join(f'"{f.column_name}"' for f in fields), ", ".join([mark] * len(fields))
        )
        if database.is_postgres:
            sql += ' RETURNING "id"'
        built = _statements[engine] = (sql, fields)
    return built


def _relaxed_read(action, changes):
    """Whether this row is an audited read that may skip its flush (see the module's doc):
    outside a transaction, not the one committed as usual every READ_SYNC_SECONDS."""
    if action != "view" or changes or database.in_transaction():
        return False
    if not database.is_postgres and not _is_file(database.database):
        return False
    now = time.monotonic()
    with _sync_lock:
        if now - _synced[0] < READ_SYNC_SECONDS:
            return True
        _synced[0] = now  # this one is committed with FULL
        return False


def record(actor, action, obj=None, *, changes=None, object_type=None, label=None, object_id=None):
    """Append one audit row; `changes` is [(field, before, after)]."""
    if actor.approval and action != "view":
        changes = [*(changes or []), ("reviewed", None, actor.approval)]
    if obj is not None:
        object_type = object_type or obj._meta.table_name
        object_id = obj.id if object_id is None else object_id
        label = label if label is not None else str(obj)
    values = {
        "at": clock.now(),
        "user_id": actor.user_id,
        "username": actor.username,
        "ip": actor.ip or "",
        "action": action,
        "object_type": object_type or "",
        "object_id": object_id,
        "object_label": (label or "")[:128],
        "changes": json.dumps(changes, ensure_ascii=False, default=str) if changes else "",
    }
    sql, fields = _statement()
    params = [f.db_value(values[f.name]) for f in fields]
    if not _relaxed_read(action, changes):
        cursor = database.execute_sql(sql, params)
        row_id = cursor.fetchone()[0] if database.is_postgres else cursor.lastrowid
    elif database.is_postgres:
        row_id = _insert_unflushed(sql, params)
    else:
        row_id = _insert_grouped(sql, params)
    row = AuditLog(__no_default__=1, id=row_id, **values)
    row._dirty.clear()
    return row


def _is_file(name):
    """Whether the SQLite database is a plain file another connection can open as well."""
    return bool(name) and name != ":memory:" and not str(name).startswith("file:")


class _Waiting:
    """One queued row of a group commit: its parameters, then its id or the batch's error. Its
    `wake` lock is held until a leader releases it: the row is done, or its thread leads next."""

    __slots__ = ("params", "row_id", "error", "done", "wake")

    def __init__(self, params):
        self.params, self.row_id, self.error, self.done = params, None, None, False
        self.wake = threading.Lock()
        self.wake.acquire()


BATCH_MAX = 256  # rows in one batch's INSERT (9 parameters each: SQLite allows 32,766)
_queue = []  # rows waiting for the next batch
_leading = [False]  # a batch is being written, or its next leader woken
_group = threading.Condition(
    threading.Lock()
)  # guards _queue and _leading; close_reader waits on it


def _insert_grouped(sql, params):
    """Queue the row, wait until a commit holding it has happened, return its id (or raise
    the error of the batch that held it). Each waiting thread is woken once: when its row is
    done, or to lead the next batch. See the module's doc."""
    waiting = _Waiting(params)
    with _group:
        _queue.append(waiting)
        lead = not _leading[0]
        _leading[0] = True
    if not lead:
        waiting.wake.acquire()  # released by the leader of its batch, or to lead
    if not waiting.done:
        with _group:
            batch = _queue[:BATCH_MAX]
            del _queue[:BATCH_MAX]
        try:
            _write_batch(sql, batch)
        finally:
            with _group:
                following = _queue[0] if _queue else None
                _leading[0] = following is not None
                if following is None:
                    _group.notify_all()
            for each in batch:
                each.done = True
                if each is not waiting:
                    each.wake.release()
            if following is not None:
                following.wake.release()  # leads the rows queued meanwhile
    error = waiting.error
    if error is not None:
        # Each request its own exception (one object raised in many threads would share one
        # traceback), with the database's own error as its cause (db.is_locked reads it).
        raised = type(error)(*error.args)
        raised.__cause__ = error.__cause__ or error.__context__
        raise raised
    return waiting.row_id


def _write_batch(sql, batch):
    """Insert the batch's rows in one transaction and commit: each row gets its id, or every
    row the error (nothing of the batch written). A batch the database refuses for one of its
    rows (not a lock: a constraint) is written again row by row, so only the refused row's
    request gets the error."""
    rows = [each.params for each in batch]
    try:
        with __exception_wrapper__:
            ids = _write_sqlite(sql, rows)
    except BaseException as e:
        if len(batch) > 1 and isinstance(e, Exception) and not is_locked(e):
            for each in batch:
                _write_batch(sql, [each])
            return
        for each in batch:
            each.error = e
        return
    for each, row_id in zip(batch, ids, strict=True):
        each.row_id = row_id


def _write_sqlite(sql, rows):
    """The rows on this process's kept connection at synchronous=NORMAL (opened once), as one
    INSERT statement of all of them committed by itself (one statement is one transaction:
    all rows or none); their ids. One call into SQLite per batch: each call lets go of the GIL
    and takes it back, which under many threads costs more than the call itself. A lock held
    past the busy timeout (another process's writer) raises OperationalError, as the
    request's own connection would (the 503 page)."""
    path = database.database
    kept = _reader.get("conn")
    if kept is None or kept[0] != path:
        if kept is not None:
            kept[1].close()
        _reader["conn"] = kept = (path, _open_reader(path))
    conn = kept[1]
    try:
        if len(rows) == 1:
            return [conn.execute(sql, rows[0]).lastrowid]
        last = conn.execute(_many_rows(sql, len(rows)), [v for row in rows for v in row]).lastrowid
        # One statement under the write lock, rowids each the largest + 1: consecutive, the
        # statement's last row's the connection's last insert rowid.
        return list(range(last - len(rows) + 1, last + 1))
    except BaseException:
        _reader.pop("conn")[1].close()  # rolls back whatever was begun
        raise


_many_sql = {}  # (the one-row INSERT, rows) -> the INSERT of that many rows


def _many_rows(sql, n):
    """The INSERT `sql` of one row ("... VALUES (?, ?, …)") as one of `n` rows."""
    many = _many_sql.get((sql, n))
    if many is None:
        head, values = sql.rsplit(" VALUES ", 1)
        many = _many_sql[(sql, n)] = f"{head} VALUES {', '.join([values] * n)}"
    return many


_unflushed_sql = {}  # the INSERT's SQL -> the same INSERT committing without a WAL flush


def _insert_unflushed(sql, params):
    """PostgreSQL: the row committed on the request's own connection (outside a transaction:
    autocommit) by one statement, its own transaction, with synchronous_commit off; its id.

    The INSERT's RETURNING also calls `set_config('synchronous_commit', 'off', true)`: a setting
    local to the statement's implicit transaction, in force when that transaction commits (at the
    statement's end) and gone after it, so no other commit of the connection is relaxed. One
    statement with bound parameters (psycopg prepares it on the server after a few uses), one
    round trip; no BEGIN/SET/COMMIT sent as text. A failure (a lock timeout: the 503 page)
    leaves nothing written: the statement is the transaction."""
    text = _unflushed_sql.get(sql)
    if text is None:
        text = _unflushed_sql[sql] = f"{sql}, set_config('synchronous_commit', 'off', true)"
    return database.execute_sql(text, params).fetchone()[0]


def _open_reader(path):
    # A batch of n rows is its own statement: each size kept prepared.
    conn = sqlite3.connect(
        path, isolation_level=None, check_same_thread=False, cached_statements=BATCH_MAX + 16
    )
    for name in ("busy_timeout", "foreign_keys"):
        conn.execute(f"PRAGMA {name} = {int(PRAGMAS[name])}")
    conn.execute("PRAGMA synchronous = NORMAL")
    # Never checkpoints itself: an automatic checkpoint runs inside the commit that crosses
    # 1,000 WAL pages (copying pages into the file, with an fsync: up to hundreds of ms on a
    # 1 GB file), here inside a batch while its requests wait. The request connections keep SQLite's
    # automatic checkpoint: the FULL-synced read every READ_SYNC_SECONDS (or any change) runs
    # it, once for all the rows written since, each page copied once however often rewritten.
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute("PRAGMA cache_size = -256")  # appends rows to one table: a small cache
    return conn


def close_reader():
    """Close the kept reader connection (tests, a database pointed elsewhere)."""
    with _group:
        while _leading[0]:
            _group.wait()
        kept = _reader.pop("conn", None)
        if kept is not None:
            kept[1].close()
