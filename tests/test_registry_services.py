"""Registry services: households, persons, categories, history, review flags, exit."""

from datetime import date, timedelta

import pytest

from liushou.models import AuditLog
from liushou.models.persons import Person
from liushou.scope import Scope
from liushou.services import SYSTEM, ValidationError
from liushou.services.categories_follow import recheck
from liushou.services.households import save_away, save_household
from liushou.services.person_exits import exit_person, reenter_person
from liushou.services.person_review import confirm_review
from liushou.services.persons import save_person
from tests.shared.town import wang_xiaoming

ALL = Scope(everything=True)
CHILD_ID = "620102201503070014"  # born 2015-03-07, male


@pytest.fixture
def household(places):
    return save_household(
        SYSTEM,
        ALL,
        {
            "village": places["V01"].id,
            "grid": places["V01-G1"].id,
            "head_name": "王建国",
            "address": "一组 12 号",
            "phone": "13912345678",
        },
    )


def child_values(household, **extra):
    return wang_xiaoming(household, carer_relation="祖父", **extra)


def test_child_with_both_parents_away_is_a_left_behind_child(household):
    person = save_person(SYSTEM, ALL, child_values(household))
    assert person.birth_date == date(2015, 3, 7) and person.sex == "男"
    assert person.group_list == ["留守儿童"]
    assert person.reasons["留守儿童"] == "父母均外出务工，未满16周岁"
    assert (person.village_id, person.grid_id) == (household.village_id, household.grid_id)
    assert person.name_initials == "wxm"


def test_bad_id_is_refused_and_nothing_saved(household):
    with pytest.raises(ValidationError) as e:
        save_person(SYSTEM, ALL, child_values(household, id_number="620102201503070015"))
    assert "校验位" in e.value.errors["id_number"]
    assert Person.select().count() == 0


def test_entered_birth_date_and_sex_must_agree_with_id(household):
    with pytest.raises(ValidationError) as e:
        save_person(SYSTEM, ALL, child_values(household, birth_date="2015-03-08", sex="女"))
    assert "2015-03-07" in e.value.errors["birth_date"] and "男" in e.value.errors["sex"]


def test_without_id_birth_date_and_sex_are_required(household):
    with pytest.raises(ValidationError) as e:
        save_person(SYSTEM, ALL, {"household": household.id, "name": "无证"})
    assert set(e.value.errors) >= {"birth_date", "sex"}
    person = save_person(
        SYSTEM,
        ALL,
        {"household": household.id, "name": "无证", "birth_date": "1950.3", "sex": "女"},
    )
    assert person.birth_date == date(1950, 3, 1) and person.id_number is None


def test_duplicate_id_number(household):
    save_person(SYSTEM, ALL, child_values(household))
    with pytest.raises(ValidationError) as e:
        save_person(SYSTEM, ALL, child_values(household, name="重复"))
    assert "已登记：王小明" in e.value.errors["id_number"]


def test_full_width_digits_and_spaces_are_normalised(household):
    person = save_person(
        SYSTEM,
        ALL,
        child_values(
            household,
            id_number="６２０１０２ ２０１５０３０７００１４",
            phone="１３９ １２３４ ５６７８",
        ),
    )
    assert person.id_number == CHILD_ID and person.phone == "13912345678"


def test_history_and_review_flag_when_a_parent_returns(household):
    person = save_person(SYSTEM, ALL, child_values(household))
    assert not person.needs_review
    save_person(SYSTEM, ALL, child_values(household, father_status="在家"), person)
    person = Person.get_by_id(person.id)
    assert person.groups == "" and person.needs_review
    assert "留守儿童 → 无" in person.review_note
    change = (
        AuditLog.select()
        .where((AuditLog.object_type == "person") & (AuditLog.action == "update"))
        .get()
    )
    assert ["father_status", "外出务工", "在家"] in change.change_list
    confirm_review(SYSTEM, person)
    assert not Person.get_by_id(person.id).needs_review


