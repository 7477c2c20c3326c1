"""高龄补贴 work on a hand-counted fixture: who qualifies but gets nothing, and the monthly
payment roster (花名册) with its totals, files, audit, masking and area.

Bands: the default 80-89:25, 90-99:120, 100-:350. Today is 2026-04-10; the fixture was
registered on 2026-01-05; the exits recorded on 2026-03-25.

V01 (grid 1 unless said):
  甲 1946-04-11  79 years 364 days today            no benefit      -> not listed (too young)
  乙 1946-04-10  exactly 80 today              no benefit      -> listed 80–89, 25, from 2026-04
  丙 1936-04-10  exactly 90 today (grid 2)     no benefit      -> listed 90–99, 120, from 2026-04
  丁 1926-04-10  exactly 100 today             no benefit      -> listed 100+, 350, from 2026-04
  戊 1941-06-01  84, with ID number                 benefit since 2025-01 -> roster 25
  己 1940-02-02  86                                 benefit stopped 2026-03-20 (ended last month)
                                                    -> listed 80–89 from 2020-02; March roster 25
  庚 1930-05-05  95                                 benefit          -> roster 120
  辛 1925-01-01  101                                benefit          -> roster 350
  壬 1936-03-15  turns 90 in March 2026             benefit          -> March roster 120 (Feb 25)
  癸 1944-07-07  81                                 benefit voided   -> listed 80–89 from 2024-07
  作废 1940-01-01 voided person, had a benefit      -> nowhere
  迁出 1936-01-01 exited (moved away) 2026-03-20    -> not listed; March roster 120
  亡故 1935-01-01 died 2026-02-10                   -> paid for February (the month of death),
                                                    nowhere in March
V02:
  子 1944-01-15  82                                 benefit          -> roster 25
  丑 1944-02-20  82                                 no benefit       -> listed 80–89 from 2024-02

March 2026 roster: V01 戊25 己25 庚120 辛350 壬120 迁出120 = 760 (6 persons); V02 子25;
township 785 (7 persons).
"""

import io
import re
from datetime import date, datetime
from decimal import Decimal

from openpyxl import load_workbook

from liushou import clock
from liushou.models.audit import AuditLog
from liushou.queries import allowance
from liushou.queries.indicators import benefits_in_month, report
from liushou.scope import Scope
from liushou.services import SYSTEM
from liushou.services.households import save_household
from liushou.services.person_exits import exit_person, void_person
from liushou.services.records import stop_benefit, void_benefit
from tests.shared import allowance as shared
from tests.shared.allowance import ID_WU, _benefit, _person

town = shared.town  # the shared fixture

ALL = Scope(everything=True)
TODAY = date(2026, 4, 10)
MARCH = date(2026, 3, 1)


def _missing(scope, on=TODAY, village_id=None):
    return [
        (m.person.name, m.age, m.band_label, m.amount, f"{m.from_month:%Y-%m}")
        for m in allowance.missing(scope, on, village_id)
    ]


def test_missing_list_hand_counted(town):
    with clock.freeze(TODAY):
        rows = _missing(ALL)
    by_name = {r[0]: r for r in rows}
    assert set(by_name) == {"乙", "丙", "丁", "己", "癸", "丑"}
    assert by_name["乙"] == ("乙", 80, "80–89周岁", Decimal("25.00"), "2026-04")
    assert by_name["丙"] == ("丙", 90, "90–99周岁", Decimal("120.00"), "2026-04")
    assert by_name["丁"] == ("丁", 100, "100周岁以上", Decimal("350.00"), "2026-04")
    assert by_name["己"] == ("己", 86, "80–89周岁", Decimal("25.00"), "2020-02")
    assert by_name["癸"] == ("癸", 81, "80–89周岁", Decimal("25.00"), "2024-07")
    assert by_name["丑"] == ("丑", 82, "80–89周岁", Decimal("25.00"), "2024-02")
    # By village: V01's people first, V02's 丑 last.
    assert rows[-1][0] == "丑"


