"""Access probes over form bodies: an id of another area in any field of any POST is refused.

The URL half (tests/test_access_probe.py) tries every path as an outsider. This half posts, as a
user whose own area holds the route's path objects (cun1, cadre of V01), a valid form in which one
object-naming field at a time carries the id of an object of village V02. The post must be refused
(4xx, or a 303 with an error flash) and nothing may be written: no row created or changed, no
audit entry.

`FORMS` names, for every POST endpoint, the form fields that name objects and their kind; every
POST endpoint of the URL map must be in it or in `SKIP_ENDPOINTS`, and every field of a route's
GET form page must be a known object field or in `PLAIN_FIELDS`. A new route or a new object
field fails here until the probe learns it.
"""

import re

import pytest

from liushou.models.helpers import VILLAGE_POSTS
from tests.conftest import csrf_token, login
from tests.shared.probe import (
    BAD,
    VILLAGE_MARK,
    _area_objects,
    _clear_flashes,
    _error_flashed,
    _post,
    _state,
    _urls,
    cun1_workbook,
)

# POST endpoints that take no area object, each with its reason.
SKIP_ENDPOINTS = {
    "auth.login",  # before any user: no area
    "auth.logout",  # ends one's own session
    "account.password",  # one's own account only
    # Admin pages: admin-only (the URL probe checks outsiders get 403); a township admin's
    # forms on a county's instance are probed in tests/test_townships.py.
    "admin.township_form",  # county admin only: townships are the whole county's
    "admin.grid_form",
    "admin.village_form",
    "admin.settings_page",
    "admin.user_new",
    "admin.user_edit",
    "admin.user_reset",
    "admin.user_unlock",
    "admin.users_bulk",
    "admin.places_bulk",
    # The full-record export with full IDs: admin-only (403 to everyone else) and township-wide.
    "completeness.export_full",
}

# Form fields that are plain values (text, dates, choices), never an object id.
PLAIN_FIELDS = {
    "csrf_token",
    "_version",
    "name",
    "kind",
    "unit",
    "position",
    "phone",
    "phone2",
    "active",
    "notes",
    "address",
    "head_name",
    "economic_sources",
    "dibao",
    "tekun",
    "monitored",
    "dibao_since",
    "tekun_since",
    "monitored_since",
    "relation",
    "province",
    "city",
    "away_since",
    "expected_return",
    "returned_on",
    "ethnicity",
    "relation_to_head",
    "health",
    "disability_kind",
    "disability_grade",
    "risk_level",
    "school",
    "grade",
    "boarding",
    "father_status",
    "mother_status",
    "difficulty_kinds",
    "carer_name",
    "carer_relation",
    "carer_phone",
    "carer_address",
    "carer_capable",
    "carer_disqualifiers",
    "agreement_signed_on",
    "husband_away_since",
    "training_need",
    "employment_need",
    "living_arrangement",
    "self_care",
    "chronic_illnesses",
    "children_away",
    "children_away_since",
    "supporters",
    "contact_name",
    "contact_relation",
    "contact_phone",
    "id_number",
    "carer_id_number",
    "birth_date",
    "sex",
    "visited_on",
    "method",
    "life",
    "mind",
    "safety",
    "study",
    "needs",
    "next_on",
    "description",
    "raised_on",
    "raised_by",
    "due_on",
    "status",
    "status_reason",
    "served_on",
    "amount",
    "period",
    "start_on",
    "end_on",
    "checked_on",
    "checked_by",
    "bp_high",
    "bp_low",
    "sugar",
    "weight",
    "title",
    "held_on",
    "organiser",
    "helpers_text",
    "keeper",
    "hours",
    "file",
    "happened_at",
    "discovered_at",
    "reported_by",
    "done_at",
    "done_by",
    "how",
    "note",
    "summary",
    "reason",
    "primary",
    "tier",
    "override_reason",
    "exited_on",
    "exit_reason",
    "q",
    "code",
    "sort_order",
    "purpose",
    "ext",
    "void_reason",
    "died_on",
    "correction_reason",
    "started_on",
    "role",
    "joined_on",
    "left_on",
    "left_reason",
    "founded_on",
    "back",
    "item_key",
    "item_status",
    "item_note",
    "caption",
    "school_name",
}

