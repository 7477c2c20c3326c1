"""Derived state follows its inputs: family away rows, parents, husbands, children, exits and
birthdays re-derive categories, review flags and visit tiers in the same transaction, and each
category change is a history entry with the rule's reason."""

from datetime import timedelta

import pytest

from liushou import clock
from liushou.models import AuditLog
from liushou.models.persons import Person
from liushou.models.visits import VisitState
from liushou.rules import family
from liushou.rules.categories import Thresholds
from liushou.rules.dates import shift_years
from liushou.rules.idcard import check_digit
from liushou.scope import Scope
from liushou.services import SYSTEM, ValidationError
from liushou.services.categories_follow import daily_recheck, follow_household
from liushou.services.households import save_away, save_household
from liushou.services.persons import save_person
from tests.conftest import post

ALL = Scope(everything=True)


def _id(born, seq):
    base = f"620102{born:%Y%m%d}{seq}"
    return base + check_digit(base)


def _born(years, days=40):
    return shift_years(clock.today(), -years) - timedelta(days=days)


def _ago(days):
    return (clock.today() - timedelta(days=days)).isoformat()


@pytest.fixture
def home(places):
    return save_household(
        SYSTEM,
        ALL,
        {"village": places["V01"].id, "grid": places["V01-G1"].id, "head_name": "钱老根"},
    )


def _person(home, name, years, seq, **extra):
    return save_person(
        SYSTEM,
        ALL,
        {"household": home.id, "name": name, "id_number": _id(_born(years), seq), **extra},
    )


def _away(home, name, relation, since=400, **extra):
    return save_away(
        SYSTEM, home, {"name": name, "relation": relation, "away_since": _ago(since), **extra}
    )


def _back(home, row, days=1):
    values = {k: getattr(row, k) for k in ("name", "relation", "province", "city", "phone")}
    return save_away(
        SYSTEM,
        home,
        {**values, "away_since": row.away_since.isoformat(), "returned_on": _ago(days)},
        row,
    )


def _last_update(person):
    row = (
        AuditLog.select()
        .where((AuditLog.object_type == "person") & (AuditLog.object_id == person.id))
        .order_by(AuditLog.id.desc())
        .first()
    )
    return dict((f, (b, a)) for f, b, a in row.change_list)


def test_both_parents_home_ends_left_behind_child_with_reason_flag_and_tier(home, login_as):
    father, mother = _away(home, "钱大", "父亲"), _away(home, "孙二", "母亲")
    child = _person(home, "钱小宝", 10, "002", carer_name="钱老根", carer_relation="祖父")
    assert child.groups == "留守儿童" and child.father_status == child.mother_status == "外出务工"
    _back(home, father)
    child = Person.get_by_id(child.id)
    assert child.groups == "" and child.father_status == "在家"
    assert child.needs_review and "父亲已返乡，不再属于留守儿童" in child.review_note
    _back(home, mother)
    child = Person.get_by_id(child.id)
    assert (child.father_status, child.mother_status, child.groups) == ("在家", "在家", "")
    # Leaving again makes him a left-behind child again, flagged, with the rule's reason.
    father = _away(home, "钱大", "父亲", since=1)
    _away(home, "孙二", "母亲", since=1)
    child = Person.get_by_id(child.id)
    assert child.groups == "留守儿童" and child.needs_review
    changes = _last_update(child)
    assert changes["groups"] == ("", "留守儿童")
    assert changes["category_reason"][1] == "父母均外出务工，未满16周岁，认定为留守儿童"
    # The person's history page shows the reason of the next change.
    _back(home, father, days=0)
    page = login_as("admin").get(f"/persons/{child.id}").get_data(as_text=True)
    assert "类别依据" in page and "父亲已返乡，不再属于留守儿童" in page


def test_both_parents_returned_says_so(home):
    father, mother = _away(home, "钱大", "父亲"), _away(home, "孙二", "母亲")
    child = _person(home, "钱小宝", 10, "002")
    assert VisitState.get(VisitState.person == child).tier == "high"  # no carer recorded
    # Both rows marked returned before the household is followed: one reason for the pair.
    for row in (father, mother):
        row.returned_on = clock.today()
        row.save()
    follow_household(SYSTEM, home.id)
    child = Person.get_by_id(child.id)
    assert child.groups == "" and _last_update(child)["category_reason"][1] == (
        "父母均已返乡，不再属于留守儿童"
    )
    assert VisitState.get(VisitState.person == child).tier == "general"


def test_husband_home_ends_left_behind_woman(home):
    husband = _away(home, "钱大", "丈夫", since=400)
    woman = _person(home, "孙二", 35, "004", relation_to_head="儿媳")
    assert woman.groups == "留守妇女" and woman.husband_away_since == husband.away_since
    _back(home, husband)
    woman = Person.get_by_id(woman.id)
    assert woman.groups == "" and woman.husband_away_since is None and woman.needs_review
    assert _last_update(woman)["category_reason"][1] == "丈夫已返乡，不再属于留守妇女"