def test_missing_boundary_moves_with_the_date(town):
    """The day before his 80th birthday 甲 is not listed; on the day he is, due from that month.
    On 2026-03-19 己's benefit still pays (stopped from 03-20) and 迁出 has not left yet."""
    with clock.freeze(TODAY):
        tomorrow = {r[0]: r for r in _missing(ALL, date(2026, 4, 11))}
        before = {r[0] for r in _missing(ALL, date(2026, 3, 19))}
    assert tomorrow["甲"] == ("甲", 80, "80–89周岁", Decimal("25.00"), "2026-04")
    # On 2026-03-19 乙 is 79; 丙 and 丁 are 89 and 99, listed in the lower bands.
    assert before == {"丙", "丁", "癸", "丑"}


def test_missing_scoped_and_by_village(town):
    places = town["places"]
    with clock.freeze(TODAY):
        cadre = Scope(village_ids=frozenset([places["V02"].id]))
        assert [r[0] for r in _missing(cadre)] == ["丑"]
        grid2 = Scope(
            village_ids=frozenset([places["V01"].id]), grid_ids=frozenset([places["V01-G2"].id])
        )
        assert [r[0] for r in _missing(grid2)] == ["丙"]
        assert [r[0] for r in _missing(ALL, village_id=places["V02"].id)] == ["丑"]


def _roster(scope, month=MARCH, village_id=None):
    return {
        v.village.name: [(r.person.name, r.age, r.band_label, r.amount, r.months) for r in v.rows]
        for v in allowance.roster(scope, month, village_id)
    }


def test_roster_for_march_hand_counted(town):
    with clock.freeze(TODAY):
        villages = allowance.roster(ALL, MARCH)
        rows = _roster(ALL)
    assert {n: sorted(r) for n, r in rows.items()} == {
        "第1村": sorted(
            [
                ("戊", 84, "80–89周岁", Decimal("25.00"), 1),
                ("己", 86, "80–89周岁", Decimal("25.00"), 1),
                ("庚", 95, "90–99周岁", Decimal("120.00"), 1),
                ("辛", 101, "100周岁以上", Decimal("350.00"), 1),
                ("壬", 90, "90–99周岁", Decimal("120.00"), 1),
                ("迁出", 90, "90–99周岁", Decimal("120.00"), 1),
            ]
        ),
        "第2村": [("子", 82, "80–89周岁", Decimal("25.00"), 1)],
    }
    assert [v.total for v in villages] == [Decimal("760.00"), Decimal("25.00")]
    assert allowance.roster_total(villages) == (7, Decimal("785.00"))


def test_roster_in_february_and_april(town):
    """壬 was in the 80–89 band in February; in April 己 (stopped) and 迁出 (exited) are gone."""
    with clock.freeze(TODAY):
        feb = dict((r[0], r[3]) for r in _roster(ALL, date(2026, 2, 1))["第1村"])
        april = _roster(ALL, date(2026, 4, 1))
    assert feb["壬"] == Decimal("25.00")
    assert feb["亡故"] == Decimal("120.00")  # died 2026-02-10: the month of death is paid
    assert {r[0] for r in april["第1村"]} == {"戊", "庚", "辛", "壬"}


def test_roster_total_equals_the_benefit_figures(town):
    with clock.freeze(TODAY):
        people, total = allowance.roster_total(allowance.roster(ALL, MARCH))
        figures = report(ALL, MARCH, date(2026, 3, 31))
        assert figures["benefits"]["高龄补贴"] == total == Decimal("785.00")
        assert benefits_in_month(ALL, MARCH) == total  # only 高龄补贴 in this fixture
        v02 = town["places"]["V02"].id
        village_total = allowance.roster_total(allowance.roster(ALL, MARCH, v02))[1]
        assert report(ALL, MARCH, date(2026, 3, 31), v02)["benefits"]["高龄补贴"] == village_total


