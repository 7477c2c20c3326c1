"""The access probe's objects: one of every kind in village V01 or grid V01-G1, keyed by the URL
parameter that names it, and the URL map filled in with them (tests/test_access_probe.py,
tests/test_access_probe_forms.py, tests/test_form_ids.py). A route with a parameter the probe does
not know fails until a factory here makes an object for it."""

import hashlib
import os
from pathlib import Path

from liushou.db import database
from tests._helpers import ledger_bytes

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
    store = Path(os.environ["LIUSHOU_INSTANCE"]) / "imports"
    store.mkdir(parents=True, exist_ok=True)
    (store / f"{users['grid1'].id}-probe0token.xlsx").write_bytes(_workbook(GRID_MARK))
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


def _state():
    audit = database.execute_sql("SELECT count(*), max(id) FROM audit_log").fetchone()
    return _fingerprint(), audit


def _error_flashed(client):
    with client.session_transaction() as session:
        flashes = session.get("_flashes") or []
        return any(category == "error" for category, _message in flashes)


def _clear_flashes(client):
    with client.session_transaction() as session:
        session.pop("_flashes", None)


# A word, a fraction, nothing, and a whole number past INTEGER and BIGINT.
BAD = ("abc", "1.5", "", "99999999999999999999")


def _post(client, url, data):
    """(status, refused) of a POST; a server error is status 500 (the exception caught)."""
    try:
        response = client.post(url, data=data)
    except Exception as e:  # noqa: BLE001 - TESTING propagates the server's exception
        return 500, repr(e)[:200]
    status = response.status_code
    refused = 400 <= status < 500 or (status == 303 and _error_flashed(client))
    return status, refused


def _workbook(mark):
    """A ledger workbook of one left-behind child, named by `mark`."""
    row = [1, mark + "导入", "男", None, "2015-01-01", "1组", "留守儿童", None, None, None, None]
    return ledger_bytes([row])


def cun1_workbook(users):
    """The URL parameter `token` of an uploaded workbook of cun1's (probe0token is grid1's)."""
    store = Path(os.environ["LIUSHOU_INSTANCE"]) / "imports"
    (store / f"{users['cun1'].id}-probe1token.xlsx").write_bytes(_workbook(VILLAGE_MARK))
    return ("probe1token", "village")
