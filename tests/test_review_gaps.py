"""The gaps issue 19's review left: imports and family-away edits through review, the "含待审核"
switch on the report downloads, cross-checks by name and birth date, a proposal closing only
its author's returned items, cross-check rows checked against the comparison's and the
person's area, and free text masked in the full-record export."""

import io
from datetime import date

from openpyxl import load_workbook

from liushou.models.crosscheck import CrosscheckRow
from liushou.models.persons import Person
from liushou.models.review import PENDING, RETURNED, ReviewItem
from liushou.queries import full_record
from liushou.rules.privacy import MASKED, Disclosure, mask_free_text
from liushou.services import SYSTEM
from liushou.services import review as service
from liushou.services.households import save_household
from liushou.services.person_exits import exit_person
from liushou.services.persons import save_person
from tests._helpers import ALL  # noqa: F401
from tests.conftest import post
from tests.shared.crosscheck import DIBAO_ROWS, check_id, idn, roster, rows_of, upload
from tests.shared.crosscheck import register as roster_register  # noqa: F401
from tests.shared.review import actor, homes, register, review_on, today  # noqa: F401

# --- 5: a new proposal closes only its author's returned item -----------------------------


def test_a_proposal_leaves_another_authors_returned_item_alone(users, homes):  # noqa: F811
    person = register(users, "township", homes["V01"])
    review_on("exit")
    leave = {"exit_reason": "迁出", "exited_on": "2026-06-09"}
    theirs = exit_person(actor(users, "cun1"), person, leave)
    service.return_item(actor(users, "township"), theirs, "请写清迁往何处")
    mine = exit_person(actor(users, "grid1"), Person.get_by_id(person.id), leave)
    assert mine.status == PENDING
    # cun1's returned item is still his to fix or withdraw.
    assert ReviewItem.get_by_id(theirs.id).status == RETURNED
    # His own new proposal (after grid1's is decided) closes his returned one.
    service.return_item(actor(users, "township"), mine, "重复")
    service.withdraw(actor(users, "grid1"), mine)
    again = exit_person(actor(users, "cun1"), Person.get_by_id(person.id), leave)
    assert again.status == PENDING
    assert ReviewItem.get_by_id(theirs.id).status != RETURNED


# --- 6: a cross-check row in the user's area only when its comparison and person are ------


def test_a_row_of_another_villages_comparison_is_a_404(login_as, roster_register):  # noqa: F811
    cun1 = login_as("cun1")
    cid = check_id(upload(cun1, roster(["姓名", "证件号码"], [r[:2] for r in DIBAO_ROWS])))
    # V01's upload matched V02's 外村人: the row sits in V02, the comparison is V01's.
    row = rows_of(cid, name="外村人", category="a")[0]
    cun2 = login_as("cun2")
    assert post(cun2, f"/crosscheck/rows/{row.id}/apply").status_code == 404
    assert post(cun2, f"/crosscheck/rows/{row.id}/dismiss", {"reason": "x"}).status_code == 404
    assert CrosscheckRow.get_by_id(row.id).status == "open"
    from liushou.models import Household

    assert not Household.get_by_id(roster_register["other"].household_id).dibao


def test_a_row_whose_person_moved_out_of_the_area_is_a_404(login_as, roster_register, places):  # noqa: F811
    township = login_as("township")
    cid = check_id(upload(township, roster(["姓名", "身份证号"], [r[:2] for r in DIBAO_ROWS])))
    row = rows_of(cid, name="张小明", category="a")[0]
    listed = roster_register["listed"]
    # His household moves to V02 after the comparison: the row still says V01.
    home = listed.household
    values = {"village": places["V02"].id, "grid": places["V02-G1"].id, "head_name": "户主"}
    save_household(SYSTEM, ALL, values, home)
    cun1 = login_as("cun1")
    assert post(cun1, f"/crosscheck/rows/{row.id}/apply").status_code == 404
    assert post(cun1, f"/crosscheck/rows/{row.id}/dismiss", {"reason": "x"}).status_code == 404
    assert CrosscheckRow.get_by_id(row.id).status == "open"


# --- 7: free text in the full-record export -----------------------------------------------


