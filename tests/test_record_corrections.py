"""Benefits, check-ups, activities (with their list) and sites: corrected with their history,
voided with a reason, gone from figures but kept, struck through, on the person's page."""

import json
from datetime import date
from decimal import Decimal

import pytest

from liushou import clock
from liushou.models import AuditLog
from liushou.models.records import Activity, Attendance, Benefit, CheckUp, Site
from liushou.queries import indicators
from liushou.scope import Scope
from liushou.services import SYSTEM, ValidationError
from liushou.services.households import save_household
from liushou.services.persons import save_person
from liushou.services.records import (
    save_activity,
    save_benefit,
    save_checkup,
    save_site,
    stop_benefit,
    update_benefit,
    void_benefit,
)
from tests.conftest import post

ALL = Scope(everything=True)


@pytest.fixture
def folk(places):
    """An elder of 85 and a left-behind child in V01-G1, and a site of V01."""
    household = save_household(
        SYSTEM, ALL, {"village": places["V01"].id, "grid": places["V01-G1"].id, "head_name": "赵"}
    )
    elder = save_person(
        SYSTEM,
        ALL,
        {
            "household": household.id,
            "name": "赵老汉",
            "sex": "男",
            "birth_date": "1941-03-01",
            "children_away": "1",
        },
    )
    kid = save_person(
        SYSTEM,
        ALL,
        {
            "household": household.id,
            "name": "赵小妹",
            "sex": "女",
            "birth_date": "2016-05-01",
            "father_status": "外出务工",
            "mother_status": "外出务工",
        },
    )
    site = save_site(
        SYSTEM, ALL, {"village": places["V01"].id, "kind": "留守儿童之家", "name": "儿童之家"}
    )
    return {"elder": elder, "kid": kid, "site": site, "places": places}


def _changes(obj, action="update"):
    rows = AuditLog.select().where(
        (AuditLog.object_type == obj._meta.table_name)
        & (AuditLog.object_id == obj.id)
        & (AuditLog.action == action)
    )
    return [tuple(c) for row in rows for c in json.loads(row.changes or "[]")]


def test_benefit_correction_is_audited_and_validated_like_creation(folk, login_as):
    benefit = save_benefit(
        SYSTEM, folk["elder"], {"kind": "低保", "amount": "380", "start_on": "2026-01-01"}
    )
    client = login_as("cun1")
    url = f"/benefits/{benefit.id}/edit"
    assert client.get(url).status_code == 200
    values = {"kind": "低保", "amount": "400", "period": "每月", "start_on": "2026-02-01"}
    response = post(client, url, {**values, "status": "享受中"})
    assert response.status_code == 303
    stored = Benefit.get_by_id(benefit.id)
    assert stored.amount == Decimal("400") and stored.start_on == date(2026, 2, 1)
    assert [(Decimal(b), Decimal(c)) for f, b, c in _changes(benefit) if f == "amount"] == [
        (Decimal("380"), Decimal("400"))
    ]
    assert ("start_on", "2026-01-01", "2026-02-01") in _changes(benefit)
    for bad, field in (
        ({"amount": "-5"}, "amount"),
        ({"end_on": "2025-12-01"}, "end_on"),
        ({"status": "已停发"}, "end_on"),  # stopping is a dated end
        ({"kind": "高龄补贴", "period": "一次性"}, "period"),
    ):
        response = post(client, url, {**values, "status": "享受中", **bad})
        assert response.status_code == 422, bad
        assert f'id="{field}-err"' in response.get_data(as_text=True), bad
    assert Benefit.get_by_id(benefit.id).amount == Decimal("400")


