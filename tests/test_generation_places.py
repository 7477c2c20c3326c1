"""A write in one village moves that village's data generation (and the township's), never
another village's: registrations, edits, exits, voids, visits and category follows declare the
villages of their bulk writes (db.touching); a write whose village is unknown still moves all."""

from datetime import date, datetime

import pytest

from liushou import clock, figure_cache
from liushou.db import ALL, data_generation, database, touching
from liushou.scope import Scope
from liushou.services import SYSTEM
from liushou.services.households import save_household
from liushou.services.persons import save_person

EVERYTHING = Scope(everything=True)
AWAY = {"father_status": "外出务工", "mother_status": "外出务工"}


@pytest.fixture
def two(places):
    """A household with a child in each village."""
    out = {}
    for code in ("V01", "V02"):
        h = save_household(
            SYSTEM,
            EVERYTHING,
            {"village": places[code].id, "grid": places[f"{code}-G1"].id, "head_name": code},
        )
        out[code] = h
        out[code + "-kid"] = register(h, f"童{code}")
    return out


def register(household, name, birth="2015-01-01"):
    values = {"household": household.id, "name": name, "birth_date": birth, "sex": "男", **AWAY}
    return save_person(SYSTEM, EVERYTHING, values)


class Generations:
    """Village A's, village B's and the township's generation, before and after a write."""

    def __init__(self, a, b):
        self.a, self.b = a, b
        self.before = self.now()

    def now(self):
        return data_generation([self.a]), data_generation([self.b]), data_generation()

    def moved(self):
        after = self.now()
        return tuple(x > y for x, y in zip(after, self.before, strict=True))


def test_a_registration_moves_its_village_and_the_township_only(two, places):
    gens = Generations(places["V01"].id, places["V02"].id)
    register(two["V01"], "新童")
    assert gens.moved() == (True, False, True)


def test_a_cached_figure_of_another_village_survives_a_registration(two, places):
    counted = []

    def cached(scope):
        return figure_cache.get("test", scope, "any", clock.today(), lambda: counted.append(scope))

    village_b = Scope(village_ids=frozenset([places["V02"].id]))
    village_a = Scope(village_ids=frozenset([places["V01"].id]))
    for scope in (village_a, village_b, EVERYTHING):
        cached(scope)
    register(two["V01"], "新童")
    counted.clear()
    for scope in (village_a, village_b, EVERYTHING):
        cached(scope)
    # B's entry is served as it was; A's and the township's are counted again.
    assert counted == [village_a, EVERYTHING]


def test_edits_exits_voids_and_visits_stay_in_their_village(two, places):
    from liushou.services.helpers import save_helper
    from liushou.services.person_exits import exit_person, reenter_person, void_person
    from liushou.services.visit_changes import update_visit, void_visit
    from liushou.services.visits import pair, record_visit

    a, b = places["V01"].id, places["V02"].id
    kid = two["V01-kid"]
    helper = save_helper(SYSTEM, EVERYTHING, {"name": "干部", "kind": "村干部", "village": a})
    today = clock.today()

    def only_a(write):
        gens = Generations(a, b)
        out = write()
        assert gens.moved() == (True, False, True), write
        return out

    # An edit that changes his categories (the father came home: he leaves 留守儿童).
    values = {
        "name": kid.name,
        "birth_date": "2015-01-01",
        "sex": "男",
        "father_status": "在家",
        "mother_status": "外出务工",
    }
    kid = only_a(lambda: save_person(SYSTEM, EVERYTHING, values, person=kid))
    only_a(lambda: pair(SYSTEM, EVERYTHING, helper, [kid]))
    visit = only_a(
        lambda: record_visit(
            SYSTEM,
            EVERYTHING,
            [kid],
            {"visited_on": today, "method": "上门", "helpers": [helper.id]},
        )
    )
    changed = {"visited_on": today, "method": "电话", "helpers": [helper.id]}
    visit = only_a(lambda: update_visit(SYSTEM, EVERYTHING, visit, [kid], changed))
    only_a(lambda: void_visit(SYSTEM, visit, "录错了"))
    only_a(lambda: exit_person(SYSTEM, kid, {"exit_reason": "迁出", "exited_on": today}))
    only_a(lambda: reenter_person(SYSTEM, type(kid).get_by_id(kid.id)))
    other = register(two["V01"], "重复童")
    only_a(lambda: void_person(SYSTEM, other, "重复登记"))


def test_a_category_recheck_moves_only_the_villages_of_the_persons_it_changes(two, places):
    from liushou.services.categories_follow import recheck

    a, b = places["V01"].id, places["V02"].id
    with clock.freeze(datetime(2026, 2, 20, 9, 0)):
        teen = register(two["V01"], "将满十六", birth="2010-03-01")
    assert "留守儿童" in teen.groups
    gens = Generations(a, b)
    later = date(2026, 3, 2)  # he has turned 16
    with clock.freeze(datetime(2026, 3, 2, 9, 0)):
        changed = recheck([type(teen).get_by_id(teen.id)], later)
    assert [p.id for p in changed] == [teen.id]
    assert gens.moved() == (True, False, True)


def test_a_move_to_another_village_moves_both(two, places):
    a, b = places["V01"].id, places["V02"].id
    gens = Generations(a, b)
    save_household(
        SYSTEM,
        EVERYTHING,
        {"village": b, "grid": places["V02-G2"].id, "head_name": "V01"},
        household=two["V01"],
    )
    assert gens.moved() == (True, True, True)


def test_a_bulk_write_of_unknown_village_still_moves_every_village(two, places):
    a, b = places["V01"].id, places["V02"].id
    kid = two["V01-kid"]
    sql = "UPDATE person SET name = name WHERE id = " + database.param
    gens = Generations(a, b)
    with database.atomic():
        database.execute_sql(sql, (kid.id,))
    assert gens.moved() == (True, True, True)
    # Declared: only its village. Unknown ids (None) or none at all: every village again.
    gens = Generations(a, b)
    with database.atomic(), touching([a]):
        database.execute_sql(sql, (kid.id,))
    assert gens.moved() == (True, False, True)
    for unknown in ([a, None], []):
        gens = Generations(a, b)
        with touching(unknown) as villages:
            assert villages is ALL
            database.execute_sql(sql, (kid.id,))
        assert gens.moved() == (True, True, True)


def test_a_row_saved_inside_a_declaration_still_names_its_own_village(two, places):
    a, b = places["V01"].id, places["V02"].id
    gens = Generations(a, b)
    with touching([a]):
        two["V02"].head_name = "乙二"
        two["V02"].save()  # a V02 row: V02 moves, whatever the block declares
    assert gens.moved() == (False, True, True)
    assert data_generation([a]) == gens.before[0]