# Plain fields of one endpoint that share a name with an object field elsewhere.
# Free text: who helped, not helper ids.
PLAIN_BY_ENDPOINT = {"records.activity_new": {"helpers"}, "records.activity_edit": {"helpers"}}

# Kinds of object fields; "many" kinds take a list (the probe sends one own id and one foreign).
MANY = {"persons", "helpers", "attended", "areas", "households", "review_items"}
OBJECT_KINDS = {
    "village",
    "grid",
    "household",
    "person",
    "helper",
    "user",
    "site",
    "need",
    "activity",
    "away",
    "organisation",
    "call",
    "visit",
    "emergency",
    "review_item",
} | MANY

# {endpoint: {field: kind}}: the object fields each POST endpoint reads from its body.
FORMS = {
    "households.new": {"village": "village", "grid": "grid"},
    "households.edit": {"village": "village", "grid": "grid"},
    "households.away_form": {},
    # review_item: the returned registration its author fixes and sends again.
    "persons.new": {"household": "household", "review_item": "review_item"},
    "persons.edit": {"household": "household"},
    "persons.exit": {},
    "persons.reenter": {},
    "persons.review": {},
    "persons.reveal_id": {},
    "completeness.check": {},
    "pairings.add": {"helper": "helper"},
    "pairings.bulk": {"helper": "helper", "persons": "persons", "grid": "grid"},
    "pairings.end": {},
    "pairings.primary": {},
    "pairings.tier": {},
    "helpers.form": {"village": "village", "user": "user", "areas": "areas"},
    "helpers.village_posts": {post: "helper" for post in VILLAGE_POSTS},
    "visits.new": {"persons": "persons", "helpers": "helpers", "item_for": "persons"},
    "visits.edit": {"persons": "persons", "helpers": "helpers", "item_for": "persons"},
    "visits.void": {},
    "visits.check_in": {},
    "visits.checkin_void": {},
    "pairings.edit": {"helper": "helper"},
    "pairings.void": {},
    "care.need": {"helper": "helper"},
    "care.need_void": {},
    "persons.void": {},
    "households.void": {},
    "households.away_void": {},
    "care.service_new": {"need": "need", "helper": "helper"},
    "care.service_page": {"need": "need", "helper": "helper"},
    "care.service_void": {},
    "care.emergency_new": {},
    "care.emergency_edit": {},
    "care.emergency_void": {},
    "care.emergency_step": {},
    "care.emergency_step_correct": {},
    "care.emergency_close": {},
    # A call-list row; a family member away of another area is on no list of this emergency.
    "care.emergency_call": {"target": "call"},
    "care.emergency_call_void": {},
    "suggestions.confirm": {},
    "suggestions.dismiss": {},
    "records.activity_new": {
        "village": "village",
        "site": "site",
        "persons": "persons",
        "attended": "attended",
        "organisation": "organisation",
    },
    "records.activity_edit": {
        "site": "site",
        "persons": "persons",
        "attended": "attended",
        "organisation": "organisation",
    },
    "records.activity_void": {},
    "records.checkup_new": {"activity": "activity"},
    "records.checkup_edit": {},
    "records.checkup_void": {},
    "records.benefit_new": {},
    "records.benefit_edit": {},
    "records.benefit_stop": {},
    "records.benefit_void": {},
    "records.sites": {"village": "village"},
    "records.site_edit": {},
    "records.site_active": {},
    "records.site_void": {},
    "imports.upload": {"village": "village"},
    "imports.confirm": {"village": "village"},
    "printouts.job_start": {"village": "village", "grid": "grid"},
    "printouts.ledger_full": {},
    "orgs.new": {"village": "village"},
    "orgs.edit": {},
    "orgs.void": {},
    "orgs.member_new": {"person": "person", "away": "away", "helper": "helper"},
    "orgs.member_leave": {},
    "orgs.member_role": {},
    "orgs.member_void": {},
    # The owner of an attachment: one field named by its kind (agreement = the person's).
    "files.upload": {
        "person": "person",
        "agreement": "person",
        "visit": "visit",
        "activity": "activity",
        "emergency": "emergency",
    },
    "files.void": {},
    "crosscheck.listing": {},
    "crosscheck.apply": {},
    "crosscheck.dismiss": {},
    "crosscheck.void": {},
    # A roster line the register lacks, registered into a household of one's own area.
    "crosscheck.register": {"household": "household"},
    # Only township users decide (403 to the probed users); tests/test_review.py is the control.
    "review.decide": {"items": "review_items"},
    "review.withdraw": {},
}

