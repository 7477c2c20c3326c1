"""No write waits long behind a background job: the daily recheck works in short batches, a
write takes the lock at BEGIN and retries a timed-out BEGIN once, and a lock that stays taken
answers 503 系统繁忙 instead of a 500."""

import threading
import time
from datetime import timedelta

import pytest
from peewee import OperationalError, PostgresqlDatabase, SqliteDatabase

from liushou import clock, jobs
from liushou.db import database
from liushou.demo import build
from liushou.migrations import migrate
from liushou.models.helpers import Helper
from liushou.models.persons import Person
from liushou.models.visits import Visit
from tests.conftest import PASSWORD, csrf_token, login, make_app
from tests.pg_cluster import POSTGRES

# The peewee class whose BEGIN the engine's (liushou.db.Database.begin) wraps.
ENGINE_BASE = PostgresqlDatabase if POSTGRES else SqliteDatabase


@pytest.fixture
def township(tmp_path, monkeypatch):
    """A demo township of a few thousand persons."""
    monkeypatch.setenv("LIUSHOU_INSTANCE", str(tmp_path / "instance"))
    app = make_app(tmp_path)
    with app.app_context():
        database.connect(reuse_if_open=True)
        migrate()
        build(persons=2000, seed=3, password=PASSWORD)
        database.close()
    yield app
    if not database.is_closed():
        database.close()


def test_visits_and_logins_do_not_wait_behind_the_daily_recheck(township, monkeypatch):
    waits = []  # (thread name, started, seconds BEGIN waited)
    begin = database.obj.begin  # the engine behind the deferred handle

    def timed_begin(lock_type=None):
        started = time.perf_counter()
        begin(lock_type)
        waits.append((threading.current_thread().name, started, time.perf_counter() - started))

    monkeypatch.setattr(database.obj, "begin", timed_begin)
    with township.app_context():
        database.connect(reuse_if_open=True)
        village = Person.select().order_by(Person.id).first().village_id
        kids = [
            p.id
            for p in Person.active()
            .where((Person.village == village) & (Person.groups != ""))
            .order_by(Person.id)
            .limit(40)
        ]
        helper = Helper.select().where(Helper.village == village).order_by(Helper.id).first()
        code = helper.village.code[1:]
        visits_before = Visit.select().count()
        database.close()

    job = {}

    def recheck():
        job["started"] = time.perf_counter()
        job["changed"] = jobs.run_daily(clock.today() + timedelta(days=1))
        job["ended"] = time.perf_counter()

    statuses = []

    def cadre():
        client = township.test_client()
        for i, person in enumerate(kids):
            if "ended" in job and i >= 10:
                break
            client.delete_cookie(township.config["SESSION_COOKIE_NAME"])
            statuses.append(login(client, f"cun{code}").status_code)
            url = f"/persons/{person}/visits/new"
            response = client.post(
                url,
                data={
                    "csrf_token": csrf_token(client, url),
                    "persons": [person],
                    "visited_on": clock.today().isoformat(),
                    "method": "上门",
                    "helpers": [helper.id],
                    "life": "生活正常",
                },
            )
            statuses.append(response.status_code)

    job_thread = threading.Thread(target=recheck, name="recheck")
    cadre_thread = threading.Thread(target=cadre, name="cadre")
    job_thread.start()
    time.sleep(0.2)  # the job holds its first batch when the cadre starts
    cadre_thread.start()
    job_thread.join(timeout=600)
    cadre_thread.join(timeout=600)

    assert job["changed"] is not None  # the day's recheck ran
    assert statuses and set(statuses) == {303}, statuses
    cadre_waits = [(at, s) for name, at, s in waits if name == "cadre"]
    during = [s for at, s in cadre_waits if job["started"] <= at <= job["ended"]]
    assert len(during) >= 4, (len(during), job)  # the cadre really wrote while the job ran
    assert max(s for _, s in cadre_waits) < 1.0, sorted(s for _, s in cadre_waits)[-5:]
    # The job itself committed in many short transactions, not one long one.
    assert len([w for w in waits if w[0] == "recheck"]) > 10
    with township.app_context():
        database.connect(reuse_if_open=True)
        assert Visit.select().count() > visits_before


def test_a_timed_out_begin_is_tried_once_more(app, monkeypatch):
    calls = []
    begin = ENGINE_BASE.begin

    def busy_once(self, lock_type=None):
        calls.append(lock_type)
        if len(calls) == 1:
            raise OperationalError("database is locked")
        begin(self, lock_type)

    monkeypatch.setattr(ENGINE_BASE, "begin", busy_once)
    with database.atomic():
        Person.select().count()
    assert len(calls) == 2


def test_a_lock_that_stays_taken_answers_busy_not_an_error(client, users, monkeypatch):
    login(client, "cun1")

    def always_busy(self, lock_type=None):
        raise OperationalError("database is locked")

    token = csrf_token(client, "/")
    monkeypatch.setattr(ENGINE_BASE, "begin", always_busy)
    response = client.post(
        "/logout", data={"csrf_token": token}
    )  # any write: logging out is audited
    assert response.status_code == 503
    assert "系统繁忙，请稍后重试" in response.get_data(as_text=True)
