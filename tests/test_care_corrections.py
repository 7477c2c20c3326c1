"""Correcting and voiding care records: visits, pairings, needs, services, emergencies and their
reporting steps. Each change is in the record's history (old → new); a voided record leaves
every list and figure and stays, struck through, on the person's page and in the archive."""

from datetime import timedelta

import pytest

from liushou import clock
from liushou.models import AuditLog
from liushou.models.care import Emergency, EmergencyStep, Need, Service
from liushou.models.visits import Pairing, Visit, VisitState
from liushou.queries import care as care_queries
from liushou.queries import indicators
from liushou.queries import visits as visit_queries
from liushou.rules.dates import month_start
from liushou.scope import Scope
from liushou.services import SYSTEM, ValidationError
from liushou.services.care import (
    complete_step,
    correct_step,
    open_emergency,
    save_need,
    save_service,
    update_emergency,
)
from liushou.services.helpers import save_helper
from liushou.services.households import save_household
from liushou.services.persons import save_person
from liushou.services.visit_changes import update_pairing, update_visit, void_pairing
from liushou.services.visits import pair, record_visit
from tests.conftest import post
from tests.formdata import read_form, replace

ALL = Scope(everything=True)


@pytest.fixture
def world(places, users):
    household = save_household(
        SYSTEM,
        ALL,
        {"village": places["V01"].id, "grid": places["V01-G1"].id, "head_name": "王建国"},
    )
    away = {"father_status": "外出务工", "mother_status": "外出务工"}
    kid = save_person(
        SYSTEM,
        ALL,
        {"household": household.id, "name": "王小明", "birth_date": "2015-03-07", "sex": "男"}
        | away,
    )
    sister = save_person(
        SYSTEM,
        ALL,
        {"household": household.id, "name": "王小红", "birth_date": "2017-05-01", "sex": "女"}
        | away,
    )
    village = places["V01"].id
    h1 = save_helper(SYSTEM, ALL, {"name": "李干部", "kind": "村干部", "village": village})
    h2 = save_helper(SYSTEM, ALL, {"name": "赵医生", "kind": "村医", "village": village})
    return {"kid": kid, "sister": sister, "h1": h1, "h2": h2}


def _visit(world, day, **extra):
    values = {"visited_on": day.isoformat(), "method": "上门", "helpers": [world["h1"].id]}
    return record_visit(SYSTEM, ALL, [world["kid"]], values | extra)


def _changes(obj, action="update"):
    rows = AuditLog.select().where(
        (AuditLog.object_type == obj._meta.table_name)
        & (AuditLog.object_id == obj.id)
        & (AuditLog.action == action)
    )
    return [tuple(c) for row in rows for c in row.change_list]


def _illness_found_three_hours_ago(kid):
    """An illness of `kid` found three hours ago (to the minute), reported by the village
    doctor: (the emergency, when it was found)."""
    found = (clock.now() - timedelta(hours=3)).replace(second=0)
    emergency = open_emergency(
        SYSTEM,
        kid,
        {"kind": "疾病", "discovered_at": f"{found:%Y-%m-%d %H:%M}", "reported_by": "村医"},
    )
    return emergency, found


def _state(person):
    return VisitState.get(VisitState.person == person)


def test_visit_correction_is_audited_and_moves_the_visit_state(world, login_as):
    today = clock.today()
    visit = _visit(world, today - timedelta(days=10))
    cadre = login_as("cun1")
    url = f"/visits/{visit.id}/edit"
    form = read_form(cadre.get(url).get_data(as_text=True))
    corrected = (today - timedelta(days=3)).isoformat()
    response = cadre.post(url, data=replace(form, visited_on=corrected, life="吃住都好"))
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    assert str(Visit.get_by_id(visit.id).visited_on) == corrected
    assert str(_state(world["kid"]).last_visit_on) == corrected
    assert ("visited_on", str(today - timedelta(days=10)), corrected) in _changes(visit)
    assert ("life", "", "吃住都好") in _changes(visit)
    page = cadre.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert "修改记录" in page and "走访日期" in page and corrected in page

    # The sister was seen too and another helper came: her visit state follows.
    values = {
        "visited_on": corrected,
        "method": "上门",
        "persons": [world["kid"].id, world["sister"].id],
        "helpers": [world["h1"].id, world["h2"].id],
    }
    update_visit(SYSTEM, ALL, visit, [world["kid"], world["sister"]], values)
    assert str(_state(world["sister"]).last_visit_on) == corrected
    assert ("persons", ["王小明"], ["王小明", "王小红"]) in _changes(visit)

    # Bad input: the date in the future is refused next to the field, nothing written.
    response = cadre.post(
        url,
        data=replace(
            read_form(cadre.get(url).get_data(as_text=True)),
            visited_on=(today + timedelta(days=1)).isoformat(),
        ),
    )
    assert response.status_code == 422 and "走访日期不能晚于今天" in response.get_data(as_text=True)
    assert str(Visit.get_by_id(visit.id).visited_on) == corrected