_FORMS_RE = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S)
_NAMES = re.compile(r'<(?:input|select|textarea)\b[^>]*\bname="([^"]+)"')


def _own_and_foreign(places, users, objects):
    """{kind: (own id or value, foreign id or value)}: own in V01 (cun1's), foreign in V02."""
    from liushou.models import Activity, Household, Need, Person
    from liushou.scope import Scope
    from liushou.services import SYSTEM
    from liushou.services.care import save_need
    from liushou.services.helpers import save_helper
    from liushou.services.households import save_away, save_household
    from liushou.services.persons import save_person
    from liushou.services.records import save_activity, save_site

    everything = Scope(everything=True)
    v1, v2 = places["V01"], places["V02"]
    home = save_household(
        SYSTEM, everything, {"village": v2.id, "grid": places["V02-G1"].id, "head_name": "外村户主"}
    )
    kid = save_person(
        SYSTEM,
        everything,
        {
            "household": home.id,
            "name": "外村儿童",
            "birth_date": "2016-04-01",
            "sex": "女",
            "father_status": "外出务工",
            "mother_status": "外出务工",
        },
    )
    helper = save_helper(
        SYSTEM, everything, {"name": "外村帮扶人", "kind": "村干部", "village": v2.id}
    )
    site = save_site(
        SYSTEM, everything, {"village": v2.id, "kind": "留守儿童之家", "name": "外村儿童之家"}
    )
    own_site = save_site(
        SYSTEM,
        everything,
        {"village": v1.id, "kind": "留守儿童之家", "name": VILLAGE_MARK + "儿童之家"},
    )
    need = save_need(SYSTEM, kid, {"kind": "课业辅导", "description": "外村需求"})
    away = save_away(SYSTEM, home, {"name": "外村务工人员", "relation": "父亲"})
    from liushou.services.orgs import create_org

    org = create_org(SYSTEM, everything, {"village": v2.id, "kind": "互助组", "name": "外村互助组"})
    activity = save_activity(
        SYSTEM,
        everything,
        {
            "village": v2.id,
            "kind": "义诊体检",
            "title": "外村义诊",
            "held_on": "2026-01-05",
            "persons": [kid.id],
            "attended": [kid.id],
        },
    )
    visit, emergency = _visit_and_emergency(everything, kid, helper, "外村")
    own_person = Person.get_by_id(objects["person_id"][0])
    # Fresh helpers of V01 (the probe's own helper is already paired with its person).
    own_helper = save_helper(
        SYSTEM, everything, {"name": VILLAGE_MARK + "帮扶人甲", "kind": "志愿者", "village": v1.id}
    )
    bulk_helper = save_helper(
        SYSTEM, everything, {"name": VILLAGE_MARK + "帮扶人乙", "kind": "志愿者", "village": v1.id}
    )
    # A helper nobody pairs with on the probe's person: a pairing is corrected to him.
    edit_helper = save_helper(
        SYSTEM, everything, {"name": VILLAGE_MARK + "帮扶人丙", "kind": "志愿者", "village": v1.id}
    )
    foreign_item = _proposal(users["cun2"], home, "外村待审")
    return {
        "review_item": (objects["item_id"][0], foreign_item.id),
        "review_items": (objects["item_id"][0], foreign_item.id),
        "village": (v1.id, v2.id),
        "grid": (places["V01-G1"].id, places["V02-G1"].id),
        "household": (Household.get_by_id(objects["household_id"][0]).id, home.id),
        "households": (objects["household_id"][0], home.id),
        "person": (own_person.id, kid.id),
        "persons": (own_person.id, kid.id),
        "attended": (own_person.id, kid.id),
        "helper": (own_helper.id, helper.id),
        "helpers": (own_helper.id, helper.id),
        "user": (users["grid1"].id, users["cun2"].id),
        "site": (own_site.id, site.id),
        "need": (Need.get_by_id(objects["need_id"][0]).id, need.id),
        "activity": (Activity.get_by_id(objects["activity_id"][0]).id, activity.id),
        "areas": (f"g:{places['V01-G1'].id}", f"g:{places['V02-G1'].id}"),
        "bulk_helper": (bulk_helper.id, helper.id),
        "edit_helper": (edit_helper.id, helper.id),
        "away": (objects["away_id"][0], away.id),
        "organisation": (objects["org_id"][0], org.id),
        "call": ("110", f"away-{away.id}"),
        "visit": (objects["visit_id"][0], visit.id),
        "emergency": (objects["emergency_id"][0], emergency.id),
    }


