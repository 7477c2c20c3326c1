"""Organisations (associations and teams): scoping, members joining and leaving, figures, pages."""

import re
from datetime import date

import pytest

from liushou.models import AuditLog, Membership, Organisation
from liushou.queries import orgs as queries
from liushou.scope import Scope
from liushou.services import SYSTEM, ValidationError
from liushou.services import orgs as service
from tests.conftest import post

EVERYTHING = Scope(everything=True)
TODAY = date(2026, 3, 2)


@pytest.fixture
def world(app, places):
    from liushou.services.helpers import save_helper
    from liushou.services.households import save_away, save_household
    from liushou.services.persons import save_person

    def home(village, grid, head):
        return save_household(
            SYSTEM,
            EVERYTHING,
            {"village": places[village].id, "grid": places[grid].id, "head_name": head},
        )

    h1, h2 = home("V01", "V01-G1", "王一"), home("V02", "V02-G1", "李二")

    def elder(household, name):
        return save_person(
            SYSTEM,
            EVERYTHING,
            {
                "household": household.id,
                "name": name,
                "birth_date": "1950-05-01",
                "sex": "女",
                "phone": "13912345678",
            },
        )

    return {
        "p1": elder(h1, "王奶奶"),
        "p2": elder(h2, "李奶奶"),
        "away1": save_away(
            SYSTEM, h1, {"name": "王强", "relation": "儿子", "phone": "13800001111"}
        ),
        "helper1": save_helper(
            SYSTEM,
            EVERYTHING,
            {"name": "赵老师", "kind": "教师", "village": places["V01"].id, "phone": "13700002222"},
        ),
        "v1": places["V01"],
        "v2": places["V02"],
    }


def _org(village, name="东村外出务工者协会", kind="外出务工者协会", scope=EVERYTHING):
    return service.create_org(
        SYSTEM, scope, {"village": village.id if village else "", "kind": kind, "name": name}
    )


def test_members_of_three_sources_join_and_leave(world):
    org = _org(world["v1"])
    m1 = service.add_member(
        SYSTEM,
        EVERYTHING,
        org,
        {"person": world["p1"].id, "role": "会长", "joined_on": "2025-01-01"},
    )
    service.add_member(
        SYSTEM,
        EVERYTHING,
        org,
        {"away": world["away1"].id, "role": "小组长", "joined_on": "2025-01-01"},
    )
    service.add_member(
        SYSTEM, EVERYTHING, org, {"helper": world["helper1"].id, "joined_on": "2025-02-01"}
    )
    current, former, hidden = queries.members(EVERYTHING, org)
    assert [m.member_name for m in current] == ["王奶奶", "王强", "赵老师"]
    assert [m.role for m in queries.leaders(current)] == ["会长", "小组长"]
    assert current[1].contact_phone == "13800001111"

    service.leave(
        SYSTEM, EVERYTHING, m1, {"left_on": "2026-01-10", "left_reason": "身体原因"}, TODAY
    )
    current, former, _ = queries.members(EVERYTHING, org)
    assert [m.member_name for m in former] == ["王奶奶"]
    assert Membership.get_by_id(m1.id).left_on == date(2026, 1, 10)  # kept, not deleted
    # Leaving before joining, or twice, is refused.
    with pytest.raises(ValidationError) as e:
        service.leave(SYSTEM, EVERYTHING, m1, {"left_on": "2026-01-11"}, TODAY)
    assert "left_on" in e.value.errors
    # He may join again later: a new row, the old one stays.
    service.add_member(
        SYSTEM, EVERYTHING, org, {"person": world["p1"].id, "joined_on": "2026-02-01"}
    )
    assert Membership.select().where(Membership.person == world["p1"]).count() == 2


def test_a_member_is_exactly_one_of_person_away_helper(world):
    org = _org(world["v1"])
    for values in ({}, {"person": world["p1"].id, "helper": world["helper1"].id}):
        with pytest.raises(ValidationError) as e:
            service.add_member(SYSTEM, EVERYTHING, org, {**values, "joined_on": "2025-01-01"})
        assert "person" in e.value.errors
    service.add_member(
        SYSTEM, EVERYTHING, org, {"person": world["p1"].id, "joined_on": "2025-01-01"}
    )
    with pytest.raises(ValidationError, match="已是本组织成员"):
        service.add_member(
            SYSTEM, EVERYTHING, org, {"person": world["p1"].id, "joined_on": "2025-01-01"}
        )
    # The schema refuses a row naming two members, whatever code writes it.
    from peewee import IntegrityError

    with pytest.raises(IntegrityError):
        Membership.create(
            organisation=org, person=world["p1"], helper=world["helper1"], joined_on=TODAY
        )


