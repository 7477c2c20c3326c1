"""The frozen clock and the call-list world
(tests/test_callist.py, tests/test_hostile_review2.py)."""

from datetime import date, datetime

import pytest

from liushou import clock
from liushou.services import SYSTEM
from liushou.services.care import open_emergency
from liushou.services.helpers import set_village_posts
from liushou.services.households import save_away
from liushou.services.settings import update_settings
from liushou.services.visits import pair
from tests._helpers import ALL
from tests.shared.town import helper, household, person


@pytest.fixture
def frozen(monkeypatch):
    state = {"now": START}
    monkeypatch.setattr(clock, "now", lambda: state["now"])
    monkeypatch.setattr(clock, "today", lambda: state["now"].date())
    return state


@pytest.fixture
def world(places, frozen):
    """A child of V01-G1 with a carer, both parents and an uncle away, two paired helpers,
    the village's posts filled, the township's numbers set."""
    update_settings(
        SYSTEM, {"office_phone": "0931-8123456", "police_phone": "0931-8110110"}, date(2000, 1, 1)
    )
    home = household(places, "V01-G1", "王建国", phone="13900000001")
    # The uncle first: the parents still come first in the list.
    uncle = save_away(
        SYSTEM,
        home,
        {"name": "王二叔", "relation": "其他", "province": "浙江", "phone": "13700000003"},
    )
    mother = save_away(
        SYSTEM,
        home,
        {
            "name": "李梅",
            "relation": "母亲",
            "province": "广东",
            "city": "东莞",
            "phone": "13700000002",
        },
    )
    father = save_away(
        SYSTEM,
        home,
        {
            "name": "王大军",
            "relation": "父亲",
            "province": "广东",
            "city": "深圳",
            "phone": "13700000001",
        },
    )
    gone = save_away(
        SYSTEM,
        home,
        {"name": "王三叔", "relation": "其他", "phone": "13700000004", "returned_on": "2026-01-01"},
    )
    child = person(
        home,
        "王小明",
        birth_date="2015-03-07",
        sex="男",
        carer_name="王奶奶",
        carer_relation="祖母",
        carer_phone="13800000001",
    )
    teacher = _helper(places, "张老师", "教师", "13600000001")
    volunteer = _helper(places, "赵志愿", "志愿者", "13600000002")
    pair(SYSTEM, ALL, volunteer, [child])
    pair(SYSTEM, ALL, teacher, [child], primary=True)
    director = _helper(places, "刘主任", "儿童主任", "13500000001")
    cadre = _helper(places, "陈干部", "包片干部", "13500000002")
    police = _helper(places, "孙民警", "民警", "13500000003")
    set_village_posts(
        SYSTEM,
        ALL,
        places["V01"],
        {"包片干部": cadre.id, "儿童主任": director.id, "民警": police.id},
    )
    emergency = open_emergency(
        SYSTEM, child, {"kind": "走失", "discovered_at": "2026-11-22 07:50", "reported_by": "村医"}
    )
    return {
        "child": child,
        "emergency": emergency,
        "away": {"father": father, "mother": mother, "uncle": uncle, "gone": gone},
        "teacher": teacher,
        "volunteer": volunteer,
    }


START = datetime(2026, 11, 22, 8, 0)


def _helper(places, name, kind, phone, village="V01"):
    return helper(places, name, kind, village, phone=phone)
