"""Ids inside form bodies are resolved through the user's area: another area's helper, account or
site is refused next to its field, and nothing is written."""

import pytest

from liushou.models import Activity, Helper, Need, Service, Visit
from liushou.scope import Scope
from liushou.services import SYSTEM
from liushou.services.records import save_site
from tests.conftest import post
from tests.shared.town import helper, household, person

ALL = Scope(everything=True)


@pytest.fixture
def two_villages(places, users):
    """A child, a helper and a site in each of V01 and V02."""
    out = {}
    for code in ("V01", "V02"):
        home = household(places, f"{code}-G1", f"{code}户主")
        out[f"{code}-kid"] = person(
            home,
            f"{code}儿童",
            birth_date="2016-04-01",
            sex="女",
            father_status="外出务工",
            mother_status="外出务工",
        )
        out[f"{code}-helper"] = helper(places, f"{code}帮扶人", village=code)
        out[f"{code}-site"] = save_site(
            SYSTEM,
            ALL,
            {"village": places[code].id, "kind": "留守儿童之家", "name": f"{code}儿童之家"},
        )
    return out


def test_helper_cannot_be_linked_to_an_account_outside_the_area(login_as, users):
    client = login_as("cun1")
    response = post(
        client,
        "/helpers/new",
        {"name": "新帮扶人", "kind": "志愿者", "user": users["township"].id},
        "/helpers/new",
    )
    assert response.status_code == 422
    assert "只能关联您负责范围内的账号" in response.get_data(as_text=True)
    assert not Helper.select().where(Helper.name == "新帮扶人").exists()
    assert not Helper.select().where(Helper.user == users["township"].id).exists()


def test_visit_with_another_villages_helper_is_refused(login_as, two_villages):
    client = login_as("cun1")
    kid = two_villages["V01-kid"]
    url = f"/persons/{kid.id}/visits/new"
    response = post(
        client,
        url,
        {
            "persons": kid.id,
            "visited_on": "2026-01-05",
            "method": "上门",
            "helpers": [two_villages["V01-helper"].id, two_villages["V02-helper"].id],
        },
        url,
    )
    assert response.status_code == 422
    assert "只能选择您负责范围内的走访人" in response.get_data(as_text=True)
    assert Visit.select().count() == 0


@pytest.mark.parametrize("what", ["need", "service"])
def test_need_or_service_with_another_villages_helper_is_refused(login_as, two_villages, what):
    client = login_as("cun1")
    kid = two_villages["V01-kid"]
    data = {
        "kind": "课业辅导",
        "description": "辅导作业",
        "served_on": "2026-01-05",
        "helper": two_villages["V02-helper"].id,
    }
    response = post(client, f"/persons/{kid.id}/{what}s/new", data, f"/persons/{kid.id}")
    model = Need if what == "need" else Service
    assert model.select().count() == 0
    if what == "need":
        assert response.status_code == 422
        assert "请选择本村或乡镇的帮扶人" in response.get_data(as_text=True)
    # The need form offers only the helpers it accepts.
    form = client.get(f"/persons/{kid.id}/needs/new").get_data(as_text=True)
    assert "V01帮扶人" in form and "V02帮扶人" not in form


def test_activity_with_another_villages_site_is_refused(login_as, places, two_villages):
    client = login_as("cun1")
    response = post(
        client,
        "/activities/new",
        {
            "village": places["V01"].id,
            "site": two_villages["V02-site"].id,
            "kind": "四点半课堂",
            "title": "作业辅导",
            "held_on": "2026-01-05",
            "persons": two_villages["V01-kid"].id,
        },
        "/activities/new",
    )
    assert response.status_code == 422
    assert "请选择本村（社区）的服务阵地" in response.get_data(as_text=True)
    assert Activity.select().count() == 0
    # Asking for another village's form shows one's own village and its sites only.
    page = client.get(f"/activities/new?village={places['V02'].id}").get_data(as_text=True)
    assert "V02儿童之家" not in page and "V01儿童之家" in page