def test_mask_free_text_masks_phones_and_ids_inside_text():
    text = "长子王强（广东深圳，13812345678；身份证 62010219700101001X），次子 139-1234-5678"
    masked = mask_free_text(text)
    assert "13812345678" not in masked and "138****5678" in masked
    assert "62010219700101001X" not in masked and "620102***********X" in masked
    assert "139-1234-5678" not in masked and "139****5678" in masked
    assert masked.startswith("长子王强（广东深圳")
    assert mask_free_text("3组12号，养老金 1200 元") == "3组12号，养老金 1200 元"


def test_full_record_export_masks_the_supporters_text(users, homes, login_as):  # noqa: F811
    elder_id = "620102195001010015"
    from liushou.rules.idcard import check_digit

    elder_id = elder_id[:17] + check_digit(elder_id[:17])
    save_person(
        SYSTEM,
        ALL,
        {
            "household": homes["V01"].id,
            "name": "王老汉",
            "id_number": elder_id,
            "children_away": "1",
            "children_away_since": "2024-01-01",
            "supporters": "长子王强 广东深圳 13812345678 身份证620102197001010012",
            "health": "高血压，家属电话13900001111",
        },
    )
    header = full_record.header("留守老人")
    rows = full_record.rows(ALL, "留守老人", MASKED, date(2026, 6, 10))
    line = dict(zip(header, rows[0], strict=True))
    assert "13812345678" not in line["赡养人及去向"] and "138****5678" in line["赡养人及去向"]
    assert "620102197001010012" not in line["赡养人及去向"]
    assert "13900001111" not in line["健康状况"]
    full = full_record.rows(ALL, "留守老人", Disclosure(True, True), date(2026, 6, 10))
    assert "13812345678" in dict(zip(header, full[0], strict=True))["赡养人及去向"]
    response = login_as("cun1").get("/persons/export/full.xlsx?group=留守老人")
    sheet = load_workbook(io.BytesIO(response.data)).active
    cells = [str(c) for r in sheet.iter_rows(values_only=True) for c in r if c]
    assert not any("13812345678" in c or "620102197001010012" in c for c in cells)


# --- 4: a registered person without an ID number, matched by name and birth date ----------


def test_a_person_without_id_is_matched_by_name_and_birth_date(login_as, places, users):
    from liushou.models import Household
    from tests.shared.crosscheck import person as registered

    no_id = registered(places, "V01", "孙小花", "", birth_date="2016-05-06", sex="女")
    namesake = registered(places, "V01", "周小草", "", birth_date="2016-01-01", sex="女")
    lines = [
        ["孙小花", idn("20160506", "022")],  # same name and birth date: the ID is recorded
        ["周小草", idn("20170707", "022")],  # same name, another birth date: not him
    ]
    review_on("category_edit")
    client = login_as("cun1")
    cid = check_id(upload(client, roster(["姓名", "身份证号"], lines)))
    e = rows_of(cid, category="e")
    assert [(r.name, r.person_id) for r in e] == [("孙小花", no_id.id)]
    # The same household's 低保 is compared too, as for a person found by his ID.
    assert rows_of(cid, category="a", name="孙小花")[0].person_id == no_id.id
    assert [r.name for r in rows_of(cid, category="c")] == ["周小草"]
    assert Person.get_by_id(namesake.id).id_number is None
    page = client.get(f"/crosscheck/{cid}").get_data(as_text=True)
    assert "登记缺身份证号" in page and idn("20160506", "022") not in page
    assert post(client, f"/crosscheck/rows/{e[0].id}/apply").status_code == 303
    assert Person.get_by_id(no_id.id).id_number == idn("20160506", "022")
    assert CrosscheckRow.get_by_id(e[0].id).status == "applied"
    assert not Household.get_by_id(no_id.household_id).dibao


# --- 3: the report downloads follow the "含待审核" switch --------------------------------


