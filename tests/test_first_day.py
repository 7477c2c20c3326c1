"""The first day of a township: one-time passwords and the first-login gate, reset and unlock,
accounts and places in bulk, the first-run checklist, no printing under an unnamed township."""

import io
import re

from liushou import settings
from liushou.models import AuditLog, Grid, User, Village
from liushou.services import SYSTEM
from liushou.services.settings import update_settings
from tests._helpers import xlsx
from tests.conftest import PASSWORD, csrf_token, login, post

_SLIP_PASSWORD = re.compile(r'<b class="pw">([a-z0-9]+)</b>')


def _fresh_client(app):
    return app.test_client()


def test_an_account_made_by_the_admin_must_choose_its_password_before_anything_else(app, login_as):
    admin = login_as("admin")
    response = post(
        admin,
        "/admin/users/new",
        {"username": "wangwu", "display_name": "王五", "role": "township", "password": "given1234"},
    )
    assert response.status_code == 303
    assert User.get(User.username == "wangwu").must_change_password

    client = _fresh_client(app)
    assert login(client, "wangwu", "given1234").status_code == 303
    for url in ("/", "/persons", "/admin/users", "/print"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.location.endswith("/account/password")
    page = client.get("/account/password").get_data(as_text=True)
    assert "设置您自己的密码" in page
    # A POST elsewhere is sent to the password page too, and writes nothing.
    token = csrf_token(client, "/account/password")
    response = client.post("/persons/new", data={"csrf_token": token, "name": "某人"})
    assert response.status_code == 303 and response.location.endswith("/account/password")
    # The one-time password cannot be kept.
    response = client.post(
        "/account/password", data={"csrf_token": token, "old": "given1234", "new": "given1234"}
    )
    assert response.status_code == 422 and "新密码不能与原密码相同" in response.get_data(True)
    response = client.post(
        "/account/password", data={"csrf_token": token, "old": "given1234", "new": "mine5678x"}
    )
    assert response.status_code == 303
    assert client.get("/").status_code == 200
    assert not User.get(User.username == "wangwu").must_change_password


def test_logout_still_works_before_the_password_is_changed(app, login_as):
    post(
        login_as("admin"),
        "/admin/users/new",
        {"username": "zhao", "role": "leader", "password": "given1234"},
    )
    client = _fresh_client(app)
    login(client, "zhao", "given1234")
    token = csrf_token(client, "/account/password")
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303 and response.location.endswith("/login")
    assert client.get("/").location.startswith("/login")


def test_accounts_made_at_the_server_command_line_are_not_gated(app, users, client):
    assert not users["cun1"].must_change_password
    login(client, "cun1")
    assert client.get("/").status_code == 200


def test_reset_gives_a_one_time_password_and_unlocks(app, users, login_as):
    User.update(failed_logins=5, locked_until="2999-01-01 00:00:00").where(
        User.id == users["cun1"].id
    ).execute()
    admin = login_as("admin")
    listing = admin.get("/admin/users").get_data(as_text=True)
    assert "已锁定" in listing and "解除锁定" in listing
    response = post(admin, f"/admin/users/{users['cun1'].id}/reset")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    password = _SLIP_PASSWORD.search(page).group(1)
    assert "cun1" in page and PASSWORD not in page
    user = User.get_by_id(users["cun1"].id)
    assert user.must_change_password and not user.is_locked()
    assert password not in user.password_hash
    row = AuditLog.select().where(AuditLog.object_label == "cun1（重置密码）").get()
    assert row.action == "update" and row.username == "admin"
    assert password not in row.changes

    client = _fresh_client(app)
    assert login(client, "cun1").status_code == 422  # the old password is gone
    assert login(client, "cun1", password).status_code == 303
    assert client.get("/").location.endswith("/account/password")


def test_unlock_is_audited(app, users, login_as):
    User.update(failed_logins=0, locked_until="2999-01-01 00:00:00").where(
        User.id == users["cun2"].id
    ).execute()
    admin = login_as("admin")
    response = post(admin, f"/admin/users/{users['cun2'].id}/unlock", token_url="/admin/users")
    assert response.status_code == 303
    assert not User.get_by_id(users["cun2"].id).is_locked()
    assert AuditLog.select().where(AuditLog.object_label == "cun2（解除锁定）").exists()
    assert login(_fresh_client(app), "cun2").status_code == 303


def test_bulk_accounts_preview_refuse_bad_rows_then_print_slips(app, places, login_as):
    admin = login_as("admin")
    text = (
        "姓名\t登录名\t角色\t村/网格\t电话\n"
        "李村长\tlicz\t村干部\t第1村\t13800138000\n"
        "张网格\tzhangwg\t网格员\t第1村/1组、2组\t\n"
        "刘干部\tliugb\t乡镇干部\t\t\n"
        "错误\tbad\t村干部\t第9村\t\n"
    )
    before = User.select().count()
    response = post(admin, "/admin/users/bulk", {"rows": text, "confirm": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "第 5 行" in page and "没有叫“第9村”的村（社区）" in page
    assert User.select().count() == before  # all or nothing

    good = text.rsplit("错误", 1)[0]
    preview = post(admin, "/admin/users/bulk", {"rows": good, "preview": "1"})
    assert preview.status_code == 200 and "创建并打印密码条" in preview.get_data(True)
    assert User.select().count() == before
    response = post(admin, "/admin/users/bulk", {"rows": good, "confirm": "1"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    passwords = _SLIP_PASSWORD.findall(page)
    assert len(passwords) == 3 and len(set(passwords)) == 3
    grid_worker = User.get(User.username == "zhangwg")
    assert grid_worker.role == "grid" and len(grid_worker.grid_ids) == 2
    assert all(
        u.must_change_password
        for u in User.select().where(User.username.in_(["licz", "zhangwg", "liugb"]))
    )
    client = _fresh_client(app)
    assert login(client, "licz", passwords[0]).status_code == 303


def test_bulk_accounts_from_a_workbook(places, login_as):
    admin = login_as("admin")
    data = xlsx(
        [
            ["杨柳镇账号表"],
            ["姓名", "登录名", "角色", "村/网格", "电话"],
            ["赵一", "zhaoyi", "村干部", "V02", "13900139000"],
        ]
    )
    response = post(admin, "/admin/users/bulk", {"file": (io.BytesIO(data), "账号.xlsx")})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "zhaoyi" in page and "可以创建" in page
    assert not User.select().where(User.username == "zhaoyi").exists()


def test_places_from_a_workbook_with_a_title_row(app, login_as):
    admin = login_as("admin")
    data = xlsx(
        [
            ["新镇村组一览表"],
            [None, None, None],
            ["村（社区）", "网格", "排序"],
            ["东村", "一组", 1],
            ["东村", "二组", 2],
            ["西街社区", "中街", None],
            ["东村", "一组", None],
        ]
    )
    before = Village.select().count()
    grid_rows = AuditLog.select().where(AuditLog.object_type == "grid").count()
    response = post(admin, "/admin/places/bulk", {"file": (io.BytesIO(data), "村.xlsx")})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "确认导入" in page and "已有，跳过" in page
    assert Village.select().count() == before  # the preview writes nothing
    text = re.search(r'<textarea id="f-rows" name="rows"[^>]*>([^<]*)</textarea>', page).group(1)
    response = post(admin, "/admin/places/bulk", {"rows": text, "confirm": "1"})
    assert response.status_code == 303
    east = Village.get(Village.name == "东村")
    assert [
        g.name for g in Grid.select().where(Grid.village == east).order_by(Grid.sort_order)
    ] == [
        "一组",
        "二组",
    ]
    assert Village.get(Village.name == "西街社区").kind == "社区"
    assert AuditLog.select().where(AuditLog.object_type == "grid").count() == grid_rows + 3


def test_places_sheet_with_an_error_writes_nothing(app, login_as):
    admin = login_as("admin")
    text = "村（社区）\t网格\t排序\n南村\t一组\t1\n\t二组\t\n北村\t一组\t第一\n"
    response = post(admin, "/admin/places/bulk", {"rows": text, "confirm": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "第 3 行：缺少村（社区）名称" in page and "第 4 行：排序须为整数" in page
    assert not Village.select().where(Village.name == "南村").exists()


def test_a_village_typed_with_its_grids_in_one_form(app, login_as):
    admin = login_as("admin")
    response = post(
        admin,
        "/admin/places/villages/new",
        {
            "name": "柳树村",
            "kind": "村",
            "code": "",
            "active": "1",
            "grid_names": "一组\n二组\n\n三组",
        },
    )
    assert response.status_code == 303
    village = Village.get(Village.name == "柳树村")
    grids = list(Grid.select().where(Grid.village == village).order_by(Grid.sort_order))
    assert [g.name for g in grids] == ["一组", "二组", "三组"]
    assert all(g.code.startswith(village.code + "-G") for g in grids)


def test_nothing_prints_under_an_unnamed_or_placeholder_township(demo_app):
    client = demo_app.test_client()
    assert login(client, "admin").status_code == 303
    assert client.get("/print/cards.html?village=1").status_code == 200  # the demo names it
    for name in ("示范镇", ""):
        update_settings(SYSTEM, {"township_name": name})
        response = client.get("/print/cards.pdf?village=1")
        assert response.status_code == 409
        page = response.get_data(as_text=True)
        assert "乡镇（街道）名称还没有填写" in page and "/admin/settings" in page


def test_a_new_database_has_no_township_name(app):
    assert settings.get("township_name") == ""
    assert settings.township_name_problem() is not None
    assert settings.township_name_problem("柳河镇") is None


def test_the_checklist_ticks_itself_and_goes_away(app, client, runner):
    from liushou.services.accounts import create_user

    create_user(SYSTEM, {"username": "boss", "role": "admin"}, PASSWORD)
    login(client, "boss")
    page = client.get("/").get_data(as_text=True)
    steps = re.findall(r"<li( class=\"done\")?><a href=\"([^\"]+)\">([^<]+)</a>", page)
    assert [s[2][:4] for s in steps] == [
        "填写乡镇",
        "填写本系",
        "建立村（",
        "为乡镇干",
        "填写各村",
        "登记帮扶",
        "导入各村",
        "打印便民",
    ]
    assert not any(done for done, _url, _label in steps)
    assert steps[0][1] == "/admin/settings" and steps[2][1] == "/admin/places"
    update_settings(
        SYSTEM,
        {
            "township_name": "柳河镇",
            "township_address": "柳河路 1 号",
            "office_phone": "0931-5551234",
        },
    )
    page = client.get("/").get_data(as_text=True)
    assert '<li class="done"><a href="/admin/settings">填写乡镇' in page


def test_the_demo_ticks_what_it_builds(demo_app):
    client = demo_app.test_client()
    login(client, "admin")
    page = client.get("/").get_data(as_text=True)
    for label in ("填写乡镇", "建立村（社区）和网格", "为乡镇干部", "登记帮扶人", "导入各村的台账"):
        assert re.search(r'<li class="done"><a href="[^"]+">' + label, page), label
