"""Indicators per village for a period (queries/summary.py) equal hand counts on a small
fixture, stay the same after later changes, and print/export as the per-village sheet."""

import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from liushou import clock
from liushou.models import User
from liushou.models.visits import Pairing, VisitState
from liushou.queries import summary
from liushou.scope import Scope
from liushou.services import SYSTEM
from liushou.services.visit_changes import void_visit
from liushou.services.visits import end_pairing
from tests.shared import summary as shared
from tests.shared.kept import flat
from tests.shared.summary import _kid

town = shared.town  # the shared fixture

ALL = Scope(everything=True)
FEB = (date(2026, 2, 1), date(2026, 2, 28))
AFTER = datetime(2026, 3, 5, 9, 0)  # February has closed: its figures are final


def _rows(scope=ALL):
    with clock.freeze(AFTER):
        return summary.summary(scope, *FEB)


def test_tiers_of_the_fixture(town):
    tiers = {s.person.name: s.effective_tier for s in VisitState.select()}
    assert tiers["老人"] == "high"
    assert {tiers[n] for n in ("童零", "童一", "童二", "乙童")} == {"general"}


def test_population_pairing_and_signing(town, places):
    data = _rows()
    v1, v2 = (f for _, f in data["villages"])
    assert (v1.members["all"], v1.paired["all"]) == (4, 2)
    assert (v1.members["留守儿童"], v1.signed["留守儿童"], v1.members["留守老人"]) == (3, 2, 1)
    assert (v2.members["all"], v2.paired["all"], v2.signed["留守儿童"]) == (1, 1, 1)
    total = data["total"]
    assert total.pairing_rate == pytest.approx(3 / 5)
    assert total.signing_rate("留守儿童") == pytest.approx(3 / 4)
    assert total.signing_rate("困境儿童") is None
    assert data["final"] and data["cutoff"] == datetime(2026, 3, 1)


def test_visits_due_done_and_within_cycle(town):
    data = _rows()
    v1, v2 = (f for _, f in data["villages"])
    # 28 days: the elder (weekly) 4 due, three general children 3 x 28/90 = 0.93 -> 1.
    assert (v1.tier_persons["high"], v1.due("high"), v1.tier_done["high"]) == (1, 4, 2)
    assert (v1.tier_persons["general"], v1.due("general"), v1.tier_done["general"]) == (3, 1, 1)
    assert v1.due_total == 5 and v1.done_total == 3
    # Within the cycle at 02-28: the elder (seen 02-25, within 7 days), k0 (within 90 days).
    assert v1.within_total == 2 and v1.tier_within["high"] == 1
    assert (v2.due_total, v2.done_total, v2.within_total) == (0, 1, 1)
    assert (v1.visits, v1.door, v1.knock) == (3, 2, 0)  # the voided visit is not counted
    total = data["total"]
    # The total is recomputed: 4 general children x 28/90 = 1.24 -> 1, plus 4.
    assert (total.due_total, total.done_total, total.within_total) == (5, 4, 3)
    assert total.within_rate == pytest.approx(3 / 5)


def test_needs_services_and_emergencies(town):
    data = _rows()
    v1, v2 = (f for _, f in data["villages"])
    assert dict(v1.needs_raised) == {"课业辅导": 1, "其他": 1}
    assert dict(v1.needs_closed) == {"课业辅导": 1, "心理抚慰": 1}
    assert v1.closed == 2 and v1.closed30 == 1 and v1.closed30_rate == 0.5
    assert v1.median_days() == 32 and v1.median_days("心理抚慰") == 46
    assert dict(v1.services) == {"课业辅导": 1}
    assert (v1.emergencies, v1.steps, v1.steps_on_time) == (1, 3, 1)
    assert v1.median_first_minutes == 10
    assert v2.emergencies == 0 and v2.median_first_minutes is None and v2.on_time_rate is None


def test_benefits_activities_and_sites(town):
    data = _rows()
    v1, v2 = (f for _, f in data["villages"])
    assert dict(v1.benefit_amount) == {"高龄补贴": Decimal("25.00"), "低保": Decimal("300")}
    assert dict(v1.benefit_people) == {"高龄补贴": 1, "低保": 1}
    assert dict(v2.benefit_amount) == {"助学金": Decimal("500")}
    assert v1.covered["低保"] == 1 and v1.coverage_rate("低保") == pytest.approx(1 / 4)
    assert data["total"].coverage_rate("低保") == pytest.approx(1 / 5)
    assert dict(v1.activities) == {"四点半课堂": 1}
    assert v1.attendance["all"] == 1 and v1.attendance["留守儿童"] == 1
    assert dict(v1.sites_active) == {"留守儿童之家": 1} and not v1.sites_inactive
    assert dict(v2.sites_inactive) == {"幸福院": 1} and not v2.sites_active


def test_later_changes_leave_february_as_it_was(town, places):
    before = flat(_rows())
    with clock.freeze(datetime(2026, 3, 2, 9, 0)):
        void_visit(SYSTEM, town["visit_o"], "补录错误")
        _kid(town["h2"], "新童", agreement_signed_on="2026-03-01")
        end_pairing(SYSTEM, Pairing.get(Pairing.person == town["kids"][0]), reason="调整")
    assert flat(_rows()) == before


def test_village_user_gets_only_his_row(town, places):
    cun2 = Scope.for_user(User.get(username="cun2"))
    data = _rows(cun2)
    assert [v.code for v, _ in data["villages"]] == ["V02"]
    assert data["total"] is None
    assert data["villages"][0][1].members["all"] == 1