def _user(username):
    from liushou.models import User

    return User.get(User.username == username)


def _visit_and_emergency(everything, kid, helper, reporter):
    """A door visit of `kid` by `helper` on 5 Jan 2026, and `kid` reported lost that morning by
    `reporter`: (visit, emergency)."""
    from liushou.services import SYSTEM
    from liushou.services.care import open_emergency
    from liushou.services.visits import record_visit

    visit = record_visit(
        SYSTEM,
        everything,
        [kid],
        {"visited_on": "2026-01-05", "method": "上门", "helpers": [helper.id]},
    )
    emergency = open_emergency(
        SYSTEM, kid, {"kind": "走失", "discovered_at": "2026-01-05 08:00", "reported_by": reporter}
    )
    return visit, emergency


def _proposal(user, home, name):
    """A registration `user` proposed in `home`, returned to him (review on just for it)."""
    from datetime import date

    from liushou.scope import Scope
    from liushou.services import SYSTEM, Actor
    from liushou.services.persons import save_person
    from liushou.services.review import return_item
    from liushou.services.settings import update_settings

    update_settings(SYSTEM, {"review_register": "1"}, date(2000, 1, 1))
    item = save_person(
        Actor(user),
        Scope.for_user(user),
        {"household": home.id, "name": name, "birth_date": "2016-05-01", "sex": "男"},
    )
    update_settings(SYSTEM, {"review_register": "0"}, date(2000, 1, 1))
    return return_item(Actor(_user("township")), item, "请核实")


