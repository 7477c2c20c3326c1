"""Records stay true: a record whose void moves derived state is voided only through its own
service, and a voided record is never written onto through another one's form."""

import importlib

import pytest

from liushou import clock
from liushou.models import AuditLog
from liushou.models.care import Need, Service
from liushou.models.households import FamilyAway, Household
from liushou.models.persons import Person
from liushou.models.visits import Visit, VisitState
from liushou.services import SYSTEM, ValidationError
from liushou.services.care import save_need, save_service, update_service, void_need
from liushou.services.checkins import check_in
from liushou.services.helpers import save_helper
from liushou.services.households import save_away, save_household, void_away, void_household
from liushou.services.persons import save_person
from liushou.services.visit_changes import void_visit
from liushou.services.visits import pair, record_visit
from liushou.services.voiding import VOIDED_BY, void
from tests._helpers import ALL, AWAY

pytestmark = pytest.mark.usefixtures("never_slow")


@pytest.fixture
def helper(places):
    return save_helper(SYSTEM, ALL, {"name": "干部", "kind": "村干部", "village": places["V01"].id})


def _visit(kid, helper):
    values = {
        "visited_on": clock.today().isoformat(),
        "method": "上门",
        "helpers": [helper.id],
        "persons": [str(kid.id)],
        "life": "走访",
    }
    return record_visit(SYSTEM, ALL, [kid], values)


def _voids():
    return AuditLog.select().where(AuditLog.action == "void").count()


# --- 1. the generic void refuses records whose derived state its caller would leave stale ----


def test_each_record_with_derived_state_names_a_service_that_exists():
    for model, where in VOIDED_BY.items():
        module, name = where.rsplit(".", 1)
        assert callable(getattr(importlib.import_module(f"liushou.{module}"), name)), model


def test_a_visit_voided_generically_is_refused_and_its_persons_state_stays(homes, helper):
    """Voiding a visit without recomputing its persons' visit state would leave him shown as
    visited today: the generic void refuses it and names void_visit; nothing is written."""
    kid = homes["kids"][0]
    visit = _visit(kid, helper)
    with pytest.raises(TypeError, match="void_visit"):
        void(SYSTEM, Visit.get_by_id(visit.id), "录重了")
    assert Visit.get_by_id(visit.id).voided_at is None and _voids() == 0
    void_visit(SYSTEM, Visit.get_by_id(visit.id), "录重了")
    assert VisitState.get(VisitState.person == kid).last_visit_on is None


@pytest.mark.parametrize("kind", ["checkin", "pairing", "person", "away"])
def test_other_records_with_derived_state_are_refused_by_the_generic_void(
    kind, homes, helper, users
):
    kid = homes["kids"][0]
    if kind == "checkin":
        obj = check_in(SYSTEM, ALL, kid.id)[0]
    elif kind == "pairing":
        obj = pair(SYSTEM, ALL, helper, [kid], primary=True)[0]
    elif kind == "person":
        obj = kid
    else:
        obj = save_away(SYSTEM, homes["h1"], {"name": "童父", "relation": "父亲"})
    model = type(obj)
    with pytest.raises(TypeError, match=VOIDED_BY[model.__name__].rsplit(".", 1)[1]):
        void(SYSTEM, obj, "录错了")
    every = getattr(model, "with_voided", model.select)
    assert every().where(model.id == obj.id).first().voided_at is None and _voids() == 0


def test_records_without_derived_state_still_void_generically(homes):
    need = save_need(SYSTEM, homes["kids"][0], {"kind": "课业辅导", "description": "数学"})
    void(SYSTEM, need, "录错了")
    assert Need.get_by_id(need.id).voided


# --- 2. a voided record is not written onto through another record's form --------------------


def _service_form(need=None):
    return {
        "kind": "课业辅导",
        "served_on": clock.today().isoformat(),
        "description": "讲数学",
        "need": need.id if need else "",
    }


