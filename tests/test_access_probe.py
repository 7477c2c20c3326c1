"""Access probes over the whole URL map: outside a user's area nothing is shown or changed.

Every URL rule is tried as a village cadre of another village, as a grid worker of another grid,
on a county's instance as every township-level role of another township and as a county leader
(GET and POST with valid CSRF tokens) and logged out. New routes are covered automatically; a
route with a parameter the probe does not know fails here until `AREA_OBJECTS` learns it.
"""

import hashlib

import pytest

from liushou.db import database
from tests.conftest import csrf_token, login

MARK = "探针"  # every probe object's name starts with it
VILLAGE_MARK = MARK + "村级"  # objects of village V01 as a whole: grid workers of V01 may see them
GRID_MARK = MARK + "格级"  # objects of grid V01-G1 only
SKIP_ENDPOINTS = {"static", "auth.login", "auth.logout"}


def _area_objects(places, users):
    """Objects in village V01, grid V01-G1, keyed by the URL parameter that names them."""
    from liushou.services import SYSTEM
    from liushou.services.places import save_grid

    grid = save_grid(
        SYSTEM, {"village": places["V01"].id, "code": "V01-G9", "name": GRID_MARK + "网格"}
    )
    from liushou.scope import Scope
    from liushou.services.helpers import save_helper

    helper = save_helper(
        SYSTEM,
        Scope(everything=True),
        {
            "name": VILLAGE_MARK + "干部",
            "kind": "村干部",
            "village": places["V01"].id,
            "areas": [f"g:{places['V01-G1'].id}"],
        },
    )
    objects = {
        "village_id": (places["V01"].id, "village"),
        "grid_id": (grid.id, "grid"),
        "user_id": (users["grid1"].id, "grid"),
        "helper_id": (helper.id, "village"),
        # On a county's instance (tests/test_townships.py make_county) T1, V01's township; none
        # on a township's own instance (county admin pages: 403 to everyone else).
        "township_id": (1, "village"),
        # Not objects: the printout format and a group name.
        "ext": ("html", None),
        "group": ("留守儿童", None),
        "kind": ("overdue", None),
        "job_id": ("0123456789abcdef", "grid"),  # nobody's job: 404 for everyone but its owner
    }
    for factory in EXTRA_FACTORIES:
        objects.update(factory(places, users))
    return objects


def _registry(places, users):
    from liushou.scope import Scope
    from liushou.services import SYSTEM
    from liushou.services.households import save_away, save_household
    from liushou.services.persons import save_person

    everything = Scope(everything=True)
    household = save_household(
        SYSTEM,
        everything,
        {"village": places["V01"].id, "grid": places["V01-G1"].id, "head_name": GRID_MARK + "户主"},
    )
    person = save_person(
        SYSTEM,
        everything,
        {
            "household": household.id,
            "name": GRID_MARK + "儿童",
            "id_number": "620102201503070014",
            "father_status": "外出务工",
            "mother_status": "外出务工",
        },
    )
    away = save_away(SYSTEM, household, {"name": GRID_MARK + "父亲", "relation": "父亲"})
    from liushou.models.helpers import Helper
    from liushou.services.visits import record_visit

    helper = Helper.get(Helper.name == VILLAGE_MARK + "干部")
    visit = record_visit(
        SYSTEM,
        everything,
        [person],
        {
            "visited_on": "2026-01-05",
            "method": "上门",
            "helpers": [helper.id],
            "life": GRID_MARK + "生活",
        },
    )
    from liushou.services.visits import pair

    pairing = pair(SYSTEM, everything, helper, [person])[0]
    # A workbook uploaded by the grid worker of V01-G1, naming a person of his grid.
    import os
    from pathlib import Path

    from tests._helpers import ledger_bytes

    store = Path(os.environ["LIUSHOU_INSTANCE"]) / "imports"
    store.mkdir(parents=True, exist_ok=True)
    (store / f"{users['grid1'].id}-probe0token.xlsx").write_bytes(
        ledger_bytes(
            [
                [
                    1,
                    GRID_MARK + "导入",
                    "男",
                    None,
                    "2015-01-01",
                    "1组",
                    "留守儿童",
                    None,
                    None,
                    None,
                    None,
                ]
            ]
        )
    )
    from liushou.services.care import open_emergency, save_need

    emergency = open_emergency(
        SYSTEM,
        person,
        {"kind": "走失", "discovered_at": "2026-01-05 08:00", "reported_by": GRID_MARK + "报告人"},
    )
    need = save_need(SYSTEM, person, {"kind": "课业辅导", "description": GRID_MARK + "需求"})
    from liushou.services.care import save_service

    service = save_service(
        SYSTEM,
        person,
        {"kind": "课业辅导", "served_on": "2026-01-05", "description": GRID_MARK + "服务"},
    )
    from liushou.services.records import save_activity, save_benefit, save_checkup, save_site

    benefit = save_benefit(
        SYSTEM, person, {"kind": "助学金", "amount": "100", "start_on": "2025-01-01"}
    )
    checkup = save_checkup(SYSTEM, person, {"checked_on": "2026-01-05", "notes": GRID_MARK})
    site = save_site(
        SYSTEM,
        everything,
        {"village": places["V01"].id, "kind": "农家书屋", "name": VILLAGE_MARK + "书屋"},
    )
    activity = save_activity(
        SYSTEM,
        everything,
        {
            "village": places["V01"].id,
            "kind": "生日会",
            "title": VILLAGE_MARK + "生日会",
            "held_on": "2026-01-05",
            "persons": [person.id],
            "attended": [person.id],
        },
    )
    return {
        "activity_id": (activity.id, "village"),
        "benefit_id": (benefit.id, "grid"),
        "checkup_id": (checkup.id, "grid"),
        "site_id": (site.id, "village"),
        "emergency_id": (emergency.id, "grid"),
        "step_id": (emergency.steps[0].id, "grid"),
        "need_id": (need.id, "grid"),
        "service_id": (service.id, "grid"),
        "token": ("probe0token", "grid"),
        "household_id": (household.id, "grid"),
        "person_id": (person.id, "grid"),
        "away_id": (away.id, "grid"),
        "visit_id": (visit.id, "grid"),
        "pairing_id": (pairing.id, "grid"),
    }