def _other_grid(places, objects, ids):
    """The ids a grid worker of V01-G1 (grid1) is probed with: own in V01-G1, foreign in V01-G2
    (another grid of his own village) for every grid-bound kind; village-wide kinds keep V02's."""
    from liushou.models import Household, Need, Person
    from liushou.scope import Scope
    from liushou.services import SYSTEM
    from liushou.services.care import save_need
    from liushou.services.households import save_away, save_household
    from liushou.services.persons import save_person

    everything = Scope(everything=True)
    home = save_household(
        SYSTEM,
        everything,
        {"village": places["V01"].id, "grid": places["V01-G2"].id, "head_name": "外格户主"},
    )
    kid = save_person(
        SYSTEM,
        everything,
        {
            "household": home.id,
            "name": "外格儿童",
            "birth_date": "2016-05-01",
            "sex": "男",
            "father_status": "外出务工",
            "mother_status": "外出务工",
        },
    )
    need = save_need(SYSTEM, kid, {"kind": "课业辅导", "description": "外格需求"})
    away = save_away(SYSTEM, home, {"name": "外格务工人员", "relation": "父亲"})
    from liushou.models.helpers import Helper

    helper = Helper.get(Helper.name == VILLAGE_MARK + "干部")
    visit, emergency = _visit_and_emergency(everything, kid, helper, "外格")
    own_person = Person.get_by_id(objects["person_id"][0]).id
    own_household = Household.get_by_id(objects["household_id"][0]).id
    foreign_item = _proposal(_user("grid2"), home, "外格待审")
    return {
        **ids,
        "review_item": (objects["item_id"][0], foreign_item.id),
        "review_items": (objects["item_id"][0], foreign_item.id),
        "grid": (places["V01-G1"].id, places["V01-G2"].id),
        "household": (own_household, home.id),
        "households": (own_household, home.id),
        "person": (own_person, kid.id),
        "persons": (own_person, kid.id),
        "attended": (own_person, kid.id),
        "need": (Need.get_by_id(objects["need_id"][0]).id, need.id),
        "areas": (f"g:{places['V01-G1'].id}", f"g:{places['V01-G2'].id}"),
        "away": (objects["away_id"][0], away.id),
        "call": ("110", f"away-{away.id}"),
        "visit": (objects["visit_id"][0], visit.id),
        "emergency": (objects["emergency_id"][0], emergency.id),
    }


def _valid_bodies(ids, objects):
    """{endpoint: a body cun1 may post} with every object field at its own-area value."""
    own = {kind: pair[0] for kind, pair in ids.items()}
    kid = {
        "name": "探针新儿童",
        "birth_date": "2016-04-01",
        "sex": "男",
        "father_status": "外出务工",
        "mother_status": "外出务工",
    }
    return {
        "households.new": {
            "village": own["village"],
            "grid": own["grid"],
            "head_name": "探针新户主",
        },
        "households.edit": {
            "village": own["village"],
            "grid": own["grid"],
            "head_name": "探针改户主",
        },
        "persons.new": {**kid, "household": own["household"]},
        "persons.edit": {**kid, "household": own["household"]},
        "pairings.add": {"helper": own["helper"]},
        "pairings.bulk": {
            "helper": own["bulk_helper"],
            "persons": [own["persons"]],
            "grid": own["grid"],
        },
        "helpers.form": {
            "name": "探针新帮扶人",
            "kind": "志愿者",
            "village": own["village"],
            "user": own["user"],
            "areas": [own["areas"]],
        },
        "helpers.village_posts": {post: own["helper"] for post in VILLAGE_POSTS},
        "visits.new": {
            "item_for": [own["persons"]],
            "persons": [own["persons"]],
            "helpers": [own["helpers"]],
            "visited_on": "2026-01-06",
            "method": "上门",
        },
        "visits.edit": {
            "item_for": [own["persons"]],
            "persons": [own["persons"]],
            "helpers": [own["helpers"]],
            "visited_on": "2026-01-04",
            "method": "电话",
        },
        "pairings.edit": {"helper": own["edit_helper"], "started_on": "2026-01-02"},
        "care.service_page": {
            "kind": "心理抚慰",
            "description": "探针改服务",
            "served_on": "2026-01-06",
            "need": own["need"],
            "helper": own["helper"],
        },
        "care.need": {"kind": "课业辅导", "description": "探针需求", "helper": own["helper"]},
        "care.service_new": {
            "kind": "课业辅导",
            "description": "探针服务",
            "served_on": "2026-01-06",
            "need": own["need"],
            "helper": own["helper"],
        },
        "records.activity_new": {
            "village": own["village"],
            "site": own["site"],
            "kind": "生日会",
            "title": "探针活动",
            "held_on": "2026-01-06",
            "persons": [own["persons"]],
            "attended": [own["attended"]],
            "organisation": own["organisation"],
        },
        "records.activity_edit": {
            "site": own["site"],
            "kind": "生日会",
            "title": "探针活动改",
            "held_on": "2026-01-05",
            "persons": [own["persons"]],
            "attended": [own["attended"]],
            "organisation": own["organisation"],
        },
        "records.checkup_new": {"activity": own["activity"], "checked_on": "2026-01-06"},
        "records.sites": {"village": own["village"], "kind": "留守儿童之家", "name": "探针阵地"},
        "imports.upload": {"village": own["village"]},
        "imports.confirm": {"village": own["village"]},
        "printouts.job_start": {"village": own["village"]},  # a grid, when sent, wins
        "orgs.new": {"village": own["village"], "kind": "互助组", "name": "探针互助组"},
        "orgs.member_new": {"person": own["person"], "joined_on": "2026-01-06"},
        "care.emergency_call": {"target": own["call"]},
        "crosscheck.register": {**kid, "name": "探针漏登", "household": own["household"]},
    }