def test_a_service_is_never_recorded_against_a_voided_need(homes):
    kid = homes["kids"][0]
    need = save_need(SYSTEM, kid, {"kind": "课业辅导", "description": "数学"}, scope=ALL)
    void_need(SYSTEM, need, "并无此需求")
    with pytest.raises(ValidationError) as refused:
        save_service(SYSTEM, kid, _service_form(need), scope=ALL)
    assert "已作废" in refused.value.errors["need"]
    assert Service.with_voided().count() == 0
    assert Need.get_by_id(need.id).status == "待处理"  # not moved to 处理中 either


def test_a_service_correction_may_not_move_it_onto_a_voided_need(homes):
    kid = homes["kids"][0]
    live = save_need(SYSTEM, kid, {"kind": "课业辅导", "description": "数学"}, scope=ALL)
    gone = save_need(SYSTEM, kid, {"kind": "课业辅导", "description": "语文"}, scope=ALL)
    service = save_service(SYSTEM, kid, _service_form(live), scope=ALL)
    void_need(SYSTEM, gone, "录重了")
    with pytest.raises(ValidationError) as refused:
        update_service(SYSTEM, Service.get_by_id(service.id), _service_form(gone), scope=ALL)
    assert "已作废" in refused.value.errors["need"]
    assert Service.get_by_id(service.id).need_id == live.id
    # Its own need voided since, the service is still corrected (the need it answered stays).
    void_need(SYSTEM, Need.get_by_id(live.id), "录错了")
    form = {**_service_form(live), "description": "讲语文"}
    update_service(SYSTEM, Service.get_by_id(service.id), form, scope=ALL)
    assert Service.get_by_id(service.id).description == "讲语文"


def test_a_voided_household_takes_no_edits_members_or_family_away(homes, places):
    home = save_household(
        SYSTEM, ALL, {"village": places["V01"].id, "grid": places["V01-G1"].id, "head_name": "丙"}
    )
    void_household(SYSTEM, home, "重复登记")
    home = Household.get_by_id(home.id)
    values = {"village": places["V01"].id, "grid": places["V01-G1"].id, "head_name": "丙改"}
    with pytest.raises(ValidationError) as refused:
        save_household(SYSTEM, ALL, values, home)
    assert "已作废" in refused.value.errors["_record"]
    with pytest.raises(ValidationError) as refused:
        save_away(SYSTEM, home, {"name": "丙父", "relation": "父亲"})
    assert "已作废" in refused.value.errors["_record"]
    child = {"household": home.id, "name": "丙童", "birth_date": "2015-01-01", "sex": "男"}
    with pytest.raises(ValidationError) as refused:
        save_person(SYSTEM, ALL, {**child, **AWAY})
    assert "已作废" in refused.value.errors["household"]
    assert Household.get_by_id(home.id).head_name == "丙"
    assert not FamilyAway.with_voided().where(FamilyAway.household == home.id).exists()
    assert not Person.select().where(Person.household == home.id).exists()


def test_a_voided_person_gets_no_new_needs_or_services(homes):
    from liushou.services.person_exits import void_person

    kid = homes["kids"][0]
    void_person(SYSTEM, kid, "重复登记")
    kid = Person.get_by_id(kid.id)
    with pytest.raises(ValidationError) as refused:
        save_need(SYSTEM, kid, {"kind": "课业辅导", "description": "数学"}, scope=ALL)
    assert "已作废" in refused.value.errors["_record"]
    with pytest.raises(ValidationError):
        save_service(SYSTEM, kid, _service_form(), scope=ALL)
    assert Need.with_voided().count() == 0 and Service.with_voided().count() == 0


def test_void_away_still_voids_through_its_service(homes):
    away = save_away(SYSTEM, homes["h1"], {"name": "童父", "relation": "父亲"})
    void_away(SYSTEM, homes["h1"], away, "录错了")
    assert FamilyAway.get_by_id(away.id).voided
