"""Cross-checks (比对核实): a roster from another office against the register, per village; each
finding applied through the edit services (once) or dismissed with a reason; scoped, kept,
printable; hostile files answered like the import."""

import io
from datetime import date

import pytest
from pypdf import PdfReader

from liushou import clock
from liushou.models import AuditLog, Household, Person
from liushou.models.crosscheck import Crosscheck, CrosscheckRow
from liushou.rules import crosscheck as rules
from liushou.scope import Scope
from tests._helpers import BOMB
from tests.conftest import post
from tests.shared import crosscheck
from tests.shared.crosscheck import (
    DIBAO_ROWS,
    check_id,
    idn,
    roster,
    rows_of,
    upload,
)

register = crosscheck.register  # the shared fixture

EVERYTHING = Scope(everything=True)


def test_township_upload_finds_each_category_per_village(login_as, register):
    client = login_as("township")
    cid = check_id(upload(client, roster(["姓名", "公民身份号码", "出生日期"], DIBAO_ROWS)))
    found = {(r.category, r.name, r.field) for r in rows_of(cid)}
    assert ("a", "张小明", "dibao") in found
    assert ("b", "李奶奶", "dibao") in found  # recorded as 低保, not on the list
    assert ("d", "王三丫", "name") in found
    assert ("c", "漏登娃", "") in found
    assert ("a", "外村人", "dibao") in found and ("d", "外村人", "") in found
    assert ("x", "错号人", "") in found
    missing = rows_of(cid, category="c")[0]
    assert missing.village_id is None and "可能是漏登的儿童" in missing.note
    assert "7 岁" in missing.note or "8 岁" in missing.note
    # Nothing of the register changed on upload.
    assert not Household.get_by_id(register["listed"].household_id).dibao
    assert Person.get_by_id(register["renamed"].id).name == "王二丫"
    page = client.get(f"/crosscheck/{cid}").get_data(as_text=True)
    assert "第1村" in page and "第2村" in page and "漏登娃" in page
    assert idn("20180808", "031") not in page and "620102***********" in page


def test_village_cadre_sees_only_his_village_and_not_the_townships_unmatched(login_as, register):
    township = login_as("township")
    cid = check_id(upload(township, roster(["姓名", "身份证号", "出生日期"], DIBAO_ROWS)))
    cun1 = login_as("cun1")
    page = cun1.get(f"/crosscheck/{cid}").get_data(as_text=True)
    assert "张小明" in page and "李奶奶" in page
    assert "外村人" not in page and "漏登娃" not in page and "错号人" not in page
    assert "只有乡镇用户可见" in page
    other = rows_of(cid, name="外村人", category="a")[0]
    before = AuditLog.select().count()
    response = post(cun1, f"/crosscheck/rows/{other.id}/apply")
    assert response.status_code == 404
    response = post(cun1, f"/crosscheck/rows/{other.id}/dismiss", {"reason": "x"})
    assert response.status_code == 404
    assert CrosscheckRow.get_by_id(other.id).status == "open"
    assert not Household.get_by_id(register["other"].household_id).dibao
    assert AuditLog.select().count() == before


def test_a_village_upload_keeps_its_unmatched_lines_in_the_village(login_as, register, places):
    cun1 = login_as("cun1")
    cid = check_id(upload(cun1, roster(["姓名", "证件号码"], [r[:2] for r in DIBAO_ROWS])))
    assert Crosscheck.get_by_id(cid).village_id == places["V01"].id
    missing = rows_of(cid, category="c")[0]
    assert missing.village_id == places["V01"].id
    assert "漏登娃" in cun1.get(f"/crosscheck/{cid}").get_data(as_text=True)
    # The other village's cadre neither lists nor opens it.
    cun2 = login_as("cun2")
    assert "低保名单.xlsx" not in cun2.get("/crosscheck").get_data(as_text=True)
    assert cun2.get(f"/crosscheck/{cid}").status_code == 404
    # Only persons of his own village count as "recorded but not on the list".
    assert {r.name for r in rows_of(cid, category="b")} == {"李奶奶"}


def test_apply_sets_the_flag_through_the_edit_service_once(login_as, register):
    client = login_as("township")
    cid = check_id(upload(client, roster(["姓名", "身份证号"], [r[:2] for r in DIBAO_ROWS])))
    row = rows_of(cid, category="a", name="张小明")[0]
    response = post(client, f"/crosscheck/rows/{row.id}/apply")
    assert response.status_code == 303
    household = Household.get_by_id(register["listed"].household_id)
    assert household.dibao
    audits = list(
        AuditLog.select().where(
            (AuditLog.object_type == "household") & (AuditLog.object_id == household.id)
        )
    )
    assert any('"dibao", false, true' in a.changes for a in audits)
    assert any("按低保名单比对核实" in a.changes for a in audits)
    assert CrosscheckRow.get_by_id(row.id).status == "applied"
    count = AuditLog.select().count()
    again = post(client, f"/crosscheck/rows/{row.id}/apply")
    assert again.status_code == 303
    assert "不能重复应用" in client.get(again.location).get_data(as_text=True)
    assert AuditLog.select().count() == count


