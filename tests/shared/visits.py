"""The visits world (tests/test_visits.py, tests/test_visit_cycles.py)."""

from datetime import date, timedelta

import pytest

from liushou.services import SYSTEM
from liushou.services.helpers import save_helper
from liushou.services.households import save_household
from liushou.services.persons import save_person
from tests._helpers import ALL


@pytest.fixture
def world(places, users):
    """A cadre-helper linked to cun1, two children and an elder in V01-G1."""
    household = save_household(
        SYSTEM,
        ALL,
        {
            "village": places["V01"].id,
            "grid": places["V01-G1"].id,
            "head_name": "王建国",
            "address": "一组 12 号",
            "phone": "13912345678",
        },
    )
    both_away = {
        "father_status": "外出务工",
        "mother_status": "外出务工",
        "carer_name": "王建国",
        "carer_relation": "祖父",
    }
    kid1 = save_person(
        SYSTEM,
        ALL,
        {
            "household": household.id,
            "name": "王小明",
            "birth_date": "2015-03-07",
            "sex": "男",
            **both_away,
        },
    )
    kid2 = save_person(
        SYSTEM,
        ALL,
        {
            "household": household.id,
            "name": "王小红",
            "birth_date": "2017-05-01",
            "sex": "女",
            **both_away,
        },
    )
    elder = save_person(
        SYSTEM,
        ALL,
        {
            "household": household.id,
            "name": "王老汉",
            "birth_date": (TODAY - timedelta(days=365 * 85)).isoformat(),
            "sex": "男",
            "children_away": "1",
            "living_arrangement": "独居",
            "children_away_since": "2020-01-01",
        },
    )
    helper = save_helper(
        SYSTEM,
        ALL,
        {
            "name": "李干部",
            "kind": "村干部",
            "village": places["V01"].id,
            "user": users["cun1"].id,
            "phone": "13800001111",
        },
    )
    other = save_helper(
        SYSTEM, ALL, {"name": "赵医生", "kind": "村医", "village": places["V01"].id}
    )
    return {
        "household": household,
        "kid1": kid1,
        "kid2": kid2,
        "elder": elder,
        "helper": helper,
        "other": other,
    }


TODAY = date.today()
