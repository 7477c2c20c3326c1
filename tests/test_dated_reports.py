"""Figures as of a date (issue 15 item 1): a past period's report counts facts by their own
dates as they were known at its close, so it never changes; hand counts of opening, closing,
entries and exits from the dated group history."""

import io
import re
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from liushou import clock
from liushou.models import AuditLog, Benefit, GroupEvent, Person, Site, VisitState
from liushou.queries import facts, indicators
from liushou.rules.categories import GROUPS
from liushou.scope import Scope
from liushou.services import SYSTEM
from liushou.services.activities import set_site_active
from liushou.services.care import save_need
from liushou.services.checkins import check_in, void_checkin
from liushou.services.helpers import save_helper
from liushou.services.households import save_household
from liushou.services.person_exits import exit_person, void_person
from liushou.services.persons import save_person
from liushou.services.records import save_benefit, save_site, stop_benefit, update_benefit
from liushou.services.visit_changes import void_visit
from liushou.services.visits import override_tier, record_visit
from tests._helpers import ALL, AWAY, at

OCT = (date(2026, 10, 1), date(2026, 10, 31))


def child(household, name, born="2016-05-01", **extra):
    return {"household": household.id, "name": name, "birth_date": born, "sex": "男", **AWAY}


def child_values(person, **changes):
    """The edit form's values for a registered child."""
    values = {k: v for k, v in person.__data__.items() if v is not None}
    values.update(household=person.household_id, father_status=person.father_status)
    values.update(changes)
    return values


@pytest.fixture
def history(places, users):
    """V01: children 甲 and 乙 (from 9 Sep), elder 老 (85); V02: child 丙 (from 9 Sep).
    October: 丁 registered in V01 on the 12th; 甲's father comes home on the 15th (甲 leaves
    留守儿童); 乙 exits on the 20th (家人返乡). A visit to 甲 on 5 Oct, a need on the 6th,
    老's 高龄补贴 from 1 Sep."""
    with at(2026, 9, 9):
        h1 = save_household(
            SYSTEM,
            ALL,
            {"village": places["V01"].id, "grid": places["V01-G1"].id, "head_name": "一"},
        )
        h2 = save_household(
            SYSTEM,
            ALL,
            {"village": places["V02"].id, "grid": places["V02-G1"].id, "head_name": "二"},
        )
        jia = save_person(SYSTEM, ALL, child(h1, "甲"))
        yi = save_person(SYSTEM, ALL, child(h1, "乙", "2017-03-01"))
        bing = save_person(SYSTEM, ALL, child(h2, "丙"))
        old = save_person(
            SYSTEM,
            ALL,
            {"household": h1.id, "name": "老", "sex": "女", "birth_date": "1941-02-01"}
            | {"children_away": "1"},
        )
        save_benefit(SYSTEM, old, {"kind": "高龄补贴", "start_on": "2026-09-01"})
        # An elder of 82 in no group with no 高龄补贴 (on the missing list);
        # a 低保 still 待审核 for 丙.
        old2 = save_person(
            SYSTEM,
            ALL,
            {"household": h2.id, "name": "老二", "sex": "男", "birth_date": "1944-01-01"},
        )
        pending = save_benefit(
            SYSTEM,
            bing,
            {"kind": "低保", "amount": "300", "start_on": "2026-09-01", "status": "待审核"},
        )
        site = save_site(
            SYSTEM, ALL, {"village": places["V01"].id, "kind": "留守儿童之家", "name": "之家"}
        )
        helper = save_helper(
            SYSTEM, ALL, {"name": "干部", "kind": "村干部", "village": places["V01"].id}
        )
    with at(2026, 10, 5, 16):
        visit = record_visit(
            SYSTEM,
            ALL,
            [jia],
            {"visited_on": "2026-10-05", "method": "上门", "helpers": [helper.id]},
        )
    with at(2026, 10, 5, 17):
        knock, _ = check_in(SYSTEM, ALL, jia.id)
    with at(2026, 10, 6):
        save_need(
            SYSTEM, jia, {"kind": "课业辅导", "description": "作业", "raised_on": "2026-10-06"}
        )
    with at(2026, 10, 12):
        h3 = save_household(
            SYSTEM,
            ALL,
            {"village": places["V01"].id, "grid": places["V01-G2"].id, "head_name": "三"},
        )
        ding = save_person(SYSTEM, ALL, child(h3, "丁"))
    with at(2026, 10, 15):
        save_person(SYSTEM, ALL, child_values(Person.get_by_id(jia.id), father_status="在家"), jia)
    with at(2026, 10, 20):
        exit_person(SYSTEM, yi, {"exit_reason": "家人返乡", "exited_on": "2026-10-20"})
    return {
        "places": places,
        "jia": jia,
        "yi": yi,
        "bing": bing,
        "ding": ding,
        "old": old,
        "visit": visit,
        "h1": h1,
        "old2": old2,
        "pending": pending,
        "site": site,
        "knock": knock,
    }


