"""困境儿童 suggestions: the rule alone, then confirm and dismiss as a cadre does."""

import json

import pytest

from liushou.models import AuditLog, Person
from liushou.models.suggestions import SuggestionDismissal
from liushou.queries.suggestions import for_person, pending
from liushou.rules.suggestions import suggest
from liushou.scope import Scope
from liushou.services import SYSTEM, ValidationError
from liushou.services.households import save_household
from liushou.services.persons import save_person
from liushou.services.suggestions import confirm, dismiss
from tests.conftest import post

ALL = Scope(everything=True)
OPTIONS = ("贫困", "残疾", "重病", "监护缺失", "监护不当", "其他")


def _rule(**facts):
    base = {"age": 9, "max_age": 18, "groups": [], "options": OPTIONS}
    return suggest(**{**base, **facts})


@pytest.mark.parametrize(
    "father, mother, said",
    [
        ("死亡", "死亡", "父母均已故"),
        ("失踪", "失踪", "父母均失踪"),
        ("无监护能力", "无监护能力", "父母均无监护能力"),
        ("死亡", "失踪", "父亲已故，母亲失踪"),
        ("无监护能力", "死亡", "父亲无监护能力，母亲已故"),
    ],
)
def test_each_parent_reason(father, mother, said):
    found = _rule(father_status=father, mother_status=mother)
    assert found.reasons == (said,) and found.kinds == ("监护缺失",)


@pytest.mark.parametrize(
    "father, mother",
    [("死亡", "在家"), ("外出务工", "死亡"), ("死亡", ""), ("其他", "失踪"), ("", "")],
)
def test_one_parent_who_can_guard_means_no_suggestion(father, mother):
    assert _rule(father_status=father, mother_status=mother) is None


def test_disability_reason_and_both_together():
    found = _rule(disability_kind="肢体", disability_grade="二级")
    assert found.reasons == ("本人残疾（肢体二级）",) and found.kinds == ("残疾",)
    both = _rule(father_status="死亡", mother_status="死亡", disability_kind="智力")
    assert both.text == "父母均已故；本人残疾（智力）"
    assert both.kinds == ("监护缺失", "残疾")


def test_no_suggestion_when_too_old_already_in_difficulty_or_dismissed():
    disabled = {"disability_kind": "听力"}
    assert _rule(age=18, **disabled) is None
    assert _rule(age=17, **disabled) is not None
    assert _rule(age=None, **disabled) is None
    assert _rule(groups=["困境儿童"], **disabled) is None
    assert _rule(dismissed={"本人残疾（听力）"}, **disabled) is None
    # A dismissed suggestion that no longer reads the same comes back.
    assert _rule(dismissed={"本人残疾（听力）"}, disability_kind="听力", disability_grade="一级")


def test_kinds_follow_the_townships_list():
    assert _rule(disability_kind="肢体", options=("贫困", "其他")).kinds == ("其他",)
    assert _rule(disability_kind="肢体", options=("贫困",)).kinds == (None,)


@pytest.fixture
def child(places):
    home = save_household(
        SYSTEM, ALL, {"village": places["V01"].id, "grid": places["V01-G1"].id, "head_name": "孤户"}
    )
    return save_person(
        SYSTEM,
        ALL,
        {
            "household": home.id,
            "name": "刘小草",
            "birth_date": "2016-02-02",
            "sex": "女",
            "father_status": "死亡",
            "mother_status": "失踪",
            "carer_name": "刘爷爷",
            "carer_phone": "13800000009",
        },
    )