def test_report_downloads_follow_the_with_pending_switch(users, homes, login_as):  # noqa: F811
    register(users, "cun1", homes["V01"], 1)
    review_on("register")
    register(users, "cun1", homes["V01"], 2)
    client = login_as("township")
    page = client.get("/reports?pending=1").get_data(as_text=True)
    assert "/reports/report.pdf?pending=1" in page and "/reports/report.xlsx?pending=1" in page
    printed = client.get("/reports/report.html?pending=1").get_data(as_text=True)
    assert "（含待审核）" in printed and "1（+1）→ 2" in printed
    plain = client.get("/reports/report.html").get_data(as_text=True)
    assert "含待审核" not in plain

    def cells(url):
        response = client.get(url)
        assert response.status_code == 200
        sheet = load_workbook(io.BytesIO(response.data)).active
        return {str(c) for r in sheet.iter_rows(values_only=True) for c in r if c is not None}

    with_pending = cells("/reports/report.xlsx?pending=1")
    assert any("（含待审核）" in c for c in with_pending)
    assert any(c.startswith("含待审核：合计：留守儿童（已通过 1，待审核 +1") for c in with_pending)
    assert not any("含待审核" in c for c in cells("/reports/report.xlsx"))
    # A past period is dated facts: the switch changes nothing of its copies.
    past = "period=month&year=2026&n=5"
    assert (
        client.get(f"/reports/report.html?{past}&pending=1").data
        == client.get(f"/reports/report.html?{past}").data
    )


# --- 2: a family-away row that changes a member's categories goes through review ----------


def test_a_family_row_changing_categories_waits_for_review(users, homes, login_as):  # noqa: F811
    from liushou.services.categories_follow import daily_recheck
    from liushou.services.households import save_away, void_away

    home = homes["V01"]
    kid = register(users, "township", home, 1, father_status="", mother_status="")
    assert Person.get_by_id(kid.id).groups == ""
    review_on("category_edit")
    cun1 = actor(users, "cun1")
    father = save_away(cun1, home, {"name": "王大", "relation": "父亲", "away_since": "2025-01-01"})
    mother = save_away(cun1, home, {"name": "李二", "relation": "母亲", "away_since": "2025-01-01"})
    # The father alone changes no category: applied. The mother's row is saved; the fact it
    # decides and his category wait for the township.
    kid = Person.get_by_id(kid.id)
    assert (kid.father_status, kid.mother_status, kid.groups) == ("外出务工", "", "")
    item = ReviewItem.get(ReviewItem.person == kid.id)
    assert (item.kind, item.status, item.groups_after) == ("category_edit", PENDING, "留守儿童")
    assert ("mother_status", "", "外出务工") in [tuple(c) for c in item.changes]
    # Nothing else applies it meanwhile: not the nightly job, not another edit of the rows.
    daily_recheck(date(2026, 6, 10))
    save_away(
        SYSTEM,
        home,
        {"name": "王大", "relation": "父亲", "away_since": "2025-01-01", "city": "深圳"},
        father,
    )
    assert Person.get_by_id(kid.id).groups == ""
    assert ReviewItem.select().where(ReviewItem.person == kid.id).count() == 1
    page = login_as("township").get("/review").get_data(as_text=True)
    assert "王小1" in page
    service.approve(actor(users, "township"), ALL, item)
    kid = Person.get_by_id(kid.id)
    assert (kid.father_status, kid.mother_status, kid.groups) == (
        "外出务工",
        "外出务工",
        "留守儿童",
    )
    # Voiding the mother's row would take the category away: it waits too.
    void_away(cun1, home, mother, "录错")
    assert Person.get_by_id(kid.id).groups == "留守儿童"
    assert ReviewItem.select().where(ReviewItem.status == PENDING).get().groups_after == ""


def test_an_import_row_making_a_child_left_behind_waits_as_one_proposal(users, homes, places):  # noqa: F811
    from liushou.services import importing

    kid = register(users, "township", homes["V01"], 1, father_status="", mother_status="")
    review_on("category_edit")
    rows = [
        ["姓名", "身份证号", "父亲务工地点", "母亲务工地点", "学校"],
        [kid.name, kid.id_number, "广东省深圳市", "浙江省杭州市", "一小"],
    ]
    cun1, scope1 = (
        actor(users, "cun1"),
        __import__("liushou.scope").scope.Scope.for_user(users["cun1"]),
    )
    plan = importing.plan(rows, places["V01"], scope1)
    assert plan.count("update") == 1, plan.rows[0].errors
    importing.confirm(cun1, scope1, places["V01"], rows, plan.fingerprint)
    assert Person.get_by_id(kid.id).groups == ""
    waiting = list(ReviewItem.select().where(ReviewItem.status == PENDING))
    assert len(waiting) == 1 and waiting[0].groups_after == "留守儿童"
    service.approve(actor(users, "township"), ALL, waiting[0])
    kid = Person.get_by_id(kid.id)
    assert (kid.groups, kid.school, kid.mother_status) == ("留守儿童", "一小", "外出务工")
