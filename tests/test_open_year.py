"""The open year's figures that are sums over its months (visits, check-ins, needs, services) are
read from the closed months' kept rows (queries/summary_open.py) and say what counting the whole
year live says, on the demo's year of history, before and after facts learnt late: a visit
recorded today dated in a kept month, a person with check-ins in a kept month voided, a need
recorded late, a group event recorded late dated in a kept month."""

from contextlib import contextmanager
from datetime import date, datetime, time, timedelta

import pytest

from liushou import clock
from liushou.models import Helper, Person
from liushou.models.group_events import GroupEvent
from liushou.models.visits import CheckIn
from liushou.queries import facts, summary, summary_kept, summary_open
from liushou.rules.dates import month_end
from liushou.services import SYSTEM
from liushou.services.care import save_need
from liushou.services.month_rates import keep_closed_periods
from liushou.services.person_exits import void_person
from liushou.services.visits import record_visit
from tests._helpers import ALL


def _flat(data):
    """Every figure of a summary as plain values (lists sorted, zero counts left out: a
    median does not depend on the order of its values, nor a count on a key with 0)."""
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


@contextmanager
def _reading_kept_months():
    """Yields the closed periods whose kept rows were read (summary_kept.kept_rows)."""
    read, real = [], summary_kept.kept_rows
    summary_kept.kept_rows = lambda *a: read.append(a[1:3]) or real(*a)
    try:
        yield read
    finally:
        summary_kept.kept_rows = real


def _year_both_ways(monkeypatch, year):
    """The open year's summary with the closed months read, and counted live as before."""
    summary_kept.forget()
    with _reading_kept_months() as read, facts.shared():
        from_months = _flat(summary.summary(ALL, *year))
    with monkeypatch.context() as m:
        m.setattr(summary, "_flows_from_months", lambda *a: False)
        with facts.shared():
            live = _flat(summary.summary(ALL, *year))
    return from_months, live, read


@pytest.fixture
def kept_year(demo_app):
    """The clock at 9:00 on a day with at least four closed months in its year (the demo's
    history is the year up to the day it was built); the last three of them kept."""
    with demo_app.app_context():
        today = clock.today()
        if today.month < 5:
            today = date(today.year, 5, 10)
        with clock.freeze(datetime.combine(today, time(9))):
            months = summary_open.closed_months(date(today.year, 1, 1), date(today.year, 12, 31))
            kept = [(m, month_end(m)) for m in months[-3:]]
            assert keep_closed_periods(today, periods=kept) > 0
            summary_kept.forget()
            yield (date(today.year, 1, 1), date(today.year, 12, 31)), months[-4:]
            summary_kept.forget()


def test_the_open_year_sums_kept_months_as_counting_it_live(kept_year, monkeypatch):
    year, months = kept_year
    from_months, live, read = _year_both_ways(monkeypatch, year)
    assert from_months == live
    assert {(m, month_end(m)) for m in months[1:]} <= set(read)  # read, not counted
    assert from_months[-1]["visits"] > 0 and from_months[-1]["knock"] > 0


def _checked_in(first, last):
    """A person with a check-in first..last."""
    row = CheckIn.select().where((CheckIn.on >= first) & (CheckIn.on <= last)).first()
    return Person.get_by_id(row.person_id)


def test_facts_learnt_after_a_kept_month_closed_count_as_live(kept_year, monkeypatch):
    year, months = kept_year
    m1, m2, m3 = months[1:]
    cutoff = facts.cutoff_for(year[1])

    def late():
        return summary_open.late_months(months[1:], cutoff)

    assert late() == set()
    # A group event recorded today dated in the first kept month, in another village, of a
    # person with check-ins in the third (placed by where he lived on their day).
    moved = _checked_in(m3, month_end(m3))
    other = Person.select().where(Person.village != moved.village_id).first()
    GroupEvent.create(
        person=moved.id,
        village=other.village_id,
        grid=other.grid_id,
        group_name="留守儿童",
        on=m1,
        event="in",
        reason="moved",
    )
    assert late() == {m3}
    # A visit recorded today dated in the first kept month.
    helper = Helper.select().first()
    values = {"visited_on": (m1 + timedelta(days=3)).isoformat(), "method": "上门"}
    visited = Person.select().where(Person.voided_at.is_null()).order_by(Person.id).first()
    record_visit(SYSTEM, ALL, [visited], {**values, "helpers": [helper.id], "life": "好"})
    assert late() == {m1, m3}
    # A need recorded today, raised in the second.
    needy = Person.select().where(Person.voided_at.is_null()).order_by(Person.id.desc()).first()
    need = {"kind": "心理抚慰", "description": "迟报", "raised_on": m2.isoformat()}
    save_need(SYSTEM, needy, need)
    assert late() == {m1, m2, m3}
    # A person with check-ins in the third voided today.
    void_person(SYSTEM, _checked_in(m3, month_end(m3)), "重复登记")
    from_months, live, _ = _year_both_ways(monkeypatch, year)
    assert from_months == live


def test_a_person_voided_after_a_kept_month_makes_it_count_live(kept_year):
    year, months = kept_year
    m3 = months[-1]
    cutoff = facts.cutoff_for(year[1])
    assert summary_open.late_months([m3], cutoff) == set()
    void_person(SYSTEM, _checked_in(m3, month_end(m3)), "重复登记")
    assert summary_open.late_months([m3], cutoff) == {m3}
