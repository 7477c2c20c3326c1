"""The signed-in user's row is kept between requests while no account is written (a kept page
then sends no statement at all: on PostgreSQL that read was the page's one round trip, and
requests queued behind it): an account written by this server shows on the next request, one
written by another process at the server's next look at the shared counter, one changed by
hand in the database within auth.USER_ROW_SECONDS."""

import pytest

from liushou import auth, db_generation
from liushou.db import database, share_writes
from liushou.models import User
from tests.pg_cluster import MOVE_COUNTER, READ_COUNTER, other_connection

LOOK = max(db_generation.CHECK_EVERY.values())


@pytest.fixture
def statements(monkeypatch):
    """The SQL of every statement the app sends through the database handle from now on."""
    sent = []
    real = type(database.obj).execute_sql

    def counted(self, sql, params=None):
        sent.append(sql)
        return real(self, sql, params)

    monkeypatch.setattr(type(database.obj), "execute_sql", counted)
    return sent


def _user_reads(sent):
    return [sql for sql in sent if '"app_user"' in sql]


def test_a_kept_page_reads_no_user_row(login_as, statements):
    client = login_as("cun1")
    assert client.get("/persons").status_code == 200
    del statements[:]
    assert client.get("/persons").status_code == 200
    assert _user_reads(statements) == []


def test_an_account_written_by_the_server_is_read_again_at_once(login_as, users, statements):
    client = login_as("cun1")
    assert client.get("/persons").status_code == 200
    User.update(display_name="新名字").where(User.id == users["cun1"].id).execute()
    del statements[:]
    page = client.get("/persons").get_data(as_text=True)
    assert len(_user_reads(statements)) == 1
    assert "新名字" in page


def test_another_process_disabling_the_account_ends_the_session(login_as, users, later):
    client = login_as("cun1")
    assert client.get("/persons").status_code == 200
    with other_connection(client.application.config["DATABASE"]) as other:
        other.execute(f'UPDATE "app_user" SET "active" = false WHERE "id" = {users["cun1"].id}')
        other.execute(MOVE_COUNTER)  # as a command does
    later(LOOK)  # the server's next look at the counter (at once on SQLite)
    response = client.get("/persons")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_account_disabled_by_hand_ends_the_session_within_the_bound(login_as, users, later):
    client = login_as("cun1")
    assert client.get("/persons").status_code == 200
    with other_connection(client.application.config["DATABASE"]) as other:
        other.execute(f'UPDATE "app_user" SET "active" = false WHERE "id" = {users["cun1"].id}')
    later(auth.USER_ROW_SECONDS)
    response = client.get("/persons")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_command_s_account_write_moves_the_shared_counter(app, users):
    def counter():
        with other_connection(app.config["DATABASE"]) as other:
            return other.execute(READ_COUNTER).fetchone()[0]

    before = counter()
    was = share_writes(True)
    try:
        with database.connection_context():
            User.update(active=False).where(User.id == users["cun1"].id).execute()
    finally:
        share_writes(was)
    assert counter() > before


def test_the_server_s_own_logins_leave_the_shared_counter_alone(app, users, login_as):
    with other_connection(app.config["DATABASE"]) as other:
        before = other.execute(READ_COUNTER).fetchone()[0]
    login_as("cun1")  # writes his last login
    with other_connection(app.config["DATABASE"]) as other:
        assert other.execute(READ_COUNTER).fetchone()[0] == before
