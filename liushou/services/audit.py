"""Writing to the audit log.

Every row is one prepared INSERT (its statement written once per engine, not built by peewee
on each call: a child's page writes one on every read, cached page or not).

Durability of audited reads (action "view", outside a transaction, SQLite): the row is
committed before the page is sent, so a crash of the server never loses it; but it is
committed with `synchronous=NORMAL` (written to the WAL, not yet fsynced), except once every
`READ_SYNC_SECONDS`, when it is committed with the usual FULL (fsync) and so makes durable
every audited read before it. Such a relaxed row is written through a connection of its own
kept at NORMAL (`_insert_relaxed`: one per process, kept open, one thread at a time): one
statement, where switching the request's connection to NORMAL and back took three (each a
round trip that lets go of the GIL: under 16 clients a statement costs far more than its own
time). In WAL mode NORMAL and FULL differ only at commit, per connection: a
FULL commit on any connection syncs the WAL with every frame before it. A power cut may lose
at most the reads audited in the last `READ_SYNC_SECONDS` (the next change of any record,
which commits with FULL, syncs them sooner). An fsync here costs about 4 ms and holds the
write lock meanwhile: a child's page on every read would otherwise cost an fsync. Every other
audit row (a change) is committed with its change, FULL, as before.
"""

import json
import sqlite3
import threading
import time

from peewee import __exception_wrapper__

from .. import clock
from ..db import PRAGMAS, database
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
_reader = {}  # "conn": (file, sqlite3 connection at synchronous=NORMAL) for relaxed read rows
_reader_lock = threading.Lock()


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
    """Whether this row is an audited read that may skip its fsync (see the module's doc)."""
    if action != "view" or changes or database.is_postgres or database.in_transaction():
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
    if _relaxed_read(action, changes) and _is_file(database.database):
        row_id = _insert_relaxed(sql, params)
    else:
        cursor = database.execute_sql(sql, params)
        row_id = cursor.fetchone()[0] if database.is_postgres else cursor.lastrowid
    row = AuditLog(__no_default__=1, id=row_id, **values)
    row._dirty.clear()
    return row


def _is_file(name):
    """Whether the SQLite database is a plain file another connection can open as well."""
    return bool(name) and name != ":memory:" and not str(name).startswith("file:")


def _insert_relaxed(sql, params):
    """The row's INSERT, committed at once with synchronous=NORMAL on this process's reader
    connection of the file (opened once, kept); its id. One thread at a time: a thread waiting
    here wakes as soon as the one before has committed, where two connections of this process
    racing for SQLite's write lock would sleep in its busy handler (1 ms, then longer). A lock
    held past the busy timeout (another writer) raises peewee's OperationalError, as the
    request's own connection would (the 503 page)."""
    path = database.database
    with _reader_lock, __exception_wrapper__:
        kept = _reader.get("conn")
        if kept is None or kept[0] != path:
            if kept is not None:
                kept[1].close()
            _reader["conn"] = kept = (path, _open_reader(path))
        try:
            return kept[1].execute(sql, params).lastrowid
        except BaseException:
            _reader.pop("conn")[1].close()
            raise


def _open_reader(path):
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    for name in ("busy_timeout", "foreign_keys"):
        conn.execute(f"PRAGMA {name} = {int(PRAGMAS[name])}")
    conn.execute("PRAGMA synchronous = NORMAL")
    # Never checkpoints itself: an automatic checkpoint runs inside the commit that crosses
    # 1,000 WAL pages (copying pages into the file, with an fsync: up to hundreds of ms on a
    # 1 GB file), here while holding _reader_lock. The request connections keep SQLite's
    # automatic checkpoint: the FULL-synced read every READ_SYNC_SECONDS (or any change) runs
    # it, once for all the rows written since, each page copied once however often rewritten.
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute("PRAGMA cache_size = -256")  # appends rows to one table: a small cache
    return conn


def close_reader():
    """Close the kept reader connection (tests, a database pointed elsewhere)."""
    with _reader_lock:
        kept = _reader.pop("conn", None)
        if kept is not None:
            kept[1].close()
