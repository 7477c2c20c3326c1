"""A township user's worklist and home follow every visit in the township: after other users'
visits they may be served up to a minute old, saying when they were counted, while the user's
own write always shows at once (figure_cache `others`). One user's many searches cannot push
the township's figures out of figure_cache (its per-user share)."""

import re

import pytest

from liushou import clock, figure_cache
from liushou.scope import Scope
from liushou.services import SYSTEM
from liushou.services.helpers import save_helper
from liushou.services.visits import record_visit
from tests._helpers import add_child, text
from tests.conftest import login, post
from tests.shared import figures

computations = figures.computations  # the shared fixture

ALL = Scope(everything=True)
DUE_TODAY = re.compile(r"</b> · 今天 (\d+) · 本周")
COUNTED = re.compile(r"统计于 \d\d:\d\d")


@pytest.fixture(autouse=True)
def _never_slow(monkeypatch):
    monkeypatch.setattr(figure_cache, "SLOW", float("inf"))


@pytest.fixture
def helper(places):
    return save_helper(SYSTEM, ALL, {"name": "干部", "kind": "村干部", "village": places["V01"].id})


def due_today(client):
    """How many visits are due today on the user's worklist (a visit takes its person off)."""
    page = text(client, "/visits/due")
    assert COUNTED.search(page), "the worklist says when it was counted"
    return int(DUE_TODAY.search(page).group(1))


def visit_through_the_web(client, person, helper):
    url = f"/persons/{person.id}/visits/new"
    response = post(
        client,
        url,
        {
            "persons": [person.id],
            "visited_on": clock.today().isoformat(),
            "method": "电话",
            "helpers": [helper.id],
            "life": "走访",
        },
        token_url=url,
    )
    assert response.status_code == 303, response.get_data(as_text=True)


def test_a_cadres_own_visit_shows_at_once_anothers_within_a_minute(
    homes, helper, app, login_as, monkeypatch
):
    mine = login_as("township")
    other = app.test_client()
    login(other, "admin")  # the same township scope: the same kept count
    before = due_today(mine)
    assert before >= 2 and due_today(other) == before
    visit_through_the_web(other, homes["kids"][0], helper)
    # Another user's visit: the township user may be shown the count of before it, with the
    # time it was counted, for at most a minute.
    assert due_today(mine) == before
    monkeypatch.setattr(figure_cache, "STALE_MAX_AGE", 0)  # a minute later
    assert due_today(mine) == before - 1
    monkeypatch.undo()
    monkeypatch.setattr(figure_cache, "SLOW", float("inf"))
    visit_through_the_web(mine, homes["kids"][1], helper)
    assert due_today(mine) == before - 2  # his own visit: counted again at once
    visit_through_the_web(other, homes["other"], helper)
    assert due_today(other) == before - 3  # the admin's own, at once, after his redirect too
    assert due_today(mine) == before - 3  # (the admin's recount is the township's newest)


def test_a_visit_outside_any_request_shows_within_a_minute_a_registration_at_once(
    homes, helper, login_as, monkeypatch
):
    client = login_as("township")
    before = due_today(client)
    values = {"visited_on": clock.today().isoformat(), "method": "上门", "helpers": [helper.id]}
    record_visit(SYSTEM, ALL, [homes["kids"][0]], values)
    assert due_today(client) == before  # another's visit: served as counted, at most a minute
    add_child(homes["h1"], "童三")  # not a visit: every figure follows it at once
    assert due_today(client) == before - 1 + 1


def test_a_write_of_his_own_other_than_a_visit_brings_a_fresh_count(
    homes, helper, login_as, places
):
    client = login_as("township")
    before = due_today(client)
    values = {"visited_on": clock.today().isoformat(), "method": "上门", "helpers": [helper.id]}
    record_visit(SYSTEM, ALL, [homes["kids"][0]], values)
    assert due_today(client) == before
    # Any POST of his that committed (here: a new helper) and his next count is fresh.
    response = post(
        client,
        "/helpers/new",
        {"name": "新干部", "kind": "村干部", "village": places["V01"].id},
        token_url="/helpers/new",
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    assert due_today(client) == before - 1


def test_the_township_home_lags_another_users_visit_not_his_own(
    homes, helper, app, login_as, computations
):
    done = re.compile(r"<b>(\d+)/\d+</b>本月已访/应访")
    mine = login_as("township")
    other = app.test_client()
    login(other, "admin")
    assert int(done.search(text(mine, "/")).group(1)) == 0
    visit_through_the_web(other, homes["kids"][0], helper)
    home = text(mine, "/")
    assert int(done.search(home).group(1)) == 0 and COUNTED.search(home)
    assert int(done.search(text(other, "/")).group(1)) == 1  # the admin's own: at once
    visit_through_the_web(mine, homes["kids"][1], helper)
    assert int(done.search(text(mine, "/")).group(1)) == 2


def test_a_village_user_is_never_served_the_townships_entry(homes, helper, app, login_as):
    township = login_as("township")
    assert "乙童" in text(township, "/visits/due")  # V02's child on the township's worklist
    village = app.test_client()
    login(village, "cun1")
    page = text(village, "/visits/due")
    assert "童一" in page and "乙童" not in page
    values = {"visited_on": clock.today().isoformat(), "method": "上门", "helpers": [helper.id]}
    record_visit(SYSTEM, ALL, [homes["kids"][0]], values)  # in V01: his own village's
    assert "乙童" not in text(village, "/visits/due")


def test_one_users_many_searches_leave_the_township_home_figures(
    homes, app, login_as, computations, monkeypatch
):
    monkeypatch.setattr(figure_cache, "MAX_ENTRIES", 16)  # 2 per user (USER_SHARE 8)
    township = login_as("township")
    text(township, "/")
    assert len(computations) == 1
    searcher = app.test_client()
    login(searcher, "admin")
    for i in range(40):
        text(searcher, f"/persons?q=童{i}")
    assert figure_cache.size() <= 16
    text(township, "/")
    assert len(computations) == 1  # kept: his searches pushed out only his own entries
    # Every user's share is bounded: many users fill the cache LRU as before.
    for name in ("cun1", "cun2", "grid1", "grid2", "leader"):
        client = app.test_client()
        login(client, name)
        for i in range(5):
            text(client, f"/persons?q=童{i}")
    assert figure_cache.size() <= 16