def test_past_roster_unchanged_after_todays_changes(town, login_as):
    p, b = town["persons"], town["benefits"]
    with clock.freeze(TODAY):
        client = login_as("township")
        url = "/reports/allowance/roster"
        before = (
            _pair(client, url, "2026-03"),
            allowance.roster_total(allowance.roster(ALL, MARCH)),
        )
        void_benefit(SYSTEM, b["戊"], "登记错误")
        stop_benefit(SYSTEM, b["庚"], {"end_on": "2026-05-01", "notes": "下月停发"})
        exit_person(SYSTEM, p["辛"], {"exit_reason": "死亡", "exited_on": "2026-04-10"})
        void_person(SYSTEM, p["子"], "重复登记")
        late = _person(
            save_household(SYSTEM, ALL, {"village": town["places"]["V01"].id, "head_name": "四"}),
            "补登",
            "1940-01-01",
        )
        _benefit(late, "2026-03-01")  # registered today, back-dated into March
        after = (
            _pair(client, url, "2026-03"),
            allowance.roster_total(allowance.roster(ALL, MARCH)),
        )
        assert after == before
        assert before[1] == (7, Decimal("785.00"))
    # The current month does see today's changes (a minute later): 戊 and 子 voided, 补登 added.
    with clock.freeze(datetime(2026, 4, 10, 9, 1)):
        april = {r[0] for rows in _roster(ALL, date(2026, 4, 1)).values() for r in rows}
    assert "戊" not in april and "子" not in april and "补登" in april


def _pair(client, url, month):
    xlsx = client.get(f"{url}.xlsx?month={month}")
    html = client.get(f"{url}.html?month={month}")
    assert xlsx.status_code == 200 and html.status_code == 200, (xlsx.status_code, html.status_code)
    cells = [list(row) for row in load_workbook(io.BytesIO(xlsx.get_data())).active.values]
    text = re.sub(r"打印于 [\d-]+ [\d:]+", "", html.get_data(as_text=True))
    return cells, text


def test_roster_workbook_layout_masked_and_audited(town, login_as):
    with clock.freeze(TODAY):
        client = login_as("township")
        response = client.get("/reports/allowance/roster.xlsx?month=2026-03")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    rows = [list(r) for r in sheet.values]
    assert rows[0][0] == "全乡镇高龄补贴发放花名册（2026年03月）"
    assert rows[1] == [
        "序号",
        "姓名",
        "性别",
        "身份证号",
        "年龄",
        "档次",
        "月标准（元）",
        "月数",
        "金额（元）",
        "签字（手印）",
    ]
    wu = next(r for r in rows if r[1] == "戊")
    assert wu[3] == ID_WU[:6] + "*" * 11 + ID_WU[-1] and ID_WU not in str(rows)
    assert wu[4:9] == [84, "80–89周岁", 25, 1, 25]
    assert ["第1村"] + [None] * 9 in rows and ["第2村"] + [None] * 9 in rows  # village headings
    subtotals = [r for r in rows if str(r[0]).endswith("小计")]
    assert [(r[0], r[3], r[8]) for r in subtotals] == [
        ("第1村小计", "6人", 760),
        ("第2村小计", "1人", 25),
    ]
    total = next(r for r in rows if r[0] == "合计")
    assert (total[3], total[8]) == ("7人", 785)
    assert sum(r[8] for r in rows[2:] if isinstance(r[0], int)) == 785
    assert any("制表人：" in str(r) and "审核人：" in str(r) and "日期：" in str(r) for r in rows)
    assert sheet.print_title_rows == "$2:$2"
    assert sheet.page_setup.orientation == "portrait"
    audit = AuditLog.select().order_by(AuditLog.id.desc()).first()
    assert (audit.action, audit.object_type) == ("export", "allowance_roster")
    assert audit.object_label == "全乡镇高龄补贴发放花名册（2026年03月）"


def test_roster_pdf_portrait_with_signatures_and_audited(town, login_as):
    with clock.freeze(TODAY):
        client = login_as("township")
        preview = client.get("/reports/allowance/roster.html?month=2026-03")
        text = preview.get_data(as_text=True)
        assert preview.status_code == 200
        assert "size:A4;" in text and "landscape" not in text
        assert "<thead>" in text  # repeated on every page by the sheet's style
        for words in (
            "制表人",
            "审核人",
            "日期",
            "盖章",
            "签字（手印）",
            "第1村小计",
            "合计",
            "785.00",
        ):
            assert words in text, words
        assert ID_WU not in text and ID_WU[:6] + "*" * 11 in text
        pdf = client.get("/reports/allowance/roster.pdf?month=2026-03")
    assert pdf.status_code == 200 and pdf.get_data().startswith(b"%PDF")
    actions = [
        (a.action, a.object_type)
        for a in AuditLog.select().where(AuditLog.object_type == "allowance_roster")
    ]
    assert actions == [("print", "allowance_roster")] * 2


