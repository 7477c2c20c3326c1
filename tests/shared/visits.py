"""The visits world (tests/test_visits.py, tests/test_visit_cycles.py); a visit's form and one
random visit write (tests/test_duty_dates.py, tests/test_patched_lists.py)."""

from datetime import date, timedelta

import pytest

from liushou.models.visits import CheckIn, Visit
from liushou.services import SYSTEM
from liushou.services.checkins import check_in, void_checkin
from liushou.services.visit_changes import update_visit, void_visit
from liushou.services.visits import record_visit
from tests._helpers import ALL
from tests.shared.town import helper, household, person


@pytest.fixture
def world(places, users):
    """A cadre-helper linked to cun1, two children and an elder in V01-G1."""
    home = household(places, "V01-G1", "王建国", address="一组 12 号", phone="13912345678")
    both_away = {
        "father_status": "外出务工",
        "mother_status": "外出务工",
        "carer_name": "王建国",
        "carer_relation": "祖父",
    }
    kid1 = person(home, "王小明", birth_date="2015-03-07", sex="男", **both_away)
    kid2 = person(home, "王小红", birth_date="2017-05-01", sex="女", **both_away)
    elder = person(
        home,
        "王老汉",
        birth_date=(TODAY - timedelta(days=365 * 85)).isoformat(),
        sex="男",
        children_away="1",
        living_arrangement="独居",
        children_away_since="2020-01-01",
    )
    cadre = helper(places, "李干部", user=users["cun1"].id, phone="13800001111")
    other = helper(places, "赵医生", "村医")
    return {
        "household": home,
        "kid1": kid1,
        "kid2": kid2,
        "elder": elder,
        "helper": cadre,
        "other": other,
    }


TODAY = date.today()


def visit_form(persons, helper, day, method):
    """The visit form's values: `persons` seen on `day` by `helper`, by `method` (上门, 电话…)."""
    return {
        "visited_on": day.isoformat(),
        "method": method,
        "helpers": [helper.id],
        "persons": [str(p.id) for p in persons],
    }


def random_write(
    rng, action, scope, seen, helper, day, method, visits, checkins, again=None, tapped=None
):
    """One write of a random run, as `scope`'s user: "visit" of `seen` (also for "correct" or
    "void" while no visit is left), "correct" a kept visit (now of `again(visit)`'s persons,
    or of `seen`), "void" a kept visit, "checkin" one of `tapped` (or of `seen`; also for
    "uncheck" while none is left) or "uncheck" the last. `visits` and `checkins` hold the ids
    written and not voided yet."""
    if action == "visit" or (action in ("correct", "void") and not visits):
        visits.append(record_visit(SYSTEM, scope, seen, visit_form(seen, helper, day, method)).id)
    elif action == "correct":
        visit = Visit.get_by_id(rng.choice(visits))
        persons = seen if again is None else again(visit)
        update_visit(SYSTEM, ALL, visit, persons, visit_form(persons, helper, day, method))
    elif action == "void":
        void_visit(SYSTEM, Visit.get_by_id(visits.pop(rng.randrange(len(visits)))), "录错了")
    elif action == "checkin" or not checkins:
        checkin, created = check_in(SYSTEM, scope, rng.choice(tapped or seen).id)
        if created:  # (a second tap within minutes records nothing)
            checkins.append(checkin.id)
    else:
        void_checkin(SYSTEM, CheckIn.get_by_id(checkins.pop()), "点错了")