def test_voided_visit_needs_a_reason_leaves_figures_and_stays_struck_through(world, login_as):
    today = clock.today()
    visit = _visit(world, today, needs="想要课业辅导")
    month = month_start(today)
    assert visit_queries.visits_in_month(ALL, month)[0] == 1
    raised = Need.get(Need.visit == visit)
    cadre = login_as("cun1")

    response = post(cadre, f"/visits/{visit.id}/void", {"void_reason": "  "})
    assert response.status_code == 422 and "请填写作废原因" in response.get_data(as_text=True)
    assert Visit.get_by_id(visit.id).voided_at is None

    response = post(cadre, f"/visits/{visit.id}/void", {"void_reason": "录错了人"})
    assert response.status_code == 303
    assert Visit.get_by_id(visit.id).void_reason == "录错了人"
    assert visit_queries.visits_in_month(ALL, month)[0] == 0
    assert world["kid"].id in [p.id for p in visit_queries.never_visited(ALL)]
    assert [(v.name, n, seen) for v, n, seen, _ in visit_queries.visits_by_village(ALL, month)][0][
        1:
    ] == (0, 0)
    assert dict((h.name, n) for h, n in visit_queries.visits_by_helper(ALL, month))["李干部"] == 0
    assert sum(n for _m, n in indicators.visits_per_month(ALL, today=today)) == 0
    assert _state(world["kid"]).last_visit_on is None
    # The need raised in it, untouched, is voided with it and leaves the open needs.
    assert Need.get_by_id(raised.id).voided_at is not None
    assert indicators.needs_open(ALL)[0] == 0

    person_page = cadre.get(f"/persons/{world['kid'].id}").get_data(as_text=True)
    assert 'class="voided"' in person_page and "已作废：录错了人" in person_page
    visit_page = cadre.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert "已作废" in visit_page and "录错了人" in visit_page
    assert f"/visits/{visit.id}/edit" not in visit_page
    archive = cadre.get(f"/persons/{world['kid'].id}/archive.html").get_data(as_text=True)
    assert '<tr class="voided">' in archive and "已作废：录错了人" in archive
    # A voided visit cannot be corrected any more.
    form = read_form(cadre.get(f"/visits/{visit.id}/edit").get_data(as_text=True))
    response = cadre.post(f"/visits/{visit.id}/edit", data=form)
    assert response.status_code == 422


def test_pairing_correction_and_void_keep_one_primary_and_leave_coverage(world, login_as):
    today = clock.today()
    kid = world["kid"]
    first = pair(SYSTEM, ALL, world["h1"], [kid])[0]
    second = pair(SYSTEM, ALL, world["h2"], [kid])[0]
    assert first.primary and not second.primary

    start = (today - timedelta(days=30)).isoformat()
    update_pairing(
        SYSTEM, ALL, second, {"helper": world["h2"].id, "started_on": start, "primary": "1"}
    )
    assert Pairing.get_by_id(second.id).primary and not Pairing.get_by_id(first.id).primary
    assert ("started_on", str(today), start) in _changes(second)
    assert ("primary", False, True) in _changes(second)
    with pytest.raises(ValidationError) as e:
        update_pairing(SYSTEM, ALL, first, {"helper": world["h2"].id, "started_on": start})
    assert "helper" in e.value.errors  # already paired with him

    with pytest.raises(ValidationError) as e:
        void_pairing(SYSTEM, Pairing.get_by_id(second.id), "")
    assert e.value.errors == {"void_reason": "请填写作废原因"}
    cadre = login_as("cun1")
    response = post(cadre, f"/pairings/{second.id}/void", {"void_reason": "结对重复"})
    assert response.status_code == 303
    assert Pairing.get_by_id(first.id).primary  # the other one takes over
    response = post(cadre, f"/pairings/{first.id}/void", {"void_reason": "选错了帮扶人"})
    assert response.status_code == 303
    assert kid.id in [p.id for p in visit_queries.unpaired_persons(ALL)]
    assert visit_queries.coverage_by_village(ALL)[1][1] == 0
    page = cadre.get(f"/persons/{kid.id}").get_data(as_text=True)
    assert "已作废：结对重复" in page and "已作废：选错了帮扶人" in page and "未结对" not in page
    history = cadre.get(f"/pairings/{second.id}/edit").get_data(as_text=True)
    assert "结对开始日期" in history and start in history and "结对重复" in history


