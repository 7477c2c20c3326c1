"""A county user's card batch of households of several townships (issue 18): every card names
its own township and prints its own township's numbers; the PDF lays each township's cards on
sheets of their own whose footer names it; a township with no name stops the batch (409)."""

import io
from datetime import date

from pypdf import PdfReader

from liushou.models import Setting
from liushou.services import SYSTEM
from liushou.services.settings import update_settings
from tests.conftest import client_as
from tests.shared.county import county  # noqa: F401

NAMES = {"T1": ("甲镇人民政府", "0931-1111110"), "T2": ("乙镇人民政府", "0931-2222220")}


def _name_townships(county, which=("T1", "T2")):  # noqa: F811
    """No instance-wide name (a county has none to print); each township its own name and
    police number."""
    Setting.delete().where((Setting.key == "township_name") & Setting.township.is_null()).execute()
    for code in which:
        name, police = NAMES[code]
        values = {"township_name": name, "police_phone": police}
        update_settings(SYSTEM, values, date(2000, 1, 1), county["towns"][code])


def _url(county, ext):  # noqa: F811
    homes = [county["T1"][0].id, county["T2"][0].id]
    return f"/print/cards.{ext}?" + "&".join(f"household={h}" for h in homes)


def test_each_card_of_a_batch_across_townships_carries_its_own_township(app, county):  # noqa: F811
    _name_townships(county)
    client = client_as(app, "countyadmin")
    response = client.get(_url(county, "html"))
    assert response.status_code == 200
    cards = response.get_data(as_text=True).split('<div class="c">')[1:]
    assert len(cards) == 2
    by_head = {("甲户主" in c): c for c in cards}
    for code, card in (("T1", by_head[True]), ("T2", by_head[False])):
        name, police = NAMES[code]
        other_name, other_police = NAMES["T2" if code == "T1" else "T1"]
        assert name in card and police in card
        assert other_name not in card and other_police not in card

    pdf = client.get(_url(county, "pdf"))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(pdf.get_data())).pages]
    assert len(pages) == 2  # one sheet per township
    for code, page in zip(("T1", "T2"), pages, strict=True):
        name, police = NAMES[code]
        other_name, _ = NAMES["T2" if code == "T1" else "T1"]
        assert f"{name} · countyadmin" in page  # the sheet's footer
        assert police in page and other_name not in page


def test_a_batch_with_a_township_of_no_name_is_refused(app, county):  # noqa: F811
    _name_townships(county, which=("T1",))
    client = client_as(app, "countyadmin")
    for ext in ("html", "pdf"):
        response = client.get(_url(county, ext))
        assert response.status_code == 409, ext
        assert "乡镇（街道）名称还没有填写" in response.get_data(as_text=True)


def test_a_single_townships_batch_is_unchanged(app, county):  # noqa: F811
    _name_townships(county)
    client = client_as(app, "t1admin")
    home = county["T1"][0]
    page = client.get(f"/print/cards.html?household={home.id}").get_data(as_text=True)
    assert NAMES["T1"][0] in page and NAMES["T1"][1] in page
