"""The figures on home and /reports are kept between requests (liushou/figure_cache.py) and
brought up to date by the writes that change them."""

import re
from datetime import date

import pytest

from liushou import figure_cache
from liushou.db import data_generation, database
from liushou.queries import indicators
from liushou.services import SYSTEM
from liushou.services.person_exits import void_person
from tests._helpers import ALL, add_child
from tests.pg_cluster import other_connection
from tests.shared import figures

computations = figures.computations  # the shared fixture
total_on_home, recounts_done, a_visit = (
    figures.total_on_home,
    figures.recounts_done,
    figures.a_visit,
)

TOTAL = re.compile(r"<b>(\d+)</b>在册人员")


# How long counting takes decides whether an entry is "slow" (recounted at most every REFRESH
# s): here no entry is, unless a test says so.
pytestmark = pytest.mark.usefixtures("never_slow")


def test_home_figures_are_counted_once_until_a_write(homes, login_as, computations):
    client = login_as("township")
    assert total_on_home(client) == 3
    assert total_on_home(client) == 3
    assert len(computations) == 1
    page = client.get("/").get_data(as_text=True)
    assert "统计于" in page


def test_a_write_changes_the_next_home_page_at_once(homes, login_as):
    client = login_as("township")
    assert total_on_home(client) == 3
    add_child(homes["h1"], "童三")
    assert total_on_home(client) == 4


def test_a_write_through_the_web_changes_the_next_home_page(homes, login_as):
    from tests.conftest import post_need

    client = login_as("township")
    before = client.get("/").get_data(as_text=True)
    assert "<b>0</b>未办结需求" in before
    kid = homes["kids"][0]
    response = post_need(client, kid)
    assert response.status_code == 303
    assert "<b>1</b>未办结需求" in client.get("/").get_data(as_text=True)


def test_a_voided_record_leaves_the_cached_figure(homes, login_as):
    client = login_as("township")
    assert total_on_home(client) == 3
    void_person(SYSTEM, homes["kids"][1], "重复登记")
    assert total_on_home(client) == 2


def test_another_scopes_entry_is_not_served(homes, login_as):
    client = login_as("cun2")
    assert total_on_home(client) == 1
    client = login_as("cun1")
    assert total_on_home(client) == 2
    client = login_as("grid2")  # V01's other grid: nobody registered there
    assert total_on_home(client) == 0
    client = login_as("township")
    assert total_on_home(client) == 3


def test_an_audited_read_does_not_count_the_figures_again(homes, login_as, computations):
    client = login_as("township")
    total_on_home(client)
    generation = data_generation()
    # Opening a child's file writes an audit row, which changes no figure.
    assert client.get(f"/persons/{homes['kids'][0].id}").status_code == 200
    assert data_generation() == generation
    total_on_home(client)
    assert len(computations) == 1


def test_a_write_by_another_process_shows_once_the_entry_is_old(
    homes, login_as, monkeypatch, computations
):
    client = login_as("township")
    assert total_on_home(client) == 3
    # A write by hand (sqlite3, no process of ours): this process's generation does not move,
    # the entry's age limit (15 minutes) brings the change in.
    with other_connection(client.application.config["DATABASE"]) as other:
        other.execute("UPDATE person SET voided_at = '2026-01-01 00:00:00' WHERE name = '乙童'")
    monkeypatch.setattr(figure_cache, "MAX_AGE", 0)
    assert total_on_home(client) == 2
    assert len(computations) == 2


def test_report_figures_are_counted_again_after_a_write(homes, login_as, monkeypatch):
    from liushou.views import reports

    calls = []

    def counting(scope, start, end, village_id=None):
        calls.append((start, end))
        return indicators.report(scope, start, end, village_id)

    monkeypatch.setattr(reports, "report", counting)
    client = login_as("township")
    url = "/reports?period=year"
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200
    assert len(calls) == 1
    add_child(homes["h2"], "乙童二")
    assert client.get(url).status_code == 200
    assert len(calls) == 2
    # Another scope has its own entry.
    assert login_as("cun1").get(url).status_code == 200
    assert len(calls) == 3


def test_the_cache_is_bounded(app):
    figure_cache.clear()
    for i in range(figure_cache.MAX_ENTRIES + 20):
        figure_cache.get("test", ALL, "admin", date(2026, 1, 1), lambda i=i: i, i)
    assert figure_cache.size() == figure_cache.MAX_ENTRIES
    # The newest entries stay; the oldest went first.
    got = figure_cache.get("test", ALL, "admin", date(2026, 1, 1), lambda: "again", 0)
    assert got.value == "again"


def test_the_person_list_shows_a_new_registration_at_once(homes, login_as):
    client = login_as("cun1")
    assert "童三" not in client.get("/persons").get_data(as_text=True)
    add_child(homes["h1"], "童三")
    assert "童三" in client.get("/persons").get_data(as_text=True)
    # Another village's list is its own.
    assert "童三" not in login_as("cun2").get("/persons").get_data(as_text=True)


