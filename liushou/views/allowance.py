"""高龄补贴 reports: who qualifies but gets nothing, and the monthly payment roster (花名册);
on screen, as PDF (or its HTML preview) and as .xlsx. Every print and export is audited; IDs are
masked (rules/privacy `listing`)."""

import io
from datetime import date

from flask import Blueprint, abort, g, render_template, request

from .. import clock, settings
from ..auth import current_actor, disclosure
from ..models import Village
from ..queries import allowance as queries
from ..queries import places
from ..rules.dates import month_start
from ..services.audit import record
from ..xlsx_io import safe_cell
from . import print_response
from .downloads import xlsx_response

bp = Blueprint("allowance", __name__)
FILES = ("pdf", "html", "xlsx")


def _village():
    """The village asked for (404 outside the area), or the user's only village, or None."""
    if request.args.get("village"):
        village = g.scope.get(Village, request.args["village"])
        settings.for_village(village)  # a county user's: its township's bands and name
        return village
    if not g.scope.everything:
        villages = list(places.villages(g.scope))
        return villages[0] if len(villages) == 1 else None
    return None


def _on():
    """(date, error) from ?on=YYYY-MM-DD (default today)."""
    raw = request.args.get("on", "").strip()
    if not raw:
        return clock.today(), None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return clock.today(), "日期格式应为 2026-04-10"
    return (day, None) if 2000 <= day.year <= 2100 else (clock.today(), "日期不在有效范围内")


def _month():
    """(first day of month, error) from ?month=YYYY-MM (default this month)."""
    raw = request.args.get("month", "").strip()
    if not raw:
        return month_start(clock.today()), None
    try:
        day = date.fromisoformat(raw + "-01")
    except ValueError:
        return month_start(clock.today()), "月份格式应为 2026-04"
    if not 2000 <= day.year <= 2100:
        return month_start(clock.today()), "月份不在有效范围内"
    return day, None


def _where(village):
    """Whose list or roster it is: a grid worker's holds only his grids, and says so (it was
    titled, and could be signed, as his whole village's)."""
    if village is None:
        return "全乡镇"
    if g.scope.grid_ids is None:
        return village.name
    mine = [gr.name for gr in places.grids(g.scope) if gr.village_id == village.id]
    return f"{village.name}（{'、'.join(mine)}）"


def _audit(action, village, kind, title):
    record(current_actor(), action, village, object_type=kind, label=title)


@bp.route("/reports/allowance/missing")
def missing():
    """Persons aged 80 and over with no current 高龄补贴, by village."""
    on, error = _on()
    village = _village()
    return render_template(
        "reports/allowance_missing.html",
        rows=queries.missing(g.scope, on, village.id if village else None),
        on=on,
        error=error,
        village=village,
        where=_where(village),
        villages=places.villages(g.scope),
        shown=disclosure("listing"),
    ), (422 if error else 200)


@bp.route("/reports/allowance/missing.<ext>")
def missing_file(ext):
    """The same list as PDF, HTML preview or .xlsx; audited."""
    on, error = _on()
    if ext not in FILES or error:
        abort(404)
    village = _village()
    rows = queries.missing(g.scope, on, village.id if village else None)
    title = f"{_where(village)}未享受高龄补贴人员名单（{on:%Y年%m月%d日}）"
    shown = disclosure("listing")
    return _send(
        ext,
        village,
        "allowance_missing",
        title,
        lambda: _missing_book(title, rows, shown),
        "allowance_missing.html",
        rows=rows,
        on=on,
        shown=shown,
    )


def _missing_book(title, rows, shown):
    """The missing list as a printable .xlsx."""
    header = ["序号", "村（社区）", "姓名", "性别", "身份证号", "出生日期", "年龄"]
    header += ["应享档次", "月标准（元）", "起始月份"]
    lines = [
        [i, m.person.village.name, m.person.name, m.person.sex, shown.id(m.person.id_number)]
        + [m.person.birth_date.isoformat(), m.age, m.band_label, m.amount]
        + [f"{m.from_month:%Y-%m}"]
        for i, m in enumerate(rows, start=1)
    ]
    return _book(title, header, lines, [], widths=[6, 12, 10, 6, 22, 12, 6, 12, 12, 10])


