"""Printouts read back: contact cards (text and QR), archive, ledger header on every page,
route sheet."""

import io

import pytest
from PIL import Image
from pypdf import PdfReader

from liushou.models import AuditLog, Village
from liushou.models.helpers import Helper, VillagePost
from liushou.models.households import Household
from liushou.models.persons import Person
from tests._helpers import _pdf, _text
from tests.conftest import PASSWORD, client_as, csrf_token


def _page_text(page):
    return "".join(page.extract_text().split())


def test_village_cards_print_names_numbers_and_a_contact_qr(demo_app):
    import zxingcpp

    client = client_as(demo_app)
    with demo_app.app_context():
        village = Village.get(Village.code == "V01")
        cadre = VillagePost.get(
            (VillagePost.village == village) & (VillagePost.post == "包片干部")
        ).helper
        doctor = VillagePost.get(
            (VillagePost.village == village) & (VillagePost.post == "村医")
        ).helper
        heads = [
            h.head_name
            for h in Household.select().where(Household.village == village)
            if Person.active().where((Person.household == h) & (Person.groups != "")).exists()
        ]
    reader = _pdf(client, f"/print/cards.pdf?village={village.id}")
    text = _text(reader)
    assert text.count("便民服务联系卡") == len(heads)
    for head in heads:
        assert head in text
    assert cadre.name in text and cadre.phone in text and doctor.phone in text
    for number in ("120", "110", "12338", "0931-5556110"):
        assert number in text
    assert len(reader.pages) == -(-len(heads) // 10)  # ten cards to a sheet
    image = next(iter(reader.pages[0].images))
    decoded = [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(image.data)))]
    assert decoded and decoded[0].startswith(f"MECARD:N:{cadre.name};TEL:{cadre.phone};")
    with demo_app.app_context():
        assert AuditLog.select().where(AuditLog.action == "print").count() == 1


def test_household_card_and_html_preview(demo_app):
    client = client_as(demo_app, "cun01")
    with demo_app.app_context():
        household = Household.select().where(Household.village == 1).first()
    preview = client.get(f"/households/{household.id}/card.html")
    assert preview.mimetype == "text/html" and household.head_name in preview.get_data(as_text=True)
    assert "unsafe-inline" in preview.headers["Content-Security-Policy"]
    assert household.head_name in _text(_pdf(client, f"/households/{household.id}/card.pdf"))
    assert client.get(f"/households/{household.id}/card.doc").status_code == 404


def test_archive_has_every_section_and_masks_id_for_grid_worker(demo_app):
    client = client_as(demo_app, "admin")
    with demo_app.app_context():
        person = (
            Person.select()
            .where(Person.groups.contains("留守儿童") & (Person.village == 1))
            .first()
        )
    text = _text(_pdf(client, f"/persons/{person.id}/archive.pdf"))
    for section in (
        "基本信息",
        "儿童情况",
        "结对帮扶",
        "走访记录",
        "需求",
        "服务记录",
        "救助补贴",
        "健康体检",
        "参加活动",
        "突发事件",
        "变更记录",
    ):
        assert section in text
    assert person.id_number in text
    with demo_app.app_context():
        from liushou.models import Grid

        grid = Grid.get(Grid.code == "V01-G1")
        own = Person.select().where((Person.grid == grid) & Person.id_number.is_null(False)).first()
    page = (
        client_as(demo_app, "wangge01")
        .get(f"/persons/{own.id}/archive.html")
        .get_data(as_text=True)
    )
    assert own.id_number not in page and own.id_number[:6] + "*" * 11 + own.id_number[-1:] in page


def test_ledger_repeats_its_header_on_every_page(demo_app):
    client = client_as(demo_app)
    with demo_app.app_context():
        village = Village.get(Village.code == "V02")
        persons = Person.active().where(
            Person.groups.contains("留守老人") & (Person.village == village)
        )
        expected = [p.name for p in persons]
    reader = _pdf(client, f"/villages/{village.id}/ledger/留守老人.pdf")
    page = reader.pages[0]
    assert page.mediabox.width > page.mediabox.height  # landscape
    text = _text(reader)
    for name in expected:
        assert name in text
    for p in reader.pages:  # the signature lines never fall alone on a last page
        assert "身份证号" in _page_text(p) and "自理能力" in _page_text(p)
    assert "填表人" in text and "审核人" in text and "负责人" in text


def test_ledger_header_on_every_page_of_a_long_ledger(app, places):
    from liushou.scope import Scope
    from liushou.services import SYSTEM
    from liushou.services.accounts import create_user
    from liushou.services.households import save_household
    from liushou.services.persons import save_person

    everything = Scope(everything=True)
    household = save_household(
        SYSTEM, everything, {"village": places["V01"].id, "head_name": "户主"}
    )
    for i in range(60):
        save_person(
            SYSTEM,
            everything,
            {
                "household": household.id,
                "name": f"老人{i:02d}",
                "birth_date": "1950-01-01",
                "sex": "男",
                "children_away": "1",
            },
        )
    create_user(SYSTEM, {"username": "admin", "role": "admin"}, PASSWORD)
    reader = _pdf(client_as(app), f"/villages/{places['V01'].id}/ledger/留守老人.pdf")
    assert len(reader.pages) >= 3
    for page in reader.pages:
        text = _page_text(page)
        assert "序号" in text and "身份证号" in text and "第" in text


def test_route_sheet_has_a_qr_per_person(demo_app):
    import zxingcpp

    client = client_as(demo_app, "cun01")
    with demo_app.app_context():
        helper = (
            Helper.get(Helper.user == 4)
            if Helper.select().where(Helper.user == 4).exists()
            else None
        )
        helper = (
            helper or Helper.select().where((Helper.kind == "村干部") & (Helper.village == 1)).get()
        )
    reader = _pdf(client, f"/helpers/{helper.id}/route.pdf")
    text = _text(reader)
    assert "走访路线单" in text and helper.name in text
    images = [img for page in reader.pages for img in page.images]
    assert images, "a QR per person"
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(images[0].data)))
    assert decoded[0].text.startswith("http://192.168.1.10:8080/persons/")
    assert decoded[0].text.endswith("/visits/new")


@pytest.mark.parametrize("url", ["/print", "/print/cards.html?village=1"])
def test_print_pages_for_a_village_cadre(demo_app, url):
    client = client_as(demo_app, "cun01")
    assert client.get(url).status_code == 200
    assert client.get("/print/cards.html?village=2").status_code == 404


def test_long_card_batch_runs_as_a_job_with_a_progress_page(demo_app):
    import time as _time

    client = client_as(demo_app, "cun01")
    token = csrf_token(client, "/print")
    response = client.post("/print/jobs", data={"csrf_token": token, "village": 1})
    assert response.status_code == 303
    url = response.location
    page = client.get(url).get_data(as_text=True)
    assert "便民服务联系卡" in page
    for _ in range(60):
        page = client.get(url).get_data(as_text=True)
        if "下载 PDF" in page:
            break
        assert 'http-equiv="refresh"' in page and "正在生成" in page
        _time.sleep(0.5)
    reader = PdfReader(io.BytesIO(client.get(url + ".pdf").get_data()))
    assert "便民服务联系卡" in reader.pages[0].extract_text()
    other = client_as(demo_app, "cun02")
    assert other.get(url).status_code == 404 and other.get(url + ".pdf").status_code == 404