def test_need_void_and_service_correction_and_void(world, login_as):
    kid = world["kid"]
    need = save_need(SYSTEM, kid, {"kind": "课业辅导", "description": "数学跟不上"}, scope=ALL)
    service = save_service(
        SYSTEM,
        kid,
        {
            "kind": "课业辅导",
            "served_on": clock.today().isoformat(),
            "description": "讲数学",
            "need": need.id,
        },
        scope=ALL,
    )
    year = clock.today().year
    assert sum(care_queries.services_by_month(ALL, year)["课业辅导"]) == 1
    cadre = login_as("cun1")

    form = read_form(cadre.get(f"/services/{service.id}").get_data(as_text=True))
    response = cadre.post(f"/services/{service.id}", data=replace(form, kind="心理抚慰"))
    assert response.status_code == 303
    assert ("kind", "课业辅导", "心理抚慰") in _changes(service)
    response = post(cadre, f"/services/{service.id}/void", {"void_reason": ""})
    assert response.status_code == 422 and "请填写作废原因" in response.get_data(as_text=True)
    assert (
        post(cadre, f"/services/{service.id}/void", {"void_reason": "重复录入"}).status_code == 303
    )
    assert care_queries.services_by_month(ALL, year) == {}
    assert Service.get_by_id(service.id).kind == "心理抚慰"

    assert indicators.needs_open(ALL)[0] == 1
    assert post(cadre, f"/needs/{need.id}/void", {"void_reason": "并无此需求"}).status_code == 303
    assert indicators.needs_open(ALL)[0] == 0
    assert list(care_queries.open_needs(ALL, clock.today())) == []
    page = cadre.get(f"/persons/{kid.id}").get_data(as_text=True)
    assert "已作废：并无此需求" in page and "已作废：重复录入" in page
    need_page = cadre.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "并无此需求" in need_page and 'class="voided"' in need_page
    # A voided need cannot be saved again.
    with pytest.raises(ValidationError):
        save_need(SYSTEM, kid, {"kind": "课业辅导", "description": "x"}, Need.get_by_id(need.id))


def test_emergency_correction_needs_a_reason_and_moves_the_deadlines(world, login_as):
    kid = world["kid"]
    emergency, found = _illness_found_three_hours_ago(kid)
    assert len(list(care_queries.overdue_steps(ALL))) == 3
    earlier = found - timedelta(minutes=30)
    values = {
        "kind": "走失",
        "discovered_at": f"{earlier:%Y-%m-%d %H:%M}",
        "reported_by": "村医",
    }
    with pytest.raises(ValidationError) as e:
        update_emergency(SYSTEM, emergency, values)
    assert "correction_reason" in e.value.errors
    update_emergency(SYSTEM, emergency, values | {"correction_reason": "发现时间记错"})
    steps = {
        s.code: s.due_at for s in EmergencyStep.select().where(EmergencyStep.emergency == emergency)
    }
    assert steps["police"] == earlier and steps["township"] == earlier + timedelta(minutes=15)
    changes = _changes(emergency)
    assert ("kind", "疾病", "走失") in changes and (
        "correction_reason",
        "",
        "发现时间记错",
    ) in changes
    # Only the description: no reason needed.
    update_emergency(SYSTEM, Emergency.get_by_id(emergency.id), values | {"description": "已找到"})

    cadre = login_as("cun1")
    assert post(cadre, f"/emergencies/{emergency.id}/void", {}).status_code == 422
    response = post(cadre, f"/emergencies/{emergency.id}/void", {"void_reason": "演练误录"})
    assert response.status_code == 303
    assert list(care_queries.overdue_steps(ALL)) == []
    assert indicators.emergencies_open(ALL) == 0
    assert list(care_queries.emergencies(ALL)) == []
    assert "已超过时限" not in cadre.get("/").get_data(as_text=True)
    page = cadre.get(f"/persons/{kid.id}").get_data(as_text=True)
    assert "已作废：演练误录" in page


