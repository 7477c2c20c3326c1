"""A county's instance with no name of its own and named townships: a county user's print of a
township's rows carries that township's name and prints; a row of a township with no name is
refused (409) as an unnamed township's own print is. The helper's route sheet and an
organisation's member list read their row's township too."""

from datetime import date

from liushou.models import Setting
from liushou.models.helpers import Helper
from liushou.scope import Scope
from liushou.services import SYSTEM
from liushou.services.orgs import create_org
from liushou.services.settings import update_settings
from tests.conftest import client_as
from tests.shared.county import county  # noqa: F401

OWN_NAME = "甲镇人民政府"


def _county_of_named_townships(county):  # noqa: F811
    """No instance-wide name (a county has none to print); T1 named, T2 not."""
    Setting.delete().where((Setting.key == "township_name") & Setting.township.is_null()).execute()
    update_settings(SYSTEM, {"township_name": OWN_NAME}, date(2000, 1, 1), county["towns"]["T1"])


def test_a_county_users_print_of_a_named_townships_rows_prints(app, county, places):  # noqa: F811
    _county_of_named_townships(county)
    _home, kid, _visit = county["T1"]
    client = client_as(app, "countyadmin")
    archive = client.get(f"/persons/{kid.id}/archive.html")
    assert archive.status_code == 200 and OWN_NAME in archive.get_data(as_text=True)
    ledger = client.get(f"/villages/{places['V01'].id}/ledger/留守儿童.html")
    assert ledger.status_code == 200 and f"<h1>{OWN_NAME}第1村" in ledger.get_data(as_text=True)
    card = client.get(f"/households/{_home.id}/card.html")
    assert card.status_code == 200 and OWN_NAME in card.get_data(as_text=True)


def test_a_county_users_print_of_an_unnamed_townships_rows_is_refused(app, county, places):  # noqa: F811
    _county_of_named_townships(county)
    _home, kid, _visit = county["T2"]
    client = client_as(app, "countyadmin")
    for url in (
        f"/persons/{kid.id}/archive.html",
        f"/villages/{places['V02'].id}/ledger/留守儿童.html",
    ):
        response = client.get(url)
        assert response.status_code == 409, url
        assert "乡镇（街道）名称还没有填写" in response.get_data(as_text=True)
    # A township user of the unnamed township: refused before anything is read, as before.
    assert client_as(app, "t2admin").get(f"/persons/{kid.id}/archive.html").status_code == 409


def test_the_route_sheet_and_the_member_list_carry_their_rows_township(app, county, places):  # noqa: F811
    _county_of_named_townships(county)
    helper = Helper.get(Helper.name == "甲干部")  # T1's village cadre (the county fixture)
    org = create_org(
        SYSTEM,
        Scope(everything=True),
        {"village": places["V01"].id, "kind": "互助组", "name": "甲互助组"},
    )
    client = client_as(app, "countyadmin")
    route = client.get(f"/helpers/{helper.id}/route.html")
    assert route.status_code == 200 and OWN_NAME in route.get_data(as_text=True)
    members = client.get(f"/orgs/{org.id}/members.html")
    assert members.status_code == 200 and OWN_NAME in members.get_data(as_text=True)
    # T2's: no name of its own, none of the instance's: refused.
    other = create_org(
        SYSTEM,
        Scope(everything=True),
        {"village": places["V02"].id, "kind": "互助组", "name": "乙互助组"},
    )
    assert client.get(f"/orgs/{other.id}/members.html").status_code == 409