def _variants(fields, body, ids):
    """(field, body) pairs: the valid body with one object field set to another area's id."""
    for field, kind in fields.items():
        own, foreign = ids[kind]
        value = [own, foreign] if kind in MANY else foreign
        yield field, {**body, field: value}


@pytest.fixture
def world(app, places, users):
    objects = _area_objects(places, users)
    objects["token"] = cun1_workbook(users)
    ids = _own_and_foreign(places, users, objects)
    grid_ids = _other_grid(places, objects, ids)
    return {
        "urls": _urls(app, objects),
        "ids": {"cun1": ids, "grid1": grid_ids},
        "bodies": {
            "cun1": _valid_bodies(ids, objects),
            "grid1": _valid_bodies(grid_ids, objects),
        },
    }


def test_every_post_route_and_field_is_known(app, world):
    posts = {rule.endpoint for rule, _url, _level in world["urls"] if "POST" in rule.methods}
    unknown = posts - set(FORMS) - SKIP_ENDPOINTS
    assert not unknown, f"form probe does not know POST endpoints {sorted(unknown)}"
    assert not set(FORMS) - posts, (
        f"FORMS names endpoints that are gone: {sorted(set(FORMS) - posts)}"
    )
    for endpoint, fields in FORMS.items():
        assert set(fields.values()) <= OBJECT_KINDS, endpoint
        assert not set(fields) & PLAIN_FIELDS, endpoint
    # Every POST form on every page cun1 opens: its fields are known for the endpoint it posts to.
    client = app.test_client()
    assert login(client, "cun1").status_code == 303
    adapter = app.url_map.bind("localhost")
    checked = set()
    for rule, url, _level in world["urls"]:
        if "GET" not in rule.methods or rule.endpoint in SKIP_ENDPOINTS:
            continue
        response = client.get(url)
        if response.status_code != 200 or not response.mimetype == "text/html":
            continue
        for attrs, inner in _FORMS_RE.findall(response.get_data(as_text=True)):
            if not re.search(r'method="post"', attrs, re.I):
                continue
            action = re.search(r'action="([^"]*)"', attrs)
            target = (action.group(1) if action and action.group(1) else url).split("?")[0]
            endpoint, _args = adapter.match(target, method="POST")
            if endpoint in SKIP_ENDPOINTS:
                continue
            assert endpoint in FORMS, f"form probe does not know POST endpoint {endpoint} ({url})"
            names = set(_NAMES.findall(inner))
            unknown = (
                names - set(FORMS[endpoint]) - PLAIN_FIELDS - PLAIN_BY_ENDPOINT.get(endpoint, set())
            )
            assert not unknown, (
                f"form probe does not know fields {sorted(unknown)} of {endpoint} on {url}"
            )
            checked.add(endpoint)
    assert len(checked) >= 20, sorted(checked)


def test_unknown_post_route_fails_loudly(app, world):
    FORMS_BACKUP = FORMS.pop("records.sites")
    try:
        with pytest.raises(AssertionError, match="does not know POST endpoints"):
            test_every_post_route_and_field_is_known(app, world)
    finally:
        FORMS["records.sites"] = FORMS_BACKUP