def test_apply_removes_and_renames(login_as, register):
    client = login_as("township")
    cid = check_id(upload(client, roster(["姓名", "身份证号"], [r[:2] for r in DIBAO_ROWS])))
    gone = rows_of(cid, category="b")[0]
    post(client, f"/crosscheck/rows/{gone.id}/apply")
    assert not Household.get_by_id(register["dibao_gone"].household_id).dibao
    renamed = rows_of(cid, category="d", field="name")[0]
    post(client, f"/crosscheck/rows/{renamed.id}/apply")
    person = Person.get_by_id(register["renamed"].id)
    assert person.name == "王三丫"
    assert person.name_initials.startswith("w")


def test_dismiss_keeps_the_reason_and_needs_one(login_as, register):
    client = login_as("cun1")
    cid = check_id(upload(client, roster(["姓名", "身份证号"], [r[:2] for r in DIBAO_ROWS])))
    row = rows_of(cid, category="b")[0]
    response = post(client, f"/crosscheck/rows/{row.id}/dismiss", {"reason": ""})
    assert "请填写忽略的原因" in client.get(response.location).get_data(as_text=True)
    assert CrosscheckRow.get_by_id(row.id).status == "open"
    post(client, f"/crosscheck/rows/{row.id}/dismiss", {"reason": "新批低保，名单未更新"})
    row = CrosscheckRow.get_by_id(row.id)
    assert (row.status, row.reason, row.decided_by_name) == (
        "dismissed",
        "新批低保，名单未更新",
        "cun1",
    )
    assert Household.get_by_id(register["dibao_gone"].household_id).dibao
    page = client.get(f"/crosscheck/{cid}").get_data(as_text=True)
    assert "已忽略" in page and "新批低保，名单未更新" in page
    response = post(client, f"/crosscheck/rows/{row.id}/apply")
    assert CrosscheckRow.get_by_id(row.id).status == "dismissed"


def test_a_missing_person_is_registered_from_the_prefilled_form(login_as, register):
    client = login_as("cun1")
    cid = check_id(upload(client, roster(["姓名", "身份证号"], [r[:2] for r in DIBAO_ROWS])))
    row = rows_of(cid, category="c")[0]
    form = client.get(f"/crosscheck/missing/{row.id}/register").get_data(as_text=True)
    assert 'value="漏登娃"' in form and idn("20180808", "031") in form
    home = register["listed"].household_id
    response = post(
        client,
        f"/crosscheck/missing/{row.id}/register",
        {"household": home, "name": "漏登娃", "id_number": idn("20180808", "031")},
    )
    assert response.status_code == 303
    person = Person.get(Person.id_number == idn("20180808", "031"))
    row = CrosscheckRow.get_by_id(row.id)
    assert (row.status, row.person_id) == ("applied", person.id)
    # A second submission registers nobody else.
    again = post(
        client,
        f"/crosscheck/missing/{row.id}/register",
        {"household": home, "name": "漏登娃二", "birth_date": "2018-08-08", "sex": "男"},
    )
    assert again.status_code == 303 and not Person.select().where(Person.name == "漏登娃二").count()
    # Not an (a) row: it has no registration form.
    other = rows_of(cid, category="a")[0]
    assert client.get(f"/crosscheck/missing/{other.id}/register").status_code == 404


def test_disability_list_sets_kind_and_grade_from_the_certificate_number(login_as, register):
    client = login_as("township")
    data = roster(
        ["序号", "残疾人姓名", "残疾人证号", "残疾类别", "残疾等级"],
        [
            [1, "张小明", idn("20150307", "011") + "42", None, None],
            [2, "赵大爷", idn("19540202", "013"), "肢体残疾", "贰级"],
        ],
        title="残疾人名单",
    )
    cid = check_id(upload(client, data, kind="disability"))
    row = rows_of(cid, category="a", name="张小明")[0]
    assert row.new_value == "肢体二级"
    post(client, f"/crosscheck/rows/{row.id}/apply")
    child = Person.get_by_id(register["listed"].id)
    assert (child.disability_kind, child.disability_grade) == ("肢体", "二级")
    elder = rows_of(cid, name="赵大爷")[0]
    assert elder.category == "a" and elder.note == "残疾类别或等级与登记不同"