def test_october_by_hand(history):
    v01 = history["places"]["V01"].id
    with at(2026, 11, 24, 10):
        cutoff = facts.cutoff_for(OCT[1])
        assert cutoff == datetime(2026, 11, 1) and facts.is_final(OCT[1])
        town = facts.population(ALL, *OCT, cutoff)
        village = facts.population(ALL, *OCT, cutoff, v01)
    # 留守儿童 on 30 Sep: 甲 乙 丙; in: 丁; out: 甲 (category), 乙 (exit); on 31 Oct: 丙 丁.
    assert town["opening"] == {"留守儿童": 3, "困境儿童": 0, "留守妇女": 0, "留守老人": 1}
    assert town["closing"] == {"留守儿童": 2, "困境儿童": 0, "留守妇女": 0, "留守老人": 1}
    assert town["entries"]["留守儿童"] == {"新登记": 1}
    assert town["exits"]["留守儿童"] == {"类别变化": 1, "家人返乡": 1}
    assert town["entries"]["留守老人"] == {} and town["exits"]["留守老人"] == {}
    assert village["opening"]["留守儿童"] == 2 and village["closing"]["留守儿童"] == 1
    for side in (town, village):
        for group in GROUPS:
            moved = sum(side["entries"][group].values()) - sum(side["exits"][group].values())
            assert side["closing"][group] == side["opening"][group] + moved
    # Mid-month: 丁 counts from the 12th, 甲 until the 14th.
    with at(2026, 11, 24, 10):
        ids = lambda day: {  # noqa: E731
            r[0] for r in facts.members_on(ALL, day, "留守儿童", cutoff).tuples()
        }
        assert ids(date(2026, 10, 11)) == {history[k].id for k in ("jia", "yi", "bing")}
        assert ids(date(2026, 10, 15)) == {history[k].id for k in ("yi", "bing", "ding")}
        assert ids(date(2026, 10, 20)) == {history[k].id for k in ("bing", "ding")}
        # A grid worker sees his grid only (丁 lives in V01-G2).
        grid1 = Scope(
            village_ids=frozenset([v01]), grid_ids=frozenset([history["places"]["V01-G1"].id])
        )
        assert facts.population(grid1, *OCT, cutoff)["opening"]["留守儿童"] == 2
        report = indicators.report(ALL, *OCT)
    assert report["groups_at"] == {"start": town["opening"], "end": town["closing"]}
    assert report["entered"]["留守儿童"] == 1 and report["left"]["留守儿童"] == 2
    assert report["exits"] == {"类别变化": 1, "家人返乡": 1}
    assert report["visits"] == 1 and report["needs"] == {"课业辅导": 1}


def test_a_move_is_an_exit_and_entry_of_villages_not_of_the_township(history):
    places = history["places"]
    with at(2026, 11, 3):
        save_household(
            SYSTEM,
            ALL,
            {"village": places["V02"].id, "grid": places["V02-G2"].id, "head_name": "一"},
            history["h1"],
        )
    with at(2026, 12, 2):
        start, end = date(2026, 11, 1), date(2026, 11, 30)
        cutoff = facts.cutoff_for(end)
        town = facts.population(ALL, start, end, cutoff)
        v1 = facts.population(ALL, start, end, cutoff, places["V01"].id)
        v2 = facts.population(ALL, start, end, cutoff, places["V02"].id)
        october_v01 = facts.population(ALL, *OCT, facts.cutoff_for(OCT[1]), places["V01"].id)
    assert town["entries"]["留守老人"] == {} and town["exits"]["留守老人"] == {}
    assert v1["exits"]["留守老人"] == {"转至他村": 1} and v1["closing"]["留守老人"] == 0
    assert v2["entries"]["留守老人"] == {"由他村转入": 1} and v2["closing"]["留守老人"] == 1
    # Counted where she lived then.
    assert october_v01["closing"]["留守老人"] == 1


