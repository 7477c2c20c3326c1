"""Audited reads committed without a flush of their own (services.audit: on SQLite by group
commit, on PostgreSQL with synchronous_commit off): many requests viewing children at once each
get their own committed row, with the right user and child, before their page is sent; a batch
that fails fails every request whose row it held (no page without its row)."""

import threading
import time

import pytest
from peewee import OperationalError

from liushou.db import database, is_locked
from liushou.models import AuditLog
from liushou.services import Actor, audit
from tests.conftest import client_as

pytestmark = pytest.mark.usefixtures("never_slow")


@pytest.fixture
def grouped(monkeypatch):
    """Every audited read is a relaxed one (none is the periodic flushed one); on SQLite the
    first batch of the group commit waits until `expect[0] - 1` more rows are queued behind
    it, so the next batch holds several rows whatever the machine's timing. Yields (expect,
    batch sizes)."""
    monkeypatch.setattr(audit, "READ_SYNC_SECONDS", 3600.0)
    monkeypatch.setattr(audit, "_synced", [time.monotonic()])
    expect, sizes = [0], []
    real = audit._write_batch

    def write(sql, batch):
        if not sizes:
            deadline = time.monotonic() + 20
            while len(audit._queue) < expect[0] - 1 and time.monotonic() < deadline:
                time.sleep(0.005)
        sizes.append(len(batch))
        real(sql, batch)

    monkeypatch.setattr(audit, "_write_batch", write)
    yield expect, sizes
    audit.close_reader()


def _in_threads(n, work, connect=True):
    """Run work(i) in n threads at once (each its own connection, or the app's own for a
    request when not `connect`); their results or errors."""
    results, start = [None] * n, threading.Barrier(n)

    def run(i):
        start.wait()
        try:
            if connect:
                with database.connection_context():
                    results[i] = work(i)
            else:
                results[i] = work(i)
        except Exception as e:  # the test looks at it
            results[i] = e

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    return results


def _committed_views():
    """(username, object id) of every committed 'view' row, read on a connection of its own."""
    rows = []

    def read(_):
        rows.extend(
            AuditLog.select(AuditLog.username, AuditLog.object_id)
            .where(AuditLog.action == "view")
            .tuples()
        )

    _in_threads(1, read)
    return sorted(rows)


def test_many_threads_each_get_every_view_committed_with_its_user_and_child(homes, users, grouped):
    expect, sizes = grouped
    threads, views = 8, 6
    expect[0] = threads
    kids = [*homes["kids"], homes["other"]]

    def work(i):
        actor = Actor(user=users["cun1" if i % 2 else "admin"])
        kid = kids[i % len(kids)]
        return [audit.record(actor, "view", kid).id for _ in range(views)]

    results = _in_threads(threads, work)
    assert not [r for r in results if isinstance(r, Exception)]
    expected = sorted(
        ("cun1" if i % 2 else "admin", kids[i % len(kids)].id)
        for i in range(threads)
        for _ in range(views)
    )
    assert _committed_views() == expected
    if not database.is_postgres:
        assert max(sizes) > 1 and sum(sizes) == threads * views  # rows did share commits
    ids = [row_id for result in results for row_id in result]
    assert len(set(ids)) == threads * views  # each request got its own row's id
    stored = {
        row.id: (row.username, row.object_id)
        for row in AuditLog.select().where(AuditLog.id.in_(ids))
    }
    for i, result in enumerate(results):
        for row_id in result:
            assert stored[row_id] == ("cun1" if i % 2 else "admin", kids[i % len(kids)].id)


@pytest.mark.sqlite_only(reason="batches are SQLite's group commit")
def test_a_failed_batch_fails_every_request_it_held_and_writes_nothing(
    homes, users, grouped, monkeypatch
):
    expect, sizes = grouped
    expect[0] = threads = 6
    kid = homes["kids"][0]
    before = _committed_views()
    real, calls = audit._write_sqlite, []

    def failing(sql, rows):
        calls.append(len(rows))
        if len(rows) > 1:  # the grouped batch: refused as a held write lock would be
            raise __import__("sqlite3").OperationalError("database is locked")
        return real(sql, rows)

    monkeypatch.setattr(audit, "_write_sqlite", failing)
    results = _in_threads(threads, lambda i: audit.record(Actor(user=users["cun1"]), "view", kid))
    failed = [r for r in results if isinstance(r, Exception)]
    written = [r for r in results if not isinstance(r, Exception)]
    assert calls[0] == 1 and max(calls) > 1
    assert len(written) == calls.count(1)  # only the rows committed alone
    assert len(failed) == threads - len(written) == sum(n for n in calls if n > 1)
    for error in failed:  # each request its own error, the 503 page's kind
        assert isinstance(error, OperationalError) and is_locked(error)
    assert len({id(error) for error in failed}) == len(failed)
    assert _committed_views() == sorted([*before, *[("cun1", kid.id)] * len(written)])


