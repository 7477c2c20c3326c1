"""Review rules, their users and households, and the review-import sheet (tests/test_review*.py,
tests/test_hostile_review3.py, tests/test_hostile_review4.py)."""

from datetime import date, datetime

import pytest

from liushou import clock
from liushou.models import Household
from liushou.models.households import FamilyAway
from liushou.models.persons import Person
from liushou.rules.idcard import check_digit
from liushou.scope import Scope
from liushou.services import SYSTEM, Actor, importing
from liushou.services.households import save_household
from liushou.services.persons import save_person
from liushou.services.settings import update_settings
from tests._helpers import ALL


def child_id(n):
    """A valid ID number of a boy born 2015-03-07 (a different one for each n)."""
    first = f"620102201503070{n:02d}"[:17]
    return first + check_digit(first)


@pytest.fixture(autouse=True)
def today():
    with clock.freeze(datetime(2026, 6, 10, 10, 0)):
        yield


def review_on(*kinds, since=date(2026, 1, 1)):
    update_settings(SYSTEM, {f"review_{k}": "1" for k in kinds}, since)


def actor(users, name):
    return Actor(users[name], "127.0.0.1")


@pytest.fixture
def homes(places):
    def make(village, grid, head):
        return save_household(
            SYSTEM,
            ALL,
            {"village": places[village].id, "grid": places[grid].id, "head_name": head},
        )

    return {"V01": make("V01", "V01-G1", "王建国"), "V02": make("V02", "V02-G1", "李大山")}


def child(home, n=1, **extra):
    return {
        "household": home.id,
        "name": f"王小{n}",
        "id_number": child_id(n),
        "father_status": "外出务工",
        "mother_status": "外出务工",
        **extra,
    }


def register(users, who, home, n=1, **extra):
    return save_person(actor(users, who), scope(users, who), child(home, n, **extra))


HEADER = ["姓名", "身份证号", "网格", "家庭住址", "父亲姓名", "父亲务工地点", "母亲务工地点"]


SHEET = [
    HEADER,
    ["赵小一", child_id(11), "1组", "东街8号", "赵大", "广东省深圳市", "浙江省杭州市"],
    ["赵小二", child_id(12), "1组", "东街8号", "赵大", "广东省深圳市", "浙江省杭州市"],
]


def import_as(users, places, who, rows=SHEET):
    scope = Scope.for_user(users[who])
    plan = importing.plan(rows, places["V01"], scope)
    assert plan.count("new") == len(rows) - 1, [r.errors for r in plan.rows]
    return importing.confirm(actor(users, who), scope, places["V01"], rows, plan.fingerprint)[1]


def counts():
    return (
        Household.select().count(),
        FamilyAway.select().count(),
        Person.select().count(),
    )


def scope(users, name):
    return Scope.for_user(users[name])
