"""Access probes over the whole URL map: outside a user's area nothing is shown or changed.

Every URL rule is tried as a village cadre of another village, as a grid worker of another grid,
on a county's instance as every township-level role of another township and as a county leader
(GET and POST with valid CSRF tokens) and logged out. New routes are covered automatically; a
route with a parameter the probe does not know fails here until tests/shared/probe.py learns it.
"""

import pytest

from tests.conftest import csrf_token, login
from tests.shared.probe import (
    GRID_MARK,
    HELPER_USER,
    MARK,
    VILLAGE_MARK,
    _area_objects,
    _fingerprint,
    _urls,
    make_helper_user,
)


@pytest.fixture
def probe(app, places, users):
    objects = _area_objects(places, users)
    return _urls(app, objects)


@pytest.mark.parametrize(
    "username, hidden",
    [
        ("cun2", ("village", "grid")),  # a cadre of another village sees nothing of V01
        (
            "grid2",
            ("grid",),
        ),  # a grid worker of V01-G2 sees V01's village-wide objects, not V01-G1's
    ],
)
def test_outsiders_see_and_change_nothing(app, probe, username, hidden):
    _probe_as(app, probe, username, hidden)


@pytest.mark.parametrize("username", ["t2admin", "t2cadre", "t2leader"])
def test_another_townships_users_see_and_change_nothing(app, probe, places, username):
    """A county's instance: V01 is township T1's; T2's admin, cadre and leader see nothing of it."""
    from tests.shared.county import make_county

    make_county(places, extra={username: (username_role(username), "T2")})
    # POSTs naming no object write in his own township (an admin adds a village): only those
    # naming T1's objects are tried, and must change nothing.
    _probe_as(app, probe, username, ("village", "grid"), post_unguarded=False)


def username_role(username):
    return {"t2admin": "admin", "t2cadre": "township", "t2leader": "leader"}[username]


def test_county_leader_reads_everything_and_changes_nothing(app, probe, places):
    from tests.shared.county import make_county

    make_county(places)
    client = app.test_client()
    assert login(client, "countyleader").status_code == 303
    token = csrf_token(client, "/")
    before = _fingerprint()
    seen = False
    for rule, url, _level in probe:
        if "GET" in rule.methods:
            response = client.get(url)
            assert response.status_code in (200, 302, 303, 403, 404), (url, response.status_code)
            seen = seen or GRID_MARK in response.get_data().decode("utf-8", "replace")
        if "POST" in rule.methods and rule.endpoint not in READ_ONLY_PROBE_POSTS:
            response = client.post(url, data={"csrf_token": token, "name": "改名测试"})
            assert response.status_code == 403, (url, response.status_code)
    assert seen, "the county leader saw none of T1's records"
    assert _fingerprint() == before, "the county leader changed data"


# POSTs a read-only role may make (his own session and password).
READ_ONLY_PROBE_POSTS = {"account.password"}


def test_county_admin_reaches_every_page(app, probe, places):
    """The county admin sees every township: no page of the probe refuses him its objects."""
    from tests.shared.county import make_county

    make_county(places)
    client = app.test_client()
    assert login(client, "countyadmin").status_code == 303
    owned = {"job_id", "token"}  # another user's print job or upload: his own only
    not_his = ("review.",)  # 审核 is the townships' task, not the county's
    for rule, url, level in probe:
        if rule.endpoint.startswith(not_his) or owned & set(rule.arguments):
            continue
        if "GET" in rule.methods and level is not None:
            status = client.get(url).status_code
            assert status != 404, (url, status)


def _probe_as(app, probe, username, hidden, post_unguarded=True):
    client = app.test_client()
    assert login(client, username).status_code == 303
    token = csrf_token(client, "/")
    marks = [GRID_MARK] + ([VILLAGE_MARK] if "village" in hidden else [])
    before = _fingerprint()
    for rule, url, level in probe:
        guarded = level in hidden
        if "GET" in rule.methods:
            response = client.get(url)
            text = response.get_data().decode("utf-8", "replace")
            if guarded:
                assert response.status_code in (403, 404), (
                    username,
                    "GET",
                    url,
                    response.status_code,
                )
            else:
                assert response.status_code in (200, 302, 303, 403, 404), (username, url)
            for mark in marks:
                assert mark not in text, (username, "GET", url)
        if "POST" in rule.methods and rule.endpoint != "account.password":
            if not guarded and not post_unguarded:
                continue
            response = client.post(url, data={"csrf_token": token, "name": "改名测试"})
            if guarded:
                assert response.status_code in (403, 404), (
                    username,
                    "POST",
                    url,
                    response.status_code,
                )
            for mark in marks:
                assert mark not in response.get_data().decode("utf-8", "replace"), (
                    username,
                    "POST",
                    url,
                )
    assert _fingerprint() == before, f"{username} changed data outside his area"


def test_logged_out_client_is_sent_to_login(app, probe):
    client = app.test_client()
    before = _fingerprint()
    for rule, url, _level in probe:
        for method in [m for m in ("GET", "POST") if m in rule.methods]:
            response = client.open(url, method=method)
            assert response.status_code in (302, 303, 400), (method, url, response.status_code)
            if response.status_code != 400:  # POST without a session has no CSRF token
                assert response.location.startswith("/login"), (method, url)
            assert MARK not in response.get_data().decode("utf-8", "replace")
    assert _fingerprint() == before


def test_unknown_parameters_fail_loudly(app):
    with pytest.raises(AssertionError, match="does not know URL parameter"):
        _urls(app, {})


def test_helper_login_sees_and_changes_nothing_but_his_own(app, probe, places):
    from liushou.auth import HELPER_ENDPOINTS

    make_helper_user(places)
    client = app.test_client()
    assert login(client, HELPER_USER).status_code == 303
    token = csrf_token(client, "/visits/due")
    before = _fingerprint()
    opened = set()
    for rule, url, level in probe:
        own_page = rule.endpoint in HELPER_ENDPOINTS and level is None
        for method in [m for m in ("GET", "POST") if m in rule.methods]:
            if method == "POST" and rule.endpoint == "account.password":
                continue
            data = {"csrf_token": token, "name": "改名测试"} if method == "POST" else None
            response = client.open(url, method=method, data=data)
            status = response.status_code
            if own_page and method == "GET":
                assert status in (200, 302), (url, status)
                opened.add(rule.endpoint)
            else:
                assert status == 404, (HELPER_USER, method, url, status)
            assert MARK not in response.get_data().decode("utf-8", "replace"), (method, url)
    assert {"visits.due", "home.index", "mine.persons", "account.password"} <= opened
    assert _fingerprint() == before, "the helper login changed data"
