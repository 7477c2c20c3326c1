"""Closed months' trend rates kept per place (services/month_rates.py): the whole instance's,
each township's on a county instance and each village's, read back by the scope they belong
to, and the same figures as counting them anew."""

from datetime import date, datetime

import pytest

from liushou import clock
from liushou.db import database
from liushou.models.month_rates import MonthRates
from liushou.queries import summary_months as s
from liushou.rules.dates import month_end
from liushou.scope import Scope
from liushou.services import month_rates as service
from liushou.services.month_rates import keep_closed_months
from tests.shared.summary import town  # noqa: F401

ALL = Scope(everything=True)
TODAY = date(2026, 4, 10)
NOW = datetime(2026, 4, 10, 9, 0)
CLOSED = [date(2026, 2, 1), date(2026, 3, 1)]  # registered on 1 Feb; April is open


@pytest.fixture
def counted(monkeypatch):
    """The months counted (not read back) by month_rates, in order."""
    calls = []
    real = s._month_rates
    monkeypatch.setattr(s, "_month_rates", lambda *a: calls.append(a[1]) or real(*a))
    return calls


def village_scope(places, code):
    return Scope(village_ids=frozenset([places[code].id]))


def rows_of(**place):
    query = MonthRates.select().order_by(MonthRates.month)
    for name in ("township_id", "village_id"):
        column = getattr(MonthRates, name)
        value = place.get(name)
        query = query.where(column.is_null() if value is None else column == value)
    return list(query)


def test_each_village_reads_its_own_rows_with_the_same_figures(town, places, counted):  # noqa: F811
    scopes = [village_scope(places, "V01"), village_scope(places, "V02"), ALL]
    with clock.freeze(NOW):
        before = [s.trend(scope, TODAY, 6) for scope in scopes]
        by_choice = s.trend(ALL, TODAY, 6, places["V02"].id)  # the township chose V02
        assert keep_closed_months(TODAY, 6) == 6
        s._closed_months.clear()  # a restart: nothing in memory
        counted.clear()
        after = [s.trend(scope, TODAY, 6) for scope in scopes]
        assert s.trend(ALL, TODAY, 6, places["V02"].id) == by_choice == before[1]
    assert after == before
    # The closed months with rows are read back; only the months without (nobody registered
    # yet: nothing kept) and the open month are counted, for each of the four trends.
    assert date(2026, 2, 1) not in counted and date(2026, 3, 1) not in counted
    assert counted.count(date(2026, 4, 1)) == 4
    for code in ("V01", "V02"):
        assert [r.month for r in rows_of(village_id=places[code].id)] == CLOSED
    v1 = dict(before[0])[date(2026, 2, 1)]
    v2 = dict(before[1])[date(2026, 2, 1)]
    assert v1 != v2 and v2["pairing"] == 1.0  # V02's own figures, not the township's
    assert rows_of(village_id=places["V02"].id)[0].pairing == 1.0


def test_a_grid_workers_trend_is_counted_as_before(town, places, counted):  # noqa: F811
    grid = Scope(
        village_ids=frozenset([places["V01"].id]), grid_ids=frozenset([places["V01-G1"].id])
    )
    with clock.freeze(NOW):
        before = s.trend(grid, TODAY, 6)
        keep_closed_months(TODAY, 6)
        s._closed_months.clear()
        counted.clear()
        assert s.trend(grid, TODAY, 6) == before
    assert counted == [
        date(2025, 11, 1),
        date(2025, 12, 1),
        date(2026, 1, 1),
        *CLOSED,
        TODAY.replace(day=1),
    ]


def test_a_county_keeps_each_townships_rows_apart(town, places, counted):  # noqa: F811
    from tests.shared.county import make_county

    towns = make_county(places)
    t1, t2 = Scope.for_townships([towns["T1"].id]), Scope.for_townships([towns["T2"].id])
    with clock.freeze(NOW):
        before = [s.trend(scope, TODAY, 6) for scope in (t1, t2, ALL)]
        assert keep_closed_months(TODAY, 6) == 10  # the county's, T1's, T2's, V01's, V02's
        s._closed_months.clear()
        counted.clear()
        assert [s.trend(scope, TODAY, 6) for scope in (t1, t2, ALL)] == before
    assert counted.count(date(2026, 2, 1)) == 0
    first, second = rows_of(township_id=towns["T1"].id), rows_of(township_id=towns["T2"].id)
    assert [r.month for r in first] == [r.month for r in second] == CLOSED
    assert first[0].pairing != second[0].pairing  # each township its own villages
    assert rows_of()[0].pairing not in (first[0].pairing, second[0].pairing)


