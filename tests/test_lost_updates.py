"""No lost updates: two people editing the same record at once; the second save is refused with
both versions side by side, and saving again reapplies his own changes on top of the first's."""

import pytest

from liushou.models.accounts import User
from liushou.models.care import Emergency, Need, Service
from liushou.models.helpers import Helper
from liushou.models.households import FamilyAway, Household
from liushou.models.persons import Person
from liushou.models.places import Grid, Village
from liushou.models.visits import Visit
from liushou.services import SYSTEM
from liushou.services.care import open_emergency, save_need, save_service
from liushou.services.helpers import save_helper
from liushou.services.households import save_away, save_household
from liushou.services.persons import save_person
from liushou.services.visits import record_visit
from tests.conftest import login
from tests.formdata import read_form, replace


@pytest.fixture
def world(app, places, users):
    scope_v1 = places["V01"]
    from liushou.scope import Scope

    scope = Scope.for_user(users["admin"])
    household = save_household(
        SYSTEM,
        scope,
        {"village": scope_v1.id, "grid": places["V01-G1"].id, "head_name": "王建国"},
    )
    person = save_person(
        SYSTEM,
        scope,
        {
            "household": household.id,
            "name": "王小明",
            "id_number": "620102201503070014",
            "father_status": "外出务工",
            "mother_status": "外出务工",
            "carer_name": "王建国",
        },
    )
    away = save_away(SYSTEM, household, {"name": "王大山", "relation": "父亲", "city": "广州"})
    helper = save_helper(
        SYSTEM, scope, {"name": "李老师", "kind": "教师", "areas": [f"v:{scope_v1.id}"]}
    )
    need = save_need(
        SYSTEM,
        person,
        {"kind": "课业辅导", "description": "数学跟不上", "raised_on": "2026-11-01"},
        scope=scope,
    )
    visit = record_visit(
        SYSTEM,
        scope,
        [person],
        {"visited_on": "2026-01-05", "method": "上门", "helpers": [helper.id], "life": "正常"},
    )
    service = save_service(
        SYSTEM,
        person,
        {"kind": "课业辅导", "served_on": "2026-01-06", "description": "讲数学"},
        scope=scope,
    )
    emergency = open_emergency(
        SYSTEM,
        person,
        {"kind": "走失", "discovered_at": "2026-01-05 08:00", "reported_by": "王建国"},
    )
    return {
        "visit": visit,
        "service": service,
        "emergency": emergency,
        "person": person,
        "household": household,
        "away": away,
        "helper": helper,
        "need": need,
        "user": users["cun2"],
        "village": places["V02"],
        "grid": places["V02-G2"],
    }


# (URL, model, key in world, (field, their value), (field, my value))
FORMS = [
    ("/persons/{id}/edit", Person, "person", ("school", "第二中学"), ("phone", "13900001111")),
    (
        "/households/{id}/edit",
        Household,
        "household",
        ("address", "二组 3 号"),
        ("phone", "13900002222"),
    ),
    (
        "/households/{household}/away/{id}",
        FamilyAway,
        "away",
        ("city", "深圳"),
        ("phone", "13900003333"),
    ),
    ("/helpers/{id}/edit", Helper, "helper", ("unit", "中心小学"), ("phone", "13900004444")),
    ("/needs/{id}", Need, "need", ("unit", "镇中心校"), ("description", "英语也跟不上")),
    ("/visits/{id}/edit", Visit, "visit", ("life", "吃住都好"), ("mind", "想念父母")),
    ("/services/{id}", Service, "service", ("description", "讲英语"), ("served_on", "2026-01-07")),
    (
        "/emergencies/{id}/edit",
        Emergency,
        "emergency",
        ("description", "当晚找到"),
        ("reported_by", "李老师"),
    ),
    ("/admin/users/{id}", User, "user", ("display_name", "张村长"), ("phone", "13900005555")),
    ("/admin/places/villages/{id}", Village, "village", ("name", "新二村"), ("sort_order", "7")),
    ("/admin/places/grids/{id}", Grid, "grid", ("name", "东组"), ("sort_order", "9")),
]


def _client(app, name="admin"):
    client = app.test_client()
    assert login(client, name).status_code == 303
    return client


def _url(pattern, obj):
    return pattern.format(id=obj.id, household=getattr(obj, "household_id", ""))


@pytest.mark.parametrize("url, model, key, theirs, mine", FORMS, ids=[f[2] for f in FORMS])
def test_second_save_is_refused_then_reapplied(app, world, url, model, key, theirs, mine):
    obj = world[key]
    url = _url(url, obj)
    first, second = _client(app), _client(app)
    form_first = read_form(first.get(url).get_data(as_text=True))
    form_second = read_form(second.get(url).get_data(as_text=True))
    assert form_first.get("_version")

    # The first saves his change.
    response = first.post(url, data=replace(form_first, **{theirs[0]: theirs[1]}))
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]

    # The second saves the older form with another change: refused, both shown.
    response = second.post(url, data=replace(form_second, **{mine[0]: mine[1]}))
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "别人已修改了这条记录" in page and theirs[1] in page and mine[1] in page
    stored = model.get_by_id(obj.id)
    assert str(getattr(stored, theirs[0])) == theirs[1]
    assert str(getattr(stored, mine[0]) or "") != mine[1]

    # Saving the form as it came back applies his change and keeps the first one's.
    again = read_form(page)
    assert again[mine[0]] == mine[1] and again[theirs[0]] == theirs[1]
    response = second.post(url, data=again)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    stored = model.get_by_id(obj.id)
    assert str(getattr(stored, theirs[0])) == theirs[1]
    assert str(getattr(stored, mine[0])) == mine[1]


def test_same_field_changed_by_both_shows_theirs_and_yours(app, world):
    url = f"/persons/{world['person'].id}/edit"
    first, second = _client(app), _client(app)
    form_first = read_form(first.get(url).get_data(as_text=True))
    form_second = read_form(second.get(url).get_data(as_text=True))
    assert first.post(url, data=replace(form_first, school="第一中学")).status_code == 303
    response = second.post(url, data=replace(form_second, school="第三中学"))
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "<td>第一中学</td><td>第三中学</td>" in page
    assert Person.get_by_id(world["person"].id).school == "第一中学"


def test_unchanged_record_saves_without_conflict(app, world):
    url = f"/persons/{world['person'].id}/edit"
    client = _client(app)
    form = read_form(client.get(url).get_data(as_text=True))
    assert client.post(url, data=replace(form, school="第五中学")).status_code == 303
    assert Person.get_by_id(world["person"].id).school == "第五中学"