def test_step_time_is_corrected_only_with_a_reason_and_the_first_time_stays(world, login_as):
    kid = world["kid"]
    emergency, found = _illness_found_three_hours_ago(kid)
    step = EmergencyStep.get(
        (EmergencyStep.emergency == emergency) & (EmergencyStep.code == "township")
    )
    typed = found + timedelta(minutes=20)  # late: the deadline is 15 minutes
    complete_step(SYSTEM, step, {"how": "电话", "done_at": f"{typed:%Y-%m-%d %H:%M}"})
    with pytest.raises(ValidationError) as e:
        correct_step(SYSTEM, step, {"done_at": f"{found:%Y-%m-%d %H:%M}"})
    assert "correction_reason" in e.value.errors
    carer = EmergencyStep.get(
        (EmergencyStep.emergency == emergency) & (EmergencyStep.code == "carer")
    )
    with pytest.raises(ValidationError) as e:
        correct_step(
            SYSTEM, carer, {"done_at": f"{found:%Y-%m-%d %H:%M}", "correction_reason": "x"}
        )
    assert "done_at" in e.value.errors  # not done yet: nothing to correct

    cadre = login_as("cun1")
    url = f"/emergencies/{emergency.id}/steps/{step.id}/correct"
    real = found + timedelta(minutes=10)
    response = post(cadre, url, {"done_at": f"{real:%Y-%m-%dT%H:%M}", "correction_reason": ""})
    assert response.status_code == 422 and "更正完成时间须说明原因" in response.get_data(
        as_text=True
    )
    response = post(
        cadre,
        url,
        {"done_at": f"{real:%Y-%m-%dT%H:%M}", "correction_reason": "电话记录显示 10 分钟时已报告"},
    )
    assert response.status_code == 303
    stored = EmergencyStep.get_by_id(step.id)
    assert stored.done_at == real and stored.original_done_at == typed
    assert stored.correction_reason.startswith("电话记录") and stored.corrected_at is not None
    page = cadre.get(f"/emergencies/{emergency.id}").get_data(as_text=True)
    assert f"<s>{typed:%Y-%m-%d %H:%M}</s>" in page and "电话记录显示" in page
    township = page.split("<b>报告乡镇政府和教育部门</b>")[1].split("</li>")[0]
    assert "按时" in township and "超时" not in township  # judged on the corrected time
    # A second correction keeps the first time ever recorded.
    later = found + timedelta(minutes=12)
    correct_step(
        SYSTEM, stored, {"done_at": f"{later:%Y-%m-%d %H:%M}", "correction_reason": "再核"}
    )
    assert EmergencyStep.get_by_id(step.id).original_done_at == typed
    assert ("township", f"{typed:%Y-%m-%d %H:%M}", f"{real:%Y-%m-%d %H:%M}") in _changes(emergency)
    archive = cadre.get(f"/persons/{kid.id}/archive.html").get_data(as_text=True)
    assert f"原记录 {typed:%H:%M}" in archive


def test_another_areas_user_gets_404_on_edit_and_void(world, login_as):
    kid = world["kid"]
    visit = _visit(world, clock.today())
    pairing = pair(SYSTEM, ALL, world["h1"], [kid])[0]
    need = save_need(SYSTEM, kid, {"kind": "课业辅导", "description": "数学"}, scope=ALL)
    service = save_service(
        SYSTEM,
        kid,
        {"kind": "课业辅导", "served_on": clock.today().isoformat(), "description": "讲数学"},
        scope=ALL,
    )
    found = clock.now() - timedelta(hours=1)
    emergency = open_emergency(
        SYSTEM,
        kid,
        {"kind": "疾病", "discovered_at": f"{found:%Y-%m-%d %H:%M}", "reported_by": "村医"},
    )
    step = emergency.steps[0]
    before = AuditLog.select().count()
    outsider = login_as("cun2")
    gets = [
        f"/visits/{visit.id}/edit",
        f"/pairings/{pairing.id}/edit",
        f"/services/{service.id}",
        f"/emergencies/{emergency.id}/edit",
    ]
    for url in gets:
        assert outsider.get(url).status_code == 404, url
    posts = gets + [
        f"/visits/{visit.id}/void",
        f"/pairings/{pairing.id}/void",
        f"/needs/{need.id}/void",
        f"/services/{service.id}/void",
        f"/emergencies/{emergency.id}/void",
        f"/emergencies/{emergency.id}/steps/{step.id}/correct",
    ]
    for url in posts:
        response = post(outsider, url, {"void_reason": "外村作废", "correction_reason": "外村"})
        assert response.status_code == 404, url
    assert AuditLog.select().where(AuditLog.action.in_(("update", "void"))).count() == 0
    assert AuditLog.select().count() >= before
    for model, obj in (
        (Visit, visit),
        (Pairing, pairing),
        (Need, need),
        (Service, service),
        (Emergency, emergency),
    ):
        assert model.get_by_id(obj.id).voided_at is None
