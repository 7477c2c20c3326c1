"""A request's connection comes from the kept ones: a kept PostgreSQL connection is not set up
again (its lock timeout holds), since peewee sets a connection up under the handle's lock and a
round trip there held every other request's connect."""

import peewee
import pytest

from liushou.db import PG_LOCK_TIMEOUT_MS, database
from liushou.db_connections import reusing

pytestmark = pytest.mark.postgres_only(reason="the lock timeout is a PostgreSQL setting")


def test_a_kept_connection_is_not_set_up_again_and_keeps_its_lock_timeout(app, monkeypatch):
    setups = []
    real = peewee.PostgresqlDatabase._initialize_connection

    def counted(self, conn):
        setups.append(conn)
        return real(self, conn)

    monkeypatch.setattr(peewee.PostgresqlDatabase, "_initialize_connection", counted)
    if not database.is_closed():
        database.close()
    database.close_idle()
    with reusing():
        database.connect()
        first = database.connection()
        database.close()  # back to the kept ones
        database.connect()
        assert database.connection() is first
        (timeout,) = database.execute_sql("SHOW lock_timeout").fetchone()
        database.close()
    assert setups == [first]  # set up once, when it was opened
    assert timeout == f"{PG_LOCK_TIMEOUT_MS // 1000}s"


def test_a_command_s_own_connection_is_set_up(app, monkeypatch):
    if not database.is_closed():
        database.close()
    database.connect()  # not a request: a connection of its own
    try:
        (timeout,) = database.execute_sql("SHOW lock_timeout").fetchone()
    finally:
        database.close()
    assert timeout == f"{PG_LOCK_TIMEOUT_MS // 1000}s"