def test_a_village_organisation_takes_only_its_village_members(world):
    org = _org(world["v1"])
    with pytest.raises(ValidationError) as e:
        service.add_member(
            SYSTEM, EVERYTHING, org, {"person": world["p2"].id, "joined_on": "2025-01-01"}
        )
    assert e.value.errors["person"] == "请选择本村（社区）的登记人员"
    assert not Membership.select().exists()


def test_village_user_sees_township_orgs_but_writes_only_his_own(world, users):
    cun1 = Scope.for_user(users["cun1"])
    town = _org(None, "全镇五老志愿服务队", "五老")
    own = _org(world["v1"], scope=cun1)
    other = _org(world["v2"], "西村老年协会", "老年协会")
    assert {o.name for o in queries.listing(cun1)} == {town.name, own.name}
    assert cun1.get(Organisation, town.id) == town
    assert service.may_write(cun1, own) and not service.may_write(cun1, town)
    with pytest.raises(ValidationError):
        service.add_member(
            SYSTEM, cun1, town, {"person": world["p1"].id, "joined_on": "2025-01-01"}
        )
    with pytest.raises(ValidationError) as e:
        _org(None, "乱建", scope=cun1)
    assert "village" in e.value.errors
    with pytest.raises(ValidationError):
        _org(world["v2"], "外村协会", scope=cun1)
    # Grid workers read organisations but do not change them.
    grid1 = Scope.for_user(users["grid1"])
    assert {o.name for o in queries.listing(grid1)} == {town.name, own.name}
    assert not service.may_write(grid1, own) and not service.may_create(grid1)
    assert other.id not in {o.id for o in queries.listing(cun1)}


def test_township_org_members_outside_the_area_are_hidden(world, users):
    town = _org(None, "全镇互助组", "互助组")
    for p in (world["p1"], world["p2"]):
        service.add_member(SYSTEM, EVERYTHING, town, {"person": p.id, "joined_on": "2025-01-01"})
    current, _former, hidden = queries.members(Scope.for_user(users["cun1"]), town)
    assert [m.member_name for m in current] == ["王奶奶"] and hidden == 1


def test_figures_count_organisations_and_current_members_by_kind_and_village(world):
    a = _org(world["v1"])
    _org(world["v1"], "东村老年协会", "老年协会")
    b = _org(world["v2"], "西村外出务工者协会")
    gone = _org(world["v2"], "录错的协会")
    service.add_member(SYSTEM, EVERYTHING, a, {"person": world["p1"].id, "joined_on": "2025-01-01"})
    m = service.add_member(
        SYSTEM, EVERYTHING, a, {"away": world["away1"].id, "joined_on": "2025-01-01"}
    )
    service.leave(SYSTEM, EVERYTHING, m, {"left_on": "2026-01-01"}, TODAY)
    service.add_member(SYSTEM, EVERYTHING, b, {"person": world["p2"].id, "joined_on": "2025-01-01"})
    service.void_org(SYSTEM, EVERYTHING, gone, {"void_reason": "重复录入"})
    figures = queries.figures(EVERYTHING)
    assert figures["kinds"] == [("外出务工者协会", 2, 2), ("老年协会", 1, 0)]
    assert ("第1村", "外出务工者协会", 1, 1) in figures["villages"]
    assert ("第2村", "外出务工者协会", 1, 1) in figures["villages"]
    # The voided one keeps its page and is in no list.
    assert EVERYTHING.get(Organisation, gone.id).voided
    assert gone.id not in {o.id for o in queries.listing(EVERYTHING)}


def test_changes_are_audited_and_voided_records_refuse_edits(world):
    org = _org(world["v1"])
    service.update_org(SYSTEM, EVERYTHING, org, {"kind": "互助组", "name": "东村妇女互助组"})
    m = service.add_member(
        SYSTEM, EVERYTHING, org, {"person": world["p1"].id, "joined_on": "2025-01-01"}
    )
    service.set_role(SYSTEM, EVERYTHING, m, {"role": "副会长"})
    service.void_member(SYSTEM, EVERYTHING, m, {"void_reason": "录错了人"})
    actions = [
        (a.object_type, a.action)
        for a in AuditLog.select()
        .where(AuditLog.object_type.in_(["organisation", "org_member"]))
        .order_by(AuditLog.id)
    ]
    assert actions == [
        ("organisation", "create"),
        ("organisation", "update"),
        ("org_member", "create"),
        ("org_member", "update"),
        ("org_member", "void"),
    ]
    assert queries.members(EVERYTHING, org)[0] == []
    with pytest.raises(ValidationError):
        service.set_role(SYSTEM, EVERYTHING, Membership.get_by_id(m.id), {"role": "会长"})