def test_a_townships_rows_are_counted_by_its_own_visit_cycles(town, places, counted):  # noqa: F811
    """A county's township with its own visit cycles (a per-township setting) keeps the rates its
    own users' reports count, not the instance's."""
    from liushou import settings
    from liushou.services import SYSTEM
    from liushou.services.settings import update_settings
    from tests.shared.county import make_county

    towns = make_county(places)
    t1 = towns["T1"]
    update_settings(
        SYSTEM, {"visit_general_days": "1", "visit_key_days": "1"}, date(2001, 1, 1), t1
    )
    scope = Scope.for_townships([t1.id])
    with clock.freeze(NOW):
        with settings.reading_for(t1.id):
            live = s.trend(scope, TODAY, 6)
        with settings.reading_for(None):
            instance_rules = s.trend(scope, TODAY, 6)
        keep_closed_months(TODAY, 6)
        s._closed_months.clear()
        counted.clear()
        with settings.reading_for(t1.id):
            assert s.trend(scope, TODAY, 6) == live
        assert counted.count(CLOSED[0]) == 0  # read back, not counted
    kept = rows_of(township_id=t1.id)[0]
    village = rows_of(village_id=places["V01"].id)[0]
    feb = dict(live)[CLOSED[0]]
    assert kept.within == village.within == feb["within"]  # T1 is V01 alone
    assert live != instance_rules  # the township's cycles change its rates


def test_rows_are_written_once_in_short_transactions_from_one_count_a_month(
    town,  # noqa: F811
    places,
    monkeypatch,
):
    passes, commits = [], []
    real = s.closed_month_rows
    monkeypatch.setattr(
        s, "closed_month_rows", lambda m, scope=None: passes.append(m) or real(m, scope)
    )
    monkeypatch.setattr(service, "ROWS_PER_TRANSACTION", 2)
    real_insert = MonthRates.insert_many.__func__

    def insert_many(cls, rows):
        assert database.in_transaction()
        commits.append(len(rows))
        return real_insert(cls, rows)

    monkeypatch.setattr(MonthRates, "insert_many", classmethod(insert_many))
    with clock.freeze(NOW):
        assert keep_closed_months(TODAY, 6) == 6
        assert keep_closed_months(TODAY, 6) == 0  # kept once, never rewritten
    # Each closed month with anyone registered counted once for every place; the months
    # before the first registration (nothing kept) each time, cheaply.
    assert passes.count(CLOSED[0]) == passes.count(CLOSED[1]) == 1
    assert passes.count(date(2026, 1, 1)) == 2
    assert commits == [2, 1, 2, 1]  # each month's three places, two rows a transaction
    assert len(MonthRates.select()) == 6
    # A row written meanwhile by another process is left as it is (no error, no duplicate).
    row = {"month": CLOSED[0], "township_id": None, "village_id": None}
    marker = service._mark(CLOSED[0], month_end(CLOSED[0]), service.MONTHS_MARKER)
    assert service._write([row], CLOSED[0], marker) == 1
    assert len(MonthRates.select()) == 6


def test_the_days_job_keeps_closed_months_and_periods_and_the_warm_up_counts_only(
    app,
    town,  # noqa: F811
    places,
):
    """The keeping runs in the day's job (its child process: jobs.main → keep_closed), never in
    the server's warm-up, whose counting would hold the server's interpreter lock."""
    from liushou import jobs
    from liushou.models.month_rates import PeriodFigures

    with clock.freeze(NOW):
        jobs.warm_figures()
        assert MonthRates.select().count() == 0 and PeriodFigures.select().count() == 0
        written = jobs.keep_closed(TODAY)
        months = MonthRates.select().count()
        periods = {(r.start, r.end) for r in PeriodFigures.select()}
        assert written == months + PeriodFigures.select().count() and months > 0
        assert (date(2026, 3, 1), date(2026, 3, 31)) in periods  # March, closed
        assert (date(2026, 1, 1), date(2026, 3, 31)) in periods  # the first quarter
        assert all(end < TODAY for _, end in periods)  # April is open: never kept
        assert jobs.keep_closed(TODAY) == 0  # kept once
