"""The visits world (tests/test_visits.py, tests/test_visit_cycles.py)."""

from datetime import date, timedelta

import pytest

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