def test_turning_16_flags_for_review(household):
    person = save_person(SYSTEM, ALL, child_values(household))
    assert recheck([person], on=date(2031, 3, 6)) == []
    changed = recheck([Person.get_by_id(person.id)], on=date(2031, 3, 7))
    assert [p.id for p in changed] == [person.id]
    person = Person.get_by_id(person.id)
    assert person.groups == "" and person.needs_review


def test_exit_and_reenter_keep_everything(household):
    person = save_person(SYSTEM, ALL, child_values(household))
    with pytest.raises(ValidationError) as e:
        exit_person(SYSTEM, person, {"exit_reason": "", "exited_on": "2030-01-01"})
    assert set(e.value.errors) == {"exit_reason", "exited_on"}
    exit_person(SYSTEM, person, {"exit_reason": "随父母迁出", "exited_on": "2026-01-02"})
    person = Person.get_by_id(person.id)
    assert person.exited and person.groups == ""
    reenter_person(SYSTEM, person)
    person = Person.get_by_id(person.id)
    assert not person.exited and person.groups == "留守儿童"
    actions = [
        a.action
        for a in AuditLog.select().where(AuditLog.object_type == "person").order_by(AuditLog.id)
    ]
    assert actions == ["create", "exit", "reenter"]


def test_area_rules_for_writes(places, users, household):
    grid2 = Scope.for_user(users["grid2"])  # V01-G2 only; household is in V01-G1
    with pytest.raises(ValidationError) as e:
        save_person(SYSTEM, grid2, child_values(household))
    assert "household" in e.value.errors
    with pytest.raises(ValidationError) as e:
        save_household(
            SYSTEM,
            Scope.for_user(users["cun2"]),
            {"village": places["V01"].id, "head_name": "越权"},
        )
    assert "只能选择您负责的" in e.value.errors["village"]


def test_family_away(household):
    away = save_away(
        SYSTEM,
        household,
        {
            "name": "王大",
            "relation": "父亲",
            "province": "广东省",
            "city": "深圳市",
            "away_since": "2024-03-01",
        },
    )
    assert away.place == "广东省深圳市"
    with pytest.raises(ValidationError) as e:
        save_away(
            SYSTEM, household, {"name": "", "relation": "外星人", "returned_on": "2099-01-01"}
        )
    assert set(e.value.errors) == {"name", "relation", "returned_on"}


def test_woman_and_elder(household):
    woman = save_person(
        SYSTEM,
        ALL,
        {
            "household": household.id,
            "name": "李秀英",
            "birth_date": "1990-06-15",
            "sex": "女",
            "husband_away_since": "2025-01-01",
        },
    )
    assert woman.group_list == ["留守妇女"]
    elder = save_person(
        SYSTEM,
        ALL,
        {
            "household": household.id,
            "name": "王老汉",
            "birth_date": "1950-01-01",
            "sex": "男",
            "children_away": "1",
            "children_away_since": "2020-01-01",
            "living_arrangement": "独居",
        },
    )
    assert elder.group_list == ["留守老人"]


def test_daily_recheck_runs_once_a_day_and_flags_the_birthday(household):
    from liushou.services.categories_follow import daily_recheck

    person = save_person(SYSTEM, ALL, child_values(household), today=date(2031, 3, 5))
    assert daily_recheck(date(2031, 3, 6)) == 0
    assert daily_recheck(date(2031, 3, 6)) is None  # already done today
    assert daily_recheck(date(2031, 3, 7)) == 1
    person = Person.get_by_id(person.id)
    assert person.needs_review and person.groups == ""


def test_daily_job_brings_visit_states_up_to_the_day(household):
    from liushou import jobs
    from liushou.models import Setting, VisitState

    person = save_person(SYSTEM, ALL, child_values(household))
    assert VisitState.get(VisitState.person == person).refreshed_on == date.today()
    later = date.today() + timedelta(days=3)
    assert jobs.run_daily(later) == 0
    assert Setting.value_on("categories_checked_on", later) == later.isoformat()
    assert VisitState.get(VisitState.person == person).refreshed_on == later
    assert jobs.run_daily(later) is None  # done for that day