FEB_ARGS = "period=month&year=2026&n=2"


def test_reports_page_shows_the_indicators_and_the_trend(town, login_as):
    client = login_as("township")
    with clock.freeze(AFTER):
        page = client.get(f"/reports?{FEB_ARGS}").get_data(as_text=True)
    for text in (
        "<caption>结对帮扶与确认书（期末）</caption>",
        "<td>留守儿童</td><td>4</td><td>3/4（75.0%）</td><td>3/4（75.0%）</td>",
        "<td>高风险</td><td>1</td><td>7</td><td>4</td><td>2</td><td>1/1（100.0%）</td>",
        "一登门（上门）3",
        "<td>合计</td><td>2</td><td>2</td><td>1/2（50.0%）</td><td>32.0</td><td>1</td>",
        "<td>在时限内完成的报告步骤（15/30/60分钟）</td><td>1/3（33.3%）</td>",
        "<td>低保</td><td>1</td><td>300.00</td><td>1/5（20.0%）</td>",
        "近12个月主要指标趋势",
        'href="/reports/summary?period=month&amp;year=2026&amp;n=2"',
    ):
        assert text in page, text
    # The trend's last point is February: 60% paired.
    assert "<title>2月 结对帮扶率 60.0%</title>" in page
    assert "<title>3月" not in page


def _sheet_cells(client, url):
    book = load_workbook(io.BytesIO(client.get(url).get_data()))
    return [list(r) for r in book.active.iter_rows(values_only=True)]


def test_summary_sheet_screen_pdf_and_xlsx(town, login_as):
    from pypdf import PdfReader

    from liushou.models.audit import AuditLog

    client = login_as("township")
    with clock.freeze(AFTER):
        page = client.get(f"/reports/summary?{FEB_ARGS}").get_data(as_text=True)
        assert (
            '<th scope="row">第1村</th><td>3</td><td>0</td><td>0</td><td>1</td><td>50.0%</td>'
            in page
        )
        assert '<th scope="row">全乡镇合计</th><td>4</td>' in page and "60.0%" in page
        pdf = client.get(f"/reports/summary.pdf?{FEB_ARGS}")
        rows = _sheet_cells(client, f"/reports/summary.xlsx?{FEB_ARGS}")
    text = "".join(PdfReader(io.BytesIO(pdf.get_data())).pages[0].extract_text().split())
    assert "测试镇三留守关爱服务工作汇总表（2026年2月）" in text
    assert "填报人" in text and "审核人" in text and "盖章" in text and "全乡镇合计" in text
    assert rows[0][0] == "测试镇三留守关爱服务工作汇总表（2026年2月）"
    assert rows[2][:2] == ["村（社区）", "期末人数"] and rows[3][1] == "留守儿童"
    by_name = {r[0]: r[1:] for r in rows[4:7]}
    assert by_name["第1村"][:5] == [3, 0, 0, 1, 0.5]
    assert by_name["第2村"][4] == 1 and by_name["全乡镇合计"][4] == pytest.approx(0.6)
    assert by_name["全乡镇合计"][22] == 825.0  # 25 + 300 + 500 yuan
    assert by_name["第2村"][15] is None  # no need closed: no median
    assert any("填报人" in str(r[0]) for r in rows[7:])
    actions = {(a.action, a.object_type) for a in AuditLog.select()}
    assert {("print", "summary"), ("export", "summary")} <= actions


def test_summary_sheet_of_a_village_user_has_only_his_row(town, login_as):
    client = login_as("cun2")
    with clock.freeze(AFTER):
        page = client.get(f"/reports/summary?{FEB_ARGS}").get_data(as_text=True)
        rows = _sheet_cells(client, f"/reports/summary.xlsx?{FEB_ARGS}")
    assert "第2村" in page and "第1村" not in page and "合计" not in page
    names = [r[0] for r in rows[4:] if r[0]]
    assert names[0] == "第2村" and not any("第1村" in n or "合计" in n for n in names)


def test_closed_months_rates_are_kept_and_read_back_the_same(town, monkeypatch):
    """The start-of-day job keeps the township's trend rates of closed months (month_rates);
    a trend after a restart reads them and gives the same figures as counting anew."""
    from liushou.models.month_rates import MonthRates
    from liushou.queries import summary_months as s
    from liushou.services.month_rates import keep_closed_months

    today = date(2026, 4, 10)
    with clock.freeze(datetime(2026, 4, 10, 9, 0)):
        counted = s.trend(ALL, today, 6)
        s._closed_months.clear()  # a restart: nothing in memory
        # Feb and Mar (the town was registered on 1 Feb: Nov … Jan have no rate to keep);
        # April is still open.
        assert keep_closed_months(today, 6) == 6  # the township's, V01's and V02's
        whole = MonthRates.select().where(MonthRates.village_id.is_null())
        assert [r.month for r in whole.order_by(MonthRates.month)] == [
            date(2026, 2, 1),
            date(2026, 3, 1),
        ]
        assert keep_closed_months(today, 6) == 0  # kept once, never rewritten
        s._closed_months.clear()
        calls = []
        real = s._month_rates
        monkeypatch.setattr(s, "_month_rates", lambda *a: calls.append(a[1]) or real(*a))
        assert s.trend(ALL, today, 6) == counted
        # Feb and Mar read back; the months without a rate and the open month counted.
        assert calls == [date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1), date(2026, 4, 1)]
        february = dict(counted)[date(2026, 2, 1)]
        assert february["pairing"] is not None
