"""The emergency's call list: who to call in order, tap-to-dial, each call stamped (已拨打)."""

from datetime import timedelta

import pytest

from liushou.models import AuditLog
from liushou.models.care import EmergencyCall
from liushou.queries.care import call_list
from liushou.scope import Scope
from liushou.services import SYSTEM, ValidationError
from liushou.services.care import add_call, close_emergency, open_emergency
from liushou.services.households import save_away, save_household
from liushou.services.persons import save_person
from tests.conftest import post
from tests.shared import callist
from tests.shared.callist import START, _helper

frozen, world = callist.frozen, callist.world  # the shared fixtures

ALL = Scope(everything=True)


def test_the_list_in_order_with_each_source(world):
    rows = call_list(world["emergency"])
    got = [(r.label, r.name, r.phone) for r in rows]
    assert got == [
        ("委托照护人", "王奶奶", "13800000001"),
        ("家中电话", "王建国", "13900000001"),
        ("父亲（外出）", "王大军", "13700000001"),
        ("母亲（外出）", "李梅", "13700000002"),
        ("其他（外出）", "王二叔", "13700000003"),
        ("主要帮扶人", "张老师", "13600000001"),
        ("结对帮扶人", "赵志愿", "13600000002"),
        ("儿童主任", "刘主任", "13500000001"),
        ("包片干部", "陈干部", "13500000002"),
        ("乡镇办公室", "测试镇", "0931-8123456"),
        ("派出所", "", "0931-8110110"),
        ("民警", "孙民警", "13500000003"),
        ("报警", "", "110"),
        ("急救", "", "120"),
    ]
    # Where each family member works is said; the one who came back is not called.
    assert rows[2].detail == "在广东深圳务工"
    assert "王三叔" not in [r.name for r in rows]
    assert [r.private for r in rows[:5]] == [True] * 5
    assert not any(r.private for r in rows[5:])


def test_unset_numbers_stay_visible_as_gaps(places, frozen):
    home = save_household(
        SYSTEM, ALL, {"village": places["V01"].id, "grid": places["V01-G1"].id, "head_name": "空户"}
    )
    child = save_person(
        SYSTEM, ALL, {"household": home.id, "name": "孤小", "birth_date": "2016-01-01", "sex": "女"}
    )
    emergency = open_emergency(
        SYSTEM, child, {"kind": "疾病", "discovered_at": "2026-11-22 07:50", "reported_by": "村医"}
    )
    rows = {r.key: r for r in call_list(emergency)}
    assert rows["carer"].name == "未登记" and rows["carer"].phone == ""
    # The 派出所 setting still at its 110 default is no 派出所 number.
    assert rows["station"].phone == "" and rows["office"].phone == ""
    with pytest.raises(ValidationError) as e:
        add_call(SYSTEM, emergency, {"target": "carer"})
    assert "没有登记电话" in e.value.errors["target"]


def test_page_dials_and_stamps_js_off(world, login_as, frozen):
    client = login_as("cun1")
    url = f"/emergencies/{world['emergency'].id}"
    html = client.get(url).get_data(as_text=True)
    assert 'href="tel:13800000001"' in html and 'href="tel:13700000001"' in html
    assert 'href="tel:110"' in html and 'href="tel:120"' in html
    assert html.index("王奶奶") < html.index("王大军") < html.index("张老师") < html.index("刘主任")
    # Reading the page (with the family's phones) is audited.
    assert (
        AuditLog.select()
        .where((AuditLog.action == "view") & (AuditLog.object_type == "emergency"))
        .exists()
    )
    frozen["now"] = START + timedelta(minutes=3)
    father = f"away-{world['away']['father'].id}"
    response = post(client, url + "/calls", {"target": father}, token_url=url)
    assert response.status_code == 303
    assert response.location.endswith(f"{url}#call-{father}")
    call = EmergencyCall.get()
    assert (call.target, call.name, call.phone, call.called_by) == (
        father,
        "王大军",
        "13700000001",
        "cun1",
    )
    assert call.called_at == START + timedelta(minutes=3)
    html = client.get(url).get_data(as_text=True)
    assert "已拨打：08:03 cun1" in html
    # The same tap again within the minute (a double submit) adds nothing.
    post(client, url + "/calls", {"target": father}, token_url=url)
    assert EmergencyCall.select().count() == 1
    history = AuditLog.select().where(
        (AuditLog.object_type == "emergency") & (AuditLog.action == "update")
    )
    assert any("王大军" in row.changes for row in history)