def test_person_page_suggests_and_cadre_confirms(child, login_as):
    client = login_as("cun1")
    url = f"/persons/{child.id}"
    html = client.get(url).get_data(as_text=True)
    assert "建议认定为困境儿童" in html and "父亲已故，母亲失踪" in html
    home = client.get("/").get_data(as_text=True)
    assert "1 条待确认困境儿童建议" in home
    listing = client.get("/suggestions").get_data(as_text=True)
    assert "刘小草" in listing and "父亲已故，母亲失踪" in listing
    response = post(client, f"{url}/suggestion/confirm", token_url=url)
    assert response.status_code == 303 and response.location.endswith(f"{url}#suggestion")
    person = Person.get_by_id(child.id)
    assert "困境儿童" in person.group_list and person.difficulty_kinds == "监护缺失"
    # Nothing else of the record changed with it.
    assert (person.carer_phone, person.father_status) == ("13800000009", "死亡")
    row = AuditLog.select().where(AuditLog.object_type == "person").order_by(AuditLog.id.desc())
    changes = dict((k, after) for k, _b, after in json.loads(row.first().changes))
    assert changes["category_reason"] == "按建议确认：父亲已故，母亲失踪"
    assert changes["difficulty_kinds"] == "监护缺失"
    assert "建议认定为困境儿童" not in client.get(url).get_data(as_text=True)
    assert "待确认困境儿童建议" not in client.get("/").get_data(as_text=True)


def test_dismiss_keeps_the_reason_until_the_inputs_change(child, login_as):
    client = login_as("township")
    url = f"/persons/{child.id}"
    post(client, f"{url}/suggestion/dismiss", {"reason": ""}, token_url=url)
    assert SuggestionDismissal.select().count() == 0
    response = post(
        client, f"{url}/suggestion/dismiss", {"reason": "母亲已联系上，正在核实"}, token_url=url
    )
    assert response.status_code == 303
    kept = SuggestionDismissal.get()
    assert (kept.reason, kept.reasons, kept.dismissed_by) == (
        "母亲已联系上，正在核实",
        "父亲已故，母亲失踪",
        "township",
    )
    assert for_person(child) is None
    assert "建议认定为困境儿童" not in client.get(url).get_data(as_text=True)
    assert pending(ALL) == []
    assert "不予认定：母亲已联系上" in client.get(url).get_data(as_text=True)  # history
    # The mother is found dead: the suggestion reads differently and comes back.
    values = {**Person.get_by_id(child.id).__data__, "mother_status": "死亡"}
    values = {k: v for k, v in values.items() if v is not None}
    save_person(SYSTEM, ALL, {**values, "carer_capable": ""}, Person.get_by_id(child.id))
    found = for_person(Person.get_by_id(child.id))
    assert found and found.text == "父母均已故"
    assert [p.name for p, _s in pending(ALL)] == ["刘小草"]


def test_leader_and_grid_worker_cannot_answer(child, login_as):
    url = f"/persons/{child.id}"
    for user in ("leader", "grid1"):
        client = login_as(user)
        html = client.get(url).get_data(as_text=True)
        assert "建议认定为困境儿童" in html and "确认认定</button>" not in html
        assert post(client, f"{url}/suggestion/confirm", token_url=url).status_code == 403
        response = post(client, f"{url}/suggestion/dismiss", {"reason": "不"}, token_url=url)
        assert response.status_code == 403
        assert "待确认困境儿童建议" not in client.get("/").get_data(as_text=True)
    assert "困境儿童" not in Person.get_by_id(child.id).groups
    assert SuggestionDismissal.select().count() == 0


def test_other_village_cannot_reach_the_suggestion(child, login_as):
    client = login_as("cun2")
    url = f"/persons/{child.id}"
    assert post(client, f"{url}/suggestion/confirm").status_code == 404
    assert post(client, f"{url}/suggestion/dismiss", {"reason": "x"}).status_code == 404
    assert "刘小草" not in client.get("/suggestions").get_data(as_text=True)
    assert "困境儿童" not in Person.get_by_id(child.id).groups


def test_confirm_without_a_suggestion_is_refused(places):
    home = save_household(
        SYSTEM, ALL, {"village": places["V01"].id, "grid": places["V01-G1"].id, "head_name": "常户"}
    )
    kid = save_person(
        SYSTEM, ALL, {"household": home.id, "name": "常小", "birth_date": "2016-01-01", "sex": "男"}
    )
    with pytest.raises(ValidationError) as e:
        confirm(SYSTEM, ALL, kid)
    assert "没有待确认" in e.value.errors["suggestion"]
    with pytest.raises(ValidationError):
        dismiss(SYSTEM, kid, {"reason": "无"})