def test_elders_children_home_ends_left_behind_elder(home):
    son = _away(home, "钱大", "儿子", since=800)
    daughter = _away(home, "钱二", "女儿", since=300)
    elder = _person(home, "钱老根", 70, "011", relation_to_head="户主")
    assert elder.groups == "留守老人" and elder.children_away
    assert elder.children_away_since == daughter.away_since  # all away since the last left
    _back(home, son)
    elder = Person.get_by_id(elder.id)
    assert elder.groups == "" and not elder.children_away and elder.needs_review
    assert _last_update(elder)["category_reason"][1] == "子女已返乡，不再属于留守老人"


def test_the_persons_form_may_not_deny_the_households_rows(home, login_as):
    _away(home, "钱大", "父亲")
    child = _person(home, "钱小宝", 10, "002", mother_status="外出务工")
    values = {
        "household": home.id,
        "name": "钱小宝",
        "id_number": child.id_number,
        "father_status": "在家",
        "mother_status": "外出务工",
    }
    with pytest.raises(ValidationError) as e:
        save_person(SYSTEM, ALL, values, child)
    assert set(e.value.errors) == {"father_status"}
    assert (
        "钱大" in e.value.errors["father_status"] and "返乡日期" in e.value.errors["father_status"]
    )
    client = login_as("admin")
    response = post(client, f"/persons/{child.id}/edit", values)
    assert response.status_code == 422 and "返乡日期" in response.get_data(as_text=True)
    assert Person.get_by_id(child.id).father_status == "外出务工"


def test_turning_sixty_with_children_away_makes_an_elder_overnight(home):
    _away(home, "钱大", "儿子", since=800)
    born = shift_years(clock.today(), -60) + timedelta(days=3)  # 60 in three days
    elder = save_person(
        SYSTEM,
        ALL,
        {
            "household": home.id,
            "name": "钱老根",
            "id_number": _id(born, "011"),
            "relation_to_head": "户主",
        },
    )
    assert elder.groups == "" and not elder.children_away
    with clock.freeze(clock.today() + timedelta(days=3)):
        assert daily_recheck() == 1
    elder = Person.get_by_id(elder.id)
    assert elder.groups == "留守老人" and elder.children_away and elder.needs_review
    assert _last_update(elder)["category_reason"][1].endswith("认定为留守老人")


def test_turning_16_is_a_history_entry_with_the_reason(home):
    _away(home, "钱大", "父亲")
    _away(home, "孙二", "母亲")
    born = shift_years(clock.today(), -16) + timedelta(days=2)
    child = save_person(
        SYSTEM, ALL, {"household": home.id, "name": "钱小宝", "id_number": _id(born, "002")}
    )
    assert child.groups == "留守儿童"
    with clock.freeze(clock.today() + timedelta(days=2)):
        daily_recheck()
    child = Person.get_by_id(child.id)
    assert child.groups == "" and _last_update(child)["category_reason"][1] == (
        "已满16周岁，不再属于留守儿童"
    )


def test_the_mapping_picks_the_married_woman_not_the_daughter_or_the_grandmother():
    on = clock.today()
    members = [
        family.Member(1, "女", _born(58), "户主"),
        family.Member(2, "女", _born(32), "儿媳"),
        family.Member(3, "女", _born(20), "孙女"),
    ]
    rows = [family.AwayRow(1, "钱大", "丈夫", _born(1))]
    decided = family.facts_for(members, rows, on, Thresholds())
    assert decided[2] == {"husband_away_since": _born(1)}
    assert decided[1] == {} and decided[3] == {}
    # A returned row followed by a new one for the same person: the latest decides.
    rows = [
        family.AwayRow(1, "钱大", "父亲", _born(3), _born(2)),
        family.AwayRow(2, "钱大", "父亲", _born(1)),
    ]
    child = family.Member(4, "男", _born(8))
    assert family.facts_for([child], rows, on, Thresholds())[4] == {"father_status": "外出务工"}


def test_a_parent_who_dies_away_makes_the_childs_status_deceased(home):
    child = _person(home, "钱小宝", 9, "021", carer_name="钱老根")
    father = _away(home, "钱大山", "父亲")
    _away(home, "孙秀英", "母亲")
    assert "留守儿童" in Person.get_by_id(child.id).groups
    save_away(SYSTEM, home, {**father.__data__, "died_on": _ago(3)}, father)
    stored = Person.get_by_id(child.id)
    assert stored.father_status == "死亡" and stored.mother_status == "外出务工"
    history = AuditLog.select().where(
        (AuditLog.object_type == "person") & (AuditLog.object_id == child.id)
    )
    assert any("father_status" in a.changes and "死亡" in a.changes for a in history)


def test_a_husband_who_dies_away_ends_the_womans_left_behind_category(home):
    woman = _person(home, "孙秀兰", 35, "042", sex="女", relation_to_head="儿媳")
    husband = _away(home, "钱二山", "丈夫")
    assert "留守妇女" in Person.get_by_id(woman.id).groups
    save_away(SYSTEM, home, {**husband.__data__, "died_on": _ago(3)}, husband)
    assert "留守妇女" not in Person.get_by_id(woman.id).groups