# Who is probed: cun1 (cadre of V01) with V02's ids; grid1 (grid worker of V01-G1) with V01-G2's
# ids for grid-bound objects (households, persons, needs, grids) and V02's for the others; on a
# county's instance (V01 in township T1, V02 in T2) t1cadre, a township cadre of T1, with cun1's.
PROBED_USERS = ("cun1", "grid1", "t1cadre")
FOREIGN_MARKS = {"cun1": ("外村",), "grid1": ("外村", "外格"), "t1cadre": ("外村",)}


def _as(username, world, places):
    """The ids and bodies `username` is probed with (t1cadre: a county's instance is made)."""
    if username == "t1cadre":
        from tests.shared.county import make_county

        make_county(places)
        return world["ids"]["cun1"], world["bodies"]["cun1"]
    return world["ids"][username], world["bodies"][username]


@pytest.mark.parametrize("username", PROBED_USERS)
def test_another_areas_id_in_a_form_is_refused(app, world, places, username):
    ids, bodies = _as(username, world, places)
    client = app.test_client()
    assert login(client, username).status_code == 303
    token = csrf_token(client, "/")
    probed = []
    for rule, url, _level in world["urls"]:
        if rule.endpoint not in FORMS or "POST" not in rule.methods:
            continue
        body = bodies.get(rule.endpoint, {})
        for field, data in _variants(FORMS[rule.endpoint], body, ids):
            _clear_flashes(client)
            before = _state()
            response = client.post(url, data={**data, "csrf_token": token})
            status = response.status_code
            refused = 400 <= status < 500 or (status == 303 and _error_flashed(client))
            assert refused, (
                f"{username}: {url} accepted another area's {field}: {data[field]} ({status})"
            )
            assert _state() == before, f"{username}: {url} wrote data with another area's {field}"
            text = response.get_data(as_text=True)
            for mark in FOREIGN_MARKS[username]:
                assert mark not in text, (username, url, field)
            probed.append((rule.endpoint, field))
    assert len(probed) >= sum(len(f) for f in FORMS.values())


@pytest.mark.parametrize("username", PROBED_USERS)
def test_valid_bodies_are_accepted(app, world, places, username):
    """The control: with its own ids each probed form is accepted, so a refusal above comes from
    the foreign id and not from another field (a form the role may not post at all, 403, is
    refused whatever it carries)."""
    _ids, bodies = _as(username, world, places)
    client = app.test_client()
    assert login(client, username).status_code == 303
    token = csrf_token(client, "/")
    accepted = 0
    for rule, url, _level in world["urls"]:
        fields = FORMS.get(rule.endpoint)
        if not fields or "POST" not in rule.methods or rule.endpoint in NO_CONTROL:
            continue
        _clear_flashes(client)
        before = _state()
        data = bodies[rule.endpoint]
        response = client.post(url, data={**data, "csrf_token": token})
        if username == "grid1" and (
            response.status_code == 403 or rule.endpoint in NOT_FOR_GRID_WORKERS
        ):
            assert response.status_code in (403, 422) and _state() == before, url
            continue
        accepted += 1
        assert response.status_code == 303 and not _error_flashed(client), (
            url,
            response.status_code,
            re.findall(r'class="err[^"]*"[^>]*>([^<]+)', response.get_data(as_text=True)),
        )
        assert _state() != before, url
    assert accepted >= 8, (username, accepted)


# Forms a grid worker may open but not save whatever he sends, each with its reason.
NOT_FOR_GRID_WORKERS = {
    "helpers.form",  # a helper belongs to a whole village: only its cadres add or change one
    "helpers.village_posts",  # the village's contact-card posts: the village's cadres name them
    "records.sites",  # a service site serves the whole village
}

# Controls not run: a print job starts PDF workers; an upload needs a file (tests/
# test_attachments.py posts real ones); a confirmed import deletes the workbook.
NO_CONTROL = {
    "printouts.job_start",
    "imports.upload",
    "imports.confirm",
    "files.upload",
    "review.decide",  # township users only: 403 to the probed users whatever they send
}


