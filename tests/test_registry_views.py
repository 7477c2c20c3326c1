"""Registry pages through the client: register, list, search, history, area limits."""

import pytest

from liushou.models import AuditLog
from liushou.models.households import Household
from liushou.models.persons import Person
from tests.conftest import post
from tests.shared.town import wang_xiaoming

CHILD_ID = "620102201503070014"
BOTH_AWAY = {"father_status": "外出务工", "mother_status": "外出务工"}


@pytest.fixture
def cadre(login_as):
    return login_as("cun1")


def _household(client, places, **extra):
    response = post(
        client,
        "/households/new",
        {
            "village": places["V01"].id,
            "grid": places["V01-G1"].id,
            "head_name": "王建国",
            "address": "一组 12 号",
            **extra,
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    return Household.get(Household.head_name == "王建国")


def _child(client, places, **values):
    """王小明 (CHILD_ID) registered through the pages in a new household: (household, person)."""
    household = _household(client, places)
    form = {"household": household.id, "name": "王小明", "id_number": CHILD_ID, **values}
    post(client, "/persons/new", form)
    return household, Person.get(Person.name == "王小明")


def test_register_household_and_left_behind_child(cadre, places):
    household = _household(cadre, places)
    response = post(cadre, "/persons/new", wang_xiaoming(household))
    assert response.status_code == 303
    person = Person.get(Person.name == "王小明")
    page = cadre.get(f"/persons/{person.id}").get_data(as_text=True)
    assert "<h1>王小明" in page
    assert "父母均外出务工，未满16周岁" in page
    listing = cadre.get("/persons?group=留守儿童").get_data(as_text=True)
    assert "王小明" in listing and "留守儿童" in listing
    assert CHILD_ID not in listing and "620102***********4" in listing
    household_page = cadre.get(f"/households/{household.id}").get_data(as_text=True)
    assert "王小明" in household_page


def test_wrong_check_digit_refused_next_to_the_field(cadre, places):
    household = _household(cadre, places)
    response = post(
        cadre,
        "/persons/new",
        {"household": household.id, "name": "王小明", "id_number": "620102201503070015"},
    )
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert 'id="id_number-err">身份证号校验位不对' in text
    assert 'value="王小明"' in text  # what was typed is kept
    assert Person.select().count() == 0


def test_pinyin_search_finds_surname_readings(cadre, places):
    household = _household(cadre, places)
    for name, birth in (("单声", "1950-01-01"), ("曾国", "1951-02-02"), ("张三", "1952-03-03")):
        post(
            cadre,
            "/persons/new",
            {"household": household.id, "name": name, "birth_date": birth, "sex": "男"},
        )
    found = cadre.get("/persons?q=ss").get_data(as_text=True)
    assert "单声" in found and "曾国" not in found
    found = cadre.get("/persons?q=zg").get_data(as_text=True)
    assert "曾国" in found and "张三" not in found
    found = cadre.get("/persons?q=zengguo").get_data(as_text=True)
    assert "曾国" in found
    found = cadre.get("/persons?q=张").get_data(as_text=True)
    assert "张三" in found and "单声" not in found
    # htmx asks for the rows only
    partial = cadre.get("/persons?q=zs", headers={"HX-Request": "true", "HX-Target": "rows"})
    text = partial.get_data(as_text=True)
    assert "张三" in text and "<html" not in text


def test_edit_shows_in_history_and_flags_review(cadre, places):
    _, person = _child(cadre, places, **BOTH_AWAY)
    response = post(
        cadre,
        f"/persons/{person.id}/edit",
        {
            "name": "王小明",
            "id_number": CHILD_ID,
            "father_status": "在家",
            "mother_status": "外出务工",
        },
    )
    assert response.status_code == 303
    page = cadre.get(f"/persons/{person.id}").get_data(as_text=True)
    assert "父亲状况：外出务工 → 在家" in page
    assert "待核实" in page and "留守儿童 → 无" in page
    assert "待核实" in cadre.get("/persons?review=1").get_data(as_text=True)
    post(cadre, f"/persons/{person.id}/review")
    assert not Person.get_by_id(person.id).needs_review


def test_child_page_read_is_audited(cadre, places):
    _, person = _child(cadre, places)
    cadre.get(f"/persons/{person.id}")
    assert (
        AuditLog.select()
        .where((AuditLog.action == "view") & (AuditLog.object_id == person.id))
        .count()
        == 1
    )


def test_exit_and_reenter_through_pages(cadre, places):
    _, person = _child(cadre, places, **BOTH_AWAY)
    post(cadre, f"/persons/{person.id}/exit", {"exit_reason": "迁出", "exited_on": "2026-01-01"})
    assert "已退出登记" in cadre.get(f"/persons/{person.id}").get_data(as_text=True)
    assert "王小明" not in cadre.get("/persons").get_data(as_text=True)
    assert "王小明" in cadre.get("/persons?status=exited").get_data(as_text=True)
    post(cadre, f"/persons/{person.id}/reenter")
    assert "王小明" in cadre.get("/persons").get_data(as_text=True)
    assert Person.select().count() == 1


def test_other_village_gets_404_for_get_and_post(cadre, login_as, places):
    household, person = _child(cadre, places)
    other = login_as("cun2")
    assert other.get(f"/persons/{person.id}").status_code == 404
    assert other.get(f"/households/{household.id}").status_code == 404
    assert post(other, f"/persons/{person.id}/edit", {"name": "改"}).status_code == 404
    assert (
        post(
            other, f"/persons/{person.id}/exit", {"exit_reason": "x", "exited_on": "2026-01-01"}
        ).status_code
        == 404
    )
    assert "王小明" not in other.get("/persons?q=wxm").get_data(as_text=True)
    assert Person.get_by_id(person.id).name == "王小明" and not Person.get_by_id(person.id).exited


def test_person_page_masks_the_id_for_every_role(cadre, login_as, places):
    _, person = _child(cadre, places)
    page = cadre.get(f"/persons/{person.id}").get_data(as_text=True)
    assert CHILD_ID not in page and "620102***********4" in page  # full: 显示完整证件号, audited
    grid1 = login_as("grid1")
    page = grid1.get(f"/persons/{person.id}").get_data(as_text=True)
    assert CHILD_ID not in page and "620102***********4" in page


def test_family_away_on_the_household_page(cadre, places):
    household = _household(cadre, places)
    response = post(
        cadre,
        f"/households/{household.id}/away/new",
        {
            "name": "王大力",
            "relation": "父亲",
            "province": "广东省",
            "city": "东莞市",
            "phone": "13800001111",
            "away_since": "2024-02-20",
            "expected_return": "春节",
        },
    )
    assert response.status_code == 303
    page = cadre.get(f"/households/{household.id}").get_data(as_text=True)
    assert "王大力" in page and "广东省东莞市" in page and "预计春节返乡" in page
    response = post(cadre, f"/households/{household.id}/away/new", {"name": "", "relation": ""})
    assert response.status_code == 422 and "请填写姓名" in response.get_data(as_text=True)
