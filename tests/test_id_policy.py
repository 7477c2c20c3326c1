"""Minimum necessary for ID numbers and phones (rules/privacy): masked in lists, ledgers, route
sheets and exports for every role; full IDs only by an audited reveal, the archive, or a ledger
with a stated purpose, and never for grid workers or leaders; edit forms keep masked IDs."""

import io
from urllib.parse import quote

import pytest
from openpyxl import load_workbook

from liushou.models import AuditLog
from liushou.models.persons import Person
from liushou.rules import privacy
from tests.conftest import post

CHILD_ID, CHILD_MASK = "620102201503070014", "620102***********4"
CARER_ID, CARER_MASK = "620102198001010025", "620102***********5"
PHONE, PHONE_MASK = "13800001234", "138****1234"
CARER_PHONE, CARER_PHONE_MASK = "13900005678", "139****5678"
FULL = (CHILD_ID, CARER_ID, PHONE, CARER_PHONE)
ROLES = ("admin", "township", "cun1", "grid1", "leader")


@pytest.fixture
def child(app, places, users):
    """A left-behind child of V01-G1 with a carer, paired with a helper (for the route sheet)."""
    from liushou.scope import Scope
    from liushou.services import SYSTEM
    from liushou.services.helpers import save_helper
    from liushou.services.households import save_household
    from liushou.services.persons import save_person
    from liushou.services.visits import pair

    everything = Scope(everything=True)
    household = save_household(
        SYSTEM,
        everything,
        {"village": places["V01"].id, "grid": places["V01-G1"].id, "head_name": "王建国"},
    )
    person = save_person(
        SYSTEM,
        everything,
        {
            "household": household.id,
            "name": "王小明",
            "id_number": CHILD_ID,
            "phone": PHONE,
            "father_status": "外出务工",
            "mother_status": "外出务工",
            "carer_name": "王奶奶",
            "carer_relation": "祖母",
            "carer_phone": CARER_PHONE,
            "carer_id_number": CARER_ID,
        },
    )
    helper = save_helper(
        SYSTEM, everything, {"name": "李干部", "kind": "村干部", "village": places["V01"].id}
    )
    pair(SYSTEM, everything, helper, [person])
    return person, helper


def _full_in(text):
    return [n for n in FULL if n in text]


def _xlsx_text(response):
    assert response.status_code == 200
    rows = load_workbook(io.BytesIO(response.get_data())).active.iter_rows(values_only=True)
    return " ".join(str(c) for row in rows for c in row if c is not None)


@pytest.mark.parametrize("username", ROLES)
def test_lists_ledgers_route_sheets_and_exports_are_masked_for_every_role(
    login_as, places, child, username
):
    person, helper = child
    client = login_as(username)
    v1 = places["V01"].id
    pages = {
        "list": client.get("/persons").get_data(as_text=True),
        "ledger": client.get(f"/villages/{v1}/ledger/留守儿童.html").get_data(as_text=True),
        "route": client.get(f"/helpers/{helper.id}/route.html").get_data(as_text=True),
        "export": _xlsx_text(client.get(f"/villages/{v1}/ledger/留守儿童.xlsx")),
    }
    for where, text in pages.items():
        assert "王小明" in text, where
        assert not _full_in(text), (username, where, _full_in(text))
    assert CHILD_MASK in pages["list"] and PHONE_MASK in pages["list"]
    assert CHILD_MASK in pages["ledger"] and CARER_PHONE_MASK in pages["ledger"]
    assert PHONE_MASK in pages["route"]
    assert CHILD_MASK in pages["export"] and CARER_PHONE_MASK in pages["export"]