def test_pages_viewed_at_once_are_each_audited_and_a_failed_batch_is_no_page(
    app, homes, users, grouped, monkeypatch
):
    expect, sizes = grouped
    expect[0] = threads = 4
    kid = homes["kids"][0]
    clients = [client_as(app, "cun1") for _ in range(threads)]
    before = len(_committed_views())
    pages = _in_threads(threads, lambda i: clients[i].get(f"/persons/{kid.id}").status_code, False)
    assert pages == [200] * threads
    assert len(_committed_views()) == before + threads

    writer = "_insert_unflushed" if database.is_postgres else "_write_sqlite"

    def failing(sql, rows):  # as the database's lock timeout, once wrapped by peewee
        raise OperationalError("database is locked")

    monkeypatch.setattr(audit, writer, failing)
    answers = _in_threads(threads, lambda i: clients[i].get(f"/persons/{kid.id}"), False)
    for answer in answers:
        assert answer.status_code == 503  # the busy page, never the child's page
        body = answer.get_data(as_text=True)
        assert "繁忙" in body or "稍后" in body
        assert "童一" not in body
    assert len(_committed_views()) == before + threads


def test_a_held_lock_fails_each_read_alone_and_the_next_ones_are_written(
    homes, users, grouped, monkeypatch
):
    """Another connection holds the audit log (SQLite: the write lock; PostgreSQL: a table
    lock): each audited read gives up after the lock wait with the 503 page's error and writes
    nothing; once the lock is gone the same connections write their rows."""
    from liushou import db

    expect, sizes = grouped
    expect[0] = threads = 4
    kid = homes["kids"][0]
    monkeypatch.setitem(audit.PRAGMAS, "busy_timeout", 200)
    monkeypatch.setattr(db, "PG_LOCK_TIMEOUT_MS", 200)
    audit.close_reader()
    before = _committed_views()
    if database.is_postgres:
        import psycopg

        holder = psycopg.connect(database.obj.database, **database.obj.connect_params)
        holder.execute("LOCK TABLE audit_log IN SHARE MODE")  # a transaction, held
    else:
        import sqlite3

        holder = sqlite3.connect(database.database, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
    start, done = threading.Barrier(threads), threading.Barrier(threads + 1)
    released = threading.Event()

    def work(i):
        start.wait()
        try:
            audit.record(Actor(user=users["cun1"]), "view", kid)
            first = "written"
        except OperationalError as e:
            first = e
        done.wait()
        released.wait(30)
        audit.record(Actor(user=users["cun1"]), "view", kid)  # the same connection again
        return first

    runner = threading.Thread(target=lambda: results.extend(_in_threads(threads, work)))
    results = []
    runner.start()
    done.wait(60)
    holder.rollback() if database.is_postgres else holder.execute("ROLLBACK")
    holder.close()
    released.set()
    runner.join(60)
    assert len(results) == threads
    for first in results:
        assert isinstance(first, OperationalError) and is_locked(first)
    assert _committed_views() == sorted([*before, *[("cun1", kid.id)] * threads])


def test_a_relaxed_read_relaxes_no_other_commit_of_its_connection(homes, users, grouped):
    """The audited read's commit skips its flush alone: the connection's own setting for every
    later commit (SQLite: synchronous FULL; PostgreSQL: synchronous_commit as the session has
    it) is the same after the read, and the row is committed (seen by another connection)."""
    kid = homes["kids"][0]
    before = len(_committed_views())

    def setting():
        if database.is_postgres:
            return database.execute_sql("SELECT current_setting('synchronous_commit')").fetchone()
        return database.execute_sql("PRAGMA synchronous").fetchone()

    def work(_):
        if database.is_postgres:
            database.execute_sql("SET synchronous_commit = on")  # the session's, not the server's
        first = setting()
        audit.record(Actor(user=users["cun1"]), "view", kid)
        assert not database.in_transaction()
        return first, setting()

    [(first, after)] = _in_threads(1, work)
    assert first == after == (("on",) if database.is_postgres else (2,))
    assert len(_committed_views()) == before + 1
