"""The busy pages run a bounded number of SQL statements per request (issue 17, item 4): the
user and scope are read once, settings and the area's open emergency steps are kept between
requests while nothing is written, the list reads no COUNT. Counts are deterministic."""

import threading

import pytest

from liushou.db import data_generation, database
from liushou.models import User
from liushou.models.persons import Person
from tests.conftest import POSTGRES, login

# What the pages run today; a change that adds statements per request fails here.
PERSON_LIST_MAX = 2
# SQLite reads all of a person's own section rows in one json_group_array statement; PostgreSQL
# reads them one section at a time (queries/persons.page_sections).
PERSON_PAGE_MAX = 21 if POSTGRES else 11
WORKLIST_MAX = 4


@pytest.fixture
def cadre(demo_app):
    client = demo_app.test_client()
    assert login(client, "cun01").status_code == 303
    with database.connection_context():
        person = (
            Person.select(Person.id)
            .join(User, on=(User.village == Person.village))
            .where(
                User.username == "cun01",
                Person.exited_on.is_null(),
                ~Person.groups.contains("儿童"),
            )
            .order_by(Person.id)
            .limit(1)
            .scalar()
        )
    return client, person


def statements(client, url):
    """The SQL statements of a GET of `url` (after one warm-up request), and its status. A
    write committed meanwhile by another thread of the test process (an earlier test's
    background job or recount) moves the data generation and so rightly drops what is kept:
    then it is measured again (at most three times; a page that writes on every GET still
    fails the count)."""
    me = threading.get_ident()  # the request's own statements, not a background recount's
    for _ in range(3):
        assert client.get(url).status_code == 200
        before = data_generation()
        seen = []

        def hook(event, seen=seen):
            if threading.get_ident() == me:
                seen.append(event.sql)

        database.query_hooks.append(hook)
        try:
            status = client.get(url).status_code
        finally:
            database.query_hooks.pop()
        if data_generation() == before:
            break
    return status, seen


def test_the_person_list_reads_the_user_and_one_page_and_counts_nothing(cadre):
    client, _ = cadre
    status, seen = statements(client, "/persons")
    assert status == 200
    assert len(seen) <= PERSON_LIST_MAX, seen
    assert not [s for s in seen if "COUNT(" in s.upper()]
    assert not [s for s in seen if '"setting"' in s]


def test_the_person_page_runs_a_bounded_number_of_statements(cadre, monkeypatch):
    from liushou import page_cache

    client, person = cadre
    # Drawn anew (nothing kept): its scope check, then the page's own reads.
    monkeypatch.setattr(page_cache, "MAX_BYTES", 0)
    status, seen = statements(client, f"/persons/{person}")
    assert status == 200
    assert len(seen) <= PERSON_PAGE_MAX + 1, seen
    assert sum('FROM "app_user"' in s and '"t1"."id" = ?' in s for s in seen) <= 2


def test_a_kept_page_reads_the_user_and_checks_the_scope_only(cadre):
    """page_cache: a kept page costs the user's row (and on a person's page the scoped read
    that decides 404 and the audit), whatever the page reads when drawn."""
    client, person = cadre
    for url, most in (("/persons", 1), ("/visits/due", 1), ("/", 1), (f"/persons/{person}", 2)):
        status, seen = statements(client, url)
        assert status == 200
        assert len(seen) <= most, (url, seen)


def test_the_worklist_runs_a_bounded_number_of_statements(cadre):
    client, _ = cadre
    status, seen = statements(client, "/visits/due")
    assert status == 200
    assert len(seen) <= WORKLIST_MAX, seen


def test_a_changed_setting_shows_on_the_next_page(cadre):
    """Settings are kept between requests, and read again after a write."""
    from liushou.services import SYSTEM
    from liushou.services.settings import update_settings

    client, _ = cadre
    assert "柳溪镇三留守服务" not in client.get("/persons").get_data(as_text=True)
    update_settings(SYSTEM, {"township_name": "柳溪镇"})
    assert "<title>人员 · 柳溪镇三留守服务</title>" in client.get("/persons").get_data(as_text=True)


def test_an_emergency_step_turns_red_once_past_its_deadline(cadre):
    """The area's open steps are kept between requests; which are overdue is decided now."""
    from datetime import timedelta

    from liushou import clock
    from liushou.models import Person
    from liushou.services import SYSTEM
    from liushou.services.care import open_emergency

    client, person_id = cadre
    village = Person.get_by_id(person_id).village_id
    person = (
        Person.select()
        .where((Person.village == village) & Person.groups.contains("留守儿童"))
        .order_by(Person.id)
        .first()
    )
    start = clock.now().replace(second=0)
    with clock.freeze(start):
        emergency = open_emergency(
            SYSTEM,
            person,
            {
                "kind": "走失",
                "reported_by": "村干部",
                "discovered_at": start.strftime("%Y-%m-%d %H:%M"),
                "description": "测试",
            },
            now=start,
        )
        first = min(step.due_at for step in emergency.steps)
        # The demo has open emergencies of its own: look for this one's alarm (its link).
        alarm = f'href="/emergencies/{emergency.id}">突发事件'
        assert alarm not in client.get("/persons").get_data(as_text=True)
    with clock.freeze(first):
        assert alarm not in client.get("/persons").get_data(as_text=True)
    with clock.freeze(first + timedelta(seconds=1)):
        assert alarm in client.get("/persons").get_data(as_text=True)
