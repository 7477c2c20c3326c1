"""The report figures last read as they are now, made dated (issue 15's principle): a person's
needs, services and benefits count in the village he lived in on their dates; a site's 在用
comes from its dated open/close history; an agreement counts from when it was known signed."""

from datetime import date

import pytest

from liushou.models import AgreementEvent, Person, SiteEvent
from liushou.queries.summary import summary
from liushou.scope import Scope
from liushou.services import SYSTEM
from liushou.services.activities import save_site, set_site_active
from liushou.services.care import save_need, save_service
from liushou.services.persons import save_person
from liushou.services.records import save_benefit
from tests._helpers import ALL, at
from tests.shared.town import child, household, move

OCT = (date(2026, 10, 1), date(2026, 10, 31))
NOV = (date(2026, 11, 1), date(2026, 11, 30))


def rows(start, end, scope=ALL):
    return {v.code: f for v, f in summary(scope, start, end)["villages"]}


def edit(person, **changes):
    person = Person.get_by_id(person.id)
    values = {k: v for k, v in person.__data__.items() if v is not None}
    values.update(household=person.household_id, **changes)
    return save_person(SYSTEM, ALL, values, person)


@pytest.fixture
def moved(places):
    """Child 甲 in V01 from 9 Sep: a need and a service in October, 200 yuan 低保 from Sep;
    his household moves to V02 on 3 Nov; a service on 10 Nov."""
    with at(2026, 9, 9):
        h = household(places, "V01-G1", "甲家")
        jia = child(h, "甲")
        save_benefit(SYSTEM, jia, {"kind": "低保", "amount": "200", "start_on": "2026-09-01"})
    with at(2026, 10, 6):
        save_need(
            SYSTEM, jia, {"kind": "课业辅导", "description": "作业", "raised_on": "2026-10-06"}
        )
        save_service(
            SYSTEM, jia, {"kind": "课业辅导", "served_on": "2026-10-06", "description": "d"}
        )
    with at(2026, 11, 3):
        move(places, h, "V02-G1")
    with at(2026, 11, 10):
        save_service(
            SYSTEM, jia, {"kind": "心理抚慰", "served_on": "2026-11-10", "description": "d"}
        )
    return jia


def test_a_person_who_moved_keeps_last_months_figures_in_his_old_village(moved, places):
    with at(2026, 12, 2):
        october, november = rows(*OCT), rows(*NOV)
    assert october["V01"].needs_raised == {"课业辅导": 1} and not october["V02"].needs_raised
    assert october["V01"].services == {"课业辅导": 1} and not october["V02"].services
    assert october["V01"].benefit_amount["低保"] == 200 and not october["V02"].benefit_amount
    assert october["V01"].members["留守儿童"] == 1 and october["V02"].members["留守儿童"] == 0
    # After the move the month's figures are in V02, the township's are the same.
    assert november["V02"].services == {"心理抚慰": 1} and not november["V01"].services
    assert november["V02"].benefit_amount["低保"] == 200 and not november["V01"].benefit_amount
    assert november["V02"].covered["低保"] == 1 and november["V01"].covered["低保"] == 0


def test_a_village_user_still_sees_his_old_residents_past_figures(moved, places):
    v01 = Scope(village_ids=frozenset([places["V01"].id]))
    v02 = Scope(village_ids=frozenset([places["V02"].id]))
    with at(2026, 12, 2):
        assert rows(*OCT, v01)["V01"].services == {"课业辅导": 1}
        assert rows(*OCT, v01)["V01"].benefit_amount["低保"] == 200
        assert not rows(*OCT, v02)["V02"].services
        assert rows(*NOV, v02)["V02"].services == {"心理抚慰": 1}
        assert not rows(*NOV, v01)["V01"].services


def test_a_site_reopened_reads_as_stopped_through_its_stopped_months(places, login_as):
    with at(2026, 9, 9):
        site = save_site(
            SYSTEM, ALL, {"village": places["V01"].id, "kind": "留守儿童之家", "name": "之家"}
        )
    with at(2026, 10, 10):
        set_site_active(SYSTEM, ALL, site, False)
    with at(2026, 11, 5):
        set_site_active(SYSTEM, ALL, site, True)
    with at(2026, 12, 2):
        september = rows(date(2026, 9, 1), date(2026, 9, 30))["V01"]
        october, november = rows(*OCT)["V01"], rows(*NOV)["V01"]
        page = login_as("township").get(f"/sites/{site.id}/edit").get_data(as_text=True)
    assert september.sites_active == {"留守儿童之家": 1}
    assert october.sites_active == {} and october.sites_inactive == {"留守儿童之家": 1}
    assert november.sites_active == {"留守儿童之家": 1} and november.sites_inactive == {}
    # The page lists the dated history.
    assert "启用与停用记录" in page
    assert "2026-09-09 启用" in page and "2026-10-10 停用" in page and "2026-11-05 启用" in page
    events = [(e.on, e.event) for e in SiteEvent.select().order_by(SiteEvent.id)]
    assert events == [
        (date(2026, 9, 9), "open"),
        (date(2026, 10, 10), "close"),
        (date(2026, 11, 5), "open"),
    ]


def test_an_agreement_counts_from_when_it_was_known_signed(places):
    with at(2026, 9, 9):
        h = household(places, "V01-G1", "乙家")
        yi = child(h, "乙")
        bing = child(h, "丙", "2017-05-01", "女", agreement_signed_on="2026-09-01")
    # 乙's agreement entered on 3 Nov, back-dated to 5 Oct: October had it unsigned.
    with at(2026, 11, 3):
        edit(yi, agreement_signed_on="2026-10-05")
    with at(2026, 11, 4):
        november_open = rows(*NOV)["V01"].signed["留守儿童"]
    # 丙's date found wrong and cleared on 2 Dec: November keeps it as it was known.
    with at(2026, 12, 2):
        edit(bing, agreement_signed_on="")
    with at(2026, 12, 3):
        october, november = rows(*OCT)["V01"], rows(*NOV)["V01"]
        december = rows(date(2026, 12, 1), date(2026, 12, 31))["V01"]
    assert october.signed["留守儿童"] == 1 and october.members["留守儿童"] == 2
    assert november_open == 2 and november.signed["留守儿童"] == 2
    assert december.signed["留守儿童"] == 1
    # Every change of the date is kept.
    kept = [(e.person_id, e.signed_on) for e in AgreementEvent.select().order_by(AgreementEvent.id)]
    assert kept == [(bing.id, date(2026, 9, 1)), (yi.id, date(2026, 10, 5)), (bing.id, None)]


def test_a_record_without_agreement_history_reads_its_stored_date(places):
    """A record written by a bulk path (the demo) has no history row: its stored date counts,
    and its first change keeps the old date for the months before."""
    with at(2026, 9, 9):
        h = household(places, "V01-G1", "丁家")
        ding = child(h, "丁")
        Person.update(agreement_signed_on=date(2026, 9, 5)).where(Person.id == ding.id).execute()
    with at(2026, 11, 3):
        assert rows(*OCT)["V01"].signed["留守儿童"] == 1
        edit(ding, agreement_signed_on="2026-11-01")
    with at(2026, 12, 3):
        assert rows(*OCT)["V01"].signed["留守儿童"] == 1
        assert rows(*NOV)["V01"].signed["留守儿童"] == 1