def _pdf_text(response):
    pdf = PdfReader(io.BytesIO(response.get_data()))
    return [
        "\n".join(line for line in p.extract_text().splitlines() if "打印于" not in line)
        for p in pdf.pages
    ]


def _cells(response):
    book = load_workbook(io.BytesIO(response.get_data()))
    return [[row for row in sheet.iter_rows(values_only=True)] for sheet in book.worksheets]


def _page(response):
    assert response.status_code == 200
    return re.sub(r'name="csrf_token" value="[^"]*"', "", response.get_data(as_text=True))


def _takes(client, village_id):
    """Every output of October on main: /reports and /reports/summary on screen (without the
    session's token), as workbook cell values and PDF text (without the footer's print time);
    the 高龄补贴 roster and the missing list for October."""
    where = f"&village={village_id}" if village_id else ""
    query = "period=month&year=2026&n=10" + where
    out = {}
    for name, path in (("report", "/reports"), ("summary", "/reports/summary")):
        out[name] = _page(client.get(f"{path}?{query}"))
    out["report.xlsx"] = _cells(client.get(f"/reports/report.xlsx?{query}"))
    out["report.pdf"] = _pdf_text(client.get(f"/reports/report.pdf?{query}"))
    out["summary.xlsx"] = _cells(client.get(f"/reports/summary.xlsx?{query}"))
    out["summary.pdf"] = _pdf_text(client.get(f"/reports/summary.pdf?{query}"))
    roster = "month=2026-10" + where
    out["roster"] = _page(client.get(f"/reports/allowance/roster?{roster}"))
    out["roster.xlsx"] = _cells(client.get(f"/reports/allowance/roster.xlsx?{roster}"))
    out["roster.pdf"] = _pdf_text(client.get(f"/reports/allowance/roster.pdf?{roster}"))
    missing = "on=2026-10-31" + where
    out["missing"] = _page(client.get(f"/reports/allowance/missing?{missing}"))
    out["missing.xlsx"] = _cells(client.get(f"/reports/allowance/missing.xlsx?{missing}"))
    out["missing.pdf"] = _pdf_text(client.get(f"/reports/allowance/missing.pdf?{missing}"))
    return out


def test_a_past_month_prints_the_same_whatever_happens_later(history, login_as, places):
    client = login_as("township")
    with at(2026, 11, 24, 10):
        before = [_takes(client, v) for v in (None, places["V01"].id)]
        now_before = client.get("/reports?period=month&year=2026&n=11").get_data(as_text=True)
    page = before[0]["report"]
    assert "本期尚未结束" not in page and "家人返乡 1 人" in page
    assert "截至 2026-11-24 10:00，本期尚未结束，数字可能变化" in now_before
    assert "老二" in before[0]["missing"] and "老" in before[0]["roster"]
    with at(2026, 11, 24, 11):
        h = save_household(
            SYSTEM,
            ALL,
            {"village": places["V01"].id, "grid": places["V01-G1"].id, "head_name": "新"},
        )
        save_person(SYSTEM, ALL, child(h, "新"))  # registered today
        # An exit back-dated into October, a child re-categorised, the visit voided.
        exit_person(SYSTEM, history["ding"], {"exit_reason": "迁出", "exited_on": "2026-10-25"})
        bing = Person.get_by_id(history["bing"].id)
        # ...with his agreement entered back-dated into October.
        values = child_values(bing, father_status="在家", agreement_signed_on="2026-10-03")
        save_person(SYSTEM, ALL, values, bing)
        void_visit(SYSTEM, history["visit"], "录错")
        benefit = history["old"].benefits.get()
        stop_benefit(SYSTEM, benefit, {"end_on": "2026-12-01", "notes": "停发"})
        void_person(SYSTEM, Person.get_by_id(history["ding"].id), "重复登记")
        # Visit tiers: 甲 set by hand, 老 by rule (now living alone at 85: high).
        jia = Person.get_by_id(history["jia"].id)
        before_tier = VisitState.get(VisitState.person == jia.id).effective_tier
        override_tier(SYSTEM, jia, "high" if before_tier != "high" else "general", "家中有变")
        old = Person.get_by_id(history["old"].id)
        old_tier = VisitState.get(VisitState.person == old.id).effective_tier
        save_person(SYSTEM, ALL, {**_values(old), "living_arrangement": "独居"}, old)
        assert VisitState.get(VisitState.person == old.id).effective_tier != old_tier
        # A check-in today, October's voided; the site stopped; 丙's 低保 approved.
        check_in(SYSTEM, ALL, history["jia"].id)
        void_checkin(SYSTEM, history["knock"], "录错")
        set_site_active(SYSTEM, ALL, history["site"], False)
        pending = Benefit.get_by_id(history["pending"].id)
        update_benefit(SYSTEM, pending, {**_values(pending), "status": "享受中"})
        # 老 exits back-dated into October; 老二's 高龄补贴 is registered back-dated.
        exit_person(SYSTEM, old, {"exit_reason": "死亡", "exited_on": "2026-10-28"})
        save_benefit(SYSTEM, history["old2"], {"kind": "高龄补贴", "start_on": "2026-10-01"})
        # 甲 moves to a household of V02 (his October need and check-in stay in V01); the site
        # stopped today is started again.
        jia = Person.get_by_id(history["jia"].id)
        bing_home = Person.get_by_id(history["bing"].id).household_id
        save_person(SYSTEM, ALL, child_values(jia, household=bing_home), jia)
        set_site_active(SYSTEM, ALL, Site.get_by_id(history["site"].id), True)
    with at(2026, 11, 24, 12):
        after = [_takes(client, v) for v in (None, places["V01"].id)]
        now_after = client.get("/reports?period=month&year=2026&n=11").get_data(as_text=True)
        assert "老二" not in client.get("/reports/allowance/missing").get_data(as_text=True)
    for one, two in zip(before, after, strict=True):
        for name in one:
            a, b = one[name], two[name]
            if isinstance(a, list) and a and isinstance(a[0], str):
                a, b = "\n".join(a), "\n".join(b)
            assert a == b, (name, _diff(a, b) if isinstance(a, str) else (a, b))
    # The current month did move (the changes were real).
    assert now_after != now_before and "截至 2026-11-24 12:00" in now_after


