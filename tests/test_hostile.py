"""Hostile input: random and malicious values into every form; no 500, nothing half-written,
markup shown escaped in pages and PDFs."""

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liushou.models import AuditLog
from liushou.models.persons import Person
from liushou.scope import Scope
from liushou.services import SYSTEM
from liushou.services.helpers import save_helper
from liushou.services.households import save_household
from liushou.services.persons import save_person
from tests.conftest import csrf_token

NASTY = st.sampled_from(
    [
        "<script>alert(1)</script>",
        "'; DROP TABLE person; --",
        "\u202e\u200f反转",
        "😀👨‍👩‍👧",
        "\x00\x07\x1b控制",
        "x" * 5000,
        '=HYPERLINK("http://x")',
        "１２３４５",
        " ",
        "",
        "1' OR '1'='1",
        "{{7*7}}",
        "%s%n",
        "../../etc/passwd",
        "null",
        "-1",
        "9" * 40,
    ]
)
VALUE = st.one_of(NASTY, st.text(max_size=300))
FORMS = {
    "/households/new": [
        "village",
        "grid",
        "head_name",
        "address",
        "phone",
        "phone2",
        "dibao",
        "dibao_since",
    ],
    "/persons/new": [
        "household",
        "name",
        "id_number",
        "birth_date",
        "sex",
        "phone",
        "father_status",
        "mother_status",
        "carer_phone",
        "carer_id_number",
        "agreement_signed_on",
        "husband_away_since",
        "children_away_since",
        "difficulty_kinds",
    ],
    "/helpers/new": ["name", "kind", "phone", "village", "areas", "user"],
    "/import": ["village"],
    "/sites": ["village", "kind", "name", "phone"],
    "/activities/new": ["village", "kind", "title", "held_on", "persons", "attended"],
}
PERSON_FORMS = [
    "/persons/{id}/visits/new",
    "/persons/{id}/needs/new",
    "/persons/{id}/benefits/new",
    "/persons/{id}/checkups/new",
    "/persons/{id}/emergencies/new",
    "/persons/{id}/edit",
    "/persons/{id}/exit",
    "/persons/{id}/tier",
    "/persons/{id}/pairings",
]


@pytest.fixture
def target(places, users):
    everything = Scope(everything=True)
    household = save_household(
        SYSTEM, everything, {"village": places["V01"].id, "head_name": "户主"}
    )
    person = save_person(
        SYSTEM,
        everything,
        {"household": household.id, "name": "王小明", "birth_date": "2015-01-01", "sex": "男"},
    )
    save_helper(SYSTEM, everything, {"name": "干部", "kind": "村干部", "village": places["V01"].id})
    return person


def _client(app, username="cun1"):
    client = app.test_client()
    token = csrf_token(client, "/login")
    client.post(
        "/login", data={"username": username, "password": "test1234pw", "csrf_token": token}
    )
    return client, csrf_token(client, "/")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_no_form_answers_500_or_half_writes(app, target, data):
    client, token = _client(app)
    urls = list(FORMS) + [u.format(id=target.id) for u in PERSON_FORMS]
    url = data.draw(st.sampled_from(urls))
    fields = FORMS.get(url) or [
        "name",
        "kind",
        "description",
        "visited_on",
        "method",
        "helpers",
        "persons",
        "discovered_at",
        "reported_by",
        "amount",
        "start_on",
        "bp_high",
        "sugar",
        "exit_reason",
        "exited_on",
        "tier",
        "override_reason",
        "helper",
        "id_number",
    ]
    form = {f: data.draw(VALUE) for f in fields}
    form["csrf_token"] = token
    before = Person.select().count()
    response = client.post(url, data=form)
    assert response.status_code in (200, 303, 400, 404, 422), (url, response.status_code)
    if response.status_code == 422:
        assert Person.select().count() == before


def test_markup_in_names_is_escaped_in_pages_and_pdfs(app, places, users):
    from pypdf import PdfReader

    everything = Scope(everything=True)
    household = save_household(
        SYSTEM, everything, {"village": places["V01"].id, "head_name": "<script>alert(1)</script>"}
    )
    person = save_person(
        SYSTEM,
        everything,
        {
            "household": household.id,
            "name": "<b>坏</b><script>x()</script>",
            "birth_date": "2015-01-01",
            "sex": "男",
            "father_status": "外出务工",
            "mother_status": "外出务工",
        },
    )
    client, _ = _client(app)
    for url in (
        f"/persons/{person.id}",
        "/persons",
        f"/households/{household.id}",
        f"/persons/{person.id}/archive.html",
    ):
        html = client.get(url).get_data(as_text=True)
        assert "<script>x()</script>" not in html and "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;" in html
    pdf = client.get(f"/persons/{person.id}/archive.pdf").get_data()
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "<b>坏</b><script>x()</script>" in text  # printed literally, not interpreted


def test_control_and_bidi_characters_are_stripped_from_names(app, places):
    everything = Scope(everything=True)
    household = save_household(
        SYSTEM, everything, {"village": places["V01"].id, "head_name": "户\u202e主\x07"}
    )
    assert household.head_name == "户主"
    assert AuditLog.select().count() >= 1


def test_ids_too_large_for_sqlite_answer_404(app, target):
    client, token = _client(app)
    huge = "9" * 40
    assert client.get(f"/persons/{huge}").status_code == 404
    assert client.get(f"/persons?village={huge}").status_code in (200, 404)
    assert client.post("/import", data={"csrf_token": token, "village": huge}).status_code == 404
