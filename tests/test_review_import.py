"""审核报送 for an import row as a whole (its new household, its family away and the person wait
together), a withdrawn family-row change the nightly job leaves alone, and the summary sheet's
"含待审核" switch."""

import io
from datetime import date

from openpyxl import load_workbook

from liushou.models import AuditLog, Household
from liushou.models.households import FamilyAway
from liushou.models.persons import Person
from liushou.models.review import APPROVED, PENDING, RETURNED, WITHDRAWN, ReviewItem
from liushou.queries.indicators import persons_by_village_and_group
from liushou.services import SYSTEM, ValidationError
from liushou.services import review as service
from liushou.services.categories_follow import daily_recheck
from liushou.services.households import save_away
from tests._helpers import ALL  # noqa: F401
from tests.conftest import post
from tests.shared.review import (  # noqa: F401
    HEADER,
    SHEET,
    actor,
    child_id,
    counts,
    homes,
    import_as,
    register,
    review_on,
    today,
)


def test_an_import_row_waits_whole_and_approval_writes_it_once(users, places, login_as):
    review_on("register")
    before = counts()
    done = import_as(users, places, "cun1")
    assert (done["new"], done["waiting"]) == (0, 2)
    # Nothing of the rows is written: no household, no family away, no person.
    assert counts() == before
    items = list(ReviewItem.select().order_by(ReviewItem.id))
    assert [(i.kind, i.status, i.household_id) for i in items] == [("register", PENDING, None)] * 2
    assert items[0].village_id == places["V01"].id and items[0].grid_id == places["V01-G1"].id
    # Nothing counts before approval: figures, lists, the households page.
    assert persons_by_village_and_group(ALL).get(places["V01"].id, {}).get("留守儿童", 0) == 0
    cun1 = login_as("cun1")
    assert "东街8号" not in cun1.get("/households").get_data(as_text=True)
    assert "赵小一" not in cun1.get("/persons").get_data(as_text=True)
    page = cun1.get(f"/review/{items[0].id}").get_data(as_text=True)
    assert "新建 赵小一户（东街8号，审核通过后建立）" in page and "新增外出务工人员" in page
    # The township approves both: one household, each parent once, both children in it.
    township = actor(users, "township")
    done, failed = service.decide_many(township, ALL, [i.id for i in items], "approve")
    assert failed == [] and len(done) == 2
    homes_ = list(Household.select().where(Household.address == "东街8号"))
    assert len(homes_) == 1 and homes_[0].grid_id == places["V01-G1"].id
    away = FamilyAway.select().where(FamilyAway.household == homes_[0])
    assert sorted((a.relation, a.name, a.city) for a in away) == [
        ("母亲", "母亲", "杭州市"),
        ("父亲", "赵大", "深圳市"),
    ]
    kids = list(Person.select().where(Person.household == homes_[0]).order_by(Person.name))
    assert [(k.name, k.groups) for k in kids] == [("赵小一", "留守儿童"), ("赵小二", "留守儿童")]
    assert all(k.collected_by == users["cun1"].id for k in kids)
    items = [ReviewItem.get_by_id(i.id) for i in items]
    assert [(i.status, i.household_id) for i in items] == [(APPROVED, homes_[0].id)] * 2
    assert {i.person_id for i in items} == {k.id for k in kids}
    # Who approved is in the history.
    assert AuditLog.select().where(AuditLog.action == "approve").count() == 2


def test_approval_is_refused_once_the_village_is_no_longer_the_authors(users, places):
    review_on("register")
    import_as(users, places, "cun1", SHEET[:2])
    item = ReviewItem.get()
    cun1 = users["cun1"]
    cun1.village = places["V02"].id
    cun1.save()
    before = counts()
    try:
        service.approve(actor(users, "township"), ALL, item)
        raise AssertionError("approved outside the author's area")
    except ValidationError as e:
        assert "不在提交人负责的范围内" in "".join(e.errors.values())
    assert counts() == before
    assert ReviewItem.get_by_id(item.id).status == PENDING


def test_a_returned_import_row_is_fixed_and_sent_again(users, places, login_as):
    review_on("register")
    import_as(users, places, "cun1", SHEET[:2])
    item = ReviewItem.get()
    service.return_item(actor(users, "township"), item, "姓名写错了")
    cun1 = login_as("cun1")
    detail = cun1.get(f"/review/{item.id}").get_data(as_text=True)
    link = f"/persons/new?review={item.id}"
    assert "修改后重新提交" in detail and link in detail
    form = cun1.get(link).get_data(as_text=True)
    assert "新建 赵小一户（东街8号，审核通过后建立）" in form and "赵小一" in form
    values = {**item.values, "name": "赵晓一", "review_item": str(item.id)}
    values = {k: v for k, v in values.items() if not isinstance(v, list)}
    response = post(cun1, "/persons/new", values)
    assert response.status_code == 303, response.get_data(as_text=True)
    assert ReviewItem.get_by_id(item.id).status == WITHDRAWN
    again = ReviewItem.get(ReviewItem.status == PENDING)
    assert (again.household_id, again.label, again.new_household["address"]) == (
        None,
        "赵晓一",
        "东街8号",
    )
    assert counts()[2] == 0 and not Household.select().where(Household.address == "东街8号")
    service.approve(actor(users, "township"), ALL, again)
    kid = Person.get(Person.name == "赵晓一")
    assert (kid.household.address, kid.groups) == ("东街8号", "留守儿童")
    assert FamilyAway.select().where(FamilyAway.household == kid.household_id).count() == 2


