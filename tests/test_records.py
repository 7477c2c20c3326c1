"""Benefits and 高龄补贴, check-ups, activities with attendance, sites."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from liushou.models.records import Attendance, Benefit, CheckUp, Site
from liushou.scope import Scope
from liushou.services import SYSTEM
from liushou.services.households import save_household
from liushou.services.persons import save_person
from liushou.services.records import monthly_amount, save_benefit
from liushou.services.settings import update_settings
from tests.conftest import post

ALL = Scope(everything=True)


def _next_month(today=None):
    today = today or date.today()
    return (today.replace(day=28) + timedelta(days=4)).replace(day=1)


@pytest.fixture
def elders(places):
    household = save_household(
        SYSTEM,
        ALL,
        {"village": places["V01"].id, "grid": places["V01-G1"].id, "head_name": "王老汉"},
    )
    coming = _next_month()
    turning_90 = date(coming.year - 90, coming.month, 10)
    old = save_person(
        SYSTEM,
        ALL,
        {
            "household": household.id,
            "name": "王九十",
            "sex": "男",
            "birth_date": turning_90.isoformat(),
            "children_away": "1",
        },
    )
    young = save_person(
        SYSTEM,
        ALL,
        {
            "household": household.id,
            "name": "王七十",
            "sex": "女",
            "birth_date": date(coming.year - 70, 1, 1).isoformat(),
            "children_away": "1",
        },
    )
    return old, young


def test_subsidy_moves_band_in_next_months_list(elders, login_as):
    old, _young = elders
    benefit = save_benefit(SYSTEM, old, {"kind": "高龄补贴", "start_on": "2020-01-01"})
    this_month = date.today().replace(day=1)
    assert monthly_amount(benefit, this_month) == Decimal("25.00")
    assert monthly_amount(benefit, _next_month()) == Decimal("120.00")
    page = login_as("cun1").get("/benefits").get_data(as_text=True)
    assert "王九十" in page and "80–89周岁 25.0 元 → 90–99周岁 120.0 元/月" in page
    assert "王七十" not in page


def test_new_bands_from_a_date_do_not_rewrite_the_past(elders):
    old, _ = elders
    benefit = save_benefit(SYSTEM, old, {"kind": "高龄补贴", "start_on": "2020-01-01"})
    this_month = date.today().replace(day=1)
    update_settings(
        SYSTEM, {"elder_subsidy_bands": "80-89:100, 90-99:200, 100-:500"}, valid_from=_next_month()
    )
    assert monthly_amount(benefit, this_month) == Decimal("25.00")
    assert monthly_amount(benefit, _next_month()) == Decimal("200.00")


def test_benefit_form_and_monthly_totals(elders, login_as):
    _, young = elders
    client = login_as("cun1")
    response = post(
        client,
        f"/persons/{young.id}/benefits/new",
        {"kind": "低保", "amount": "abc", "start_on": ""},
    )
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "金额应为数字" in text and "请填写开始日期" in text
    response = post(
        client, f"/persons/{young.id}/benefits/new", {"kind": "高龄补贴", "start_on": "2026-01-01"}
    )
    assert response.status_code == 422 and "还不满高龄补贴年龄" in response.get_data(as_text=True)
    response = post(
        client,
        f"/persons/{young.id}/benefits/new",
        {
            "kind": "低保",
            "amount": "450",
            "period": "每月",
            "start_on": "2025-01-01",
            "status": "享受中",
        },
    )
    assert response.status_code == 303
    assert Benefit.get().amount == Decimal("450.00")
    assert "450" in client.get("/benefits").get_data(as_text=True)
    assert "低保 每月 450.00 元" in client.get(f"/persons/{young.id}").get_data(as_text=True)


def test_checkup(elders, login_as):
    old, _ = elders
    client = login_as("cun1")
    response = post(
        client, f"/persons/{old.id}/checkups/new", {"checked_on": "2026-11-01", "bp_high": "400"}
    )
    assert response.status_code == 422 and "50–300" in response.get_data(as_text=True)
    response = post(
        client,
        f"/persons/{old.id}/checkups/new",
        {
            "checked_on": "2026-11-01",
            "bp_high": "150",
            "bp_low": "90",
            "sugar": "6.1",
            "weight": "58.5",
        },
    )
    assert response.status_code == 303 and CheckUp.select().count() == 1
    assert "血压 150/90" in client.get(f"/persons/{old.id}").get_data(as_text=True)


def test_activity_attendance_shows_on_each_persons_page(elders, login_as, places):
    old, young = elders
    client = login_as("cun1")
    response = post(
        client,
        "/activities/new",
        {
            "village": places["V01"].id,
            "kind": "生日会",
            "title": "重阳节生日会",
            "held_on": "2026-10-29",
            "persons": [old.id, young.id],
            "attended": [old.id],
        },
    )
    assert response.status_code == 303
    assert Attendance.select().count() == 2
    assert "重阳节生日会</a> 到场" in client.get(f"/persons/{old.id}").get_data(as_text=True)
    assert "重阳节生日会</a> 未到" in client.get(f"/persons/{young.id}").get_data(as_text=True)
    page = client.get(response.location).get_data(as_text=True)
    assert "到场 1 / 邀请 2" in page
    response = post(
        client, "/activities/new", {"village": places["V01"].id, "kind": "", "title": ""}
    )
    assert response.status_code == 422 and "请选择参加人员" in response.get_data(as_text=True)


def test_sites(login_as, places):
    client = login_as("cun1")
    response = post(
        client,
        "/sites",
        {
            "village": places["V01"].id,
            "kind": "留守儿童之家",
            "name": "第1村儿童之家",
            "phone": "0931-1234567",
            "hours": "周末 9:00-17:00",
        },
    )
    assert response.status_code == 303 and Site.select().count() == 1
    assert "第1村儿童之家" in client.get("/sites").get_data(as_text=True)
    response = post(
        client, "/sites", {"village": places["V02"].id, "kind": "留守儿童之家", "name": "越权"}
    )
    assert response.status_code == 422 and Site.select().count() == 1


def test_yizhen_records_checkups_for_its_attendees(elders, login_as, places):
    from liushou.models.records import Activity

    old, young = elders
    client = login_as("cun1")
    post(
        client,
        "/activities/new",
        {
            "village": places["V01"].id,
            "kind": "义诊体检",
            "title": "义诊进村",
            "held_on": "2026-10-20",
            "organiser": "镇卫生院",
            "persons": [old.id, young.id],
            "attended": [old.id],
        },
    )
    activity = Activity.get()
    page = client.get(f"/activities/{activity.id}").get_data(as_text=True)
    assert page.count("记录体检") == 1  # only the one who came
    form = client.get(f"/persons/{old.id}/checkups/new?activity={activity.id}").get_data(
        as_text=True
    )
    assert 'value="2026-10-20"' in form and 'value="镇卫生院"' in form
    response = post(
        client,
        f"/persons/{old.id}/checkups/new?activity={activity.id}",
        {"checked_on": "2026-10-20", "checked_by": "镇卫生院", "bp_high": "140", "bp_low": "85"},
    )
    assert response.status_code == 303 and response.location == f"/activities/{activity.id}"
    assert CheckUp.get().activity == activity.id
    assert "已体检" in client.get(f"/activities/{activity.id}").get_data(as_text=True)


def test_household_page_joins_cases_benefits_and_activities(elders, login_as, places):
    from liushou.services.care import save_need

    old, young = elders
    save_need(SYSTEM, young, {"kind": "心理抚慰", "description": "想念子女"})
    save_benefit(SYSTEM, young, {"kind": "低保", "amount": "450", "start_on": "2025-01-01"})
    client = login_as("cun1")
    post(
        client,
        "/activities/new",
        {
            "village": places["V01"].id,
            "kind": "节日慰问",
            "title": "中秋慰问",
            "held_on": "2026-09-25",
            "persons": [old.id],
            "attended": [old.id],
        },
    )
    page = client.get(f"/households/{old.household_id}").get_data(as_text=True)
    assert "需求 · 王七十" in page and "想念子女" in page
    assert "救助补贴 · 王七十：低保" in page and "活动 · 王九十" in page and "中秋慰问" in page


def test_stop_a_benefit_keeps_it(elders, login_as):
    _, young = elders
    benefit = save_benefit(
        SYSTEM, young, {"kind": "低保", "amount": "450", "start_on": "2025-01-01"}
    )
    client = login_as("cun1")
    response = post(client, f"/benefits/{benefit.id}/stop", {"end_on": "2024-01-01"})
    assert Benefit.get_by_id(benefit.id).status == "享受中"
    response = post(
        client, f"/benefits/{benefit.id}/stop", {"end_on": "2025-06-30", "notes": "家庭收入提高"}
    )
    assert response.status_code == 303
    stopped = Benefit.get_by_id(benefit.id)
    assert stopped.status == "已停发" and stopped.end_on.isoformat() == "2025-06-30"
    assert monthly_amount(stopped, date(2025, 6, 1)) == Decimal("450.00")
    assert monthly_amount(stopped, date(2025, 7, 1)) == Decimal("0")
    assert login_as("cun2").post(f"/benefits/{benefit.id}/stop").status_code in (400, 404)