def test_slow_figures_are_recounted_at_most_every_refresh(homes, login_as, monkeypatch):
    """Figures that took long to count are served a few seconds after a write, with the time
    they were counted on the page; then recounted in the background while the last count is
    still served, so no request waits for them."""
    client = figures.slow_count_served_after_a_child(homes, login_as, monkeypatch)
    monkeypatch.setattr(figure_cache, "REFRESH", 0.0)
    assert total_on_home(client) == 3  # served while a background thread recounts
    recounts_done()
    assert total_on_home(client) == 4


def test_home_figures_say_when_they_were_counted_so_they_may_lag_a_minute_lists_do_not(
    homes, login_as, monkeypatch
):
    """Home shows "统计于": its figures count as slow sooner (SLOW * TIMED) and are served up to
    a minute after a write while recounted; the person list, which shows no such time, never."""
    monkeypatch.setattr(figure_cache, "SLOW", 2.0)
    monkeypatch.setattr(figure_cache, "TIMED", -1.0)  # any home count is "slow" here
    client = login_as("township")
    assert total_on_home(client) == 3
    assert "童三" not in client.get("/persons").get_data(as_text=True)
    add_child(homes["h1"], "童三")
    page = client.get("/").get_data(as_text=True)
    assert "<b>3</b>在册人员" in page and "统计于" in page  # the last count, with its time
    assert "童三" in client.get("/persons").get_data(as_text=True)  # the list at once
    recounts_done()


def test_the_township_figures_are_counted_before_their_first_user(
    homes, login_as, computations, monkeypatch
):
    """The warm-up after the server starts and after the start-of-day job (jobs.start_daily)."""
    from liushou import jobs

    home, report = jobs.warm_figures()
    assert home > 0 and report > 0
    assert len(computations) == 1 and computations[0].everything
    assert jobs.warm_figures() == (0, 0)  # fresh: not counted again
    client = login_as("township")
    assert total_on_home(client) == 3
    assert len(computations) == 1
    from liushou.views import reports

    monkeypatch.setattr(reports, "report", lambda *a: pytest.fail("the report was counted again"))
    assert client.get("/reports").status_code == 200


DONE = re.compile(r"<b>(\d+)/\d+</b>本月已访/应访")


def visited_on_home(client):
    return int(DONE.search(client.get("/").get_data(as_text=True)).group(1))


@pytest.fixture
def helper(places):
    from liushou.services.helpers import save_helper

    return save_helper(SYSTEM, ALL, {"name": "干部", "kind": "村干部", "village": places["V01"].id})


def test_a_visit_in_one_village_leaves_another_villages_figures_alone(
    homes, helper, login_as, computations, monkeypatch
):
    for name in ("cun1", "cun2", "township"):
        assert visited_on_home(login_as(name)) == 0
    assert len(computations) == 3
    a_visit(homes["kids"][0], helper)  # in V01
    computations.clear()
    assert visited_on_home(login_as("cun2")) == 0  # V02's entry is served as it was
    assert computations == []
    assert visited_on_home(login_as("cun1")) == 1  # V01's is counted again
    # The township's moves with any visit: another user's shows within a minute (`others`).
    assert visited_on_home(login_as("township")) == 0
    assert [sorted(s.village_ids) for s in computations if not s.everything] == [
        [homes["h1"].village_id]
    ]
    assert len(computations) == 1
    monkeypatch.setattr(figure_cache, "STALE_MAX_AGE", 0)  # a minute later
    assert visited_on_home(login_as("township")) == 1


def test_a_voided_visit_leaves_the_cached_figure_at_once(homes, helper, login_as):
    from liushou.services.visit_changes import void_visit

    visit = a_visit(homes["kids"][0], helper)
    client = login_as("cun1")
    assert visited_on_home(client) == 1
    void_visit(SYSTEM, visit, "录错了")
    assert visited_on_home(client) == 0
    assert visited_on_home(login_as("township")) == 0


def test_a_move_between_villages_changes_both_villages_generations(homes, places):
    v1, v2 = places["V01"].id, places["V02"].id
    kid = homes["kids"][0]
    before = data_generation([v1]), data_generation([v2])
    kid.village = v2
    kid.save()
    assert data_generation([v1]) > before[0] and data_generation([v2]) > before[1]
    # A write that names no row (a bulk update) is township-wide: every village moves.
    before = data_generation([v1]), data_generation([v2])
    with database.atomic():
        database.execute_sql(
            "UPDATE person SET name = name WHERE id = " + database.param, (kid.id,)
        )
    assert data_generation([v1]) > before[0] and data_generation([v2]) > before[1]
    # A row saved in V01 leaves V02's generation alone; the township's moves.
    before = data_generation([v2]), data_generation()
    homes["h1"].head_name = "甲二"
    homes["h1"].save()
    assert data_generation([v2]) == before[0] and data_generation() > before[1]
