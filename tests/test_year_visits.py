"""The report's and the summary's visit counts, read from the visit index (queries/summary_visits):
the same as counting each visit through its persons, after a person moves to another township
mid-year, with a person voided before or after the cut-off and a voided visit."""

from datetime import date

import pytest
from peewee import fn

from liushou.models import Person
from liushou.models.visits import Visit, VisitPerson
from liushou.queries import facts, indicators
from liushou.queries.summary import summary
from liushou.scope import Scope
from liushou.services import SYSTEM
from liushou.services.person_exits import void_person
from liushou.services.visit_changes import void_visit
from liushou.services.visits import record_visit
from tests._helpers import ALL, at
from tests.shared.county import make_county
from tests.shared.town import child, helper, household, move, person

YEAR = (date(2026, 1, 1), date(2026, 12, 31))
Q2 = (date(2026, 4, 1), date(2026, 6, 30))


def _visit(persons, day, helper):
    return record_visit(
        SYSTEM,
        ALL,
        persons,
        {"visited_on": day, "method": "上门", "helpers": [helper.id], "life": "好"},
    )


@pytest.fixture
def year(app, places, users):
    """T1 = V01, T2 = V02. 甲 and 乙 (children) and 丙 in one V01 household; 甲's household
    moves to V02 (T2) on 3 May. Visits: 甲 10 Mar (V01), 丙 1 Apr, 乙+丙 2 Apr, 甲 10 Jun (V02),
    乙 15 Jul, 乙 20 Jul (voided on 21 Jul). 丙 is voided on 1 Jul."""
    towns = make_county(places)
    with at(2026, 3, 5):
        h1 = household(places, "V01-G1", "甲家")
        h2 = household(places, "V01-G1", "乙家")
        jia, yi = child(h1, "甲"), child(h2, "乙")
        bing = person(h2, "丙", sex="女", birth_date="1990-02-01")
        cadre1 = helper(places, "一干部", grid=places["V01-G1"].id)
        cadre2 = helper(places, "二干部", village="V02")
    with at(2026, 3, 10):
        _visit([jia], "2026-03-10", cadre1)
    with at(2026, 4, 2):
        _visit([bing], "2026-04-01", cadre1)
        _visit([yi, bing], "2026-04-02", cadre1)
    with at(2026, 5, 3):
        move(places, h1, "V02-G1")
    with at(2026, 6, 10):
        _visit([Person.get_by_id(jia.id)], "2026-06-10", cadre2)
    with at(2026, 7, 1):
        void_person(SYSTEM, Person.get_by_id(bing.id), "重复登记")
    with at(2026, 7, 20):
        _visit([yi], "2026-07-15", cadre1)
        late = _visit([yi], "2026-07-20", cadre1)
    with at(2026, 7, 21):
        void_visit(SYSTEM, late, "录错")
    return towns


def _through_persons(scope, start, end, village_id=None):
    """The count the report made before: each visit through its persons (alive at the
    cut-off), one village by where a person lived on the visit's day."""
    cutoff = facts.cutoff_for(end)
    query = facts.known(
        scope.filter(Visit.with_voided().join(VisitPerson).join(Person), Visit), Visit, cutoff
    ).where(
        (Visit.visited_on >= start)
        & (Visit.visited_on <= end)
        & (Person.voided_at.is_null() | (Person.voided_at >= cutoff))
    )
    if village_id:
        query = query.where(facts.village_on(Person.id, Visit.visited_on, cutoff) == village_id)
    return query.select(fn.COUNT(fn.DISTINCT(Visit.id))).scalar()


def test_a_township_counts_its_own_visits_after_a_person_moves_away(year, places):
    t1 = Scope.for_townships([year["T1"].id])
    t2 = Scope.for_townships([year["T2"].id])
    with at(2026, 8, 1):
        # T1: 甲 10 Mar, 乙+丙 2 Apr, 乙 15 Jul (丙's own visit: voided before now; 20 Jul voided).
        assert indicators.report(t1, *YEAR)["visits"] == 3 == _through_persons(t1, *YEAR)
        # T2: 甲's visit after his move only.
        assert indicators.report(t2, *YEAR)["visits"] == 1 == _through_persons(t2, *YEAR)
        assert indicators.report(ALL, *YEAR)["visits"] == 4 == _through_persons(ALL, *YEAR)
        # One village of the whole instance: by where the person lived on the visit's day.
        for code, n in (("V01", 3), ("V02", 1)):
            vid = places[code].id
            assert indicators.report(ALL, *YEAR, village_id=vid)["visits"] == n
            assert _through_persons(ALL, *YEAR, vid) == n


def test_a_person_voided_after_a_closed_quarter_keeps_his_visits_in_it(year):
    t1 = Scope.for_townships([year["T1"].id])
    with at(2026, 8, 1):
        # Q2 closed on 1 Jul 00:00, before 丙 was voided: both April visits count.
        assert indicators.report(t1, *Q2)["visits"] == 2 == _through_persons(t1, *Q2)


def test_the_summary_counts_person_visits_by_where_the_person_was_at_the_end(year, places):
    t1 = Scope.for_townships([year["T1"].id])
    t2 = Scope.for_townships([year["T2"].id])
    with at(2026, 8, 1):
        # 甲 lives in V02 at the year's end: T1's rows hold 乙's two visits only, T2's 甲's
        # visit there; the whole instance places both of 甲's visits in V02.
        t1_rows = {v.code: f for v, f in summary(t1, *YEAR)["villages"]}
        assert t1_rows["V01"].done_total == 2 and t1_rows["V01"].visits == 4
        t2_rows = {v.code: f for v, f in summary(t2, *YEAR)["villages"]}
        assert t2_rows["V02"].done_total == 1 and t2_rows["V02"].visits == 1
        everything = {v.code: f for v, f in summary(ALL, *YEAR)["villages"]}
        assert everything["V01"].done_total == 2 and everything["V02"].done_total == 2
        assert everything["V01"].visits == 4 and everything["V02"].visits == 1
