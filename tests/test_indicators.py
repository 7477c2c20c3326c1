"""Home-page figures equal hand counts on a small fixture; reminders; reports print and export."""

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from liushou.queries import indicators
from liushou.queries.visits import coverage_by_village, visits_in_month
from liushou.scope import Scope
from liushou.services import SYSTEM
from liushou.services.care import open_emergency, save_need
from liushou.services.helpers import save_helper
from liushou.services.households import save_household
from liushou.services.persons import save_person
from liushou.services.records import save_benefit
from liushou.services.visits import pair, record_visit

ALL = Scope(everything=True)
TODAY = date.today()
AWAY = {"father_status": "外出务工", "mother_status": "外出务工"}


@pytest.fixture
def town(places, users):
    """V01: 3 left-behind children (2 signed, 2 paired), 1 elder of 85 (高龄补贴 25), 1 person in no
    group; V02: 1 child (paired, signed). Visits this month: 2 persons. Needs: 2 open (1 overdue),
    1 closed. Emergencies: 1 open."""
    h1 = save_household(
        SYSTEM, ALL, {"village": places["V01"].id, "grid": places["V01-G1"].id, "head_name": "甲"}
    )
    h2 = save_household(
        SYSTEM, ALL, {"village": places["V02"].id, "grid": places["V02-G1"].id, "head_name": "乙"}
    )
    signed = {"agreement_signed_on": "2026-01-01"}
    kids = [
        save_person(
            SYSTEM,
            ALL,
            {
                "household": h1.id,
                "name": f"童{i}",
                "birth_date": "2015-01-01",
                "sex": "男",
                **AWAY,
                **(signed if i < 2 else {}),
            },
        )
        for i in range(3)
    ]
    elder = save_person(
        SYSTEM,
        ALL,
        {
            "household": h1.id,
            "name": "老人",
            "sex": "女",
            "children_away": "1",
            "birth_date": (TODAY - timedelta(days=365 * 85 + 30)).isoformat(),
        },
    )
    save_person(
        SYSTEM, ALL, {"household": h1.id, "name": "无类别", "birth_date": "1980-01-01", "sex": "男"}
    )
    other = save_person(
        SYSTEM,
        ALL,
        {
            "household": h2.id,
            "name": "乙童",
            "birth_date": "2016-01-01",
            "sex": "女",
            **AWAY,
            **signed,
        },
    )
    helper = save_helper(
        SYSTEM, ALL, {"name": "干部", "kind": "村干部", "village": places["V01"].id}
    )
    helper2 = save_helper(
        SYSTEM, ALL, {"name": "干部二", "kind": "村干部", "village": places["V02"].id}
    )
    pair(SYSTEM, ALL, helper, kids[:2])
    pair(SYSTEM, ALL, helper2, [other])
    for person in (kids[0], elder):
        record_visit(
            SYSTEM,
            ALL,
            [person],
            {
                "visited_on": TODAY.replace(day=1).isoformat(),
                "method": "上门",
                "helpers": [helper.id],
            },
        )
    save_need(
        SYSTEM,
        kids[0],
        {"kind": "课业辅导", "description": "a", "due_on": (TODAY - timedelta(days=1)).isoformat()},
    )
    save_need(SYSTEM, kids[1], {"kind": "心理抚慰", "description": "b"})
    save_need(SYSTEM, kids[2], {"kind": "其他", "description": "c", "status": "已解决"})
    open_emergency(
        SYSTEM, kids[2], {"kind": "疾病", "discovered_at": "2026-01-01 08:00", "reported_by": "x"}
    )
    save_benefit(SYSTEM, elder, {"kind": "高龄补贴", "start_on": "2025-01-01"})
    save_benefit(
        SYSTEM,
        other,
        {
            "kind": "助学金",
            "amount": "500",
            "period": "一次性",
            "start_on": TODAY.replace(day=2).isoformat(),
        },
    )
    return {"kids": kids, "elder": elder, "other": other}


def test_figures_equal_hand_counts(town, places):
    by_village = indicators.persons_by_village_and_group(ALL)
    assert by_village[places["V01"].id] == {"留守儿童": 3, "留守老人": 1}
    assert by_village[places["V02"].id] == {"留守儿童": 1}
    rows, total = coverage_by_village(ALL)
    assert [(v.code, n, p) for v, n, p, _ in rows] == [("V01", 4, 2), ("V02", 1, 1)]
    assert total[:2] == (5, 3)
    assert indicators.agreement_rate(ALL) == (3, 4)
    done, due = visits_in_month(ALL, TODAY.replace(day=1))
    assert done == 2 and due >= done
    assert indicators.needs_open(ALL) == (2, 1)
    assert indicators.emergencies_open(ALL) == 1
    assert indicators.benefits_in_month(ALL, TODAY.replace(day=1)) == Decimal("525.00")
    cun2 = Scope.for_user(__import__("liushou.models", fromlist=["User"]).User.get(username="cun2"))
    assert indicators.agreement_rate(cun2) == (1, 1)
    assert indicators.benefits_in_month(cun2, TODAY.replace(day=1)) == Decimal("500.00")


def test_home_page_shows_the_figures_with_links(town, login_as):
    page = login_as("township").get("/").get_data(as_text=True)
    for text in (
        "<b>60%</b>结对帮扶率",
        "<b>75%</b>确认书签订率",
        "<b>2</b>未办结需求（逾期 1）",
        "<b>1</b>处置中突发事件",
        "<b>525</b>本月救助补贴",
        '<svg class="chart"',
    ):
        assert text in page, text
    assert 'href="/pairings/coverage"' in page and 'href="/reminders/unsigned"' in page


def test_reminders(town, login_as):
    client = login_as("township")
    unsigned = client.get("/reminders/unsigned").get_data(as_text=True)
    assert "童2" in unsigned and "童0" not in unsigned
    no_primary = client.get("/reminders/no_primary").get_data(as_text=True)
    assert "童2" in no_primary and "老人" in no_primary and "童0" not in no_primary
    assert client.get("/reminders/nonsense").status_code == 404


def test_yearly_report_on_screen_pdf_and_xlsx(town, login_as):
    from pypdf import PdfReader

    client = login_as("township")
    year = TODAY.year
    page = client.get(f"/reports?period=year&year={year}").get_data(as_text=True)
    assert "全乡镇" in page and "走访</td><td>2 次" in page and "课业辅导 1" in page
    pdf = client.get(f"/reports/report.pdf?period=year&year={year}")
    text = "".join(PdfReader(io.BytesIO(pdf.get_data())).pages[0].extract_text().split())
    assert f"全乡镇三留守关爱服务统计（{year}年）" in text and "结对帮扶率3/5" in text
    book = load_workbook(
        io.BytesIO(client.get(f"/reports/report.xlsx?period=year&year={year}").get_data())
    )
    rows = {r[0]: r[1] for r in book.active.iter_rows(min_row=3, values_only=True)}
    assert (
        rows["期末留守儿童"] == 4
        and rows["走访次数"] == 2
        and rows["结对帮扶（已结对/应结对）"] == "3/5"
    )
    village = login_as("cun1").get(f"/reports?period=quarter&year={year}").get_data(as_text=True)
    assert "第1村" in village and "走访</td><td>2 次" in village