def _send(ext, place, kind, title, book, template, **context):
    """The file asked for: the .xlsx that `book()` makes, or the printout (`template` with
    `context`) as PDF or its HTML preview; audited as an export or a print of `place`'s list."""
    if ext == "xlsx":
        data = book()
        _audit("export", place, kind, title)
        return xlsx_response(data, f"{title}.xlsx")
    refused = print_response.refuse_without_township()
    if refused:
        return refused
    response = print_response.respond(
        template, f"{title}.pdf", preview=ext == "html", title=title, **context
    )
    _audit("print", place, kind, title)
    return response


@bp.route("/reports/allowance/roster")
def roster():
    """The month's payment roster on screen, with its PDF and .xlsx."""
    month, error = _month()
    village = _village()
    villages = queries.roster(g.scope, month, village.id if village else None)
    return render_template(
        "reports/allowance_roster.html",
        roster=villages,
        total=queries.roster_total(villages),
        month=month,
        error=error,
        village=village,
        where=_where(village),
        villages=places.villages(g.scope),
        shown=disclosure("listing"),
    ), (422 if error else 200)


ROSTER_HEADER = ["序号", "姓名", "性别", "身份证号", "年龄", "档次", "月标准（元）", "月数"]
ROSTER_HEADER += ["金额（元）", "签字（手印）"]
SIGN_LINE = ["制表人：", "", "", "审核人：", "", "日期：", "", "", "（盖章）", ""]


def _roster_lines(villages, shown):
    """The roster's body as rows of cells: per village its rows and a subtotal, then the
    township total."""
    lines = []
    for v in villages:
        lines.append([v.village.name])
        for i, r in enumerate(v.rows, start=1):
            p = r.person
            lines.append(
                [i, p.name, p.sex, shown.id(p.id_number), r.age, r.band_label, r.amount]
                + [r.months, r.total, ""]
            )
        lines.append([f"{v.village.name}小计", "", "", f"{v.people}人", "", "", "", ""])
        lines[-1] += [v.total, ""]
    people, total = queries.roster_total(villages)
    lines.append(["合计", "", "", f"{people}人", "", "", "", "", total, ""])
    return lines


@bp.route("/reports/allowance/roster.<ext>")
def roster_file(ext):
    """The roster as PDF (portrait A4, header repeated, signature lines) or .xlsx; audited."""
    month, error = _month()
    if ext not in FILES or error:
        abort(404)
    village = _village()
    villages = queries.roster(g.scope, month, village.id if village else None)
    title = f"{_where(village)}高龄补贴发放花名册（{month:%Y年%m月}）"
    shown = disclosure("listing")
    return _send(
        ext,
        village,
        "allowance_roster",
        title,
        lambda: _book(
            title,
            ROSTER_HEADER,
            _roster_lines(villages, shown),
            [[], SIGN_LINE],
            widths=[6, 10, 6, 22, 6, 12, 12, 6, 12, 16],
        ),
        "allowance_roster.html",
        roster=villages,
        total=queries.roster_total(villages),
        month=month,
        village=village,
        where=_where(village) if village else "",
        shown=shown,
    )


def _book(title, header, lines, tail, widths):
    """A printable sheet: merged title, a header row repeated on every printed page, thin
    borders, portrait A4 fitted to the page width, then `tail` rows (signature lines)."""
    from openpyxl import Workbook  # imported where used: the server starts without it
    from openpyxl.styles import Alignment, Border, Font, Side

    book = Workbook()
    sheet = book.active
    sheet.title = "名单"
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append(header)
    thin = Side(style="thin")
    for line in lines:
        sheet.append([safe_cell(v) for v in line])
    for row in sheet.iter_rows(min_row=2, max_row=sheet.max_row, max_col=len(header)):
        for cell in row:
            cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
            if cell.row == 2:
                cell.font = Font(bold=True)
    for line in tail:
        sheet.append(line)
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[sheet.cell(row=2, column=i).column_letter].width = width
    sheet.print_title_rows = "2:2"
    sheet.page_setup.orientation = "portrait"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
