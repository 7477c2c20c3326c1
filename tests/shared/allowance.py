"""The allowance township (tests/test_allowance.py, tests/test_hostile_review2.py)."""

from datetime import datetime

import pytest

from liushou import clock
from liushou.rules.idcard import check_digit
from liushou.services import SYSTEM
from liushou.services.person_exits import exit_person, void_person
from liushou.services.records import save_benefit, stop_benefit, void_benefit
from tests.shared.town import household, person


@pytest.fixture
def town(places, users):
    with clock.freeze(REGISTERED):
        h1 = household(places, "V01-G1", "一")
        h2 = household(places, "V01-G2", "二")
        h3 = household(places, "V02-G1", "三")
        p = {}
        for name, birth in (("甲", "1946-04-11"), ("乙", "1946-04-10"), ("丁", "1926-04-10")):
            p[name] = _person(h1, name, birth)
        p["丙"] = _person(h2, "丙", "1936-04-10")
        p["戊"] = _person(h1, "戊", None, id_number=ID_WU)
        for name, birth in (
            ("己", "1940-02-02"),
            ("庚", "1930-05-05"),
            ("辛", "1925-01-01"),
            ("壬", "1936-03-15"),
            ("癸", "1944-07-07"),
            ("作废", "1940-01-01"),
            ("迁出", "1936-01-01"),
            ("亡故", "1935-01-01"),
        ):
            p[name] = _person(h1, name, birth)
        p["子"] = _person(h3, "子", "1944-01-15")
        p["丑"] = _person(h3, "丑", "1944-02-20")
        b = {
            n: _benefit(p[n])
            for n in ("戊", "己", "庚", "辛", "壬", "癸", "作废", "迁出", "亡故", "子")
        }
        stop_benefit(SYSTEM, b["己"], {"end_on": "2026-03-20", "notes": "停发"})
        void_benefit(SYSTEM, b["癸"], "重复登记")
        void_person(SYSTEM, p["作废"], "重复登记")
    with clock.freeze(datetime(2026, 3, 25, 9, 0)):
        exit_person(SYSTEM, p["迁出"], {"exit_reason": "迁出", "exited_on": "2026-03-20"})
        exit_person(SYSTEM, p["亡故"], {"exit_reason": "死亡", "exited_on": "2026-02-10"})
    return {"persons": p, "benefits": b, "places": places}


REGISTERED = datetime(2026, 1, 5, 9, 0)


ID_WU = "620102194106010013"
ID_WU = ID_WU[:17] + check_digit(ID_WU[:17])


def _person(home, name, birth, **extra):
    values = {"sex": "男", **extra}
    if "id_number" not in extra:
        values["birth_date"] = birth
    return person(home, name, **values)


def _benefit(person, start="2025-01-01"):
    return save_benefit(SYSTEM, person, {"kind": "高龄补贴", "start_on": start})