def test_htmx_gets_the_row_back(world, login_as):
    client = login_as("cun1")
    url = f"/emergencies/{world['emergency'].id}"
    token_page = client.get(url).get_data(as_text=True)
    assert 'hx-post="' in token_page and 'hx-target="#call-carer"' in token_page
    from tests.conftest import csrf_token

    response = client.post(
        url + "/calls",
        data={"target": "carer", "csrf_token": csrf_token(client, url)},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert text.lstrip().startswith('<li id="call-carer"') and "已拨打：08:00 cun1" in text
    assert "<html" not in text


def test_leader_sees_family_numbers_masked_and_cannot_stamp(world, login_as):
    client = login_as("leader")
    url = f"/emergencies/{world['emergency'].id}"
    html = client.get(url).get_data(as_text=True)
    assert "13800000001" not in html and "tel:13800000001" not in html
    assert "138****0001" in html
    # Public numbers stay whole for everyone.
    assert 'href="tel:13600000001"' in html and 'href="tel:110"' in html
    assert "已拨打</button>" not in html
    response = post(client, url + "/calls", {"target": "carer"}, token_url=url)
    assert response.status_code == 403
    assert EmergencyCall.select().count() == 0


def test_family_phones_masked_in_lists(world, login_as):
    client = login_as("cun1")
    html = client.get("/persons").get_data(as_text=True)
    assert "13800000001" not in html
    html = client.get("/emergencies").get_data(as_text=True)
    assert "13800000001" not in html and "13700000001" not in html


def test_other_areas_ids_are_refused_and_nothing_written(world, places, login_as):
    other_home = save_household(
        SYSTEM, ALL, {"village": places["V02"].id, "grid": places["V02-G1"].id, "head_name": "外户"}
    )
    foreign_away = save_away(
        SYSTEM, other_home, {"name": "外村父亲", "relation": "父亲", "phone": "13111111111"}
    )
    foreign_helper = _helper(places, "外村干部", "村干部", "13122222222", village="V02")
    emergency = world["emergency"]
    url = f"/emergencies/{emergency.id}"
    # An emergency of another village: 404 for its cadre, whatever the body says.
    client = login_as("cun2")
    assert client.get(url).status_code == 404
    assert post(client, url + "/calls", {"target": "carer"}).status_code == 404
    # His own emergency page, naming rows that are not on it: refused, nothing stored.
    client = login_as("cun1")
    audit_before = AuditLog.select().where(AuditLog.action == "update").count()
    for target in (f"away-{foreign_away.id}", f"helper-{foreign_helper.id}", "x", ""):
        response = post(client, url + "/calls", {"target": target}, token_url=url)
        assert response.status_code == 303
        with client.session_transaction() as session:
            assert any(c == "error" for c, _m in session.pop("_flashes", []))
    assert EmergencyCall.select().count() == 0
    assert AuditLog.select().where(AuditLog.action == "update").count() == audit_before
    # A grid worker of another grid of the same village: 404.
    client = login_as("grid2")
    assert post(client, url + "/calls", {"target": "carer"}).status_code == 404
    assert EmergencyCall.select().count() == 0


def test_closed_emergency_keeps_a_read_only_record_of_calls(world, login_as, frozen):
    emergency = world["emergency"]
    user = login_as("cun1")
    url = f"/emergencies/{emergency.id}"
    post(user, url + "/calls", {"target": "110"}, token_url=url)
    frozen["now"] = START + timedelta(minutes=5)
    post(user, url + "/calls", {"target": "carer"}, token_url=url)
    close_emergency(SYSTEM, emergency, {"summary": "孩子已找到"})
    html = user.get(url).get_data(as_text=True)
    assert "通话记录" in html and "通话名单" not in html
    assert "拨打 报警" in html and "拨打 委托照护人 王奶奶" in html
    assert "已拨打</button>" not in html and 'href="tel:' not in html
    with pytest.raises(ValidationError):
        add_call(SYSTEM, emergency.__class__.get_by_id(emergency.id), {"target": "carer"})
    response = post(user, url + "/calls", {"target": "120"}, token_url=url)
    assert response.status_code == 303
    assert EmergencyCall.select().count() == 2


def test_a_wrong_tap_is_voided_with_a_reason(world, login_as):
    client = login_as("cun1")
    url = f"/emergencies/{world['emergency'].id}"
    post(client, url + "/calls", {"target": "120"}, token_url=url)
    call = EmergencyCall.get()
    response = post(client, f"{url}/calls/{call.id}/void", {"void_reason": ""}, token_url=url)
    assert EmergencyCall.get_by_id(call.id).voided_at is None
    response = post(client, f"{url}/calls/{call.id}/void", {"void_reason": "点错了"}, token_url=url)
    assert response.status_code == 303
    voided = EmergencyCall.get_by_id(call.id)
    assert voided.voided_at is not None and voided.void_reason == "点错了"
    html = client.get(url).get_data(as_text=True)
    assert "已作废：点错了" in html
    assert 'id="call-120" class="call"' in html  # the row no longer shows it as called
