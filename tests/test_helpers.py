"""Helpers (帮扶人) and village posts."""

from liushou.models import AuditLog
from liushou.models.helpers import Helper, VillagePost
from tests.conftest import post


def _new_helper(client, places, **extra):
    data = {
        "name": "李四",
        "kind": "村医",
        "unit": "第1村卫生室",
        "position": "村医",
        "phone": "138 0000 1111",
        "village": places["V01"].id,
        "areas": [f"v:{places['V01'].id}"],
        **extra,
    }
    return post(client, "/helpers/new", data)


def test_village_cadre_adds_a_helper(login_as, places):
    client = login_as("cun1")
    response = _new_helper(client, places)
    assert response.status_code == 303
    helper = Helper.get(Helper.name == "李四")
    assert helper.phone == "13800001111" and [a.village_id for a in helper.areas] == [
        places["V01"].id
    ]
    page = client.get(f"/helpers/{helper.id}").get_data(as_text=True)
    assert "第1村卫生室" in page and 'href="tel:13800001111"' in page
    assert "李四" in client.get("/helpers").get_data(as_text=True)
    assert (
        AuditLog.select()
        .where((AuditLog.object_type == "helper") & (AuditLog.action == "create"))
        .exists()
    )


def test_helper_errors_and_area_limits(login_as, places):
    client = login_as("cun1")
    response = _new_helper(
        client, places, name="", kind="神仙", phone="12", village=places["V02"].id
    )
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    for message in ("请填写姓名", "请选择类别", "11 位手机号码", "只能选择您负责的村"):
        assert message in text
    assert Helper.select().count() == 0


def test_village_posts_for_the_contact_card(login_as, places):
    client = login_as("cun1")
    _new_helper(client, places)
    _new_helper(client, places, name="王五", kind="包片干部", position="副镇长")
    doctor = Helper.get(Helper.name == "李四")
    cadre = Helper.get(Helper.name == "王五")
    url = f"/villages/{places['V01'].id}/posts"
    response = post(client, url, {"村医": doctor.id, "包片干部": cadre.id})
    assert response.status_code == 303
    posts = {p.post: p.helper_id for p in VillagePost.select()}
    assert posts == {"村医": doctor.id, "包片干部": cadre.id}
    page = client.get(f"/helpers/{cadre.id}").get_data(as_text=True)
    assert "第1村包片干部" in page
    # Clearing a post removes it and the change is audited on the village.
    post(client, url, {"村医": doctor.id, "包片干部": ""})
    assert {p.post for p in VillagePost.select()} == {"村医"}
    assert (
        AuditLog.select()
        .where((AuditLog.object_type == "village") & (AuditLog.action == "update"))
        .count()
        == 2
    )
    # Another village's cadre cannot see or set them.
    other = login_as("cun2")
    assert other.get(url).status_code == 404


def test_township_helper_visible_everywhere_but_managed_by_township(login_as, places, client):
    township = login_as("township")
    response = post(
        township, "/helpers/new", {"name": "赵督导", "kind": "儿童督导员", "village": ""}
    )
    assert response.status_code == 303
    helper = Helper.get(Helper.name == "赵督导")
    assert helper.village_id is None
    post(township, "/logout")
    cadre = login_as("cun1")
    assert "赵督导" in cadre.get("/helpers").get_data(as_text=True)
    response = post(cadre, f"/helpers/{helper.id}/edit", {"name": "改", "kind": "其他"})
    assert response.status_code == 404
