"""A person, a household or a family-away row registered by mistake is voided (作废) with a
reason: kept, shown as voided, in no list or figure, and the household's members follow."""

import pytest

from liushou.models import AuditLog
from liushou.models.households import FamilyAway, Household
from liushou.models.persons import Person
from liushou.scope import Scope
from liushou.services import SYSTEM
from liushou.services.households import save_away, save_household
from liushou.services.persons import save_person
from tests.conftest import post

EVERYTHING = Scope(everything=True)


@pytest.fixture
def family(app, places, users):
    household = save_household(
        SYSTEM,
        EVERYTHING,
        {"village": places["V01"].id, "grid": places["V01-G1"].id, "head_name": "王建国"},
    )
    away = {
        relation: save_away(
            SYSTEM, household, {"name": f"王{relation}", "relation": relation, "city": "广州"}
        )
        for relation in ("父亲", "母亲")
    }
    child = save_person(
        SYSTEM,
        EVERYTHING,
        {
            "household": household.id,
            "name": "王小明",
            "id_number": "620102201503070014",
            "carer_name": "王建国",
        },
    )
    return household, child, away


def test_voiding_a_person_takes_him_out_of_lists_and_keeps_him(login_as, family):
    household, child, _ = family
    client = login_as("cun1")
    assert "王小明" in client.get("/persons").get_data(as_text=True)
    response = post(client, f"/persons/{child.id}/void", {"void_reason": ""})
    assert Person.get_by_id(child.id).voided_at is None  # a reason is required
    response = post(client, f"/persons/{child.id}/void", {"void_reason": "重复登记"})
    assert response.status_code == 303
    page = client.get(f"/persons/{child.id}").get_data(as_text=True)
    assert "此登记已作废" in page and "重复登记" in page
    assert "王小明" not in client.get("/persons").get_data(as_text=True)
    assert AuditLog.get((AuditLog.action == "void") & (AuditLog.object_id == child.id))
    # Another village's cadre cannot void him.
    other = login_as("cun2")
    assert post(other, f"/persons/{child.id}/void", {"void_reason": "x"}).status_code == 404


def test_voiding_a_parents_away_row_changes_the_childs_category(login_as, family):
    household, child, away = family
    assert "留守儿童" in Person.get_by_id(child.id).groups
    client = login_as("cun1")
    url = f"/households/{household.id}/away/{away['父亲'].id}/void"
    assert post(client, url, {"void_reason": "录错了户"}).status_code == 303
    assert FamilyAway.get_by_id(away["父亲"].id).voided_at is not None
    child = Person.get_by_id(child.id)
    assert child.father_status != "外出务工" and "留守儿童" not in child.groups
    page = client.get(f"/households/{household.id}").get_data(as_text=True)
    assert "王父亲</a>" not in page and "王母亲</a>" in page


def test_a_household_is_voided_only_without_registered_members(login_as, family):
    household, child, _ = family
    client = login_as("cun1")
    post(client, f"/households/{household.id}/void", {"void_reason": "重复建户"})
    assert Household.get_by_id(household.id).voided_at is None
    post(client, f"/persons/{child.id}/void", {"void_reason": "重复登记"})
    response = post(client, f"/households/{household.id}/void", {"void_reason": "重复建户"})
    assert response.status_code == 303
    page = client.get(f"/households/{household.id}").get_data(as_text=True)
    assert "此户已作废" in page


def test_a_voided_persons_attendance_leaves_the_report(login_as, family, places):
    from datetime import date

    from liushou.queries.indicators import report
    from liushou.services.activities import save_activity
    from liushou.services.person_exits import void_person

    _, child, _ = family
    save_activity(
        SYSTEM,
        EVERYTHING,
        {
            "village": places["V01"].id,
            "kind": "生日会",
            "title": "集体生日会",
            "held_on": "2026-11-01",
            "persons": [str(child.id)],
            "attended": [str(child.id)],
        },
        today=date(2026, 11, 2),
    )
    period = (EVERYTHING, date(2026, 11, 1), date(2026, 11, 30))
    assert report(*period)["attended"] == 1
    void_person(SYSTEM, Person.get_by_id(child.id), "重复登记")
    assert report(*period)["attended"] == 0
