"""No lost updates: two people editing the same record at once; the second save is refused with
both versions side by side, and saving again reapplies his own changes on top of the first's."""

from decimal import Decimal

import pytest

from liushou.models.accounts import User
from liushou.models.care import Emergency, Need, Service
from liushou.models.helpers import Helper
from liushou.models.households import FamilyAway, Household
from liushou.models.persons import Person
from liushou.models.places import Grid, Village
from liushou.models.records import Activity, Benefit, CheckUp, Site
from liushou.models.visits import Visit
from liushou.services import SYSTEM
from liushou.services.care import open_emergency, save_need, save_service
from liushou.services.helpers import save_helper
from liushou.services.households import save_away, save_household
from liushou.services.persons import save_person
from liushou.services.visits import record_visit
from tests.formdata import editor, read_form, replace, two_editors
from tests.shared.at_once import saves_at_once
from tests.shared.town import wang_xiaoming


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
    person = save_person(SYSTEM, scope, wang_xiaoming(household))
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
    from liushou.services.records import save_activity, save_benefit, save_checkup, save_site

    benefit = save_benefit(
        SYSTEM, person, {"kind": "助学金", "amount": "100", "start_on": "2026-01-01"}
    )
    checkup = save_checkup(SYSTEM, person, {"checked_on": "2026-01-05", "weight": "30"})
    site = save_site(SYSTEM, scope, {"village": scope_v1.id, "kind": "农家书屋", "name": "书屋"})
    activity = save_activity(
        SYSTEM,
        scope,
        {
            "village": scope_v1.id,
            "site": site.id,
            "kind": "生日会",
            "title": "集体生日会",
            "held_on": "2026-01-05",
            "persons": [person.id],
            "attended": [person.id],
        },
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
        "benefit": benefit,
        "checkup": checkup,
        "site": site,
        "activity": activity,
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
    ("/benefits/{id}/edit", Benefit, "benefit", ("notes", "核对后改"), ("amount", "150")),
    ("/checkups/{id}/edit", CheckUp, "checkup", ("checked_by", "卫生院"), ("notes", "复查")),
    ("/activities/{id}/edit", Activity, "activity", ("organiser", "李主任"), ("title", "新标题")),
    ("/sites/{id}/edit", Site, "site", ("keeper", "王大爷"), ("phone", "13900006666")),
]


