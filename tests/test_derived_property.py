"""Property: whatever sequence of changes a household goes through (family members leaving,
coming home, the person's own form, carers, exits, birthdays across 16/18/60), every member's
stored facts agree with the household's rows and his stored categories and visit tier equal
what the rules compute from scratch from what is stored."""

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liushou import clock
from liushou.models.households import FamilyAway
from liushou.models.persons import Person
from liushou.models.visits import VisitState
from liushou.rules import family
from liushou.rules.dates import shift_years
from liushou.rules.idcard import check_digit
from liushou.scope import Scope
from liushou.services import SYSTEM, ValidationError
from liushou.services import visits as visit_service
from liushou.services.categories_follow import away_rows, recheck_all
from liushou.services.households import save_away, save_household
from liushou.services.person_exits import exit_person, reenter_person
from liushou.services.person_facts import _member, derive, thresholds
from liushou.services.persons import save_person

ALL = Scope(everything=True)
BASE = date(2026, 6, 1)
RELATIONS = ("父亲", "母亲", "丈夫", "儿子")
NAMES = {"父亲": "钱大", "母亲": "孙二", "丈夫": "钱大", "儿子": "钱大"}
# Members born so that the run crosses 16 (the child), 18 (the child in difficulty), 60 (the
# head) within a few hundred days.
MEMBERS = (
    ("钱小宝", "男", shift_years(BASE, -16) + timedelta(days=20), "孙子"),
    ("钱小妹", "女", shift_years(BASE, -18) + timedelta(days=45), "孙女"),
    ("孙二", "女", shift_years(BASE, -34), "儿媳"),
    ("钱老根", "男", shift_years(BASE, -60) + timedelta(days=30), "户主"),
)
FORM_FIELDS = (
    "name",
    "relation_to_head",
    "father_status",
    "mother_status",
    "carer_name",
    "carer_relation",
    "carer_id_number",
    "husband_away_since",
    "children_away_since",
)

leave = st.tuples(st.just("leave"), st.sampled_from(RELATIONS), st.integers(0, 400))
come_back = st.tuples(st.just("back"), st.integers(0, 3), st.integers(0, 30))
status = st.tuples(
    st.just("status"),
    st.sampled_from(("father_status", "mother_status")),
    st.sampled_from(("", "在家", "外出务工", "无监护能力", "死亡")),
    st.integers(0, 1),
)
carer = st.tuples(st.just("carer"), st.sampled_from(("set", "clear", "incapable", "unchecked")))
husband = st.tuples(st.just("husband"), st.one_of(st.none(), st.integers(0, 400)))
children = st.tuples(st.just("children"), st.booleans(), st.integers(0, 400))
exits = st.tuples(st.just("exit"), st.integers(0, 3))
days = st.tuples(st.just("days"), st.sampled_from((1, 20, 31, 45, 120, 400)))
OPS = st.lists(
    st.one_of(leave, come_back, status, carer, husband, children, exits, days), max_size=12
)


def _id(born, seq):
    base = f"620102{born:%Y%m%d}{seq:03d}"
    return base + check_digit(base)


def _form(person, **changes):
    values = {k: getattr(person, k) for k in FORM_FIELDS}
    values.update(
        household=person.household_id,
        id_number=person.id_number,
        carer_capable={True: "1", False: "0", None: ""}[person.carer_capable],
        children_away="1" if person.children_away else "",
        difficulty_kinds=[k for k in person.difficulty_kinds.split(",") if k],
    )
    values.update(changes)
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items()}


def _snapshot(household):
    people = Person.select().where(Person.household == household).order_by(Person.id)
    return [tuple(sorted(p.__data__.items())) for p in people]


def _check(household, today):
    members = list(Person.active().where(Person.household == household).order_by(Person.id))
    decided = family.facts_for(
        [_member(p.id, p.__data__) for p in members], away_rows(household.id), today, thresholds()
    )
    for person in Person.select().where(Person.household == household):
        groups, reasons = derive(person.__data__, today)
        assert (person.groups, person.group_reasons) == (groups, reasons), person.name
        state = VisitState.get(VisitState.person == person)
        assert state.tier == visit_service.tier_for(person, today), person.name
        for field, value in decided.get(person.id, {}).items():
            assert getattr(person, field) == value, (person.name, field)