def test_pages_forms_and_print(world, login_as):
    client = login_as("cun1")
    r = post(client, "/orgs/new", {"village": world["v1"].id, "kind": "外出务工者协会", "name": ""})
    assert r.status_code == 422 and "请填写组织名称" in r.get_data(as_text=True)
    r = post(
        client,
        "/orgs/new",
        {"village": world["v1"].id, "kind": "外出务工者协会", "name": "东村协会"},
    )
    assert r.status_code == 303
    org = Organisation.get(Organisation.name == "东村协会")
    page = client.get(f"/orgs/{org.id}/members/new").get_data(as_text=True)
    assert "王奶奶" in page and "王强" in page and "赵老师" in page and "李奶奶" not in page
    r = post(
        client,
        f"/orgs/{org.id}/members/new",
        {"away": world["away1"].id, "role": "小组长", "joined_on": "2025-03-01"},
    )
    assert r.status_code == 303
    page = client.get(f"/orgs/{org.id}").get_data(as_text=True)
    assert "王强" in page and "小组长" in page and 'href="tel:13800001111"' in page
    m = Membership.get()
    r = post(client, f"/org-members/{m.id}/leave", {"left_on": "2026-01-05", "left_reason": "返乡"})
    assert r.status_code == 303 and Membership.get_by_id(m.id).left_on is not None
    assert "已退出" in client.get(f"/orgs/{org.id}").get_data(as_text=True)
    listing = client.get("/orgs").get_data(as_text=True)
    assert "东村协会" in listing and re.search(r"外出务工者协会</td><td>1 个", listing)
    preview = client.get(f"/orgs/{org.id}/members.html")
    assert preview.status_code == 200 and "东村协会成员名单" in preview.get_data(as_text=True)
    assert AuditLog.select().where(AuditLog.action == "print").exists()


def test_others_get_404_or_403(world, login_as):
    org = _org(world["v1"])
    town = _org(None, "全镇五老志愿服务队", "五老")
    client = login_as("cun2")
    assert client.get(f"/orgs/{org.id}").status_code == 404
    assert client.get(f"/orgs/{town.id}").status_code == 200
    assert client.get(f"/orgs/{town.id}/edit").status_code == 403
    r = post(
        client,
        f"/orgs/{town.id}/members/new",
        {"person": world["p2"].id, "joined_on": "2025-01-01"},
    )
    assert r.status_code == 403 and not Membership.select().exists()
    client = login_as("grid1")
    assert client.get(f"/orgs/{org.id}").status_code == 200
    assert client.get("/orgs/new").status_code == 403


def test_an_activity_is_organised_by_an_organisation_of_its_village_or_township(world):
    from liushou.services.records import save_activity

    own, town = _org(world["v1"]), _org(None, "全镇五老志愿服务队", "五老")
    other = _org(world["v2"], "西村老年协会", "老年协会")

    def activity(org, scope=EVERYTHING):
        return save_activity(
            SYSTEM,
            scope,
            {
                "village": world["v1"].id,
                "kind": "节日慰问",
                "title": "春节慰问",
                "held_on": "2026-02-01",
                "organisation": org.id,
                "persons": [world["p1"].id],
                "attended": [world["p1"].id],
            },
            today=TODAY,
        )

    for org in (own, town):
        assert activity(org).organisation_id == org.id
    assert [a.title for a in queries.activities(EVERYTHING, own)] == ["春节慰问"]
    with pytest.raises(ValidationError) as e:
        activity(other)
    assert "organisation" in e.value.errors
    assert queries.activities(EVERYTHING, other).count() == 0


def test_the_activity_form_offers_only_organisations_in_scope(world, login_as):
    _org(world["v1"]), _org(None, "全镇五老志愿服务队", "五老")
    _org(world["v2"], "西村老年协会", "老年协会")
    page = login_as("cun1").get(f"/activities/new?village={world['v1'].id}")
    text = page.get_data(as_text=True)
    assert "东村外出务工者协会" in text and "全镇五老志愿服务队" in text
    assert "西村老年协会" not in text
