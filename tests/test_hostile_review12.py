"""Hostile review 12: this session's changes attacked through the real app.

- A county township's home figures recounted in the background (figure_cache's recount thread,
  no request: the day's job moving them, wt-jobfig) read that township's settings, not the
  instance's: its reminders' ages and labels stay its own.
- The open year of a county's townships from their kept months (wt-year2) says what counting it
  live says, after a visit recorded late and a household moved to the other township; the
  check-ins of the moved child stay in the village he lived in on their day, in the report of
  the township he left (they were counted in neither township's report)."""

from datetime import date, datetime

from liushou import clock, figure_cache, page_cache, settings
from liushou.queries import facts, summary, summary_kept
from liushou.rules.dates import month_end
from liushou.scope import Scope
from liushou.services import SYSTEM
from liushou.services.checkins import check_in
from liushou.services.helpers import save_helper
from liushou.services.households import save_household
from liushou.services.month_rates import keep_closed_periods
from liushou.services.settings import update_settings
from liushou.services.visits import record_visit
from tests.conftest import client_as
from tests.shared.county import _household_with_child, county, make_county  # noqa: F401
from tests.shared.figures import recounts_done

EVERYTHING = Scope(everything=True)


# --- home's figures recounted in the background, on a county's instance -----------------------


def test_county_township_home_recounted_in_background_reads_its_townships_ages(
    app,
    county,  # noqa: F811
    monkeypatch,
    later,
):
    t1 = county["towns"]["T1"]
    update_settings(SYSTEM, {"child_max_age": "15"}, date(2001, 1, 1), t1)
    _home1, kid1, _visit1 = county["T1"]
    monkeypatch.setattr(figure_cache, "SLOW", -1.0)  # every entry counts as slow here
    figure_cache.clear()
    page_cache.clear()
    client = client_as(app, "t1cadre")
    assert "60天内满15周岁的留守儿童" in client.get("/").get_data(as_text=True)
    # A write in T1's village moves its figures; half a minute later the next home starts
    # their recount in figure_cache's thread (no request there) while the last count is served.
    check_in(SYSTEM, EVERYTHING, kid1.id)
    later(figure_cache.AHEAD + 1)
    assert "60天内满15周岁的留守儿童" in client.get("/").get_data(as_text=True)
    recounts_done()
    page_cache.clear()
    page = client.get("/").get_data(as_text=True)
    assert "60天内满15周岁的留守儿童" in page  # T1's own age, not the instance's 16
    assert "60天内满16周岁的留守儿童" not in page


# --- the open year of a county's township from its kept months (wt-year2) ---------------------


def _flat(data):
    """Every figure of a summary as plain values (lists sorted, zero counts left out)."""
    out = []
    for f in [f for _, f in data["villages"]] + [data["total"]]:
        if f is None:
            continue
        row = {}
        for name, value in vars(f).items():
            if isinstance(value, dict):
                value = {k: sorted(v) if isinstance(v, list) else v for k, v in value.items()}
                value = {k: v for k, v in value.items() if v not in (0, [])}
            elif isinstance(value, list):
                value = sorted(value)
            row[name] = value
        out.append(row)
    return out


def _year(monkeypatch, scope, town):
    """(the open year's figures with the kept months read, counted live as before)."""
    year = (date(2026, 1, 1), date(2026, 12, 31))
    summary_kept.forget()
    with settings.reading_for(town), facts.shared():
        from_months = _flat(summary.summary(scope, *year))
    with monkeypatch.context() as m, settings.reading_for(town):
        m.setattr(summary, "_flows_from_months", lambda *a: False)
        with facts.shared():
            live = _flat(summary.summary(scope, *year))
    return from_months, live