def _orgs(places, users):
    """An association of V01 whose member is the family member away of the grid's household."""
    from liushou.models.households import FamilyAway
    from liushou.scope import Scope
    from liushou.services import SYSTEM
    from liushou.services.orgs import add_member, create_org

    everything = Scope(everything=True)
    org = create_org(
        SYSTEM,
        everything,
        {"village": places["V01"].id, "kind": "外出务工者协会", "name": VILLAGE_MARK + "协会"},
    )
    away = FamilyAway.get(FamilyAway.name == GRID_MARK + "父亲")
    member = add_member(
        SYSTEM, everything, org, {"away": away.id, "role": "小组长", "joined_on": "2025-01-01"}
    )
    return {"org_id": (org.id, "village"), "member_id": (member.id, "village")}


def _calls(places, users):
    """A call stamped on the grid's emergency (its 110 row)."""
    from liushou.models.care import Emergency
    from liushou.services import SYSTEM
    from liushou.services.care import add_call

    emergency = Emergency.get(Emergency.reported_by == GRID_MARK + "报告人")
    return {"call_id": (add_call(SYSTEM, emergency, {"target": "110"}).id, "grid")}


def _checkins(places, users):
    """A 一敲门 check-in on the grid's person."""
    from liushou.models.persons import Person
    from liushou.scope import Scope
    from liushou.services import SYSTEM
    from liushou.services.checkins import check_in

    person = Person.get(Person.name == GRID_MARK + "儿童")
    checkin, _created = check_in(SYSTEM, Scope(everything=True), person.id)
    return {"checkin_id": (checkin.id, "grid")}


def _files(places, users):
    """A photo of the grid's probe child (its owner is grid-bound)."""
    import io
    import os
    from pathlib import Path

    from PIL import Image

    from liushou.models.persons import Person
    from liushou.services import SYSTEM
    from liushou.services.files import attach

    person = Person.get(Person.name == GRID_MARK + "儿童")
    photo = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(photo, "PNG")
    store = Path(os.environ["LIUSHOU_INSTANCE"]) / "files"
    row = attach(SYSTEM, store, "person", person, (photo.getvalue(), "a.png"), GRID_MARK + "照片")
    return {"file_id": (row.id, "grid")}