def test_missing_files_masked_audited_and_linked(town, login_as):
    with clock.freeze(TODAY):
        client = login_as("admin")
        page = client.get("/reports/allowance/missing").get_data(as_text=True)
        assert "丑" in page and "甲" not in page
        wu = town["persons"]["乙"]
        assert f'href="/persons/{wu.id}#more"' in page
        book = client.get("/reports/allowance/missing.xlsx")
        pdf = client.get("/reports/allowance/missing.pdf")
        reports = client.get("/reports").get_data(as_text=True)
    rows = [list(r) for r in load_workbook(io.BytesIO(book.get_data())).active.values]
    assert rows[0][0] == "全乡镇未享受高龄补贴人员名单（2026年04月10日）"
    assert [r[2] for r in rows[2:]] == [r[0] for r in _missing_at(TODAY)]
    yi = next(r for r in rows if r[2] == "乙")
    assert yi[6:] == [80, "80–89周岁", 25, "2026-04"]
    assert pdf.status_code == 200 and pdf.get_data().startswith(b"%PDF")
    assert [
        (a.action, a.object_type)
        for a in AuditLog.select().where(AuditLog.object_type == "allowance_missing")
    ] == [("export", "allowance_missing"), ("print", "allowance_missing")]
    assert 'href="/reports/allowance/missing"' in reports
    assert 'href="/reports/allowance/roster"' in reports


def _missing_at(on):
    with clock.freeze(on):
        return _missing(ALL, on)


def test_village_cadre_sees_and_prints_only_his_village(town, login_as):
    v01, v02 = town["places"]["V01"].id, town["places"]["V02"].id
    with clock.freeze(TODAY):
        client = login_as("cun2")
        roster = client.get("/reports/allowance/roster?month=2026-03").get_data(as_text=True)
        assert "子" in roster and "戊" not in roster and "25.00" in roster
        own = client.get(f"/reports/allowance/roster.xlsx?month=2026-03&village={v02}")
        assert own.status_code == 200
        rows = [list(r) for r in load_workbook(io.BytesIO(own.get_data())).active.values]
        assert rows[0][0] == "第2村高龄补贴发放花名册（2026年03月）"
        assert [r[1] for r in rows[2:] if isinstance(r[0], int)] == ["子"]
        missing = client.get("/reports/allowance/missing").get_data(as_text=True)
        assert "丑" in missing and "乙" not in missing
        before = AuditLog.select().count()
        for url in (
            f"/reports/allowance/roster?village={v01}",
            f"/reports/allowance/roster.pdf?month=2026-03&village={v01}",
            f"/reports/allowance/roster.xlsx?village={v01}",
            f"/reports/allowance/missing?village={v01}",
            f"/reports/allowance/missing.html?village={v01}",
            f"/reports/allowance/missing.xlsx?village={v01}",
        ):
            assert client.get(url).status_code == 404, url
        assert AuditLog.select().count() == before


def test_bad_month_or_date_says_so(town, login_as):
    with clock.freeze(TODAY):
        client = login_as("township")
        response = client.get("/reports/allowance/roster?month=2026-13")
        assert response.status_code == 422 and "月份格式应为" in response.get_data(as_text=True)
        response = client.get("/reports/allowance/missing?on=2026-02-30")
        assert response.status_code == 422 and "日期格式应为" in response.get_data(as_text=True)
        assert client.get("/reports/allowance/roster.xlsx?month=abc").status_code == 404
        assert client.get("/reports/allowance/roster.doc").status_code == 404


def test_band_reached_on_the_birthday_a_29_february_birth_on_1_march():
    assert allowance.reached_on(date(1946, 4, 10), 80) == date(2026, 4, 10)
    assert allowance.reached_on(date(1944, 2, 29), 80) == date(2024, 2, 29)
    assert allowance.reached_on(date(1944, 2, 29), 81) == date(2025, 3, 1)
