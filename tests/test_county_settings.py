"""Per-township settings on a county's instance: a township's own value comes first, then the
instance-wide one; a township admin edits his township's values, the county admin the
instance-wide ones or a township's he chooses; cards of a township's household print its name
and numbers whoever prints them. Rows of no village (helpers, organisations) belong to a
township. A single-township instance (no township rows) is the rest of the suite, unchanged."""

from datetime import date

from liushou import settings
from liushou.models import Helper, Setting
from liushou.models.orgs import Organisation
from liushou.scope import Scope
from liushou.services import SYSTEM
from liushou.services.helpers import save_helper
from liushou.services.orgs import create_org
from liushou.services.settings import update_settings
from tests.conftest import (
    client_as,  # noqa: F401
    csrf_token,
)
from tests.shared.county import county  # noqa: F401


def _set(values, township=None, on=date(2001, 1, 1)):
    update_settings(SYSTEM, values, on, township)


def test_township_value_first_then_the_instance_wide_one(app, county):  # noqa: F811
    t1, t2 = county["towns"]["T1"], county["towns"]["T2"]
    _set({"township_name": "甲镇", "medical_phone": "0931-1111120"}, t1)
    _set({"child_max_age": "15"}, t1, on=date(2030, 1, 1))
    assert settings.get("township_name", township=t1) == "甲镇"
    assert settings.get("township_name", township=t2.id) == "测试镇"  # instance-wide
    assert settings.get("township_name") == "测试镇"  # no request: the instance's
    assert settings.get("medical_phone", township=t1) == "0931-1111120"
    assert settings.get("medical_phone", township=t2) == "120"  # the built-in default
    # Dated: the township's later value is not in force before its date.
    assert settings.get("child_max_age", date(2029, 12, 31), township=t1) == 16
    assert settings.get("child_max_age", date(2030, 1, 1), township=t1) == 15
    # The instance's own settings are never a township's.
    _set({"base_url": "http://10.0.0.9"}, t1)
    assert not Setting.select().where(Setting.key == "base_url").exists()


def test_township_admin_edits_his_townships_values_only(app, county):  # noqa: F811
    t1 = county["towns"]["T1"]
    client = client_as(app, "t1admin")
    page = client.get("/admin/settings").get_data(as_text=True)
    assert "甲镇" in page and "本系统内网地址" not in page and "数据备份" not in page
    response = client.post(
        "/admin/settings",
        data={
            "csrf_token": csrf_token(client, "/admin/settings"),
            "township_name": "甲镇人民政府",
            "police_phone": "0931-7776110",
            "base_url": "http://10.0.0.9",
        },
    )
    assert response.status_code == 303
    rows = list(Setting.select().where(Setting.township.is_null(False)))
    assert {(r.key, r.township_id) for r in rows} == {
        ("township_name", t1.id),
        ("police_phone", t1.id),
    }
    assert settings.get("township_name") == "测试镇"
    assert settings.get("base_url") == settings.BY_KEY["base_url"].default
    # Another township's admin still reads the instance-wide values; a bad one is refused.
    other = client_as(app, "t2admin")
    assert "甲镇人民政府" not in other.get("/admin/settings").get_data(as_text=True)
    response = other.post(
        "/admin/settings",
        data={"csrf_token": csrf_token(other, "/admin/settings"), "police_phone": "abc"},
    )
    assert response.status_code == 422
    assert Setting.select().count() == len(rows) + 1  # the suite's own township_name


def test_county_admin_edits_instance_wide_or_a_chosen_townships(app, county):  # noqa: F811
    t2 = county["towns"]["T2"]
    client = client_as(app, "countyadmin")
    page = client.get("/admin/settings").get_data(as_text=True)
    assert "乙镇" in page and "数据备份" in page  # the township chooser and the instance's part
    token = csrf_token(client, "/admin/settings")
    response = client.post(
        "/admin/settings", data={"csrf_token": token, "family_hotline": "0931-8888000"}
    )
    assert response.status_code == 303
    assert settings.get("family_hotline", township=t2) == "0931-8888000"  # inherited
    response = client.post(
        f"/admin/settings?township={t2.id}",
        data={"csrf_token": token, "family_hotline": "0931-2222000"},
    )
    assert response.status_code == 303 and response.location.endswith(f"township={t2.id}")
    assert settings.get("family_hotline", township=t2) == "0931-2222000"
    assert settings.get("family_hotline", township=settings.INSTANCE) == "0931-8888000"
    assert client.get("/admin/settings?township=999").status_code == 404