def _values(row):
    """A row's stored values as a form would send them back."""
    values = {k: v for k, v in row.__data__.items() if v is not None}
    if isinstance(row, Person):
        values.update(household=row.household_id)
    return values


def test_downloads_are_audited_and_carry_no_id_numbers(history, login_as):
    client = login_as("township")
    with at(2026, 11, 24, 10):
        book = client.get("/reports/report.xlsx?period=month&year=2026&n=10").get_data()
        pdf = client.get("/reports/report.pdf?period=month&year=2026&n=10").get_data()
    actions = [
        a.action
        for a in AuditLog.select().where(AuditLog.object_type == "report").order_by(AuditLog.id)
    ]
    assert actions == ["export", "print"]
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    cells = [
        str(c)
        for row in load_workbook(io.BytesIO(book)).active.iter_rows(values_only=True)
        for c in row
    ]
    numbers = [p.id_number for p in Person.select() if p.id_number]
    assert all(n not in text and all(n not in c for c in cells) for n in numbers)


def test_history_follows_every_writer(history):
    """The last event of each group agrees with every person as he is now."""
    for person in Person.select():
        last = {}
        for e in (
            GroupEvent.select()
            .where(GroupEvent.person == person.id)
            .order_by(GroupEvent.on, GroupEvent.id)
        ):
            last[e.group_name] = e
        member = {g for g, e in last.items() if e.event == "in"}
        gone = person.exited_on or person.voided_at
        assert member == (set() if gone else set(person.group_list)), person.name
        assert all(last[g].village_id == person.village_id for g in member)
    yi = GroupEvent.get((GroupEvent.person == history["yi"].id) & (GroupEvent.event == "out"))
    assert (yi.on, yi.reason, yi.exit_reason) == (date(2026, 10, 20), "exit", "家人返乡")


def test_the_table_is_append_only(history):
    from peewee import IntegrityError

    with pytest.raises(IntegrityError):
        GroupEvent.update(event="out").execute()
    with pytest.raises(IntegrityError):
        GroupEvent.delete().execute()


def test_the_demo_has_people_in_last_month(demo_app):
    from liushou.rules.dates import month_before, month_end, month_start

    with demo_app.app_context():
        from liushou.db import database

        database.connect(reuse_if_open=True)
        start = month_before(month_start(clock.today()))
        report = indicators.report(ALL, start, month_end(start))
        assert report["groups_at"]["start"]["留守儿童"] > 0
        assert report["groups_at"]["end"]["留守老人"] > 0
        assert report["visits"] > 0


def _diff(a, b):
    import difflib

    return "\n".join(difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm=""))