def _apply(op, household, persons, today):
    kind = op[0]
    if kind == "leave":
        _, relation, ago = op
        save_away(
            SYSTEM,
            household,
            {"name": NAMES[relation], "relation": relation, "away_since": today - timedelta(ago)},
        )
    elif kind == "back":
        away = list(
            FamilyAway.select()
            .where((FamilyAway.household == household) & FamilyAway.returned_on.is_null())
            .order_by(FamilyAway.id)
        )
        if away:
            row = away[op[1] % len(away)]
            returned = max(today - timedelta(op[2]), row.away_since or date.min)
            values = {k: getattr(row, k) for k in ("name", "relation", "away_since")}
            save_away(SYSTEM, household, {**values, "returned_on": returned}, row)
    elif kind == "status":
        _, field, value, which = op
        child = Person.get_by_id(persons[which].id)
        save_person(SYSTEM, ALL, _form(child, **{field: value}), child)
    elif kind == "carer":
        child = Person.get_by_id(persons[0].id)
        values = {
            "set": {"carer_name": "钱老根", "carer_relation": "祖父", "carer_capable": "1"},
            "clear": {"carer_name": "", "carer_relation": "", "carer_capable": ""},
            "incapable": {"carer_name": "钱老根", "carer_relation": "祖父", "carer_capable": "0"},
            # A minor carer: ticking him capable is refused, leaving him unchecked is not.
            "unchecked": {
                "carer_name": "钱小妹",
                "carer_relation": "姐姐",
                "carer_id_number": persons[1].id_number,
                "carer_capable": "1",
            },
        }[op[1]]
        save_person(SYSTEM, ALL, _form(child, **values), child)
    elif kind == "husband":
        woman = Person.get_by_id(persons[2].id)
        since = None if op[1] is None else today - timedelta(op[1])
        save_person(SYSTEM, ALL, _form(woman, husband_away_since=since), woman)
    elif kind == "children":
        elder = Person.get_by_id(persons[3].id)
        since = today - timedelta(op[2])
        values = {"children_away": "1" if op[1] else "", "children_away_since": since}
        save_person(SYSTEM, ALL, _form(elder, **values), elder)
    elif kind == "exit":
        person = Person.get_by_id(persons[op[1]].id)
        if person.exited:
            reenter_person(SYSTEM, person)
        else:
            exit_person(SYSTEM, person, {"exit_reason": "迁出", "exited_on": today})


@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=OPS)
def test_stored_categories_always_equal_categories_from_scratch(places, ops):
    today = BASE
    with clock.freeze(today):
        household = save_household(
            SYSTEM, ALL, {"village": places["V01"].id, "head_name": "钱老根"}
        )
        persons = [
            save_person(
                SYSTEM,
                ALL,
                {
                    "household": household.id,
                    "name": name,
                    "id_number": _id(born, household.id * 10 + i),
                    "relation_to_head": relation,
                    "father_status": "外出务工" if i < 2 else "",
                    "mother_status": "外出务工" if i < 2 else "",
                    "difficulty_kinds": ["残疾"] if i == 1 else [],
                    "children_away": "1" if i == 3 else "",
                    "children_away_since": (BASE - timedelta(300)).isoformat() if i == 3 else "",
                },
            )
            for i, (name, sex, born, relation) in enumerate(MEMBERS)
        ]
        _check(household, today)
    for op in ops:
        if op[0] == "days":
            today += timedelta(days=op[1])
        with clock.freeze(today):
            if op[0] == "days":
                recheck_all(today)  # what the server does first thing each day
            else:
                before = _snapshot(household)
                try:
                    _apply(op, household, persons, today)
                except ValidationError:
                    assert _snapshot(household) == before  # refused: nothing written
            _check(household, today)
