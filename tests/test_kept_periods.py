"""Closed periods' figures kept per village (queries/summary_kept.py, written by
services/month_rates.keep_closed_periods) read back equal to counting them live, on the demo's
random year of history: a month, a quarter and a year, for the county, a township, a village
user and a chosen village; and a fact entered after a period closed moves neither."""

from datetime import date, datetime, timedelta

import pytest

from liushou import clock, settings
from liushou.models import Helper, Person, Village
from liushou.models.month_rates import PeriodFigures
from liushou.queries import summary, summary_kept
from liushou.rules.dates import month_before, month_end, month_start
from liushou.scope import Scope
from liushou.services import SYSTEM
from liushou.services.month_rates import keep_closed_periods
from liushou.services.places import save_township
from liushou.services.visits import record_visit
from tests.shared.kept import flat


@pytest.fixture
def county(demo_app):
    """The demo's villages split between two townships of a county's instance."""
    with demo_app.app_context():
        towns = [
            save_township(SYSTEM, {"code": code, "name": name})
            for code, name in (("T1", "甲镇"), ("T2", "乙镇"))
        ]
        ids = [v.id for v in Village.select(Village.id).order_by(Village.id)]
        for i, vid in enumerate(ids):
            Village.update(township=towns[i % 2].id).where(Village.id == vid).execute()
        yield towns, ids


def test_kept_closed_periods_equal_the_live_count(county, monkeypatch):
    towns, village_ids = county
    today = clock.today() + timedelta(days=1)
    now = datetime.combine(today, datetime.min.time()).replace(hour=9)
    month = month_before(month_start(today))
    quarter_end = month_end(date(today.year, 3 * ((today.month - 1) // 3), 1))
    if quarter_end.month == 12:  # January to March: the last quarter of last year
        quarter_end = date(today.year - 1, 12, 31)
    quarter = (month_start(quarter_end).replace(month=quarter_end.month - 2), quarter_end)
    year = (date(today.year - 1, 1, 1), date(today.year - 1, 12, 31))
    periods = [(month, month_end(month)), quarter, year]
    t1 = Scope.for_townships([towns[0].id])
    village_user = Scope(village_ids=frozenset([village_ids[1]]))
    readings = [  # (scope, chosen village, township whose settings a report reads)
        (Scope(everything=True), None, None),
        (t1, None, towns[0].id),
        (village_user, None, towns[1].id),
        (t1, village_ids[0], towns[0].id),
    ]

    def read_all():
        out = []
        for start, end in periods:
            for scope, vid, town in readings:
                with settings.reading_for(town):
                    out.append(flat(summary.summary(scope, start, end, vid)))
        return out

    read = []
    real = summary_kept.kept_rows
    monkeypatch.setattr(
        summary_kept, "kept_rows", lambda *a: read.append(real(*a) is not None) or real(*a)
    )
    with clock.freeze(now):
        live = read_all()
        assert not any(read)  # nothing kept yet: all counted
        written = keep_closed_periods(today, periods=periods)
        # Every village, for the county's count and each township's, for each period with facts.
        assert written == PeriodFigures.select().count() > 0
        summary_kept.forget()
        read.clear()
        assert read_all() == live
        # The county's and the township's reports read kept rows; a village user's and a chosen
        # village's count live.
        assert read.count(True) >= 2 * len(periods)
        assert keep_closed_periods(today, periods=periods) == 0  # kept once, never rewritten

        # A visit of last month entered today, after the month closed: in no closed period's
        # figures, kept or live (each reads facts recorded before its own cut-off).
        person = Person.select().where(Person.village.in_(village_ids)).first()
        helper = Helper.select().first()
        values = {"visited_on": month + timedelta(days=3), "method": "电话", "helpers": [helper.id]}
        record_visit(SYSTEM, Scope(everything=True), [person], values, today)
        summary_kept.forget()
        assert read_all() == live
        monkeypatch.setattr(summary_kept, "kept_rows", lambda *a: None)  # counted anew
        assert read_all() == live