def test_a_row_joining_a_registered_household_brings_its_away_rows_on_approval(
    users,
    places,
    homes,  # noqa: F811
):
    review_on("register")
    home = homes["V01"]
    home.address = "西街1号"
    home.save()
    rows = [HEADER, ["王小五", child_id(15), "1组", "西街1号", "王大", "广东省深圳市", "浙江省"]]
    import_as(users, places, "cun1", rows)
    item = ReviewItem.get()
    assert item.household_id == home.id
    assert FamilyAway.select().where(FamilyAway.household == home).count() == 0
    service.approve(actor(users, "township"), ALL, item)
    kid = Person.get(Person.name == "王小五")
    assert (kid.household_id, kid.groups) == (home.id, "留守儿童")
    assert FamilyAway.select().where(FamilyAway.household == home).count() == 2


def test_a_returned_row_is_not_counted_and_review_off_writes_it_on_resubmission(
    users, places, login_as
):
    review_on("register")
    import_as(users, places, "cun1", SHEET[:2])
    item = ReviewItem.get()
    service.return_item(actor(users, "township"), item, "请核实")
    assert ReviewItem.get_by_id(item.id).status == RETURNED and counts()[2] == 0
    from liushou.services.settings import update_settings

    update_settings(SYSTEM, {"review_register": "0"}, date(2026, 6, 1))
    cun1 = login_as("cun1")
    values = {k: v for k, v in item.values.items() if not isinstance(v, list)}
    response = post(cun1, "/persons/new", {**values, "review_item": str(item.id)})
    assert response.status_code == 303
    kid = Person.get(Person.name == "赵小一")
    assert kid.household.address == "东街8号" and kid.groups == "留守儿童"
    assert ReviewItem.get_by_id(item.id).status == WITHDRAWN


# --- a withdrawn change the household's rows made stays unapplied ---------------------------


def test_a_withdrawn_family_row_change_is_not_applied_by_the_nightly_job(users, homes):  # noqa: F811
    home = homes["V01"]
    kid = register(users, "township", home, 1, father_status="", mother_status="")
    review_on("category_edit")
    cun1 = actor(users, "cun1")
    save_away(cun1, home, {"name": "王大", "relation": "父亲", "away_since": "2025-01-01"})
    mother = {"name": "李二", "relation": "母亲", "away_since": "2025-01-01"}
    row = save_away(cun1, home, mother)
    item = ReviewItem.get(ReviewItem.person == kid.id)
    service.withdraw(cun1, item)
    daily_recheck(date(2026, 6, 10))
    kid = Person.get_by_id(kid.id)
    assert (kid.mother_status, kid.groups) == ("", "")
    # His author saves the row again: proposed anew (not applied).
    save_away(cun1, home, {**mother, "city": "杭州"}, row)
    assert Person.get_by_id(kid.id).groups == ""
    anew = ReviewItem.get((ReviewItem.person == kid.id) & (ReviewItem.status == PENDING))
    service.withdraw(cun1, anew)
    # A township user saving the row applies it: he needs no review.
    save_away(actor(users, "township"), home, {**mother, "city": "宁波"}, row)
    kid = Person.get_by_id(kid.id)
    assert (kid.mother_status, kid.groups) == ("外出务工", "留守儿童")


# --- the summary sheet follows the "含待审核" switch ----------------------------------------


def test_the_summary_sheet_follows_the_with_pending_switch(users, homes, login_as):  # noqa: F811
    register(users, "cun1", homes["V01"], 1)
    review_on("register")
    register(users, "cun1", homes["V01"], 2)
    client = login_as("township")
    page = client.get("/reports/summary").get_data(as_text=True)
    assert "/reports/summary?pending=1" in page and "含待审核：各村各类人数" not in page
    page = client.get("/reports/summary?pending=1").get_data(as_text=True)
    assert "含待审核：各村各类人数" in page and "1（+1）→ <b>2</b>" in page
    assert "/reports/summary.pdf?pending=1" in page
    printed = client.get("/reports/summary.html?pending=1").get_data(as_text=True)
    assert "（含待审核）" in printed and "1（+1）→ 2" in printed
    assert "含待审核" not in client.get("/reports/summary.html").get_data(as_text=True)
    sheet = load_workbook(io.BytesIO(client.get("/reports/summary.xlsx?pending=1").data)).active
    cells = {str(c) for r in sheet.iter_rows(values_only=True) for c in r if c is not None}
    assert any("第1村：留守儿童 已通过 1，待审核 +1 −0，含待审核 2" in c for c in cells)
    # A past period is dated facts: the switch changes nothing and the page says so.
    past = "period=month&year=2026&n=5"
    page = client.get(f"/reports/summary?{past}&pending=1").get_data(as_text=True)
    assert "含待审核：各村各类人数" not in page and "只含已审核通过的数字" in page
    assert (
        client.get(f"/reports/summary.html?{past}&pending=1").data
        == client.get(f"/reports/summary.html?{past}").data
    )
