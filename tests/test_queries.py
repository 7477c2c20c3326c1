"""Named reads, called directly with a Scope (no web client): area limits, filters, orders."""

from datetime import timedelta

import pytest
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import NotFound

from liushou import clock
from liushou.queries import care, helpers, households, persons, reminders, visits
from liushou.queries import places as place_queries
from liushou.scope import Scope
from liushou.services import SYSTEM
from liushou.services.care import save_need
from liushou.services.helpers import save_helper
from liushou.services.person_exits import exit_person
from liushou.services.visits import record_visit
from tests.shared.town import helper as make_helper
from tests.shared.town import household as make_household
from tests.shared.town import person as make_person

ALL = Scope(everything=True)
BOTH_AWAY = {"father_status": "外出务工", "mother_status": "外出务工"}


@pytest.fixture
def world(places):
    """A household with a left-behind child in each village; a helper in each village and one of
    the township; an open overdue need in V01."""
    out = {}
    for code in ("V01", "V02"):
        home = make_household(places, f"{code}-G1", f"{code}户主", address=f"{code} 一组")
        out[f"{code}-home"] = home
        out[f"{code}-kid"] = make_person(
            home,
            "张小明" if code == "V01" else "李小红",
            birth_date="2016-04-01",
            sex="男",
            carer_name=f"{code}户主",
            carer_relation="祖父",
            **BOTH_AWAY,
        )
        out[f"{code}-helper"] = make_helper(places, f"{code}干部", village=code)
    out["town-helper"] = save_helper(SYSTEM, ALL, {"name": "乡镇社工", "kind": "社工"})
    out["need"] = save_need(
        SYSTEM,
        out["V01-kid"],
        {
            "kind": "课业辅导",
            "description": "作业没人辅导",
            "raised_on": (clock.today() - timedelta(days=40)).isoformat(),
            "due_on": (clock.today() - timedelta(days=10)).isoformat(),
        },
    )
    return out


def village_scope(places, code):
    return Scope(village_ids=frozenset([places[code].id]))


def test_villages_and_grids_follow_the_scope_in_township_order(places):
    v1 = village_scope(places, "V01")
    assert [v.code for v in place_queries.villages(ALL)] == ["V01", "V02"]
    assert [v.code for v in place_queries.villages(v1)] == ["V01"]
    assert [g.code for g in place_queries.grids(v1)] == ["V01-G1", "V01-G2"]
    grid_worker = Scope(
        village_ids=frozenset([places["V01"].id]), grid_ids=frozenset([places["V01-G2"].id])
    )
    assert [g.code for g in place_queries.grids(grid_worker)] == ["V01-G2"]


def test_person_listing_filters_searches_and_stays_in_area(places, world):
    v1 = village_scope(places, "V01")
    assert [p.name for p in persons.listing(v1, MultiDict())] == ["张小明"]
    assert {p.name for p in persons.listing(ALL, MultiDict())} == {"张小明", "李小红"}
    assert [p.name for p in persons.listing(ALL, MultiDict({"q": "zxm"}))] == ["张小明"]
    assert [p.name for p in persons.listing(ALL, MultiDict({"village": places["V02"].id}))] == [
        "李小红"
    ]
    assert list(persons.listing(v1, MultiDict({"village": places["V02"].id}))) == []
    exit_person(
        SYSTEM,
        world["V01-kid"],
        {"exit_reason": "随父母外出", "exited_on": clock.today().isoformat()},
    )
    assert list(persons.listing(v1, MultiDict())) == []
    assert [p.name for p in persons.listing(v1, MultiDict({"status": "exited"}))] == ["张小明"]


def test_by_ids_drops_ids_of_other_areas(places, world):
    v1 = village_scope(places, "V01")
    ids = [str(world["V01-kid"].id), str(world["V02-kid"].id), "x", "-1"]
    assert [p.id for p in persons.by_ids(v1, ids)] == [world["V01-kid"].id]


def test_helpers_visible_are_the_areas_and_the_townships(places, world):
    v1 = village_scope(places, "V01")
    assert {h.name for h in helpers.visible(v1)} == {"V01干部", "乡镇社工"}
    assert helpers.get(v1, world["town-helper"].id).name == "乡镇社工"
    with pytest.raises(NotFound):
        helpers.get(v1, world["V02-helper"].id)
    with pytest.raises(NotFound):  # the township's helper is changed by the township only
        helpers.get(v1, world["town-helper"].id, for_write=True)
    with pytest.raises(NotFound):
        helpers.get(v1, "2" * 30)


def test_household_listing_and_records(places, world):
    v2 = village_scope(places, "V02")
    assert [h.head_name for h in households.listing(v2)] == ["V02户主"]
    assert [h.head_name for h in households.listing(ALL, "V01")] == ["V01户主"]
    home = world["V01-home"]
    assert [p.name for p in households.members(home)] == ["张小明"]
    assert [n.description for n in households.records(home)["needs"]] == ["作业没人辅导"]
    with pytest.raises(NotFound):
        households.away_member(home, 999)


def test_open_needs_overdue_and_by_village(places, world):
    today = clock.today()
    v2 = village_scope(places, "V02")
    assert [n.id for n in care.open_needs(ALL, today, overdue=True)] == [world["need"].id]
    assert list(care.open_needs(v2, today)) == []
    assert care.open_needs_by_village(ALL) == {places["V01"].id: 1}


def test_worklist_reads_states_kept_by_writes(places, world):
    today = clock.today()
    v1 = village_scope(places, "V01")
    query, counts = visits.worklist(v1, today)
    assert [s.person.name for s in query] == ["张小明"]  # never visited: due now
    record_visit(
        SYSTEM,
        v1,
        [world["V01-kid"]],
        {"visited_on": today.isoformat(), "method": "上门", "helpers": [world["V01-helper"].id]},
    )
    query, counts = visits.worklist(v1, today)
    assert list(query) == [] and counts == {"overdue": 0, "today": 0, "week": 0}
    assert list(visits.stale_states(today)) == []
    assert [p.name for p in visits.stale_states(today + timedelta(days=1))] in (
        ["张小明", "李小红"],
        ["李小红", "张小明"],
    )


def test_reminders_count_what_they_list(places, world):
    today = clock.today()
    v1 = village_scope(places, "V01")
    counts = {kind: n for kind, _, n in reminders.counts(v1, today)}
    assert counts["unsigned"] == 1 and counts["no_primary"] == 1
    assert [p.name for p in reminders.people(v1, "unsigned", today)] == ["张小明"]
    with pytest.raises(KeyError):
        reminders.people(v1, "nonsense", today)


def test_a_frozen_clock_moves_every_read(places, world):
    """Reads take the day from liushou.clock: freezing it before the need fell due hides it."""
    with clock.freeze(clock.today() - timedelta(days=20)):
        assert list(care.open_needs(ALL, clock.today(), overdue=True)) == []
    assert len(list(care.open_needs(ALL, clock.today(), overdue=True))) == 1