def _crosschecks(places, users):
    """A 残疾人名单 compared by V01's cadre: a finding about the grid's probe child (grid-bound)
    and a line the register lacks (the village's)."""
    from liushou.models.crosscheck import CrosscheckRow
    from liushou.models.places import Village
    from liushou.scope import Scope
    from liushou.services import Actor
    from liushou.services.crosscheck import create
    from tests.shared.crosscheck import idn, roster

    village = Village.get_by_id(places["V01"].id)
    data = roster(
        ["姓名", "身份证号", "残疾类别"],
        [
            [GRID_MARK + "儿童", "620102201503070014", "肢体"],
            [VILLAGE_MARK + "漏登", idn("20170101", "013"), "视力"],
        ],
    )
    check = create(
        Actor(users["cun1"]),
        Scope(village_ids=frozenset([village.id])),
        {"kind": "disability"},
        data,
        VILLAGE_MARK + "名单.xlsx",
        village.id,
    )
    rows = {r.category: r for r in CrosscheckRow.select().where(CrosscheckRow.crosscheck == check)}
    return {
        "crosscheck_id": (check.id, "village"),
        "row_id": (rows["a"].id, "grid"),
        "missing_id": (rows["c"].id, "village"),
    }


def _review(places, users):
    """A registration proposal by the grid worker of V01-G1 in its household, waiting for
    review (review is turned on for it, then off again as of the same day)."""
    from datetime import date

    from liushou.models.households import Household
    from liushou.scope import Scope
    from liushou.services import SYSTEM, Actor
    from liushou.services.persons import save_person
    from liushou.services.settings import update_settings

    update_settings(SYSTEM, {"review_register": "1"}, date(2000, 1, 1))
    home = Household.get(Household.head_name == GRID_MARK + "户主")
    item = save_person(
        Actor(users["grid1"]),
        Scope.for_user(users["grid1"]),
        {"household": home.id, "name": GRID_MARK + "待审", "birth_date": "2016-05-01", "sex": "男"},
    )
    update_settings(SYSTEM, {"review_register": "0"}, date(2000, 1, 1))
    return {"item_id": (item.id, "grid")}


# Later areas append a function (places, users) -> {param: (id, "village" | "grid")} creating
# objects in V01 (named with VILLAGE_MARK) or in V01-G1 (named with GRID_MARK).
EXTRA_FACTORIES = [_registry, _orgs, _calls, _checkins, _files, _crosschecks, _review]


def _urls(app, objects):
    """[(rule, url, level)]: level is the narrowest area of the objects in the URL (or None)."""
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP_ENDPOINTS:
            continue
        args, level = {}, None
        for name in rule.arguments:
            if rule.defaults and name in rule.defaults:
                continue
            assert name in objects, (
                f"access probe does not know URL parameter <{name}> of {rule.rule}"
            )
            args[name], obj_level = objects[name]
            if obj_level:
                level = "grid" if "grid" in (level, obj_level) else obj_level
        with app.test_request_context():
            from flask import url_for

            url = url_for(rule.endpoint, **args)
        out.append((rule, url, level))
    return out


def _fingerprint():
    """A hash of every table but the audit log and login bookkeeping."""
    digest = hashlib.sha256()
    tables = sorted(database.get_tables())
    for table in tables:
        if table == "audit_log":
            continue
        if table == "app_user":
            rows = database.execute_sql(
                "SELECT id, username, role, village_id, password_hash, active "
                "FROM app_user ORDER BY id"
            )
        else:
            rows = database.execute_sql(f'SELECT * FROM "{table}" ORDER BY 1')
        digest.update(repr(list(rows)).encode())
    return digest.hexdigest()


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


# A helper's own login (role `helper`): linked to a helper of V01 paired with one person of his
# own (named without the probe's mark). Every probe object is someone else's: every URL naming
# one, and every page not on his allow-list, answers 404 (never 403: he must not learn it exists).
HELPER_USER = "jieduilaoshi"


def make_helper_user(places):
    """(user, his helper, his paired person) for the helper-role probes."""
    from liushou.scope import Scope
    from liushou.services import SYSTEM
    from liushou.services.accounts import create_user
    from liushou.services.helpers import save_helper
    from liushou.services.households import save_household
    from liushou.services.persons import save_person
    from liushou.services.visits import pair
    from tests.conftest import PASSWORD

    everything = Scope(everything=True)
    helper = save_helper(
        SYSTEM, everything, {"name": "结对老师", "kind": "教师", "village": places["V01"].id}
    )
    home = save_household(
        SYSTEM,
        everything,
        {"village": places["V01"].id, "grid": places["V01-G2"].id, "head_name": "结对户主"},
    )
    person = save_person(
        SYSTEM,
        everything,
        {
            "household": home.id,
            "name": "结对儿童",
            "birth_date": "2016-04-01",
            "sex": "女",
            "father_status": "外出务工",
            "mother_status": "外出务工",
        },
    )
    pair(SYSTEM, everything, helper, [person])
    user = create_user(
        SYSTEM, {"username": HELPER_USER, "role": "helper", "helper": helper.id}, PASSWORD
    )
    return user, helper, person


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