def test_full_id_ledger_needs_a_stated_purpose_kept_in_the_audit_row(login_as, places, child):
    client = login_as("cun1")
    index = client.get("/print").get_data(as_text=True)
    url = f"/villages/{places['V01'].id}/ledger/留守儿童/full"
    assert quote(url) in index
    form = client.get(url)
    assert form.status_code == 200 and 'name="purpose"' in form.get_data(as_text=True)
    before = AuditLog.select().count()
    for purpose, message in (("", "请填写用途"), ("　 ", "请填写用途"), ("报" * 101, "最多 100")):
        response = post(client, url, {"purpose": purpose, "ext": "html"})
        text = response.get_data(as_text=True)
        assert response.status_code == 422 and message in text
        assert 'id="purpose-err"' in text and not _full_in(text)
    assert AuditLog.select().count() == before  # nothing printed, nothing logged

    response = post(client, url, {"purpose": "上报县民政局", "ext": "html"})
    assert response.status_code == 200
    assert set(_full_in(response.get_data(as_text=True))) == {CHILD_ID, PHONE, CARER_PHONE}
    row = AuditLog.select().order_by(AuditLog.id.desc()).first()
    assert row.action == "print" and "完整证件号" in row.object_label
    assert row.change_list == [["用途", "", "上报县民政局"]]

    text = _xlsx_text(post(client, url, {"purpose": "上报县民政局 年度核查", "ext": "xlsx"}))
    assert CHILD_ID in text and CARER_PHONE in text
    row = AuditLog.select().order_by(AuditLog.id.desc()).first()
    assert row.action == "export" and row.change_list == [["用途", "", "上报县民政局 年度核查"]]


@pytest.mark.parametrize("username", ("grid1", "leader"))
def test_grid_and_leader_users_never_get_a_full_id(login_as, places, child, username):
    person, _helper = child
    client = login_as(username)
    url = f"/villages/{places['V01'].id}/ledger/留守儿童/full"
    assert "/full" not in client.get("/print").get_data(as_text=True)
    assert client.get(url).status_code == 403
    before = AuditLog.select().count()
    crafted = post(client, url, {"purpose": "上报县民政局", "ext": "html"})
    assert crafted.status_code == 403 and not _full_in(crafted.get_data(as_text=True))
    page = client.get(f"/persons/{person.id}").get_data(as_text=True)
    assert "显示完整证件号" not in page and CHILD_ID not in page and CARER_ID not in page
    reveal = post(client, f"/persons/{person.id}/full-id", token_url=f"/persons/{person.id}")
    assert reveal.status_code == 403 and CHILD_ID not in reveal.get_data(as_text=True)
    edit = client.get(f"/persons/{person.id}/edit").get_data(as_text=True)
    assert CHILD_ID not in edit and CARER_ID not in edit
    archive = client.get(f"/persons/{person.id}/archive.html").get_data(as_text=True)
    assert CHILD_ID not in archive and CHILD_MASK in archive
    assert CARER_ID not in archive and CARER_MASK in archive
    assert not AuditLog.select().where(AuditLog.object_label.contains("完整证件号")).count()
    assert AuditLog.select().count() >= before


@pytest.mark.parametrize("username", ("admin", "township", "cun1"))
def test_person_page_masks_ids_and_reveals_them_on_request_with_an_audit_row(
    login_as, child, username
):
    person, _helper = child
    client = login_as(username)
    page = client.get(f"/persons/{person.id}").get_data(as_text=True)
    assert CHILD_ID not in page and CHILD_MASK in page
    assert CARER_ID not in page and CARER_MASK in page
    assert "显示完整证件号" in page
    reveal = post(client, f"/persons/{person.id}/full-id", token_url=f"/persons/{person.id}")
    text = reveal.get_data(as_text=True)
    assert reveal.status_code == 200 and "<h1>王小明" in text
    assert CHILD_ID in text and CARER_ID in text
    rows = AuditLog.select().where(
        (AuditLog.action == "view")
        & (AuditLog.object_type == "person")
        & (AuditLog.object_id == person.id)
        & AuditLog.object_label.contains("完整证件号")
    )
    assert rows.count() == 1 and rows[0].username == username
    # The archive carries the full IDs for these roles (audited as a print).
    archive = client.get(f"/persons/{person.id}/archive.html").get_data(as_text=True)
    assert CHILD_ID in archive and CARER_ID in archive


