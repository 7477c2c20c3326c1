"""Townships as a place level (a county's instance): a township's users see only their township,
county users see every township, a county leader changes nothing. A single-township instance (no
township rows) is the rest of the suite, unchanged."""

import pytest

from liushou.models import Person, User, Village
from liushou.models.places import Township
from liushou.models.visits import Visit
from liushou.scope import Scope
from tests.conftest import PASSWORD, client_as, csrf_token
from tests.shared import county

county = county.county  # the shared fixture


def test_scope_of_a_township_user_is_his_townships_villages(county, places):
    user = User.get(User.username == "t1cadre")
    scope = Scope.for_user(user)
    assert not scope.everything and scope.whole_township
    assert scope.village_ids == {places["V01"].id}
    assert scope.township_ids == {county["towns"]["T1"].id}
    assert Scope.for_user(User.get(User.username == "countyleader")).everything
    # A township-level user of no township (a township's own instance) sees everything.
    assert Scope.for_user(User.get(User.username == "township")).everything


@pytest.mark.parametrize("username", ["t1admin", "t1cadre", "t1leader"])
def test_another_townships_records_answer_404(app, county, places, username):
    client = client_as(app, username)
    home2, kid2, visit2 = county["T2"]
    home1, kid1, visit1 = county["T1"]
    assert client.get(f"/persons/{kid1.id}").status_code == 200
    for url in (
        f"/persons/{kid2.id}",
        f"/households/{home2.id}",
        f"/visits/{visit2.id}",
        f"/persons/{kid2.id}/archive.html",
        f"/villages/{places['V02'].id}/ledger/留守儿童.html",
        f"/reports?village={places['V02'].id}",
        f"/reports?township={county['towns']['T2'].id}",
    ):
        assert client.get(url).status_code == 404, url


def test_another_townships_id_in_a_form_is_refused(app, county, places):
    client = client_as(app, "t1cadre")
    token = csrf_token(client, "/")
    home2 = county["T2"][0]
    before = Person.select().count()
    response = client.post(
        "/persons/new",
        data={"csrf_token": token, "household": home2.id, "name": "外镇新人", "sex": "男"},
    )
    assert response.status_code in (404, 422)
    assert Person.select().count() == before
    # A person of his township visited by another township's helper: refused, nothing written.
    kid1 = county["T1"][1]
    from liushou.models.helpers import Helper

    other_helper = Helper.get(Helper.name == "乙干部")
    visits = Visit.select().count()
    response = client.post(
        f"/persons/{kid1.id}/visits/new",
        data={
            "csrf_token": token,
            "visited_on": "2026-01-06",
            "method": "上门",
            "helpers": other_helper.id,
            "life": "好",
        },
    )
    assert response.status_code in (404, 422)
    assert Visit.select().count() == visits


def test_lists_reports_and_exports_show_only_his_township(app, county):
    client = client_as(app, "t1cadre")
    pages = {
        url: client.get(url).get_data(as_text=True)
        for url in (
            "/persons",
            "/persons?q=乙镇",
            "/households",
            "/",
            "/reports",
            "/reports/summary",
            "/reports/summary.html",
        )
    }
    for url, text in pages.items():
        assert "乙镇儿童" not in text and "乙户主" not in text and "第2村" not in text, url
    assert "甲镇儿童" in pages["/persons"]
    assert "第1村" in pages["/reports/summary"] and "甲镇" in pages["/reports/summary"]
    export = client.get("/persons/export/full.xlsx?group=留守儿童")
    assert export.status_code == 200
    import io

    from openpyxl import load_workbook

    cells = [
        str(c.value)
        for row in load_workbook(io.BytesIO(export.data)).active.iter_rows()
        for c in row
    ]
    assert "甲镇儿童" in cells and "乙镇儿童" not in cells


def test_county_leader_sees_both_townships_and_changes_nothing(app, county, places):
    client = client_as(app, "countyleader")
    listing = client.get("/persons").get_data(as_text=True)
    assert "甲镇儿童" in listing and "乙镇儿童" in listing
    kid2 = county["T2"][1]
    assert client.get(f"/persons/{kid2.id}").status_code == 200
    token = csrf_token(client, "/")
    before = Person.select().count()
    response = client.post(
        "/persons/new",
        data={"csrf_token": token, "household": county["T2"][0].id, "name": "县领导", "sex": "男"},
    )
    assert response.status_code == 403 and Person.select().count() == before
    assert client.post(f"/persons/{kid2.id}/void", data={"csrf_token": token}).status_code == 403
    assert client.get("/admin/users").status_code == 403
    # Reports: one row per township and the county's total; a township chosen narrows them.
    sheet = client.get("/reports/summary").get_data(as_text=True)
    assert "甲镇" in sheet and "乙镇" in sheet and "全县合计" in sheet and "第1村" not in sheet
    t1 = county["towns"]["T1"].id
    narrowed = client.get(f"/reports/summary?township={t1}").get_data(as_text=True)
    assert "第1村" in narrowed and "第2村" not in narrowed
    assert client.get("/reports?township=999").status_code == 404
    report = client.get(f"/reports?township={t1}").get_data(as_text=True)
    assert "统计报表 · 甲镇" in report