def test_one_off_elder_subsidy_is_refused_next_to_the_period(folk, login_as):
    client = login_as("cun1")
    response = post(
        client,
        f"/persons/{folk['elder'].id}/benefits/new",
        {"kind": "高龄补贴", "period": "一次性", "start_on": "2026-01-01", "status": "享受中"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "不能选“一次性”" in page and 'id="period-err"' in page
    assert Benefit.select().count() == 0


def test_stored_odd_benefits_never_take_a_page_down(folk, login_as):
    """Records no form accepts any more, written straight to the table (old data, imports)."""
    elder = folk["elder"]
    odd = [
        {"kind": "高龄补贴", "amount": None, "period": "一次性", "start_on": date(2026, 11, 3)},
        {"kind": "低保", "amount": None, "period": "每月", "start_on": date(2026, 1, 1)},
        {"kind": "低保", "amount": Decimal("-10"), "period": "每月", "start_on": date(2026, 1, 1)},
        {"kind": "临时救助", "amount": None, "period": "一次性", "start_on": date(2026, 11, 1)},
        {"kind": "其他", "amount": Decimal("5"), "period": "每年", "start_on": date(2026, 1, 1)},
        {
            "kind": "助学金",
            "amount": Decimal("5"),
            "period": "每月",
            "start_on": date(2026, 5, 1),
            "end_on": date(2026, 1, 1),
            "status": "已停发",
        },
        {"kind": "医疗救助", "amount": Decimal("5"), "start_on": date(2026, 1, 1), "status": "?"},
        {"kind": "低保", "amount": Decimal("5"), "start_on": date(2026, 1, 1), "status": "已停发"},
    ]
    for row in odd:
        Benefit.create(person=elder, **row)
    with clock.freeze(date(2026, 11, 20)):
        for user in ("admin", "township", "leader", "cun1"):
            client = login_as(user)
            for url in (
                "/",
                "/benefits",
                f"/persons/{elder.id}",
                "/reports?period=year&year=2026",
                "/reports/report.xlsx?period=month&year=2026&n=11",
                f"/persons/{elder.id}/archive.html",
            ):
                response = client.get(url)
                assert response.status_code in (200, 302), (user, url, response.status_code)


def _low_income(person):
    return save_benefit(SYSTEM, person, {"kind": "低保", "amount": "380", "start_on": "2025-01-01"})


def test_stopping_a_benefit_does_not_rewrite_the_past(folk):
    with clock.freeze(date(2025, 1, 1)):  # entered when it started: 2025's report knows it
        benefit = _low_income(folk["kid"])
    october, year_2025 = date(2026, 10, 1), (date(2025, 1, 1), date(2025, 12, 31))
    with clock.freeze(date(2026, 11, 20)):
        before_month = indicators.benefits_in_month(ALL, october)
        before_report = indicators.report(ALL, october, date(2026, 10, 31))["benefits"]
        before_year = indicators.report(ALL, *year_2025)["benefits"]
        assert before_month == Decimal("380") and before_year == {"低保": Decimal("4560")}
        stop_benefit(SYSTEM, benefit, {"end_on": "2026-11-01"})
        assert indicators.benefits_in_month(ALL, october) == before_month
        assert indicators.report(ALL, october, date(2026, 10, 31))["benefits"] == before_report
        assert indicators.report(ALL, *year_2025)["benefits"] == before_year
        # From the stopping date on it pays nothing.
        assert indicators.benefits_in_month(ALL, date(2026, 11, 1)) == 0


def test_a_benefit_voided_before_a_period_closed_is_not_in_it(folk):
    with clock.freeze(date(2025, 1, 1)):
        benefit = _low_income(folk["kid"])
    with clock.freeze(date(2025, 6, 3)):
        void_benefit(SYSTEM, benefit, "重复录入")
    with clock.freeze(date(2026, 11, 20)):
        assert indicators.report(ALL, date(2025, 1, 1), date(2025, 12, 31))["benefits"] == {}
        # Before the void was recorded, May was reported with it.
        may = indicators.report(ALL, date(2025, 5, 1), date(2025, 5, 31))["benefits"]
        assert may == {"低保": Decimal("380")}


def test_a_voided_benefit_leaves_the_figures_and_stays_struck_through(folk, login_as):
    with clock.freeze(date(2025, 1, 1)):  # entered when it started: 2025's report knows it
        benefit = _low_income(folk["kid"])
    client = login_as("cun1")
    with clock.freeze(date(2026, 11, 20)):
        assert "380" in str(indicators.home_figures(ALL)["benefits"])
        response = post(client, f"/benefits/{benefit.id}/void", {"void_reason": ""})
        assert response.status_code == 422 and "请填写作废原因" in response.get_data(as_text=True)
        assert Benefit.get_by_id(benefit.id).voided_at is None
        response = post(client, f"/benefits/{benefit.id}/void", {"void_reason": "重复录入"})
        assert response.status_code == 303
        assert indicators.home_figures(ALL)["benefits"] == 0
        # Voided after 2025 closed: 2025's report keeps it as it was known then.
        year_2025 = indicators.report(ALL, date(2025, 1, 1), date(2025, 12, 31))["benefits"]
        assert year_2025 == {"低保": Decimal("4560")}
        assert indicators.report(ALL, date(2026, 11, 1), date(2026, 11, 30))["benefits"] == {}
        page = client.get(f"/persons/{folk['kid'].id}").get_data(as_text=True)
        assert '<li class="voided">低保' in page and "已作废（重复录入）" in page
        record_page = client.get(f"/benefits/{benefit.id}/edit").get_data(as_text=True)
        assert "已作废" in record_page and "重复录入" in record_page
        archive = client.get(f"/persons/{folk['kid'].id}/archive.html").get_data(as_text=True)
        assert '<tr class="voided"><th>低保（每月）' in archive
        # A voided record is not edited any more.
        response = post(
            client,
            f"/benefits/{benefit.id}/edit",
            {"kind": "低保", "amount": "1", "start_on": "2025-01-01"},
        )
        assert response.status_code == 422
    with pytest.raises(ValidationError):
        update_benefit(SYSTEM, Benefit.get_by_id(benefit.id), {"kind": "低保", "amount": "1"})


def test_checkup_correct_and_void(folk, login_as):
    checkup = save_checkup(SYSTEM, folk["elder"], {"checked_on": "2026-01-05", "bp_high": "150"})
    client = login_as("cun1")
    url = f"/checkups/{checkup.id}/edit"
    response = post(client, url, {"checked_on": "2026-01-06", "bp_high": "140", "bp_low": "90"})
    assert response.status_code == 303
    assert ("bp_high", 150, 140) in _changes(checkup)
    assert ("checked_on", "2026-01-05", "2026-01-06") in _changes(checkup)
    response = post(client, url, {"checked_on": "2026-01-06", "bp_high": "80", "bp_low": "90"})
    assert response.status_code == 422 and 'id="bp_low-err"' in response.get_data(as_text=True)
    assert (
        post(client, f"/checkups/{checkup.id}/void", {"void_reason": "录错了人"}).status_code == 303
    )
    assert CheckUp.select().count() == 0 and CheckUp.get_by_id(checkup.id).voided
    page = client.get(f"/persons/{folk['elder'].id}").get_data(as_text=True)
    assert "已作废（录错了人）" in page


def _activity(folk, **extra):
    return save_activity(
        SYSTEM,
        ALL,
        {
            "village": folk["places"]["V01"].id,
            "site": folk["site"].id,
            "kind": "生日会",
            "title": "集体生日会",
            "held_on": "2026-10-10",
            "persons": [folk["kid"].id, folk["elder"].id],
            "attended": [folk["kid"].id],
            **extra,
        },
    )


def test_activity_list_correction_voids_and_restores_rows(folk, login_as):
    activity = _activity(folk)
    kid, elder = folk["kid"], folk["elder"]
    client = login_as("cun1")
    url = f"/activities/{activity.id}/edit"
    form = client.get(url).get_data(as_text=True)
    assert f'name="persons" value="{elder.id}" checked' in form
    body = {"kind": "生日会", "title": "十月生日会", "held_on": "2026-10-11", "site": ""}
    response = post(client, url, {**body, "persons": [kid.id], "attended": [kid.id]})
    assert response.status_code == 303
    removed = Attendance.get((Attendance.activity == activity) & (Attendance.person == elder))
    assert removed.voided and Attendance.select().count() == 1
    stored = Activity.get_by_id(activity.id)
    assert stored.title == "十月生日会" and stored.site_id is None
    assert ("attendance", "1/2", "1/1") in _changes(activity)
    assert ("site", "儿童之家", "") in _changes(activity)
    page = client.get(f"/activities/{activity.id}").get_data(as_text=True)
    assert "到场 1 / 邀请 1" in page and "已移出名单" in page
    assert "已移出名单" in client.get(f"/persons/{elder.id}").get_data(as_text=True)
    # Ticking him again un-voids the same row (one row per activity and person).
    both = [kid.id, elder.id]
    response = post(client, url, {**body, "persons": both, "attended": both})
    assert response.status_code == 303
    again = Attendance.get_by_id(removed.id)
    assert not again.voided and again.attended
    assert Attendance.with_voided().count() == 2
    # Counted by a report of a period still open (a closed one counts what was known at its close).
    assert indicators.report(ALL, date(2026, 10, 1), clock.today())["attended"] == 2


def test_activity_site_must_be_of_its_village_and_in_use(folk, login_as):
    activity = _activity(folk)
    other = save_site(
        SYSTEM, ALL, {"village": folk["places"]["V02"].id, "kind": "妇女之家", "name": "外村之家"}
    )
    client = login_as("admin")
    body = {"kind": "生日会", "title": "生日会", "held_on": "2026-10-10"}
    body["persons"] = [folk["kid"].id]
    response = post(client, f"/activities/{activity.id}/edit", {**body, "site": other.id})
    assert response.status_code == 422 and 'id="site-err"' in response.get_data(as_text=True)
    # A stopped site stays on its activities but is offered to no new one.
    site = folk["site"]
    assert post(client, f"/sites/{site.id}/active", {"active": "0"}).status_code == 303
    assert not Site.get_by_id(site.id).active
    assert ("active", True, False) in _changes(site)
    new_form = client.get(f"/activities/new?village={folk['places']['V01'].id}")
    assert "儿童之家" not in new_form.get_data(as_text=True)
    response = post(
        client,
        "/activities/new",
        {**body, "village": folk["places"]["V01"].id, "site": site.id},
    )
    assert response.status_code == 422 and "已停用" in response.get_data(as_text=True)
    response = post(client, f"/activities/{activity.id}/edit", {**body, "site": site.id})
    assert response.status_code == 303
    assert post(client, f"/sites/{site.id}/active", {"active": "1"}).status_code == 303
    assert Site.get_by_id(site.id).active


def test_a_voided_activity_leaves_the_counts(folk, login_as):
    activity = _activity(folk)
    # A period still open: a closed one keeps what was known at its close.
    october = (date(2026, 10, 1), clock.today())
    assert indicators.report(ALL, *october)["activities"] == {"生日会": 1}
    client = login_as("cun1")
    response = post(client, f"/activities/{activity.id}/void", {"void_reason": "重复录入"})
    assert response.status_code == 303
    figures = indicators.report(ALL, *october)
    assert figures["activities"] == {} and figures["attended"] == 0
    assert "集体生日会" not in client.get("/activities").get_data(as_text=True)
    page = client.get(f"/activities/{activity.id}").get_data(as_text=True)
    assert "已作废" in page and "重复录入" in page
    person_page = client.get(f"/persons/{folk['kid'].id}").get_data(as_text=True)
    assert "活动已作废" in person_page
    household = client.get(f"/households/{folk['kid'].household_id}").get_data(as_text=True)
    assert "集体生日会" not in household


def test_grid_worker_may_not_void_an_activity_with_others_on_it(folk, login_as, places):
    outsider_home = save_household(
        SYSTEM, ALL, {"village": places["V01"].id, "grid": places["V01-G2"].id, "head_name": "钱"}
    )
    neighbour = save_person(
        SYSTEM,
        ALL,
        {"household": outsider_home.id, "name": "钱小弟", "sex": "男", "birth_date": "2017-01-01"},
    )
    activity = _activity(folk, persons=[folk["kid"].id, neighbour.id], attended=[])
    client = login_as("grid1")
    response = post(client, f"/activities/{activity.id}/void", {"void_reason": "录错"})
    assert response.status_code == 422 and not Activity.get_by_id(activity.id).voided
    # His correction of the list leaves the other grid's child on it.
    body = {"kind": "生日会", "title": "生日会", "held_on": "2026-10-10", "persons": []}
    response = post(client, f"/activities/{activity.id}/edit", body)
    assert response.status_code == 303
    assert [a.person_id for a in Attendance.select()] == [neighbour.id]


def test_site_correct_and_void(folk, login_as):
    site = folk["site"]
    client = login_as("cun1")
    url = f"/sites/{site.id}/edit"
    response = post(client, url, {"kind": "留守儿童之家", "name": "童心家园", "hours": "周末"})
    assert response.status_code == 303
    assert ("name", "儿童之家", "童心家园") in _changes(site)
    assert login_as("grid1").get(url).status_code == 403
    client = login_as("cun1")
    assert post(client, f"/sites/{site.id}/void", {"void_reason": "重复"}).status_code == 303
    assert "童心家园" not in client.get("/sites").get_data(as_text=True)
    assert "已作废" in client.get(url).get_data(as_text=True)


def test_another_areas_user_gets_404_on_edit_and_void(folk, login_as):
    benefit = _low_income(folk["kid"])
    checkup = save_checkup(SYSTEM, folk["elder"], {"checked_on": "2026-01-05"})
    activity = _activity(folk)
    site = folk["site"]
    client = login_as("cun2")
    for kind, obj in (
        ("benefits", benefit),
        ("checkups", checkup),
        ("activities", activity),
        ("sites", site),
    ):
        assert client.get(f"/{kind}/{obj.id}/edit").status_code == 404
        for action in ("edit", "void"):
            response = post(client, f"/{kind}/{obj.id}/{action}", {"void_reason": "外村"})
            assert response.status_code == 404, (kind, action)
    assert not any(
        m.get_by_id(o.id).voided
        for m, o in ((Benefit, benefit), (CheckUp, checkup), (Activity, activity), (Site, site))
    )
