"""The February 2026 township (tests/test_summary.py, tests/test_month_rates_places.py)."""

from datetime import date, datetime

import pytest

from liushou import clock
from liushou.models.care import EmergencyStep
from liushou.services import SYSTEM
from liushou.services.activities import save_activity, save_site, set_site_active
from liushou.services.care import complete_step, open_emergency, save_need, save_service
from liushou.services.records import save_benefit
from liushou.services.visit_changes import void_visit
from liushou.services.visits import pair, record_visit
from tests._helpers import ALL
from tests.shared.town import helper as make_helper
from tests.shared.town import household
from tests.shared.town import person as make_person


@pytest.fixture
def town(places, users):
    """February 2026. V01: children k0 k1 k2 (k0 k1 signed and paired), elder e (85, living
    alone: high tier), one person in no group; V02: child o (signed, paired).
    Visits: k0 02-03 上门, e 02-03 电话 and 02-25 上门, o 02-20 上门, k1 02-10 voided 02-15.
    Needs: k0 课业辅导 raised 02-02 closed 02-20 (18 days), k1 心理抚慰 raised 01-05 closed
    02-20 (46 days), k2 其他 raised 02-02 open. Service: k0 课业辅导 02-05.
    Emergency: k2 02-10 08:00 (疾病: steps 15/30/60 min): done 08:10 (in time), 08:40 (late),
    the third not done. Benefits: e 高龄补贴 (25/month), o 助学金 500 once on 02-02,
    k2 低保 300/month. Activity in V01 02-06: k0 and k1 invited, k0 came. Sites: V01
    留守儿童之家 in use, V02 幸福院 out of use."""
    with clock.freeze(datetime(2026, 2, 1, 9, 0)):
        h1 = household(places, "V01-G1", "甲")
        h2 = household(places, "V02-G1", "乙")
        signed = {"agreement_signed_on": "2026-01-01"}
        k0, k1 = _kid(h1, "童零", **signed), _kid(h1, "童一", **signed)
        k2 = _kid(h1, "童二")
        elder = make_person(
            h1,
            "老人",
            sex="女",
            birth_date="1940-06-01",
            children_away="1",
            living_arrangement="独居",
        )
        make_person(h1, "无类别", birth_date="1980-01-01", sex="男")
        o = _kid(h2, "乙童", **signed)
        helper = make_helper(places, "干部")
        helper2 = make_helper(places, "干部二", village="V02")
        pair(SYSTEM, ALL, helper, [k0, k1])
        pair(SYSTEM, ALL, helper2, [o])
        save_benefit(SYSTEM, elder, {"kind": "高龄补贴", "start_on": "2025-01-01"})
        save_benefit(SYSTEM, k2, {"kind": "低保", "amount": "300", "start_on": "2026-01-01"})
        need0 = save_need(
            SYSTEM, k0, {"kind": "课业辅导", "description": "a", "raised_on": "2026-01-05"}
        )
        need1 = save_need(
            SYSTEM, k1, {"kind": "心理抚慰", "description": "b", "raised_on": "2026-01-05"}
        )
        site = save_site(
            SYSTEM, ALL, {"village": places["V02"].id, "kind": "幸福院", "name": "幸福院"}
        )
        save_site(
            SYSTEM, ALL, {"village": places["V01"].id, "kind": "留守儿童之家", "name": "之家"}
        )
        set_site_active(SYSTEM, ALL, site, False)
    need0.raised_on = date(2026, 2, 2)  # raised on the 2nd (written the 1st, a test shortcut)
    need0.save()
    with clock.freeze(datetime(2026, 2, 2, 9, 0)):
        save_need(SYSTEM, k2, {"kind": "其他", "description": "c"})
        save_benefit(
            SYSTEM,
            o,
            {"kind": "助学金", "amount": "500", "period": "一次性", "start_on": "2026-02-02"},
        )
    with clock.freeze(datetime(2026, 2, 3, 18, 0)):
        _visit([k0], "2026-02-03", "上门", helper)
        _visit([elder], "2026-02-03", "电话", helper)
    with clock.freeze(datetime(2026, 2, 6, 18, 0)):
        save_service(
            SYSTEM, k0, {"kind": "课业辅导", "served_on": "2026-02-05", "description": "d"}
        )
        save_activity(
            SYSTEM,
            ALL,
            {
                "village": places["V01"].id,
                "kind": "四点半课堂",
                "title": "课堂",
                "held_on": "2026-02-06",
                "persons": [k0.id, k1.id],
                "attended": [k0.id],
            },
        )
    with clock.freeze(datetime(2026, 2, 10, 18, 0)):
        wrong = _visit([k1], "2026-02-10", "上门", helper)
        emergency = open_emergency(
            SYSTEM, k2, {"kind": "疾病", "discovered_at": "2026-02-10 08:00", "reported_by": "x"}
        )
        steps = list(EmergencyStep.select().where(EmergencyStep.emergency == emergency))
        steps.sort(key=lambda s: s.due_at)
        complete_step(SYSTEM, steps[0], {"done_at": "2026-02-10 08:10", "how": "电话"})
        complete_step(SYSTEM, steps[1], {"done_at": "2026-02-10 08:40", "how": "电话"})
    with clock.freeze(datetime(2026, 2, 15, 9, 0)):
        void_visit(SYSTEM, wrong, "记错了人")
    with clock.freeze(datetime(2026, 2, 20, 18, 0)):
        visit_o = _visit([o], "2026-02-20", "上门", helper2)
        for person, need in ((k0, need0), (k1, need1)):
            values = {"kind": need.kind, "description": need.description, "status": "已解决"}
            save_need(SYSTEM, person, {**values, "raised_on": str(need.raised_on)}, need=need)
    with clock.freeze(datetime(2026, 2, 25, 18, 0)):
        _visit([elder], "2026-02-25", "上门", helper)
    return {"kids": [k0, k1, k2], "elder": elder, "o": o, "h2": h2, "visit_o": visit_o}


def _kid(home, name, **extra):
    return make_person(home, name, birth_date="2015-01-01", sex="男", **{**AWAY, **CARER, **extra})


def _visit(persons, on, method, helper):
    values = {"visited_on": on, "method": method, "helpers": [helper.id]}
    return record_visit(SYSTEM, ALL, persons, values)


AWAY = {"father_status": "外出务工", "mother_status": "外出务工"}


CARER = {"carer_name": "祖母", "carer_relation": "祖母", "carer_capable": "1"}
