"""Pairing, visit tiers, visits and the worklist."""

from datetime import timedelta

import pytest

from liushou import settings
from liushou.models.persons import Person
from liushou.models.visits import Pairing, VisitState
from liushou.queries.visits import coverage_by_village, unpaired_persons
from liushou.scope import Scope
from liushou.services import SYSTEM, ValidationError
from liushou.services.households import save_household
from liushou.services.persons import save_person
from liushou.services.visits import end_pairing, override_tier, pair, record_visit, set_primary
from tests.conftest import post
from tests.shared import visits
from tests.shared.visits import (
    TODAY,
)

world = visits.world  # the shared fixture

ALL = Scope(everything=True)


def _visit(persons, helper, day, **extra):
    return record_visit(
        SYSTEM,
        ALL,
        persons,
        {
            "visited_on": day.isoformat(),
            "method": "上门",
            "helpers": [helper.id],
            "life": "良好",
            **extra,
        },
    )


def test_tiers_by_rule_and_override(world):
    elder_state = VisitState.get(VisitState.person == world["elder"])
    assert elder_state.tier == "high" and "80周岁以上独居老人" in elder_state.tier_reason
    assert VisitState.get(VisitState.person == world["kid1"]).tier == "general"
    with pytest.raises(ValidationError):
        override_tier(SYSTEM, world["kid1"], "key", "")
    state = override_tier(SYSTEM, world["kid1"], "key", "近期情绪低落")
    assert state.effective_tier == "key" and state.tier == "general"


def test_pairing_primary_and_end_keep_history(world):
    kid = world["kid1"]
    first = pair(SYSTEM, ALL, world["helper"], [kid])[0]
    second = pair(SYSTEM, ALL, world["other"], [kid])[0]
    assert first.primary and not Pairing.get_by_id(second.id).primary
    assert pair(SYSTEM, ALL, world["helper"], [kid]) == []  # already paired
    set_primary(SYSTEM, Pairing.get_by_id(second.id))
    assert [p.primary for p in Pairing.select().order_by(Pairing.id)] == [False, True]
    end_pairing(SYSTEM, Pairing.get_by_id(second.id), reason="调离")
    assert Pairing.get_by_id(first.id).primary  # the remaining one takes over
    assert Pairing.select().count() == 2  # ended pairings stay


def test_visit_sets_due_date_and_refuses_the_future(world):
    kid = world["kid1"]
    with pytest.raises(ValidationError) as e:
        _visit([kid], world["helper"], TODAY + timedelta(days=1))
    assert "不能晚于今天" in e.value.errors["visited_on"]
    _visit([kid], world["helper"], TODAY - timedelta(days=7))
    state = VisitState.get(VisitState.person == kid)
    assert state.last_visit_on == TODAY - timedelta(days=7)
    # A child: the paired helper's monthly 谈心 (seed 004), shorter than the general tier's 90 days.
    assert state.due_on == TODAY - timedelta(days=7) + timedelta(days=30)
    assert "生活：良好" in state.last_summary


def test_one_visit_for_several_members_of_a_household_only(world, places):
    other_household = save_household(
        SYSTEM, ALL, {"village": places["V01"].id, "head_name": "外户"}
    )
    stranger = save_person(
        SYSTEM,
        ALL,
        {"household": other_household.id, "name": "外人", "birth_date": "1950-01-01", "sex": "男"},
    )
    with pytest.raises(ValidationError) as e:
        _visit([world["kid1"], stranger], world["helper"], TODAY)
    assert "同一户" in e.value.errors["persons"]
    visit = _visit([world["kid1"], world["kid2"]], world["helper"], TODAY)
    assert {link.person_id for link in visit.person_links} == {world["kid1"].id, world["kid2"].id}