def test_edit_form_shows_ids_masked_and_keeps_them_when_saved_unchanged(login_as, child):
    person, _helper = child
    client = login_as("cun1")
    url = f"/persons/{person.id}/edit"
    form = client.get(url).get_data(as_text=True)
    assert CHILD_ID not in form and CARER_ID not in form
    assert f'value="{CHILD_MASK}"' in form and f'value="{CARER_MASK}"' in form
    fields = {
        "name": "王小明",
        "id_number": CHILD_MASK,
        "carer_id_number": CARER_MASK,
        "father_status": "外出务工",
        "mother_status": "外出务工",
        "carer_name": "王奶奶",
        "carer_phone": CARER_PHONE,
        "phone": PHONE,
        "school": "中心小学",
    }
    assert post(client, url, fields, token_url=url).status_code == 303
    saved = Person.get_by_id(person.id)
    assert (saved.id_number, saved.carer_id_number, saved.school) == (
        CHILD_ID,
        CARER_ID,
        "中心小学",
    )
    new_carer = "620102198001010033"
    assert (
        post(client, url, {**fields, "carer_id_number": new_carer}, token_url=url).status_code
        == 303
    )
    assert Person.get_by_id(person.id).carer_id_number == new_carer
    # Another mask than the stored number's is not a number: refused next to the field.
    response = post(client, url, {**fields, "id_number": "620102***********2"}, token_url=url)
    assert response.status_code == 422 and 'id="id_number-err"' in response.get_data(as_text=True)
    assert Person.get_by_id(person.id).id_number == CHILD_ID


def test_phones_one_rule_everywhere(login_as, child):
    person, _helper = child
    household = person.household_id
    cadre = login_as("cun1")
    page = cadre.get(f"/persons/{person.id}").get_data(as_text=True)
    assert f'href="tel:{PHONE}"' in page and f'href="tel:{CARER_PHONE}"' in page
    archive = cadre.get(f"/persons/{person.id}/archive.html").get_data(as_text=True)
    assert PHONE in archive and CARER_PHONE in archive
    worker = login_as("grid1")
    work = worker.get("/visits/due").get_data(as_text=True)
    assert f'<a href="tel:{PHONE}">{PHONE}</a>' in work
    leader = login_as("leader")
    for url in (f"/persons/{person.id}", f"/persons/{person.id}/archive.html"):
        text = leader.get(url).get_data(as_text=True)
        assert PHONE not in text and CARER_PHONE not in text, url
        assert PHONE_MASK in text and CARER_PHONE_MASK in text, url
        assert "tel:1" not in text, url
    assert "tel:1" not in leader.get(f"/households/{household}").get_data(as_text=True)


def test_keep_masked_only_for_the_exact_mask_of_the_stored_number():
    assert privacy.keep_masked(CHILD_MASK, CHILD_ID) == CHILD_ID
    assert privacy.keep_masked(" " + CHILD_MASK, CHILD_ID) == CHILD_ID
    assert privacy.keep_masked(CARER_ID, CHILD_ID) == CARER_ID
    assert privacy.keep_masked("", CHILD_ID) == ""
    assert privacy.keep_masked(CHILD_MASK, None) == CHILD_MASK
    assert privacy.read_purpose("  上报  县民政局 ") == ("上报 县民政局", None)


def test_a_masked_number_beside_the_birth_date_does_not_give_the_number_back():
    """Pages print the birth date beside a masked ID; the sequence digits must stay hidden too,
    or the date and the tail would complete the number."""
    from liushou.rules.text import mask_id_number

    masked = mask_id_number(CHILD_ID)
    assert masked[:6] == CHILD_ID[:6] and masked[6:17] == "*" * 11 and len(masked) == 18


def test_a_leader_gets_no_edit_form(login_as, child):
    """A read-only leader reads a person's page (phones masked), never the edit form, where the
    record's numbers would show in full."""
    from liushou.models.persons import Person

    person, _ = child
    client = login_as("leader")
    assert client.get(f"/persons/{person.id}").status_code == 200
    assert client.get(f"/persons/{person.id}/edit").status_code == 403
    assert client.get(f"/households/{person.household_id}/edit").status_code == 403
    assert Person.get_by_id(person.id).phone == PHONE
