"""A correction of a fact after its closed period was kept drops that period's kept figures and
trend rates (services/month_rates.reopen_periods): the township's report of the period (kept
rows) says what the live count says, for every kind of fact the figures read; the trend shows
it at once; the day's job never keeps rows counted before a correction, and a reader sees all
of a period's rows or none."""

import threading
from datetime import timedelta

import pytest

from liushou import clock
from liushou.db import database
from liushou.models.month_rates import MonthRates, PeriodFigures
from liushou.models.records import Activity
from liushou.queries import summary, summary_kept, summary_months
from liushou.rules.dates import month_end, month_start
from liushou.services import SYSTEM, month_rates
from liushou.services.activities import save_activity, update_activity
from liushou.services.helpers import save_helper
from liushou.services.households import save_household
from liushou.services.month_rates import keep_closed_months, keep_closed_periods
from liushou.services.persons import save_person
from liushou.services.records import save_benefit, update_benefit
from liushou.services.visit_changes import update_pairing
from liushou.services.visits import end_pairing, pair
from tests._helpers import ALL
from tests.shared.kept import live_and_kept

pytestmark = pytest.mark.usefixtures("never_slow")


def _place_rows(start, end):
    return (
        PeriodFigures.select()
        .where(
            (PeriodFigures.start == start)
            & (PeriodFigures.end == end)
            & (PeriodFigures.village_id > 0)  # not a job's marker
        )
        .count()
    )


@pytest.fixture
def period():
    start = month_start(clock.today())
    yield start, month_end(start)
    summary_kept.forget()
    summary_months.forget()


def _kept_then_corrected(monkeypatch, period, correct):
    """Keep the period (the clock ten days after it), check kept == live, run `correct`, and
    check kept == live again and that the period's figures moved (so the test bites)."""
    start, end = period
    with clock.freeze(end + timedelta(days=10)):
        assert keep_closed_periods(clock.today(), periods=[period]) > 0
        live, kept = live_and_kept(monkeypatch, start, end, forget=False)
        assert live == kept
        correct()
        after_live, after_kept = live_and_kept(monkeypatch, start, end, forget=False)
        assert after_live != live  # the correction moved a figure of the closed period
        assert after_kept == after_live
        assert _place_rows(start, end) == 0  # dropped: counted live until the next job
        # The next day's job keeps it again, as corrected.
        assert keep_closed_periods(clock.today(), periods=[period]) > 0
        assert live_and_kept(monkeypatch, start, end, forget=False) == (after_live, after_live)


def test_a_benefit_range_or_amount_corrected_drops_the_kept_periods(homes, period, monkeypatch):
    kid = homes["kids"][0]
    start, end = period
    values = {"kind": "低保", "amount": "300", "start_on": start.isoformat(), "period": "每月"}
    benefit = save_benefit(SYSTEM, kid, values)

    def correct():
        update_benefit(SYSTEM, benefit, {**values, "amount": "450"})

    _kept_then_corrected(monkeypatch, period, correct)
    # Its start moved past the period: the period the old range overlapped is dropped too.
    with clock.freeze(end + timedelta(days=10)):
        moved = {**values, "amount": "450", "start_on": (end + timedelta(days=1)).isoformat()}
        update_benefit(SYSTEM, benefit, moved)
        assert _place_rows(start, end) == 0
        live, kept = live_and_kept(monkeypatch, start, end, forget=False)
        assert live == kept


def _activity(homes, places, day):
    kids = homes["kids"]
    return {
        "village": places["V01"].id,
        "kind": "四点半课堂",
        "title": "作业辅导",
        "held_on": day.isoformat(),
        "persons": [str(k.id) for k in kids],
        "attended": [str(kids[0].id)],
    }


def test_an_activity_moved_out_of_a_kept_period_drops_it(homes, places, period, monkeypatch):
    values = _activity(homes, places, clock.today())
    activity = save_activity(SYSTEM, ALL, values)
    later = (period[1] + timedelta(days=2)).isoformat()

    def correct():
        update_activity(SYSTEM, ALL, Activity.get_by_id(activity.id), {**values, "held_on": later})

    _kept_then_corrected(monkeypatch, period, correct)


def test_attendance_corrected_drops_the_kept_period(homes, places, period, monkeypatch):
    values = _activity(homes, places, clock.today())
    activity = save_activity(SYSTEM, ALL, values)
    both = [str(k.id) for k in homes["kids"]]

    def correct():
        update_activity(SYSTEM, ALL, Activity.get_by_id(activity.id), {**values, "attended": both})

    _kept_then_corrected(monkeypatch, period, correct)


@pytest.fixture
def pairing(homes, places):
    helper = save_helper(
        SYSTEM, ALL, {"name": "帮扶人", "kind": "志愿者", "village": places["V01"].id}
    )
    kid = homes["kids"][0]
    start = month_start(clock.today())
    return pair(SYSTEM, ALL, helper, [kid], primary=True, started_on=start)[0], helper