def test_county_townships_open_year_reads_its_own_kept_months(app, places, users, monkeypatch):
    with clock.freeze(datetime(2026, 1, 2, 9, 0)):
        towns = make_county(places)
        home1, kid1 = _household_with_child(places, "V01", "甲户主", "甲镇儿童")
        home2, kid2 = _household_with_child(places, "V02", "乙户主", "乙镇儿童")
        helpers = {
            v: save_helper(
                SYSTEM, EVERYTHING, {"name": f"{v}干部", "kind": "村干部", "village": places[v].id}
            )
            for v in ("V01", "V02")
        }

    def visit(kid, village, day):
        values = {
            "visited_on": day,
            "method": "上门",
            "helpers": [helpers[village].id],
            "life": "好",
        }
        return record_visit(SYSTEM, EVERYTHING, [kid], values)

    with clock.freeze(datetime(2026, 2, 10, 9, 0)):
        visit(kid1, "V01", "2026-02-10")
        visit(kid2, "V02", "2026-02-10")
        check_in(SYSTEM, EVERYTHING, kid2.id)
    with clock.freeze(datetime(2026, 3, 10, 9, 0)):
        visit(kid2, "V02", "2026-03-10")
        check_in(SYSTEM, EVERYTHING, kid2.id)
    t1, t2 = towns["T1"].id, towns["T2"].id
    scopes = {
        t1: Scope.for_townships([t1]),
        t2: Scope.for_townships([t2]),
        None: EVERYTHING,
    }
    with clock.freeze(datetime(2026, 5, 10, 9, 0)):
        months = [(date(2026, m, 1), month_end(date(2026, m, 1))) for m in (1, 2, 3, 4)]
        assert keep_closed_periods(date(2026, 5, 10), periods=months) > 0
        totals = {}
        for town, scope in scopes.items():
            from_months, live = _year(monkeypatch, scope, town)
            assert from_months == live
            totals[town] = (from_months[-1]["visits"], from_months[-1]["knock"])
        assert totals == {t1: (1, 0), t2: (2, 2), None: (3, 2)}
        # Facts learnt late: a visit recorded today dated in T1's kept February; T2's household
        # (its child checked in twice in T2) moved into T1's village today.
        visit(kid1, "V01", "2026-02-20")
        save_household(
            SYSTEM,
            EVERYTHING,
            {"village": places["V01"].id, "grid": places["V01-G1"].id, "head_name": "乙户主"},
            household=home2,
        )
        for town, scope in scopes.items():
            from_months, live = _year(monkeypatch, scope, town)
            assert from_months == live
            totals[town] = (from_months[-1]["visits"], from_months[-1]["knock"])
        # Visits stay where they were made; check-ins follow where the child lived on their
        # day (his group history: T2's village in February and March).
        assert totals == {t1: (2, 0), t2: (2, 2), None: (4, 2)}


def test_a_village_report_keeps_the_checkins_of_a_child_who_moved_away(app, places, users):
    with clock.freeze(datetime(2026, 1, 2, 9, 0)):
        home2, kid2 = _household_with_child(places, "V02", "乙户主", "乙儿童")
    with clock.freeze(datetime(2026, 2, 10, 9, 0)):
        check_in(SYSTEM, EVERYTHING, kid2.id)
    february = (date(2026, 2, 1), date(2026, 2, 28))
    with clock.freeze(datetime(2026, 3, 10, 9, 0)):
        # His household moves from V02 to V01 (its grid 1) after February closed.
        save_household(
            SYSTEM,
            EVERYTHING,
            {"village": places["V01"].id, "grid": places["V01-G1"].id, "head_name": "乙户主"},
            household=home2,
        )
        knocks = {}
        for name in ("cun2", "cun1", "grid1", "township"):
            with facts.shared():
                data = summary.summary(Scope.for_user(users[name]), *february)
            knocks[name] = {v.code: f.knock for v, f in data["villages"]}
    # Checked in while he lived in V02: V02's own report says so, as the township's does.
    assert knocks == {
        "cun2": {"V02": 1},
        "cun1": {"V01": 0},
        "grid1": {"V01": 0},
        "township": {"V01": 0, "V02": 1},
    }
