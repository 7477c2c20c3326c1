"""Admin pages: places, users, settings, audit."""

from liushou import settings
from liushou.models import AuditLog, Grid, User, Village
from tests.conftest import post


def test_create_and_rename_village_and_grid(login_as):
    client = login_as("admin")
    response = post(
        client,
        "/admin/places/villages/new",
        {"name": "新村", "code": "V09", "kind": "村", "sort_order": "9", "active": "1"},
    )
    assert response.status_code == 303
    village = Village.get(Village.code == "V09")
    response = post(
        client,
        "/admin/places/grids/new",
        {"village": village.id, "name": "东街", "code": "V09-G1", "active": "1"},
    )
    assert response.status_code == 303
    page = client.get("/admin/places").get_data(as_text=True)
    assert "新村" in page and "东街" in page and "V09-G1" in page
    response = post(
        client,
        f"/admin/places/villages/{village.id}",
        {"name": "新新村", "code": "V09", "kind": "村", "active": "1"},
    )
    assert response.status_code == 303
    change = (
        AuditLog.select()
        .where((AuditLog.object_type == "village") & (AuditLog.action == "update"))
        .get()
    )
    assert ["name", "新村", "新新村"] in change.change_list


def test_place_errors_in_chinese_and_nothing_written(login_as, places):
    client = login_as("admin")
    before = Village.select().count()
    response = post(client, "/admin/places/villages/new", {"name": "", "code": "V01", "kind": "村"})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "请填写名称" in text and "该编码已被使用" in text
    response = post(client, "/admin/places/grids/new", {"name": "x", "code": "bad code!"})
    text = response.get_data(as_text=True)
    assert "请选择所属村" in text and "编码只能用" in text
    assert Village.select().count() == before
    assert Grid.select().count() == 4


def test_create_grid_worker_account(login_as, places):
    client = login_as("admin")
    response = post(
        client,
        "/admin/users/new",
        {
            "username": "zhao",
            "display_name": "赵网格",
            "role": "grid",
            "village": places["V02"].id,
            "grids": [places["V02-G1"].id],
            "password": "abcd1234",
            "phone": "１３９ 1234 5678",
        },
    )
    assert response.status_code == 303
    user = User.get(User.username == "zhao")
    assert user.grid_ids == [places["V02-G1"].id] and user.phone == "13912345678"
    assert "赵网格" in client.get("/admin/users").get_data(as_text=True)


def test_user_form_errors(login_as, places):
    client = login_as("admin")
    response = post(
        client,
        "/admin/users/new",
        {
            "username": "admin",
            "role": "grid",
            "village": places["V01"].id,
            "grids": [places["V02-G1"].id],
            "password": "abcdefgh",
            "phone": "12345",
        },
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    for message in (
        "该登录名已被使用",
        "所选网格须属于所选的村",
        "须同时包含字母和数字",
        "11 位手机号码",
    ):
        assert message in text


def test_disable_and_unlock_account(login_as, users, client):
    admin = login_as("admin")
    cun1 = users["cun1"]
    response = post(
        admin,
        f"/admin/users/{cun1.id}",
        {"display_name": "cun1", "role": "village", "village": cun1.village_id, "active": ""},
    )
    assert response.status_code == 303
    assert not User.get_by_id(cun1.id).active


def test_settings_are_dated_and_audited(login_as):
    client = login_as("admin")
    response = post(
        client,
        "/admin/settings",
        {"township_name": "柳河镇", "police_phone": "0931-7654321", "session_idle_minutes": "45"},
    )
    assert response.status_code == 303
    assert settings.get("township_name") == "柳河镇"
    assert settings.get("session_idle_minutes") == 45
    assert "柳河镇" in client.get("/").get_data(as_text=True)
    row = AuditLog.select().where(AuditLog.action == "settings").order_by(AuditLog.id).first()
    assert row.change_list[0][0] in ("township_name", "police_phone", "session_idle_minutes")
    response = post(client, "/admin/settings", {"police_phone": "abc", "session_idle_minutes": "0"})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "11 位手机号码" in text and "正整数" in text
    assert settings.get("police_phone") == "0931-7654321"


def test_audit_filters(login_as):
    client = login_as("admin")
    post(client, "/admin/settings", {"township_name": "柳河镇"})
    page = client.get("/admin/audit?action=settings").get_data(as_text=True)
    assert "township_name" in page and "登录" not in page.split("<tbody>")[1]
    page = client.get("/admin/audit?username=admin&action=login").get_data(as_text=True)
    assert "登录" in page.split("<tbody>")[1]
