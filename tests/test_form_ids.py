"""Ids that are not ids: a form field or a list filter naming an object with text, a fraction,
nothing or a number past any column's range is answered with a Chinese message next to the
field (or a 404), never a server error, and nothing is written. On PostgreSQL such a value
compared with an integer column is a DataError (and past 64 bits an overflow on SQLite) unless
it is read as a number first.

Every POST endpoint × object field of the access probe's forms, posted by the village cadre cun1
with his own valid body and one field spoiled, is tried in tests/test_access_probe_forms.py; the
admin's account and place forms and the list filters of every page are tried here."""

import pytest

from tests.conftest import csrf_token, login
from tests.shared.probe import BAD, _area_objects, _post, _state, _urls, cun1_workbook


@pytest.fixture
def urls(app, places, users):
    """The access probe's URLs, its objects in them, as the form probe fills them in."""
    objects = _area_objects(places, users)
    objects["token"] = cun1_workbook(users)
    return _urls(app, objects)


def _county(places):
    from tests.shared.county import make_county

    return make_county(places)


ADMIN_FORMS = {
    # url -> (valid body, object fields)
    "/admin/users/new": (
        {
            "username": "ids1",
            "display_name": "ids1",
            "role": "grid",
            "password": "test1234pw-new",
        },
        ("village", "grids", "township", "helper"),
    ),
    "/admin/places/grids/new": ({"code": "IDG1", "name": "新网格"}, ("village",)),
    "/admin/places/villages/new": ({"code": "IDV1", "name": "新村", "kind": "村"}, ("township",)),
}


@pytest.mark.parametrize("username", ["admin", "countyadmin"])
def test_a_bad_id_in_the_admins_account_and_place_forms_is_refused(app, places, users, username):
    if username == "countyadmin":
        _county(places)
    client = app.test_client()
    assert login(client, username).status_code == 303
    token = csrf_token(client, "/admin/users/new")
    own = {
        "village": places["V01"].id,
        "grids": [places["V01-G1"].id],
        "township": "",
        "helper": "",
    }
    failures = []
    for url, (body, fields) in ADMIN_FORMS.items():
        for field in fields:
            if field == "township" and username == "admin":
                continue  # a township's own instance has no townships: the form has no field
            for bad in BAD:
                value = [own["grids"][0], bad] if field == "grids" else bad
                data = {**own, **body, field: value, "csrf_token": token}
                if url.startswith("/admin/places/grids") and field == "village":
                    data = {**body, "village": bad, "csrf_token": token}
                if field == "helper":  # only a helper's account names his Helper record
                    data = {**data, "role": "helper", "village": "", "grids": []}
                before = _state()
                status, refused = _post(client, url, data)
                if status >= 500:
                    failures.append((username, url, field, bad, status, refused))
                elif bad and (status != 422 or _state() != before):
                    failures.append((username, url, field, bad, status, "accepted or wrote"))
    assert not failures, "\n".join(map(str, failures))


FILTERS = ("village", "grid", "helper", "township", "page", "household", "person")


@pytest.mark.parametrize("username", ["cun1", "countyadmin"])
def test_a_bad_id_in_a_list_filter_is_never_a_server_error(app, urls, places, username):
    if username == "countyadmin":
        _county(places)
    client = app.test_client()
    assert login(client, username).status_code == 303
    failures, tried = [], 0
    before = _state()[0]  # (reads of a person's file add audit rows: nothing else may change)
    for rule, url, _level in urls:
        if "GET" not in rule.methods or url.endswith((".pdf", ".xlsx", ".zip", ".csv")):
            continue
        if rule.endpoint.startswith(("static", "files.", "printouts.job")):
            continue
        for name, bad in [(n, b) for n in FILTERS for b in ("abc", "99999999999999999999")]:
            target = f"{url}{'&' if '?' in url else '?'}{name}={bad}"
            try:
                status = client.get(target).status_code
            except Exception as e:  # noqa: BLE001
                status = repr(e)[:200]
            tried += 1
            if not isinstance(status, int) or status >= 500:
                failures.append((target, status))
    assert not failures, "\n".join(map(str, failures))
    assert tried > 100
    assert _state()[0] == before


def test_a_bad_id_among_the_review_items_decided_is_refused(app, places, users):
    item = _area_objects(places, users)["item_id"][0]
    client = app.test_client()
    assert login(client, "township").status_code == 303
    token = csrf_token(client, "/review")
    for bad in BAD:
        for action in ("approve", "return"):
            before = _state()
            data = {"items": [bad], "action": action, "reason": "核实", "csrf_token": token}
            status, refused = _post(client, "/review/decide", {**data, "back": "detail"})
            assert status < 500 and _state() == before, (bad, action, status, refused)
    # The control: the item itself is decided.
    data = {"items": [str(item)], "action": "return", "reason": "核实", "csrf_token": token}
    before = _state()
    assert _post(client, "/review/decide", data)[0] == 303
    assert _state() != before