def test_worklist_overdue_first_then_visit_removes_it(world, login_as):
    kid1, kid2, elder = world["kid1"], world["kid2"], world["elder"]
    for person in (kid1, kid2, elder):
        pair(SYSTEM, ALL, world["helper"], [person], started_on=TODAY - timedelta(days=200))
    # Children: the monthly 谈心 cycle.
    _visit([kid1], world["helper"], TODAY - timedelta(days=40))  # 10 days overdue
    _visit([kid2], world["helper"], TODAY - timedelta(days=32))  # 2 days overdue
    _visit([elder], world["helper"], TODAY - timedelta(days=7))  # high tier: due today
    client = login_as("cun1")
    page = client.get("/visits/due").get_data(as_text=True)
    order = [page.index(n) for n in ("王小明", "王小红", "王老汉")]
    assert order == sorted(order)
    assert "逾期 10 天" in page and "逾期 2 天" in page and "今天到期" in page
    assert 'href="tel:13912345678"' in page
    quick = client.get(f"/persons/{kid1.id}/visits/new").get_data(as_text=True)
    assert 'value="上门" checked' in quick and f'value="{world["helper"].id}" checked' in quick
    response = post(
        client,
        f"/persons/{kid1.id}/visits/new",
        {
            "persons": [kid1.id],
            "visited_on": TODAY.isoformat(),
            "method": "电话",
            "helpers": [world["helper"].id],
            "health": "感冒已好",
        },
    )
    assert response.status_code == 303 and response.location == "/visits/due"
    page = client.get("/visits/due").get_data(as_text=True)
    assert "已记录对 王小明 的走访" in page
    work = page.split('<ol class="work">')[-1]  # the paired visits, after the cadre's 一登门
    assert "王小明" not in work and "王小红" in work
    # The home page of a cadre starts with his worklist.
    home = client.get("/").get_data(as_text=True)
    assert "走访任务" in home and "王小红" in home


def test_quick_entry_errors_keep_what_was_typed(world, login_as):
    client = login_as("cun1")
    response = post(
        client,
        f"/persons/{world['kid1'].id}/visits/new",
        {
            "persons": [world["kid1"].id],
            "visited_on": (TODAY + timedelta(days=3)).isoformat(),
            "method": "上门",
            "helpers": [],
            "life": "家里没人",
        },
    )
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "走访日期不能晚于今天" in text and "请选择走访人" in text and 'value="家里没人"' in text


def test_coverage_matches_a_hand_count_on_demo_data(demo_app):
    with demo_app.app_context():
        rows, total = coverage_by_village(ALL)
        for village, n, paired, _rate in rows:
            population = [
                p
                for p in Person.select().where(Person.village == village)
                if p.groups and p.exited_on is None
            ]
            current = {p.person_id for p in Pairing.select() if p.ended_on is None}
            assert n == len(population)
            assert paired == sum(1 for p in population if p.id in current)
        assert total[0] == sum(r[1] for r in rows) and 0.8 < total[2] < 1.0
        unpaired = list(unpaired_persons(ALL))
        assert len(unpaired) == total[0] - total[1]


def test_pairing_pages(world, login_as):
    client = login_as("cun1")
    kid = world["kid1"]
    response = post(client, f"/persons/{kid.id}/pairings", {"helper": world["other"].id})
    assert response.status_code == 303
    page = client.get(f"/persons/{kid.id}").get_data(as_text=True)
    assert "赵医生" in page and "主要" in page
    grid = kid.grid_id
    response = post(
        client,
        "/pairings/bulk",
        {
            "helper": world["helper"].id,
            "grid": grid,
            "persons": [world["kid2"].id, world["elder"].id],
        },
    )
    assert response.status_code == 303
    assert Pairing.select().where(Pairing.helper == world["helper"]).count() == 2
    coverage = client.get("/pairings/coverage").get_data(as_text=True)
    assert "100.0%" in coverage


def test_worklist_within_budget_with_200_persons_and_paginated(world, login_as):
    import gzip

    household = world["household"]
    # Setup in bulk: settings read once (each save settles the whole household, 200 members).
    with settings.held():
        for i in range(200):
            save_person(
                SYSTEM,
                ALL,
                {
                    "household": household.id,
                    "name": f"测试{i:03d}号",
                    "birth_date": "2014-01-01",
                    "sex": "男",
                    "father_status": "外出务工",
                    "mother_status": "外出务工",
                },
            )
        for person in Person.select():
            pair(SYSTEM, ALL, world["helper"], [person], started_on=TODAY - timedelta(days=30))
    client = login_as("cun1")
    response = client.get("/visits/due", headers={"Accept-Encoding": "gzip"})
    body = response.get_data()
    assert len(body) <= 14 * 1024, len(body)
    html = gzip.decompress(body).decode()
    assert html.count('<li class="overdue">') == 40 and "下一页" in html
    assert "逾期 203" in html
    page2 = client.get("/visits/due?page=6").get_data(as_text=True)
    assert page2.count("<li class=") == 3
    home = client.get("/", headers={"Accept-Encoding": "gzip"}).get_data()
    assert len(home) <= 14 * 1024
