"""Rule defects of issue 14, point 6, checked with the rules and services directly."""

from datetime import date, timedelta

import pytest

from liushou import cards, clock, settings
from liushou.models.care import Emergency, EmergencyStep
from liushou.models.persons import Person
from liushou.models.visits import VisitState
from liushou.queries import reminders
from liushou.rules import carers
from liushou.rules import visits as rules_visits
from liushou.rules.dates import month_after, shift_years
from liushou.rules.idcard import check_digit, parse
from liushou.scope import Scope
from liushou.services import SYSTEM, ValidationError
from liushou.services.care import open_emergency
from liushou.services.households import save_household
from liushou.services.persons import save_person
from liushou.services.settings import update_settings

TODAY = date(2026, 11, 22)


def _valid(first17):
    return first17 + check_digit(first17)


def test_a_valid_number_still_parses():
    info, problem = parse(_valid("62010220150307001"), TODAY)
    assert problem is None and info.birth_date == date(2015, 3, 7)


def test_arabic_indic_digits_are_refused():
    number = _valid("62010220150307001")
    arabic = "".join(chr(0x0660 + int(c)) if c.isdigit() else c for c in number)
    assert arabic != number and all(not c.isascii() for c in arabic[:17])
    info, problem = parse(arabic, TODAY)
    assert info is None and "只能是数字" in problem
    # Devanagari digits likewise (NFKC keeps every Unicode Nd digit).
    devanagari = "".join(chr(0x0966 + int(c)) for c in number[:17]) + number[17]
    info, problem = parse(devanagari, TODAY)
    assert info is None and "只能是数字" in problem


@pytest.mark.parametrize(
    "region",
    [
        "000000",  # no place at all
        "990102",  # 99 is no province
        "100102",  # nor is 10
        "620000",  # a province, never a place of issue
    ],
)
def test_impossible_region_codes_are_refused(region):
    info, problem = parse(_valid(region + "20150307001"), TODAY)
    assert info is None and "地区码" in problem


@pytest.mark.parametrize("region", ["110105", "441900", "810000", "830000", "620102"])
def test_real_region_codes_pass(region):
    info, problem = parse(_valid(region + "20150307001"), TODAY)
    assert problem is None, problem


# --- the rules read through the services ---------------------------------------------------

ALL = Scope(everything=True)


def _born(years, days=0):
    """A birth date making someone `years` old today (and `days` more)."""
    return shift_years(clock.today(), -years) - timedelta(days=days)


def _id(born, seq="001"):
    return _valid(f"620102{born:%Y%m%d}{seq}")


@pytest.fixture
def household(places):
    return save_household(
        SYSTEM,
        ALL,
        {"village": places["V01"].id, "grid": places["V01-G1"].id, "head_name": "赵大山"},
    )


def _child(household, years=10, **extra):
    born = _born(years, 30)
    return save_person(
        SYSTEM,
        ALL,
        {
            "household": household.id,
            "name": extra.pop("name", "赵小雨"),
            "id_number": extra.pop("id_number", _id(born, "002")),
            "father_status": "外出务工",
            "mother_status": "外出务工",
            **extra,
        },
    )


def test_a_minor_carer_cannot_be_ticked_capable(household):
    carer_id = _id(_born(11, 10), "013")
    with pytest.raises(ValidationError) as e:
        _child(household, carer_name="赵小哥", carer_id_number=carer_id, carer_capable="1")
    assert set(e.value.errors) == {"carer_capable"}
    assert "11周岁" in e.value.errors["carer_capable"]
    assert Person.select().count() == 0
    # The rule itself; an adult carer passes, and an 11-year-old never qualifies.
    assert carers.capability_problem(True, _born(11), clock.today())
    assert carers.capability_problem(True, _born(18), clock.today()) is None
    assert carers.capability_problem(None, _born(11), clock.today()) is None
    assert carers.qualified("赵小哥", None, "", _born(11), clock.today()) is False
    adult = _child(household, carer_name="赵大山", carer_id_number=_id(_born(62), "011"))
    assert adult.groups == "留守儿童"