def _text(value):
    """A stored value as the form shows it: an amount without its trailing zeros (PostgreSQL
    keeps NUMERIC(10, 2)'s scale: 150.00; SQLite gives 150)."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def _url(pattern, obj):
    return pattern.format(id=obj.id, household=getattr(obj, "household_id", ""))


@pytest.mark.parametrize("url, model, key, theirs, mine", FORMS, ids=[f[2] for f in FORMS])
def test_second_save_is_refused_then_reapplied(app, world, url, model, key, theirs, mine):
    obj = world[key]
    url = _url(url, obj)
    (first, form_first), (second, form_second) = two_editors(app, url)
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
    assert _text(getattr(stored, theirs[0])) == theirs[1]
    assert _text(getattr(stored, mine[0]) or "") != mine[1]

    # Saving the form as it came back applies his change and keeps the first one's.
    again = read_form(page)
    assert again[mine[0]] == mine[1] and again[theirs[0]] == theirs[1]
    response = second.post(url, data=again)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    stored = model.get_by_id(obj.id)
    assert _text(getattr(stored, theirs[0])) == theirs[1]
    assert _text(getattr(stored, mine[0])) == mine[1]


def test_same_field_changed_by_both_shows_theirs_and_yours(app, world):
    url = f"/persons/{world['person'].id}/edit"
    (first, form_first), (second, form_second) = two_editors(app, url)
    assert first.post(url, data=replace(form_first, school="第一中学")).status_code == 303
    response = second.post(url, data=replace(form_second, school="第三中学"))
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "<td>第一中学</td><td>第三中学</td>" in page
    assert Person.get_by_id(world["person"].id).school == "第一中学"


def test_unchanged_record_saves_without_conflict(app, world):
    url = f"/persons/{world['person'].id}/edit"
    client, form = editor(app, url)
    assert client.post(url, data=replace(form, school="第五中学")).status_code == 303
    assert Person.get_by_id(world["person"].id).school == "第五中学"


def test_pairing_edit_refuses_a_save_over_anothers_change(app, world):
    from liushou.models.visits import Pairing
    from liushou.scope import Scope
    from liushou.services.visits import pair

    pair(SYSTEM, Scope(everything=True), world["helper"], [world["person"]], started_on=None)
    pairing = Pairing.get(Pairing.person == world["person"].id)
    url = f"/pairings/{pairing.id}/edit"
    (first, form_first), (second, form_second) = two_editors(app, url)
    assert first.post(url, data=replace(form_first, started_on="2026-01-05")).status_code == 303
    response = second.post(url, data=replace(form_second, started_on="2026-02-05"))
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and "2026-01-05" in page and "2026-02-05" in page
    assert str(Pairing.get_by_id(pairing.id).started_on) == "2026-01-05"
    assert second.post(url, data=read_form(page)).status_code == 303
    assert str(Pairing.get_by_id(pairing.id).started_on) == "2026-02-05"


# --- two saves of one form version at the same instant ----------------------------------------


@pytest.mark.parametrize(
    "url, model, key, field", [f[:4] for f in FORMS], ids=[f[2] for f in FORMS]
)
def test_two_saves_of_one_version_at_once_one_passes(
    app,
    world,
    monkeypatch,
    url,
    model,
    key,
    field,
):
    """Two people opened the same edit form and press 保存 at the same instant, each with his own
    value of one field: one save passes, the other answers the conflict page (409) with both
    values, and his value is not written."""
    from tests.formdata import two_editors

    obj = world[key]
    url = _url(url, obj)
    name, value = field
    values = (value, value + "乙")
    (first, form_first), (second, form_second) = two_editors(app, url)
    responses = saves_at_once(
        monkeypatch,
        [
            lambda: first.post(url, data=replace_field(form_first, name, values[0])),
            lambda: second.post(url, data=replace_field(form_second, name, values[1])),
        ],
    )
    statuses = [r.status_code for r in responses]
    assert sorted(statuses) == [303, 409], [r.get_data(as_text=True)[:1500] for r in responses]
    won = statuses.index(303)
    lost = responses[1 - won].get_data(as_text=True)
    assert "别人已修改了这条记录" in lost and values[won] in lost and values[1 - won] in lost
    assert _text(getattr(model.get_by_id(obj.id), name)) == values[won]


def replace_field(form, name, value):
    from tests.formdata import replace

    return replace(form, **{name: value})


def test_two_corrections_of_a_visits_answers_at_once_one_passes(app, world, monkeypatch):
    """The version of a visit's correction covers its per-member answers (another table than
    the visit's row): two people correct the answer on 学习 at the same instant, one as 关注,
    the other as 有问题: one save passes, the other answers 409, and only the first's answer is
    stored."""
    from liushou.models.visits import VisitPerson
    from tests.formdata import two_editors

    visit = world["visit"]
    url = f"/visits/{visit.id}/edit"

    def answered(form, status):
        statuses = form.getlist("item_status")
        statuses[form.getlist("item_key").index("学习")] = status
        return replace_field(form, "item_status", statuses)

    (first, form_first), (second, form_second) = two_editors(app, url)
    chosen = ("关注", "有问题")
    responses = saves_at_once(
        monkeypatch,
        [
            lambda: first.post(url, data=answered(form_first, chosen[0])),
            lambda: second.post(url, data=answered(form_second, chosen[1])),
        ],
    )
    statuses = [r.status_code for r in responses]
    assert sorted(statuses) == [303, 409], [r.get_data(as_text=True)[:1500] for r in responses]
    won = statuses.index(303)
    assert "各成员的走访情况" in responses[1 - won].get_data(as_text=True)
    items = VisitPerson.get(VisitPerson.visit == visit.id).items
    assert chosen[won] in items and chosen[1 - won] not in items
