"""Care records: the emergency clock (with an injected clock), needs followed to services."""

from datetime import datetime, timedelta

import pytest

from liushou import clock
from liushou.models.care import EmergencyStep, Need, Service
from liushou.queries.care import overdue_steps
from liushou.scope import Scope
from liushou.services import SYSTEM, ValidationError
from liushou.services.care import close_emergency, complete_step, open_emergency, save_need
from liushou.services.households import save_household
from liushou.services.persons import save_person
from tests.conftest import post

ALL = Scope(everything=True)
START = datetime(2026, 11, 22, 8, 0)


@pytest.fixture
def child(places):
    household = save_household(
        SYSTEM,
        ALL,
        {"village": places["V01"].id, "grid": places["V01-G1"].id, "head_name": "王建国"},
    )
    return save_person(
        SYSTEM,
        ALL,
        {
            "household": household.id,
            "name": "王小明",
            "birth_date": "2015-03-07",
            "sex": "男",
            "father_status": "外出务工",
            "mother_status": "外出务工",
        },
    )


@pytest.fixture
def frozen(monkeypatch):
    """An injected clock: tests move it instead of waiting."""
    state = {"now": START}
    monkeypatch.setattr(clock, "now", lambda: state["now"])
    return state


def test_steps_and_deadlines_by_kind(child, frozen):
    missing = open_emergency(
        SYSTEM, child, {"kind": "走失", "discovered_at": "2026-11-22 08:00", "reported_by": "村医"}
    )
    steps = [(s.code, s.due_at) for s in missing.steps.order_by(EmergencyStep.id)]
    assert steps == [
        ("police", START),
        ("township", START + timedelta(minutes=15)),
        ("carer", START + timedelta(minutes=30)),
        ("parents", START + timedelta(minutes=60)),
    ]
    illness = open_emergency(
        SYSTEM, child, {"kind": "疾病", "discovered_at": "2026-11-22 08:00", "reported_by": "村医"}
    )
    assert "police" not in [s.code for s in illness.steps]
    with pytest.raises(ValidationError) as e:
        open_emergency(
            SYSTEM, child, {"kind": "疾病", "discovered_at": "2026-11-22 09:00", "reported_by": ""}
        )
    assert set(e.value.errors) == {"discovered_at", "reported_by"}


def test_fifteen_minute_step_turns_red_in_every_header_until_done(child, frozen, login_as):
    emergency = open_emergency(
        SYSTEM, child, {"kind": "疾病", "discovered_at": "2026-11-22 08:00", "reported_by": "村医"}
    )
    cadre = login_as("cun1")
    frozen["now"] = START + timedelta(minutes=14)
    assert "已超过时限" not in cadre.get("/").get_data(as_text=True)
    frozen["now"] = START + timedelta(minutes=16)
    for url in ("/", "/persons", "/helpers"):
        assert "“报告乡镇政府和教育部门”已超过时限" in cadre.get(url).get_data(as_text=True)
    assert "已超过时限" not in login_as("cun2").get("/").get_data(as_text=True)  # other village
    cadre = login_as("cun1")
    step = emergency.steps.order_by(EmergencyStep.due_at).first()
    response = post(
        cadre,
        f"/emergencies/{emergency.id}/steps/{step.id}",
        {"how": "电话", "done_by": "李干部", "done_at": "2026-11-22T08:16"},
    )
    assert response.status_code == 303
    assert "已超过时限" not in cadre.get("/").get_data(as_text=True)
    page = cadre.get(f"/emergencies/{emergency.id}").get_data(as_text=True)
    assert "由 李干部（电话）完成" in page and "超时" in page
    frozen["now"] = START + timedelta(minutes=31)
    assert [s.code for s in overdue_steps(ALL)] == ["carer"]


def test_closing_needs_a_summary(child, frozen):
    emergency = open_emergency(
        SYSTEM,
        child,
        {"kind": "意外伤害", "discovered_at": "2026-11-22 08:00", "reported_by": "教师"},
    )
    with pytest.raises(ValidationError):
        close_emergency(SYSTEM, emergency, {"summary": ""})
    for step in emergency.steps:
        complete_step(SYSTEM, step, {"how": "电话"})
    close_emergency(SYSTEM, emergency, {"summary": "已送医，无大碍"})
    assert list(overdue_steps(ALL)) == []


def test_need_raised_in_a_visit_followed_to_a_service_and_closed(child, login_as, places):
    from liushou.services.helpers import save_helper
    from liushou.services.visits import record_visit

    helper = save_helper(
        SYSTEM, ALL, {"name": "李干部", "kind": "村干部", "village": places["V01"].id}
    )
    record_visit(
        SYSTEM,
        ALL,
        [child],
        {
            "visited_on": "2026-11-20",
            "method": "上门",
            "helpers": [helper.id],
            "needs": "数学跟不上，需要辅导",
        },
    )
    need = Need.get()
    assert need.visit_id and need.status == "待处理" and need.person_id == child.id
    client = login_as("cun1")
    assert "数学跟不上" in client.get("/needs").get_data(as_text=True)
    response = post(
        client,
        f"/persons/{child.id}/services/new",
        {
            "need": need.id,
            "kind": "课业辅导",
            "served_on": "2026-11-21",
            "description": "志愿者辅导数学",
        },
    )
    assert response.status_code == 303
    assert Need.get_by_id(need.id).status == "处理中" and Service.select().count() == 1
    response = post(
        client,
        f"/needs/{need.id}",
        {"kind": "课业辅导", "description": need.description, "status": "无法解决"},
    )
    assert response.status_code == 422 and "原因" in response.get_data(as_text=True)
    response = post(
        client,
        f"/needs/{need.id}",
        {"kind": "课业辅导", "description": need.description, "status": "已解决"},
    )
    assert response.status_code == 303 and Need.get_by_id(need.id).closed_on is not None
    assert "数学跟不上" not in client.get("/needs").get_data(as_text=True).split("<tbody>")[1]
    assert "志愿者辅导数学" in client.get(f"/persons/{child.id}").get_data(as_text=True)
    assert "课业辅导" in client.get("/services?year=2026").get_data(as_text=True)


def test_need_form_errors(child, login_as):
    client = login_as("cun1")
    response = post(client, f"/persons/{child.id}/needs/new", {"kind": "", "description": ""})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "请选择需求类别" in text and "请写明需求内容" in text
    assert Need.select().count() == 0
    save_need(SYSTEM, child, {"kind": "心理抚慰", "description": "想念父母"})
    assert Need.select().count() == 1


def test_emergency_timeline_prints_on_the_archive(child, frozen, login_as):
    import io

    from pypdf import PdfReader

    emergency = open_emergency(
        SYSTEM, child, {"kind": "走失", "discovered_at": "2026-11-22 08:00", "reported_by": "村医"}
    )
    frozen["now"] = START + timedelta(minutes=5)
    complete_step(
        SYSTEM,
        emergency.steps.order_by(EmergencyStep.due_at).first(),
        {"how": "电话", "done_by": "李干部", "done_at": "2026-11-22 08:03"},
    )
    pdf = login_as("cun1").get(f"/persons/{child.id}/archive.pdf").get_data()
    text = "".join("".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "突发事件" in text and "向公安机关报告" in text and "08:03李干部电话（超时）" in text
    assert "告知外出务工的父母" in text and "未完成" in text