def test_a_pairing_start_corrected_drops_the_kept_period(pairing, period, monkeypatch):
    row, helper = pairing
    later = (period[1] + timedelta(days=3)).isoformat()

    def correct():
        update_pairing(SYSTEM, ALL, row, {"helper": str(helper.id), "started_on": later})

    _kept_then_corrected(monkeypatch, period, correct)


def test_a_pairing_ended_on_a_past_day_drops_the_kept_period(pairing, period, monkeypatch):
    row, _helper = pairing

    def correct():
        end_pairing(SYSTEM, row, ended_on=period[1] - timedelta(days=1))

    _kept_then_corrected(monkeypatch, period, correct)


def test_a_household_moved_moves_its_ungrouped_members_benefits(homes, places, period, monkeypatch):
    """A member in no group (an adult) counts where he lives now: his benefit of a kept period
    moves village with his household, so the period's kept figures are dropped."""
    household = homes["h1"]
    adult = save_person(
        SYSTEM,
        ALL,
        {"household": household.id, "name": "成人", "birth_date": "1980-01-01", "sex": "男"},
    )
    values = {"kind": "低保", "amount": "300", "start_on": period[0].isoformat()}
    save_benefit(SYSTEM, adult, values)

    def correct():
        save_household(
            SYSTEM,
            ALL,
            {"village": places["V02"].id, "grid": places["V02-G1"].id, "head_name": "甲"},
            household=household,
        )

    _kept_then_corrected(monkeypatch, period, correct)


def test_the_trend_shows_a_correction_at_once(pairing, period, monkeypatch):
    """A closed month's trend rates (kept in month_rates and in this process's memory) show a
    correction of the month at once, without a restart."""
    row, helper = pairing
    start, end = period
    with clock.freeze(end + timedelta(days=10)):
        keep_closed_periods(clock.today(), periods=[period])
        keep_closed_months(clock.today(), 2)
        before = summary_months.month_rates(ALL, start)
        assert before["pairing"] and before["pairing"] > 0
        assert summary_months.month_rates(ALL, start) == before  # remembered
        later = (end + timedelta(days=3)).isoformat()
        update_pairing(SYSTEM, ALL, row, {"helper": str(helper.id), "started_on": later})
        assert MonthRates.select().where(MonthRates.month == start).count() == 0
        after = summary_months.month_rates(ALL, start)
        assert after["pairing"] < before["pairing"]


def test_the_job_keeps_no_rows_counted_before_a_correction(pairing, period, monkeypatch):
    """The day's job counts a period while a correction reopens it: the rows it counted before
    the correction are not written (the period's stamp moved), so kept never differs from live."""
    row, helper = pairing
    start, end = period
    real = summary.counted_rows
    later = (end + timedelta(days=3)).isoformat()

    def counted_then_corrected(scope, s, e):
        rows = real(scope, s, e)
        # A user's correction commits (in another thread) after the count, before the write.
        done = []

        def correct():
            database.connect(reuse_if_open=True)
            try:
                update_pairing(SYSTEM, ALL, row, {"helper": str(helper.id), "started_on": later})
                done.append(True)
            finally:
                database.close()

        if not done and row.started_on == start:
            thread = threading.Thread(target=correct)
            thread.start()
            thread.join()
            row.started_on = end + timedelta(days=3)
        return rows

    with clock.freeze(end + timedelta(days=10)):
        monkeypatch.setattr(summary, "counted_rows", counted_then_corrected)
        assert keep_closed_periods(clock.today(), periods=[period]) == 0
        assert _place_rows(start, end) == 0
        monkeypatch.setattr(summary, "counted_rows", real)
        assert keep_closed_periods(clock.today(), periods=[period]) > 0  # counted again
        live, kept = live_and_kept(monkeypatch, start, end, forget=False)
        assert live == kept


def test_a_reader_sees_all_of_a_periods_rows_or_none(homes, period, monkeypatch):
    """Between two of the job's insert statements, a report read in another connection sees
    none of the period's rows (they appear at once, at the commit)."""
    start, end = period
    monkeypatch.setattr(month_rates, "ROWS_PER_TRANSACTION", 1)
    seen = []
    real_insert = PeriodFigures.insert_many.__func__

    def read_elsewhere():
        database.connect(reuse_if_open=True)
        try:
            seen.append(_place_rows(start, end))
        finally:
            database.close()

    def insert_many(cls, rows):
        query = real_insert(cls, rows)
        real_execute = query.execute

        def execute(*a, **kw):
            out = real_execute(*a, **kw)
            thread = threading.Thread(target=read_elsewhere)
            thread.start()
            thread.join()
            return out

        query.execute = execute
        return query

    monkeypatch.setattr(PeriodFigures, "insert_many", classmethod(insert_many))
    with clock.freeze(end + timedelta(days=10)):
        written = keep_closed_periods(clock.today(), periods=[period])
    assert written >= 2 and len(seen) == written
    assert set(seen) == {0}
    assert _place_rows(start, end) == written
