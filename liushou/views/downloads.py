"""File downloads the views share: an .xlsx workbook as an attachment with a Chinese filename,
and the village ledger workbook."""

from urllib.parse import quote

from flask import Response, g

from .. import clock
from ..queries import persons as person_queries
from ..xlsx_io import workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(data, filename):
    """The workbook bytes as a download named `filename` (UTF-8, RFC 5987)."""
    response = Response(data, mimetype=XLSX)
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


LEDGER_HEADER = [
    "序号",
    "姓名",
    "性别",
    "民族",
    "身份证号",
    "出生日期",
    "年龄",
    "组（网格）",
    "家庭住址",
    "联系电话",
    "类别",
    "认定理由",
    "监护（照护）人",
    "照护人电话",
    "备注",
]


def ledger_xlsx(village, group, shown):
    """A village's ledger of one group as an .xlsx download; `shown` (rules.privacy.Disclosure)
    decides how much of the IDs and phones it carries."""
    rows = []
    for i, p in enumerate(person_queries.ledger(g.scope, village, group), start=1):
        rows.append(
            [
                i,
                p.name,
                p.sex,
                p.ethnicity,
                shown.id(p.id_number),
                p.birth_date,
                p.age,
                p.grid.name if p.grid_id else "",
                p.household.address,
                shown.phone(p.phone or p.household.phone),
                p.groups.replace(",", "、"),
                p.reasons.get(group, ""),
                p.carer_name,
                shown.phone(p.carer_phone),
                p.notes,
            ]
        )
    title = f"{village.name}{group}信息台账（{clock.today():%Y年%m月%d日}）"
    return xlsx_response(workbook(title, LEDGER_HEADER, rows), f"{village.name}{group}台账.xlsx")
