"""Imports merge: only the sheet's non-blank cells are written, the preview lists each change
(old → new, and the categories it changes), and confirming applies exactly the previewed plan
in one transaction."""

import io
import re
from datetime import date

import pytest
from peewee import DatabaseError

from liushou.db import database
from liushou.models import AuditLog
from liushou.models.households import FamilyAway, Household
from liushou.models.persons import Person
from liushou.rules.idcard import check_digit
from liushou.scope import Scope
from liushou.services import SYSTEM, ValidationError, importing
from liushou.services.households import save_away, save_household
from liushou.services.persons import save_person
from tests._helpers import xlsx
from tests.conftest import login, post

EVERYTHING = Scope(everything=True)


def id_number(birth, seq):
    first17 = f"620102{birth:%Y%m%d}{seq:03d}"
    return first17 + check_digit(first17)


def snapshot(model, skip=()):
    return {
        row.id: {k: v for k, v in row.__data__.items() if k not in skip}
        for row in model.select().order_by(model.id)
    }


def register_children(places, count):
    """`count` left-behind children, each in his own household with every field filled, and
    his father and mother recorded as working away."""
    persons = []
    for i in range(count):
        household = save_household(
            SYSTEM,
            EVERYTHING,
            {
                "village": places["V01"].id,
                "grid": places["V01-G1"].id,
                "address": f"1组{i + 1}号",
                "head_name": f"祖父{i}",
                "phone": "13900000000",
                "phone2": "0931-1234567",
                "economic_sources": "务工收入",
                "dibao": "1",
                "dibao_since": date(2024, 1, 1),
            },
        )
        birth = date(2014 + i % 5, 1 + i % 12, 1 + i % 28)
        persons.append(
            save_person(
                SYSTEM,
                EVERYTHING,
                {
                    "household": household.id,
                    "name": f"测试儿{i:02d}",
                    "id_number": id_number(birth, 11 + 2 * i),
                    "phone": "13700000000",
                    "relation_to_head": "孙子",
                    "school": "杨柳镇中心小学",
                    "grade": "3年级",
                    "boarding": "1",
                    "father_status": "外出务工",
                    "mother_status": "外出务工",
                    "carer_name": f"祖父{i}",
                    "carer_relation": "祖父",
                    "carer_phone": "13900000000",
                    "carer_capable": "1",
                    "agreement_signed_on": date(2025, 3, 1),
                    "notes": "按时走访",
                },
            )
        )
        for relation in ("父亲", "母亲"):
            save_away(
                SYSTEM,
                household,
                {
                    "name": f"{relation}{i}",
                    "relation": relation,
                    "province": "广东省",
                    "city": "深圳市",
                    "phone": "13600000000",
                },
            )
    return persons


@pytest.fixture
def children(app, places):
    return register_children(places, 50)


def test_a_sheet_changing_one_field_of_50_persons_changes_nothing_else(children, places):
    before = {m: snapshot(m) for m in (Person, Household, FamilyAway)}
    rows = [["姓名", "身份证号", "联系电话", "学校", "家庭住址", "类别"]]
    for i, p in enumerate(children):
        # 学校 and 类别 are blank: a blank cell never clears a stored value.
        rows.append([p.name, p.id_number, f"1380000{i:04d}", None, p.household.address, None])
    plan = importing.plan(rows, places["V01"], EVERYTHING)
    assert plan.count("update") == 50 and plan.count("error") == 0
    for i, row in enumerate(plan.rows):
        assert row.changes == [("", "phone", "13700000000", f"1380000{i:04d}")]
        assert row.groups is None
    _, done = importing.confirm(SYSTEM, EVERYTHING, places["V01"], rows, plan.fingerprint)
    assert done == {"new": 0, "update": 50}
    after = snapshot(Person)
    for i, p in enumerate(children):
        assert after[p.id].pop("phone") == f"1380000{i:04d}"
        old = dict(before[Person][p.id])
        old.pop("phone")
        assert {k: v for k, v in after[p.id].items() if k != "updated_at"} == {
            k: v for k, v in old.items() if k != "updated_at"
        }
        assert after[p.id]["groups"] == "留守儿童"
    assert snapshot(Household) == before[Household]
    assert snapshot(FamilyAway) == before[FamilyAway]
    # The same sheet again: every row is unchanged and nothing is written.
    again = importing.plan(rows, places["V01"], EVERYTHING)
    assert again.count("same") == 50 and again.count("update") == 0
    updates = AuditLog.select().where(AuditLog.action == "update").count()
    importing.confirm(SYSTEM, EVERYTHING, places["V01"], rows, again.fingerprint)
    assert AuditLog.select().where(AuditLog.action == "update").count() == updates


