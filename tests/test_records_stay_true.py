"""Records stay true: a record whose void moves derived state is voided only through its own
service, and a voided record is never written onto through another one's form."""

import importlib
import json
import sqlite3
from datetime import timedelta

import pytest

from liushou import clock
from liushou.backup_restore import _migrate as migrate_copy
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
from tests.shared.county import _insert, _load, _table_counts, old_file  # noqa: F401

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


# --- 3. no visit enters dated after today ---------------------------------------------------


@pytest.mark.parametrize("table", ["visit", "checkin"])
def test_a_township_file_with_a_visit_after_today_is_not_loaded(app, runner, old_file, table):  # noqa: F811
    """The kept last visit days are read as no later than today: a township file whose clock
    was set wrong (a visit or check-in dated next week) is refused, nothing written."""
    ahead = (clock.today() + timedelta(days=7)).isoformat()
    if table == "checkin":
        migrate_copy(old_file)  # check-ins came after the old file's schema
    con = sqlite3.connect(old_file)
    with con:
        if table == "visit":
            con.execute('UPDATE "visit" SET "visited_on" = ?', (ahead,))
        else:
            person = con.execute('SELECT id FROM "person"').fetchone()[0]
            _insert(con, "checkin", person_id=person, at=f"{ahead} 09:00:00", on=ahead)
    con.close()
    counts = _table_counts()
    result = _load(runner, old_file, "T09")
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "日期晚于今天" in result.output and ahead in result.output
    assert "没有载入" in result.output
    assert _table_counts() == counts


def test_a_voided_visit_after_today_does_not_stop_a_load(app, runner, old_file):  # noqa: F811
    ahead = (clock.today() + timedelta(days=7)).isoformat()
    migrate_copy(old_file)  # visits are voided since a later schema than the old file's
    con = sqlite3.connect(old_file)
    with con:
        con.execute('UPDATE "visit" SET "visited_on" = ?, "voided_at" = ?', (ahead, ahead))
    con.close()
    result = _load(runner, old_file, "T10")
    assert result.exit_code == 0, result.output


def test_a_visit_form_dated_after_today_is_refused(homes, helper):
    kid = homes["kids"][0]
    values = {
        "visited_on": (clock.today() + timedelta(days=1)).isoformat(),
        "method": "上门",
        "helpers": [helper.id],
        "persons": [str(kid.id)],
    }
    with pytest.raises(ValidationError) as refused:
        record_visit(SYSTEM, ALL, [kid], values)
    assert refused.value.errors["visited_on"] == "走访日期不能晚于今天"
    assert not Visit.with_voided().exists()


def test_the_demo_dates_no_visit_or_check_in_after_today(demo_app):
    from liushou.models.visits import CheckIn

    with demo_app.app_context():
        today = clock.today()
        assert Visit.select().exists()
        assert not Visit.select().where(Visit.visited_on > today).exists()
        assert not CheckIn.select().where(CheckIn.on > today).exists()


# --- 4. corrections through apply_changes: same audit rows, never writing a void back ------


def _audit_rows(obj):
    kind = obj._meta.table_name
    return [
        (row.action, row.object_label, json.loads(row.changes or "[]"))
        for row in AuditLog.select()
        .where((AuditLog.object_type == kind) & (AuditLog.object_id == obj.id))
        .order_by(AuditLog.id)
    ]


def test_a_need_correction_racing_a_void_never_brings_it_back(homes):
    kid = homes["kids"][0]
    need = save_need(SYSTEM, kid, {"kind": "课业辅导", "description": "数学"}, scope=ALL)
    editing = Need.get_by_id(need.id)
    void_need(SYSTEM, Need.get_by_id(need.id), "并无此需求")
    with pytest.raises(ValidationError):
        save_need(SYSTEM, kid, {"kind": "课业辅导", "description": "语文"}, editing, scope=ALL)
    assert Need.get_by_id(need.id).voided and Need.get_by_id(need.id).description == "数学"


def test_an_emergency_correction_racing_a_void_never_brings_it_back(homes):
    from liushou.models.care import Emergency
    from liushou.services.care import open_emergency, update_emergency, void_emergency

    kid = homes["kids"][0]
    values = {"kind": "疾病", "discovered_at": clock.now().strftime("%Y-%m-%d %H:%M")}
    emergency = open_emergency(SYSTEM, kid, {**values, "reported_by": "村医"})
    editing = Emergency.get_by_id(emergency.id)
    void_emergency(SYSTEM, Emergency.get_by_id(emergency.id), "误报")
    with pytest.raises(ValidationError):
        update_emergency(SYSTEM, editing, {**values, "reported_by": "校医"})
    assert Emergency.get_by_id(emergency.id).voided


