"""A county user's reports and prints for one township read that township's own settings (its
name on titles and 填报单位, its thresholds); the county-wide summary keeps the instance-wide
ones. A township's own users read theirs as before."""

import io
from datetime import date

from openpyxl import load_workbook

from liushou import clock, settings
from liushou.scope import Scope
from liushou.services import SYSTEM
from liushou.services.households import save_household
from liushou.services.persons import save_person
from liushou.services.settings import update_settings
from tests.conftest import client_as
from tests.shared.county import county  # noqa: F401

OWN_NAME = "甲镇人民政府"


def _own_settings(county):  # noqa: F811
    update_settings(
        SYSTEM,
        {"township_name": OWN_NAME, "elder_subsidy_bands": "75-:50"},
        date(2000, 1, 1),
        county["towns"]["T1"],
    )


def _cells(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    book = load_workbook(io.BytesIO(response.get_data()))
    return " ".join(str(c) for row in book.active.values for c in row if c is not None)


def test_county_users_township_summary_reads_its_own_name(app, county):  # noqa: F811
    _own_settings(county)
    t1 = county["towns"]["T1"].id
    client = client_as(app, "countyadmin")
    sheet = _cells(client.get(f"/reports/summary.xlsx?township={t1}"))
    assert f"填报单位（盖章）：{OWN_NAME}" in sheet
    printed = client.get(f"/reports/summary.html?township={t1}").get_data(as_text=True)
    assert OWN_NAME in printed and "测试镇" not in printed
    report = client.get(f"/reports/report.html?township={t1}").get_data(as_text=True)
    assert OWN_NAME in report and "测试镇" not in report
    # The county-wide sheet keeps the instance-wide values.
    whole = _cells(client.get("/reports/summary.xlsx"))
    assert "填报单位（盖章）：测试镇" in whole and OWN_NAME not in whole
    # The other township has no own name: the instance-wide one.
    t2 = county["towns"]["T2"].id
    assert "填报单位（盖章）：测试镇" in _cells(client.get(f"/reports/summary.xlsx?township={t2}"))


def test_township_user_and_county_user_print_the_same_header(app, county, places):  # noqa: F811
    _own_settings(county)
    t1 = county["towns"]["T1"].id
    own = _cells(client_as(app, "t1cadre").get("/reports/summary.xlsx"))
    chosen = _cells(client_as(app, "countyadmin").get(f"/reports/summary.xlsx?township={t1}"))
    assert f"填报单位（盖章）：{OWN_NAME}" in own and f"填报单位（盖章）：{OWN_NAME}" in chosen


def test_county_users_prints_of_a_townships_rows_carry_its_name(app, county, places):  # noqa: F811
    _own_settings(county)
    _home, kid, _visit = county["T1"]
    client = client_as(app, "countyadmin")
    archive = client.get(f"/persons/{kid.id}/archive.html").get_data(as_text=True)
    assert OWN_NAME in archive and "测试镇" not in archive
    ledger = client.get(f"/villages/{places['V01'].id}/ledger/留守儿童.html")
    assert f"<h1>{OWN_NAME}第1村" in ledger.get_data(as_text=True)
    other = client.get(f"/villages/{places['V02'].id}/ledger/留守儿童.html")
    assert "<h1>测试镇第2村" in other.get_data(as_text=True)


def test_county_users_allowance_list_of_a_village_uses_its_townships_bands(
    app,
    county,  # noqa: F811
    places,
):
    _own_settings(county)
    today = clock.today()
    home = save_household(
        SYSTEM,
        Scope(everything=True),
        {"village": places["V01"].id, "grid": places["V01-G1"].id, "head_name": "七旬户"},
    )
    save_person(
        SYSTEM,
        Scope(everything=True),
        {
            "household": home.id,
            "name": "七十六岁",
            "birth_date": date(today.year - 76, 1, 1).isoformat(),
            "sex": "男",
        },
    )
    client = client_as(app, "countyadmin")
    village = places["V01"].id
    page = client.get(f"/reports/allowance/missing?village={village}").get_data(as_text=True)
    assert "七十六岁" in page  # T1 pays from 75
    printed = client.get(f"/reports/allowance/missing.html?village={village}")
    assert OWN_NAME in printed.get_data(as_text=True)
    # The township's own user sees the same list.
    own = client_as(app, "t1cadre").get("/reports/allowance/missing").get_data(as_text=True)
    assert "七十六岁" in own


def test_a_block_reads_the_township_it_names_whoever_asks(app, county):  # noqa: F811
    """The report's figures may be recounted in another thread (figure_cache): the township
    is named for the block, not taken from the request."""
    _own_settings(county)
    t1 = county["towns"]["T1"]
    assert settings.get("township_name") == "测试镇"
    with settings.reading_for(t1.id):
        assert settings.get("township_name") == OWN_NAME
        with settings.reading_for(None):
            assert settings.get("township_name") == "测试镇"
        assert settings.get("elder_subsidy_bands") == "75-:50"
    assert settings.get("township_name") == "测试镇"