def test_parents_and_household_cells_merge_without_duplicates(children, places):
    child, sibling_household = children[0], children[1].household
    rows = [
        ["姓名", "身份证号", "父亲务工地点", "母亲电话", "家庭住址"],
        # The father moved to 东莞; the mother's phone changed; a new address.
        [child.name, child.id_number, "广东省东莞市", "13611112222", "1组1号之二"],
        # Two new siblings listing the same parents in one new household.
        ["新一", id_number(date(2016, 5, 5), 21), "浙江省杭州市", None, "2组9号"],
        ["新二", id_number(date(2018, 6, 6), 23), "浙江省杭州市", None, "2组9号"],
    ]
    plan = importing.plan(rows, places["V01"], EVERYTHING)
    first = plan.rows[0]
    assert first.action == "update"
    assert ("父亲", "city", "深圳市", "东莞市") in first.changes
    assert ("母亲", "phone", "13600000000", "13611112222") in first.changes
    assert ("户", "address", "1组1号", "1组1号之二") in first.changes
    away_before = FamilyAway.select().count()
    importing.confirm(SYSTEM, EVERYTHING, places["V01"], rows, plan.fingerprint)
    father = FamilyAway.get(
        (FamilyAway.household == child.household) & (FamilyAway.relation == "父亲")
    )
    assert (father.name, father.province, father.city, father.phone) == (
        "父亲0",
        "广东省",
        "东莞市",
        "13600000000",
    )
    household = Household.get_by_id(child.household_id)
    assert household.address == "1组1号之二" and household.dibao and household.phone2
    assert FamilyAway.select().count() == away_before + 1  # one father for the two siblings
    assert Household.get_by_id(sibling_household.id).address == sibling_household.address
    new = Person.get(Person.name == "新一")
    assert Person.get(Person.name == "新二").household_id == new.household_id


def test_confirm_refuses_when_the_register_changed_since_the_preview(children, places):
    rows = [["姓名", "身份证号", "联系电话"]]
    rows += [[p.name, p.id_number, "13811112222"] for p in children[:3]]
    plan = importing.plan(rows, places["V01"], EVERYTHING)
    # Someone else edits one of those persons after the preview.
    edited = children[1]
    values = {**edited.__data__, "school": "另一所学校", "carer_capable": "1", "boarding": "1"}
    save_person(SYSTEM, EVERYTHING, values, Person.get_by_id(edited.id))
    with pytest.raises(ValidationError) as refused:
        importing.confirm(SYSTEM, EVERYTHING, places["V01"], rows, plan.fingerprint)
    assert "登记信息已有变动" in refused.value.errors["plan"]
    assert {p.phone for p in Person.select()} == {"13700000000"}
    assert AuditLog.select().where(AuditLog.action == "import").count() == 0
    # A fresh preview can be confirmed.
    fresh = importing.plan(rows, places["V01"], EVERYTHING)
    assert fresh.fingerprint != plan.fingerprint
    importing.confirm(SYSTEM, EVERYTHING, places["V01"], rows, fresh.fingerprint)
    assert Person.get_by_id(edited.id).school == "另一所学校"
    assert Person.get_by_id(edited.id).phone == "13811112222"


