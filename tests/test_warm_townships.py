"""The start-of-day warm-up on a county's instance counts each township's home and report as its
own users would ask for them (jobs.warm_townships), so a township's first user is served from
figure_cache; a village user keeps his own village's figures."""

import re

import pytest

from liushou import figure_cache, jobs
from tests.conftest import client_as
from tests.shared import figures
from tests.shared.county import county  # noqa: F401 (the fixture)

counted = figures.computations  # the shared fixture: the scopes whose home figures were counted
TOTAL = re.compile(r"<b>(\d+)</b>在册人员")


def _total(client):
    page = client.get("/")
    assert page.status_code == 200
    return int(TOTAL.search(page.get_data(as_text=True)).group(1))


def test_a_townships_first_user_is_served_the_warmed_figures(
    app,
    county,  # noqa: F811
    counted,
    monkeypatch,
):
    figure_cache.clear()
    took = jobs.warm_townships()
    assert set(took) == {"T1", "T2"} and all(seconds > 0 for seconds in took.values())
    towns = [county["towns"][code].id for code in ("T1", "T2")]
    assert [s.township_ids for s in counted] == [{t} for t in towns]  # as its users' scope
    assert jobs.warm_townships() == {"T1": 0.0, "T2": 0.0}  # fresh: not counted again
    assert len(counted) == 2

    from liushou.views import reports

    monkeypatch.setattr(reports, "report", lambda *a: pytest.fail("the report was counted again"))
    client = client_as(app, "t1cadre")
    assert _total(client) == 1  # T1's child
    assert client.get("/reports").status_code == 200
    assert len(counted) == 2  # served from figure_cache, not counted for the request


def test_a_village_user_of_another_township_gets_his_own_village(
    app,
    county,  # noqa: F811
    counted,
    places,
):
    figure_cache.clear()
    jobs.warm_townships()
    client = client_as(app, "cun2")  # a village user of V02, in T2
    warmed = _total(client)
    assert counted[-1].village_ids == {places["V02"].id} and counted[-1].township_ids is None
    figure_cache.clear()
    assert _total(client) == warmed == 1  # his village's, as counted for him alone
    page = client.get("/reports").get_data(as_text=True)
    assert "第1村" not in page  # no row of the other township's village


def test_a_townships_own_instance_warms_nothing_more(app, places, counted):
    figure_cache.clear()
    assert jobs.warm_townships() == {}
    assert counted == []