def test_a_household_correction_racing_a_void_never_brings_it_back(places):
    values = {"village": places["V01"].id, "grid": places["V01-G1"].id, "head_name": "丁"}
    home = save_household(SYSTEM, ALL, values)
    editing = Household.get_by_id(home.id)
    void_household(SYSTEM, Household.get_by_id(home.id), "重复登记")
    with pytest.raises(ValidationError):
        save_household(SYSTEM, ALL, {**values, "head_name": "丁改"}, editing)
    assert Household.get_by_id(home.id).voided_at is not None
    assert Household.get_by_id(home.id).head_name == "丁"


def test_corrections_keep_one_audit_row_with_their_extra_entries(homes, places, helper):
    """A helper's new areas, an emergency's reason and a household's fields each stay on the
    one update row, in the same order as before; an unchanged save writes no row."""
    kid = homes["kids"][0]
    base = {"name": "干部", "kind": "村干部", "village": places["V01"].id}
    save_helper(SYSTEM, ALL, base, helper)
    assert [a for a, _label, _c in _audit_rows(helper)] == ["create"]
    save_helper(
        SYSTEM,
        ALL,
        {**base, "phone": "13800001111", "areas": [f"g:{places['V01-G1'].id}"]},
        helper,
    )
    action, _label, changes = _audit_rows(helper)[-1]
    assert action == "update"
    assert [c[0] for c in changes] == ["phone", "areas"]

    from liushou.services.care import open_emergency, update_emergency

    values = {
        "kind": "疾病",
        "discovered_at": clock.now().strftime("%Y-%m-%d %H:%M"),
        "reported_by": "村医",
    }
    emergency = open_emergency(SYSTEM, kid, values)
    update_emergency(
        SYSTEM, emergency, {**values, "kind": "意外伤害", "correction_reason": "问清了"}
    )
    action, label, changes = _audit_rows(emergency)[-1]
    assert label.startswith(f"{kid.name} 突发事件：")
    assert [c[0] for c in changes][-1] == "correction_reason" and changes[-1][2] == "问清了"
    assert ["kind", "疾病", "意外伤害"] in [list(c) for c in changes]

    h1 = Household.get_by_id(homes["h1"].id)
    stamped = h1.updated_at
    form = {"village": h1.village_id, "grid": h1.grid_id, "head_name": "甲"}
    save_household(SYSTEM, ALL, form, h1)
    assert [a for a, _l, _c in _audit_rows(h1)] == ["create"]
    save_household(SYSTEM, ALL, {**form, "address": "一组3号"}, h1)
    rows = _audit_rows(h1)
    assert [a for a, _l, _c in rows] == ["create", "update"]
    assert [list(c) for c in rows[-1][2]] == [["address", "", "一组3号"]]
    assert Household.get_by_id(h1.id).updated_at >= stamped


def test_a_voided_households_forms_say_why_nothing_is_saved(places, login_as):
    from tests.conftest import post

    home = household_of(places)
    void_household(SYSTEM, home, "重复登记")
    cadre = login_as("cun1")
    form = {"village": places["V01"].id, "grid": places["V01-G1"].id, "head_name": "戊改"}
    response = post(cadre, f"/households/{home.id}/edit", form)
    assert response.status_code == 422
    assert "这条记录已作废" in response.get_data(as_text=True)
    response = post(cadre, f"/households/{home.id}/away/new", {"name": "戊父", "relation": "父亲"})
    assert response.status_code == 422
    assert "这条记录已作废" in response.get_data(as_text=True)
    assert Household.get_by_id(home.id).head_name == "戊"
    assert not FamilyAway.with_voided().where(FamilyAway.household == home.id).exists()


def household_of(places):
    values = {"village": places["V01"].id, "grid": places["V01-G1"].id, "head_name": "戊"}
    return save_household(SYSTEM, ALL, values)


def test_an_account_edit_from_a_stale_copy_never_brings_ended_sessions_back(
    places, users, login_as
):
    """An admin opened the account page before another admin reset the user's sessions (a new
    role, a lost phone): saving a new phone number from that copy writes the phone only."""
    from liushou.models import User
    from liushou.services.accounts import end_sessions, update_user

    stale = User.get_by_id(users["cun1"].id)
    cadre = login_as("cun1")
    end_sessions(User.get_by_id(stale.id))
    ended = User.get_by_id(stale.id).session_version
    values = {"username": "cun1", "display_name": "cun1", "role": "village"}
    update_user(SYSTEM, stale, {**values, "village": places["V01"].id, "phone": "13800002222"})
    user = User.get_by_id(stale.id)
    assert user.session_version == ended and user.phone == "13800002222"
    assert cadre.get("/persons").status_code in (302, 303)  # his old session stays ended
    action, _label, changes = _audit_rows(user)[-1]
    assert action == "update" and [c[0] for c in changes] == ["phone"]