def test_unknown_form_field_fails_loudly(app, world, monkeypatch):
    monkeypatch.setitem(FORMS, "helpers.form", {"village": "village", "user": "user"})
    with pytest.raises(AssertionError, match=r"does not know fields \['areas'\]"):
        test_every_post_route_and_field_is_known(app, world)


def test_helper_login_every_form_field_is_refused(app, world, places):
    """The helper role: every POST endpoint × object field of the probe's URLs (none of them his)
    answers 404; on his own person's visit and need forms, another person or another helper in a
    field is refused next to the field, and nothing is written; his own ids are accepted."""
    from liushou.auth import HELPER_ENDPOINTS
    from liushou.models import Person
    from tests.shared.probe import HELPER_USER, make_helper_user

    _user, helper, person = make_helper_user(places)
    client = app.test_client()
    assert login(client, HELPER_USER).status_code == 303
    token = csrf_token(client, "/visits/due")
    ids = world["ids"]["cun1"]
    tried = 0
    for rule, url, _level in world["urls"]:
        if rule.endpoint not in FORMS or "POST" not in rule.methods:
            continue
        body = world["bodies"]["cun1"].get(rule.endpoint, {})
        for field, data in [(None, body), *_variants(FORMS[rule.endpoint], body, ids)]:
            before = _state()
            response = client.post(url, data={**data, "csrf_token": token})
            assert response.status_code == 404, (url, field, response.status_code)
            assert _state() == before, (url, field)
            tried += 1
    assert tried >= sum(len(f) for f in FORMS.values())
    # His own person: the same household's other members and the village's other persons and
    # helpers are all someone else's.
    neighbour = Person.get_by_id(ids["person"][0])  # the probe's person of V01, not his
    own = {
        "visits.new": (
            f"/persons/{person.id}/visits/new",
            {"persons": [person.id], "helpers": [helper.id], "visited_on": "2026-01-06"},
            {
                "persons": [person.id, neighbour.id],
                "helpers": [helper.id, ids["helpers"][0]],
                "item_for": [neighbour.id],
            },
        ),
        "care.need": (
            f"/persons/{person.id}/needs/new",
            {"kind": "课业辅导", "description": "探针需求", "helper": helper.id},
            {"helper": ids["helper"][0]},
        ),
    }
    assert set(own) == set(FORMS) & HELPER_ENDPOINTS  # every POST he may make is probed here
    for endpoint, (url, valid, foreign) in own.items():
        valid = {**valid, "method": "上门"} if endpoint == "visits.new" else valid
        assert set(foreign) == set(FORMS[endpoint]), endpoint
        for field, value in foreign.items():
            before = _state()
            response = client.post(url, data={**valid, field: value, "csrf_token": token})
            assert response.status_code == 422, (endpoint, field, response.status_code)
            assert _state() == before, (endpoint, field)
            assert "外村" not in response.get_data(as_text=True)
        before = _state()
        response = client.post(url, data={**valid, "csrf_token": token})
        assert response.status_code == 303 and _state() != before, endpoint


def test_a_bad_id_in_any_object_field_of_any_form_is_refused(app, world):  # noqa: F811
    client = app.test_client()
    assert login(client, "cun1").status_code == 303
    token = csrf_token(client, "/")
    ids, bodies = world["ids"]["cun1"], world["bodies"]["cun1"]
    failures, tried = [], 0
    for rule, url, _level in world["urls"]:
        if rule.endpoint not in FORMS or "POST" not in rule.methods:
            continue
        body = bodies.get(rule.endpoint, {})
        for field, kind in FORMS[rule.endpoint].items():
            for bad in BAD:
                value = [ids[kind][0], bad] if kind in MANY else bad
                _clear_flashes(client)
                before = _state()
                status, refused = _post(client, url, {**body, field: value, "csrf_token": token})
                tried += 1
                if status >= 500:
                    failures.append((url, field, bad, status, refused))
                elif bad and (not refused or _state() != before):
                    failures.append((url, field, bad, status, "accepted or wrote"))
    assert not failures, "\n".join(map(str, failures))
    assert tried >= 4 * sum(len(f) for f in FORMS.values())