def test_card_of_a_townships_household_prints_its_name_and_numbers(app, county):  # noqa: F811
    t1 = county["towns"]["T1"]
    _set({"township_name": "甲镇", "police_phone": "0931-7776110"}, t1)
    home1, home2 = county["T1"][0], county["T2"][0]
    for username in ("countyadmin", "t1cadre"):
        client = client_as(app, username)
        card = client.get(f"/households/{home1.id}/card.html").get_data(as_text=True)
        assert "0931-7776110" in card and "甲镇" in card, username
    # The county admin's card of a T2 household: the instance-wide numbers.
    client = client_as(app, "countyadmin")
    card = client.get(f"/households/{home2.id}/card.html").get_data(as_text=True)
    assert "0931-7776110" not in card and "测试镇" in card


def test_township_users_pages_read_his_townships_values(app, county):  # noqa: F811
    t1 = county["towns"]["T1"]
    _set({"township_name": "甲镇"}, t1)
    slip = client_as(app, "t1admin").get("/admin/users/new").get_data(as_text=True)
    assert slip  # a page renders under his township's settings
    with app.test_request_context():
        from flask import g

        g.township_id = t1.id
        assert settings.get("township_name") == "甲镇"
        assert settings.township_name_problem() is None


def test_helpers_and_orgs_of_no_village_belong_to_the_authors_township(
    app,
    county,  # noqa: F811
    places,
):
    t1, t2 = county["towns"]["T1"], county["towns"]["T2"]
    s1, s2 = Scope.for_townships([t1.id]), Scope.for_townships([t2.id])
    helper = save_helper(SYSTEM, s1, {"name": "甲督导", "kind": "儿童督导员"})
    assert helper.township_id == t1.id and helper.village_id is None
    org = create_org(SYSTEM, s1, {"village": "", "kind": "志愿服务队", "name": "甲镇志愿队"})
    assert org.township_id == t1.id
    county_org = create_org(
        SYSTEM, Scope(everything=True), {"village": "", "kind": "志愿服务队", "name": "全县队"}
    )
    assert county_org.township_id is None
    assert s1.query(Helper).where(Helper.id == helper.id).exists()
    assert not s2.query(Helper).where(Helper.id == helper.id).exists()
    assert s1.query(Organisation).where(Organisation.id == org.id).exists()
    assert not s2.query(Organisation).where(Organisation.id == org.id).exists()
    assert s2.query(Organisation).where(Organisation.id == county_org.id).exists()
    # A village user sees his township's township-wide organisation, not another's.
    v1, v2 = (
        Scope(village_ids=frozenset([places["V01"].id])),
        Scope(village_ids=frozenset([places["V02"].id])),
    )
    assert v1.query(Organisation).where(Organisation.id == org.id).exists()
    assert not v2.query(Organisation).where(Organisation.id == org.id).exists()
    # Pages: T2's admin gets 404 for T1's helper and organisation.
    client = client_as(app, "t2admin")
    assert client.get(f"/helpers/{helper.id}").status_code == 404
    assert client.get(f"/orgs/{org.id}").status_code == 404
    assert client_as(app, "t1admin").get(f"/helpers/{helper.id}").status_code == 200


def test_first_day_checklist_of_a_township_admin_counts_his_township(app, county, places):  # noqa: F811
    from liushou.models import Village
    from liushou.queries.accounts import first_day_steps

    t1 = county["towns"]["T1"]
    Village.update(township=None).where(Village.code == "V02").execute()  # not T1's
    steps = {
        key: (done, detail)
        for key, _label, done, detail in first_day_steps(Scope.for_townships([t1.id]))
    }
    assert steps["places"][1] == "已有 1 个村（社区）、2 个网格"
    assert steps["township"][0] is False  # T1 has no address or office phone of its own yet
    _set({"township_address": "甲镇大街 1 号", "office_phone": "0931-1234567"}, t1)
    steps = dict((k, d) for k, _l, d, _x in first_day_steps(Scope.for_townships([t1.id])))
    assert steps["township"] is True
    everything = {k: x for k, _l, _d, x in first_day_steps(Scope(everything=True))}
    assert everything["places"] == "已有 2 个村（社区）、4 个网格"
    page = client_as(app, "t1admin").get("/").get_data(as_text=True)
    assert "已有 1 个村（社区）、2 个网格" in page