def test_a_child_emergency_is_only_for_a_child(household):
    elder = save_person(
        SYSTEM,
        ALL,
        {"household": household.id, "name": "赵老汉", "id_number": _id(_born(93), "011")},
    )
    now = clock.now().strftime("%Y-%m-%d %H:%M")
    values = {"kind": "疾病", "discovered_at": now, "reported_by": "村医"}
    with pytest.raises(ValidationError) as e:
        open_emergency(SYSTEM, elder, values)
    assert "未满18周岁的儿童" in e.value.errors["kind"] and "93周岁" in e.value.errors["kind"]
    assert Emergency.select().count() == 0 and EmergencyStep.select().count() == 0
    child = _child(household)
    assert open_emergency(SYSTEM, child, values).person_id == child.id


def test_a_left_behind_child_without_a_carer_gets_the_highest_tier(household):
    child = _child(household)
    assert child.groups == "留守儿童" and child.carer_name == ""
    assert VisitState.get(VisitState.person == child).tier == "high"
    assert rules_visits.tier_for(
        rules_visits.TierFacts(age=10, groups=frozenset({"留守儿童"}), carer_named=False)
    ) == ("high", "留守儿童未登记监护（照护）人")
    # A carer recorded (capability not yet checked): no longer the no-carer case.
    cared = save_person(
        SYSTEM, ALL, {**_values(child), "carer_name": "赵大山", "carer_relation": "祖父"}, child
    )
    assert VisitState.get(VisitState.person == cared).tier == "general"


def _values(person):
    return {
        "household": person.household_id,
        "name": person.name,
        "id_number": person.id_number,
        "father_status": person.father_status,
        "mother_status": person.mother_status,
    }


def test_the_subsidy_reminder_reads_the_dated_bands(household):
    start = month_after(clock.today())
    update_settings(SYSTEM, {"elder_subsidy_bands": "75-84:50, 85-:150"}, valid_from=start)
    names = {}
    for years, name, seq in ((75, "甲", "011"), (80, "乙", "013"), (85, "丙", "015")):
        born = shift_years(start, -years)
        save_person(
            SYSTEM, ALL, {"household": household.id, "name": name, "id_number": _id(born, seq)}
        )
        names[years] = name
    listed = {p.name for p in reminders.people(ALL, "subsidy", clock.today())}
    assert listed == {names[75], names[85]}
    assert reminders.label("subsidy", clock.today()) == "下月满75/85周岁"


def test_turning_16_lists_left_behind_children_and_difficulty_children_wait_for_18(household):
    soon16 = shift_years(clock.today(), -16) + timedelta(days=30)  # 16 in 30 days
    _child(household, years=0, name="赵留守", id_number=_id(soon16, "002"))
    difficult = save_person(
        SYSTEM,
        ALL,
        {
            "household": household.id,
            "name": "赵困境",
            "id_number": _id(soon16, "004"),
            "father_status": "在家",
            "mother_status": "在家",
            "difficulty_kinds": ["残疾"],
        },
    )
    assert difficult.groups == "困境儿童"
    today = clock.today()
    assert [p.name for p in reminders.people(ALL, "turning16", today)] == ["赵留守"]
    assert list(reminders.people(ALL, "turning18", today)) == []
    later = shift_years(today, 2)
    assert [p.name for p in reminders.people(ALL, "turning18", later)] == ["赵困境"]
    assert reminders.label("turning16", today) == "60天内满16周岁的留守儿童"
    assert reminders.label("turning18", today) == "60天内满18周岁的困境儿童"


def test_no_family_hotline_is_printed_until_the_township_sets_one(app):
    with app.app_context():
        assert settings.get("family_hotline") == ""
        assert "亲情热线" not in [label for label, _ in cards.township_numbers()]
        update_settings(SYSTEM, {"family_hotline": "0931-5550000"})
        assert ("亲情热线", "0931-5550000") in cards.township_numbers()