def test_township_admin_manages_only_his_township(app, county, places, users):
    client = client_as(app, "t1admin")
    listing = client.get("/admin/users").get_data(as_text=True)
    assert "cun1" in listing and "t1cadre" in listing
    assert "cun2" not in listing and "t2admin" not in listing and "countyleader" not in listing
    assert client.get(f"/admin/users/{users['cun2'].id}").status_code == 404
    assert client.get(f"/admin/places/villages/{places['V02'].id}").status_code == 404
    assert client.get(f"/admin/places/grids/{places['V02-G1'].id}").status_code == 404
    places_page = client.get("/admin/places").get_data(as_text=True)
    assert "第1村" in places_page and "第2村" not in places_page
    for url in ("/admin/audit", "/admin/townships"):
        assert client.get(url).status_code == 403, url
    # The settings page edits his township's own values (tests/test_county_settings.py).
    assert "甲镇" in client.get("/admin/settings").get_data(as_text=True)
    token = csrf_token(client, "/admin/users/new")
    users_before = User.select().count()
    response = client.post(
        "/admin/users/new",
        data={
            "csrf_token": token,
            "username": "waicun",
            "role": "village",
            "village": places["V02"].id,
            "password": PASSWORD,
        },
    )
    assert response.status_code == 422 and "不在您负责的范围内" in response.get_data(as_text=True)
    response = client.post(
        "/admin/users/new",
        data={
            "csrf_token": token,
            "username": "xian",
            "role": "county_admin",
            "password": PASSWORD,
        },
    )
    assert response.status_code == 422
    assert User.select().count() == users_before
    # A township cadre he creates is of his township.
    response = client.post(
        "/admin/users/new",
        data={
            "csrf_token": token,
            "username": "jiazhen2",
            "role": "township",
            "password": PASSWORD,
        },
    )
    assert response.status_code == 303
    assert User.get(User.username == "jiazhen2").township_id == county["towns"]["T1"].id
    response = client.post(
        "/admin/places/grids/new",
        data={"csrf_token": token, "village": places["V02"].id, "code": "X1", "name": "外网格"},
    )
    assert response.status_code == 422
    response = client.post(
        "/admin/places/villages/new",
        data={"csrf_token": token, "code": "V09", "name": "甲镇新村", "kind": "村", "active": "1"},
    )
    assert response.status_code == 303
    assert Village.get(Village.code == "V09").township_id == county["towns"]["T1"].id


def test_county_admin_manages_townships_and_places_villages_in_them(app, county):
    client = client_as(app, "countyadmin")
    page = client.get("/admin/townships").get_data(as_text=True)
    assert "甲镇" in page and "乙镇" in page
    token = csrf_token(client, "/admin/townships/new")
    response = client.post(
        "/admin/townships/new",
        data={"csrf_token": token, "code": "T3", "name": "丙镇", "active": "1"},
    )
    assert response.status_code == 303
    t3 = Township.get(Township.code == "T3")
    response = client.post(
        "/admin/places/villages/new",
        data={"csrf_token": token, "code": "V31", "name": "丙村", "kind": "村", "active": "1"},
    )
    assert response.status_code == 422 and "请选择所属乡镇" in response.get_data(as_text=True)
    response = client.post(
        "/admin/places/villages/new",
        data={
            "csrf_token": token,
            "code": "V31",
            "name": "丙村",
            "kind": "村",
            "active": "1",
            "township": t3.id,
        },
    )
    assert response.status_code == 303
    assert Village.get(Village.code == "V31").township_id == t3.id
    # An admin of T3 needs the township; a county account may not have one.
    response = client.post(
        "/admin/users/new",
        data={"csrf_token": token, "username": "bingadmin", "role": "admin", "password": PASSWORD},
    )
    assert response.status_code == 422 and "须选择所属乡镇" in response.get_data(as_text=True)
    response = client.post(
        "/admin/users/new",
        data={
            "csrf_token": token,
            "username": "xian2",
            "role": "county_leader",
            "township": t3.id,
            "password": PASSWORD,
        },
    )
    assert response.status_code == 422
    assert not User.select().where(User.username.in_(["bingadmin", "xian2"])).exists()


def test_cli_add_township_and_create_user_with_township(runner, places):
    result = runner.invoke(
        args=["create-user", "xian", "--role", "county_leader"], input="goodpass12\n"
    )
    assert result.exit_code != 0 and "县级" in result.output  # no townships yet
    result = runner.invoke(args=["add-township", "T1", "甲镇"])
    assert result.exit_code == 0, result.output
    assert Township.get(Township.code == "T1").name == "甲镇"
    assert runner.invoke(args=["add-township", "T1", "又一个"]).exit_code != 0
    result = runner.invoke(args=["create-user", "jia", "--role", "admin"], input="goodpass12\n")
    assert result.exit_code != 0 and "须选择所属乡镇" in result.output
    result = runner.invoke(
        args=["create-user", "jia", "--role", "admin", "--township", "T1"], input="goodpass12\n"
    )
    assert result.exit_code == 0, result.output
    assert User.get(User.username == "jia").township.code == "T1"
    result = runner.invoke(
        args=["create-user", "xian", "--role", "county_leader", "--township", "T1"],
        input="goodpass12\n",
    )
    assert result.exit_code != 0 and "--township" in result.output
    result = runner.invoke(
        args=["create-user", "xian", "--role", "county_leader"], input="goodpass12\n"
    )
    assert result.exit_code == 0, result.output
    assert "乡镇 T1" in runner.invoke(args=["places"]).output