def test_confirm_page_shows_the_new_preview_when_the_plan_changed(login_as, places):
    client = login_as("cun1")
    rows = [["姓名", "性别", "出生日期", "组"], ["甲", "男", "2015-01-01", "1组"]]
    location = post(
        client, "/import", {"village": places["V01"].id, "file": (io.BytesIO(xlsx(rows)), "a.xlsx")}
    ).location
    page = client.get(location).get_data(as_text=True)
    fingerprint = re.search(r'name="fingerprint" value="(\w+)"', page).group(1)
    response = post(
        client,
        location.replace("?", "/confirm?", 1),
        {"village": places["V01"].id, "fingerprint": fingerprint[::-1]},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "登记信息已有变动" in page and "未导入任何数据" in page
    assert f'value="{fingerprint}"' in page  # the fresh preview, ready to confirm
    assert Person.select().count() == 0


def test_a_name_longer_than_its_column_is_a_row_error(children, places):
    long_name = "欧阳" + "长" * 63
    rows = [
        ["姓名", "性别", "出生日期", "监护人关系"],
        [long_name, "男", "2015-01-01", None],
        ["短名", "女", "2015-02-02", "外祖母的表姐的女儿的丈夫的亲弟弟的儿子"],
        ["好名", "女", "2015-02-02", "外祖母"],
    ]
    plan = importing.plan(rows, places["V01"], EVERYTHING)
    assert [r.action for r in plan.rows] == ["error", "error", "new"]
    assert ("姓名", "超过 64 个字（现有 65 个字），请删减后再导入") in plan.rows[0].errors
    assert plan.rows[1].errors[0][0] == "监护人关系"
    importing.confirm(SYSTEM, EVERYTHING, places["V01"], rows, plan.fingerprint)
    assert not Person.select().where(Person.name.startswith("欧阳")).exists()
    assert Person.get(Person.name == "好名").carer_relation == "外祖母"


def test_an_error_in_row_40_at_apply_time_writes_nothing(children, places):
    rows = [["姓名", "身份证号", "联系电话"]]
    rows += [[p.name, p.id_number, f"1380000{i:04d}"] for i, p in enumerate(children)]
    plan = importing.plan(rows, places["V01"], EVERYTHING)
    before = {m: snapshot(m) for m in (Person, Household, FamilyAway)}
    audits = AuditLog.select().count()
    # The database itself refuses the 40th person's update (as a full disk or a constraint
    # would), after 39 rows have been written in the same transaction.
    fortieth = children[39].id
    if database.is_postgres:  # the append-only tables' trigger function raises
        refusal = (
            f"FOR EACH ROW WHEN (NEW.id = {fortieth}) EXECUTE FUNCTION refuse_change('refused')"
        )
    else:
        refusal = f"WHEN NEW.id = {fortieth} BEGIN SELECT RAISE(ABORT, 'refused'); END"
    database.execute_sql(f"CREATE TRIGGER refuse_fortieth BEFORE UPDATE ON person {refusal}")
    with pytest.raises(DatabaseError):
        importing.confirm(SYSTEM, EVERYTHING, places["V01"], rows, plan.fingerprint)
    assert {m: snapshot(m) for m in (Person, Household, FamilyAway)} == before
    assert AuditLog.select().count() == audits


def test_demo_child_with_only_name_sex_and_id_keeps_every_field(demo_app):
    database.connect(reuse_if_open=True)
    child = (
        Person.select()
        .where(
            Person.groups.contains("留守儿童")
            & Person.id_number.is_null(False)
            & (Person.school != "")
            & (Person.carer_name != "")
            & Person.agreement_signed_on.is_null(False)
        )
        .join_from(Person, Person.village.rel_model)
        .where(Person.village.rel_model.code == "V01")
        .first()
    )
    assert child is not None
    before = dict(child.__data__)
    client = demo_app.test_client()
    assert login(client, "cun01").status_code == 303
    sheet = [["姓名", "性别", "身份证号"], [child.name, child.sex, child.id_number]]
    location = post(
        client,
        "/import",
        {"village": child.village_id, "file": (io.BytesIO(xlsx(sheet)), "x.xlsx")},
    ).location
    page = client.get(location).get_data(as_text=True)
    assert "无变化 1 人" in page and "更新 <b>0</b> 人" in page and "→" not in page
    assert "确认导入" not in page  # nothing to write
    # The same three columns and a new phone: the preview names that one change only.
    sheet = [["姓名", "性别", "身份证号", "联系电话", "学校"]]
    sheet.append([child.name, child.sex, child.id_number, "13812345678", None])
    location = post(
        client,
        "/import",
        {"village": child.village_id, "file": (io.BytesIO(xlsx(sheet)), "y.xlsx")},
    ).location
    page = client.get(location).get_data(as_text=True)
    changes = re.findall(r"<div>([^<]*→[^<]*)</div>", page)
    assert changes == [f"电话：{before['phone'] or '（空）'} → 13812345678"]
    fingerprint = re.search(r'name="fingerprint" value="(\w+)"', page).group(1)
    response = post(
        client,
        location.replace("?", "/confirm?", 1),
        {"village": child.village_id, "fingerprint": fingerprint},
    )
    assert response.status_code == 303
    after = Person.get_by_id(child.id).__data__
    assert after["phone"] == "13812345678"
    assert {k: v for k, v in after.items() if k not in ("phone", "updated_at")} == {
        k: v for k, v in before.items() if k not in ("phone", "updated_at")
    }


def test_two_rows_about_one_person_are_refused_not_applied_over_each_other(children, places):
    child = children[0]
    rows = [
        ["姓名", "出生日期", "联系电话", "学校"],
        [child.name, child.birth_date.isoformat(), "13811112222", None],
        [child.name, child.birth_date.isoformat(), None, "二中"],
    ]
    plan = importing.plan(rows, places["V01"], EVERYTHING)
    assert [r.action for r in plan.rows] == ["update", "error"]
    assert plan.rows[1].errors == [("姓名", "与第 2 行是同一人，请合并为一行")]
    importing.confirm(SYSTEM, EVERYTHING, places["V01"], rows, plan.fingerprint)
    stored = Person.get_by_id(child.id)
    assert (stored.phone, stored.school, stored.id_number) == (
        "13811112222",
        "杨柳镇中心小学",
        child.id_number,  # a sheet without IDs never clears one
    )


def test_a_voided_registration_is_not_updated_by_an_import(children, places):
    from liushou.services.person_exits import void_person

    child = void_person(SYSTEM, children[0], "重复登记")
    rows = [["姓名", "身份证号", "联系电话"], [child.name, child.id_number, "13811112222"]]
    plan = importing.plan(rows, places["V01"], EVERYTHING)
    assert plan.rows[0].action == "error"
    assert plan.rows[0].errors == [("身份证号", "此身份证号的登记已作废，请在人员页核实")]
    assert Person.get_by_id(child.id).phone == "13700000000"


def test_a_returned_father_listed_as_away_again_imports(children, places):
    """The ledger says the father works away again after he was marked returned: the import
    records him away again and the child is left-behind, instead of refusing the whole sheet."""
    child = children[0]
    father = FamilyAway.get(
        (FamilyAway.household == child.household_id) & (FamilyAway.relation == "父亲")
    )
    save_away(
        SYSTEM,
        child.household,
        {**father.__data__, "returned_on": date(2026, 6, 1)},
        father,
    )
    assert Person.get_by_id(child.id).father_status != "外出务工"
    rows = [["姓名", "身份证号", "父亲务工地点"], [child.name, child.id_number, "浙江省杭州市"]]
    plan = importing.plan(rows, places["V01"], EVERYTHING)
    assert plan.count("error") == 0, [r.errors for r in plan.rows]
    _, done = importing.confirm(SYSTEM, EVERYTHING, places["V01"], rows, plan.fingerprint)
    assert done["update"] == 1
    stored = Person.get_by_id(child.id)
    assert stored.father_status == "外出务工" and "留守儿童" in stored.groups