def test_school_list_without_a_school_column_asks_for_the_name(login_as, register):
    client = login_as("cun1")
    data = roster(["姓名", "身份证号", "年级"], [["张小明", idn("20150307", "011"), "五年级"]])
    response = upload(client, data, kind="school")
    assert response.status_code == 422
    assert "请填写学校名称" in response.get_data(as_text=True)
    assert Crosscheck.select().count() == 0
    cid = check_id(upload(client, data, kind="school", school_name="中心小学"))
    row = rows_of(cid, category="a")[0]
    post(client, f"/crosscheck/rows/{row.id}/apply")
    child = Person.get_by_id(register["listed"].id)
    assert (child.school, child.grade) == ("中心小学", "五年级")
    # His history says the change came from the school's list.
    page = client.get(f"/persons/{child.id}").get_data(as_text=True)
    assert "比对核实：（空） → 按学校学生名单比对核实" in page


@pytest.mark.parametrize(
    "data, message",
    [
        (BOMB, "16384 列"),
        (b"not a workbook", "这不是 Excel 工作簿"),
        (roster(["名字", "电话"], [["张三", "1"]]), "没有找到表头"),
    ],
)
def test_bad_files_get_the_imports_messages_and_nothing_is_kept(login_as, places, data, message):
    client = login_as("township")
    response = upload(client, data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert Crosscheck.select().count() == 0 and CrosscheckRow.select().count() == 0


def test_printout_masks_ids_and_is_audited(login_as, register):
    client = login_as("township")
    cid = check_id(upload(client, roster(["姓名", "身份证号"], [r[:2] for r in DIBAO_ROWS])))
    response = client.get(f"/crosscheck/{cid}/print.html")
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "漏登娃" in text
    assert idn("20180808", "031") not in text
    assert AuditLog.select().where(AuditLog.action == "print").count() == 1
    pdf = client.get(f"/crosscheck/{cid}/print.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = "".join("".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "漏登娃" in text and idn("20180808", "031") not in text
    assert AuditLog.select().where(AuditLog.action == "print").count() == 2


def test_void_a_comparison_keeps_it_out_of_the_list(login_as, register):
    client = login_as("cun1")
    cid = check_id(upload(client, roster(["姓名", "身份证号"], [r[:2] for r in DIBAO_ROWS])))
    post(client, f"/crosscheck/{cid}/void", {"void_reason": "传错了文件"})
    assert Crosscheck.get_by_id(cid).void_reason == "传错了文件"
    assert "低保名单.xlsx" not in client.get("/crosscheck").get_data(as_text=True)
    row = rows_of(cid, category="a")[0]
    post(client, f"/crosscheck/rows/{row.id}/apply")
    assert CrosscheckRow.get_by_id(row.id).status == "open"


def test_grid_workers_and_leaders_may_not_use_it(login_as, register):
    for name in ("grid1", "leader"):
        assert login_as(name).get("/crosscheck").status_code == 403


def test_roster_reader_rules():
    today = date(2026, 4, 10)
    rows = [
        ["低保名单"],
        ["序号", "户主姓名", "成员姓名", "证件号码"],
        [1, "甲", "乙", idn("20150307", "011").lower()],
        [2, "甲", "丙", idn("20150307", "011")],
        [3, "甲", "", idn("20160101", "013")],
        [4, "甲", "", ""],  # nothing to compare: left out
    ]
    lines, problem = rules.read_roster(rows, today)
    assert problem is None
    assert [line.name for line in lines] == ["乙", "丙", ""]
    assert lines[0].id_number == idn("20150307", "011")
    assert lines[1].problem == "与第 3 行的身份证号重复"
    assert lines[2].problem == "名单此行没有姓名"
    assert rules.read_roster([["姓名", "电话"]], today) == ([], rules.NO_HEADER)


def test_age_of_a_missing_elder_is_shown():
    today = clock.today()
    line = rules.Line(3, "老人", idn("19400101", "011"), id_birth=date(1940, 1, 1))
    (finding,) = rules.compare("tekun", [line], [], today)
    assert finding.category == "c" and "可能是漏登的老人" in finding.note


def test_two_clicks_on_one_finding_apply_it_once(login_as, register, users):
    """Two requests that both loaded the row while it was open: the second is refused."""
    from liushou.services import Actor, ValidationError
    from liushou.services.crosscheck import apply

    client = login_as("township")
    cid = check_id(upload(client, roster(["姓名", "身份证号"], [r[:2] for r in DIBAO_ROWS])))
    row = rows_of(cid, category="d", field="name")[0]
    first, second = CrosscheckRow.get_by_id(row.id), CrosscheckRow.get_by_id(row.id)
    actor = Actor(users["township"])
    apply(actor, EVERYTHING, first)
    updates = AuditLog.select().where(AuditLog.object_type == "person").count()
    with pytest.raises(ValidationError, match="不能重复应用"):
        apply(actor, EVERYTHING, second)
    assert AuditLog.select().where(AuditLog.object_type == "person").count() == updates
    assert Person.get_by_id(register["renamed"].id).name == "王三丫"
