"""Reports for a month, a quarter or a year, for a village or the township: screen, PDF, xlsx."""

from calendar import monthrange
from datetime import date
from types import SimpleNamespace

from flask import Blueprint, abort, g, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from .. import clock, figure_cache, page_cache, settings
from ..auth import current_actor
from ..models import Village
from ..models.care import NEED_KINDS
from ..models.records import SITE_KINDS
from ..queries import completeness, facts, places
from ..queries import review as review_queries
from ..queries.indicators import persons_by_village_and_group, report
from ..queries.summary import BENEFIT_KINDS, Figures, area_figures, summary, tier_rules
from ..queries.summary_months import trend
from ..queries.summary_sheet import SHEET, bands_of, sheet_rows
from ..rules.categories import GROUPS
from ..rules.completeness import THRESHOLD as COMPLETE_THRESHOLD
from ..rules.visits import TIERS
from ..scope import Scope
from ..services.audit import record
from ..xlsx_io import sheet_workbook, workbook
from . import print_response
from .downloads import xlsx_response

bp = Blueprint("reports", __name__)


@bp.before_request
def township_level():
    """A county's instance: a county user's reports cover every township, or the one chosen
    with ?township=ID (his scope narrowed to it for this request); g.townships lists them for
    the chooser. A township user's reports stay his township's (another township: 404)."""
    g.townships, g.township = [], None
    if g.get("user") is None or not places.has_townships():
        return
    raw = request.args.get("township")
    if g.scope.everything:
        g.townships = list(places.townships())
        if raw:
            township = places.township(request.args.get("township", type=int) or 0)
            if township is None:
                abort(404)
            g.scope, g.township = Scope.for_townships([township.id]), township
            settings.for_township(township.id)  # its name, 填报单位 and thresholds
    elif raw and request.args.get("township", type=int) not in (g.scope.township_ids or ()):
        abort(404)
    if g.township is None and g.scope.township_ids and len(g.scope.township_ids) == 1:
        g.township = places.township(next(iter(g.scope.township_ids)))


def _where():
    """The name of the user's whole area in a title: the township's, or the county's."""
    if g.township is not None:
        return g.township.name
    if g.scope.everything:
        return settings.get("township_name") if not g.townships else "全县"
    return None


def _by_township(data, end):
    """The summary's rows per township (a county user's sheet with no township chosen): each
    township's villages summed, rates recomputed; villages of no township last, as 本级."""
    rules = tier_rules(end)
    rows, names = {}, {t.id: t for t in g.townships}
    for village, figures in data["villages"]:
        key = village.township_id if village.township_id in names else None
        rows.setdefault(key, Figures(data["days"], rules)).add(figures)
    listed = [(t, rows[t.id]) for t in g.townships if t.id in rows]
    if None in rows:
        listed.append((SimpleNamespace(name="本级（未归属乡镇）"), rows[None]))
    return {**data, "villages": listed}


def period(args, today=None):
    """(start, end, label) from ?period=month|quarter|year&year=2026&n=11."""
    today = today or clock.today()
    kind = args.get("period", "month")
    year = args.get("year", type=int) or today.year
    if not 2000 <= year <= 2100:
        abort(404)
    if kind == "year":
        return date(year, 1, 1), date(year, 12, 31), f"{year}年"
    if kind == "quarter":
        q = args.get("n", type=int) or (today.month - 1) // 3 + 1
        if not 1 <= q <= 4:
            abort(404)
        start = date(year, 3 * q - 2, 1)
        return start, date(year, 3 * q, monthrange(year, 3 * q)[1]), f"{year}年第{q}季度"
    month = args.get("n", type=int) or today.month
    if not 1 <= month <= 12:
        abort(404)
    return date(year, month, 1), date(year, month, monthrange(year, month)[1]), f"{year}年{month}月"


def _choice():
    """(start, end, label, village or None) asked for; a village outside the area is a 404."""
    start, end, label = period(request.args)
    village = g.scope.get(Village, request.args["village"]) if request.args.get("village") else None
    if village is None and not g.scope.whole_township:
        villages = list(places.villages(g.scope))
        village = villages[0] if len(villages) == 1 else None
    settings.for_village(village)  # a county user's report of a village: its township's values
    return start, end, label, village


def _data():
    start, end, label, village = _choice()
    data = report(g.scope, start, end, village.id if village else None)
    return data, label, village


@bp.route("/reports", endpoint="show")
def show():
    """The report on screen, with links to the PDF and the workbook. Its figures are kept in
    figure_cache until the next write (the printed and downloaded copies are counted anew)."""
    return page_cache.page("reports.show", _report_page)


def _report_page():
    start, end, label, village = _choice()
    vid = village.id if village else None
    today = clock.today()
    scope, town = g.scope, settings.current_township()

    def count():  # maybe in figure_cache's recount thread: the request's township said here
        with settings.reading_for(town):
            return screen_figures(scope, start, end, vid, today)

    figures = figure_cache.get(
        "reports",
        scope,
        "any",
        today,
        count,
        start,
        end,
        vid,
        background=True,
    )
    return render_template(
        "reports.html",
        r=figures.value["r"],
        label=label,
        village=village,
        groups=GROUPS,
        villages=places.villages(g.scope),
        f=figures.value["f"],
        trend=figures.value["trend"],
        tiers=TIERS,
        need_kinds=NEED_KINDS,
        benefit_kinds=BENEFIT_KINDS,
        site_kinds=SITE_KINDS,
        # Kept as it is now, not as of a date: shown only while the period is open, so a past
        # period's page prints the same every time.
        completeness=figures.value["completeness"],
        threshold=COMPLETE_THRESHOLD,
        pending_rows=_with_pending(village) if request.args.get("pending") == "1" else None,
        switch_urls=_switch_urls(),
    )


def screen_figures(scope, start, end, vid, today):
    """What /reports shows for a period (kept in figure_cache; needs no request). The report,
    the area figures and the open month's trend share one cut-off and one reading of each
    group's members per day (facts.shared)."""
    with facts.shared():
        data = report(scope, start, end, vid)
        return {
            "r": data,
            "f": area_figures(scope, data["start"], data["end"], vid),
            "trend": trend(scope, min(data["end"], today), 12, vid),
            # Kept as it is now, not as of a date: shown only while the period is open, so a
            # past period's page prints the same every time.
            "completeness": completeness.by_village(scope) if end >= today else None,
        }


def warm(today=None, scope=None):
    """Count the township's report of the current month (`scope`: a county township's, as its
    users' Scope) unless it is fresh (the warm-up after the start-of-day job, after home's
    figures). Reads only."""
    today = today or clock.today()
    start, end, _ = period(MultiDict(), today)
    scope = scope or Scope(everything=True)
    return figure_cache.warm(
        "reports",
        scope,
        "any",
        today,
        lambda: screen_figures(scope, start, end, None, today),
        start,
        end,
        None,
    )


def _switch_urls(endpoint="reports.show"):
    """(with pending, approved only): this report's URL with the "含待审核" switch on and off."""
    args = {k: v for k, v in request.args.items() if k != "pending"}
    return url_for(endpoint, pending=1, **args), url_for(endpoint, **args)


def _with_pending(village):
    """The "含待审核" switch: persons by village and group now, with the pending proposals."""
    villages = [village] if village else list(places.villages(g.scope))
    return review_queries.with_pending(g.scope, persons_by_village_and_group(g.scope), villages)


@bp.route("/reports/report.<ext>")
def download(ext):
    """The same report as PDF (printing module) or .xlsx; audited."""
    data, label, village = _data()
    if village is not None:
        where = village.name
    else:
        where = g.township.name if g.township else ("全县" if g.townships else "全乡镇")
    title = f"{where}三留守关爱服务统计（{label}）"
    # The "含待审核" switch follows the page to its downloads, for the open period only: a past
    # period's copy is made of dated facts and prints the same every time.
    pending = None
    if request.args.get("pending") == "1" and not data["final"]:
        pending = _with_pending(village)
        title += "（含待审核）"
    if ext in ("pdf", "html"):
        response = print_response.respond(
            "report.html",
            f"{title}.pdf",
            preview=ext == "html",
            r=data,
            title=title,
            groups=GROUPS,
            pending_rows=pending,
        )
        record(current_actor(), "print", object_type="report", label=title)
        return response
    if ext != "xlsx":
        abort(404)
    rows = [[f"期初{g_}", data["groups_at"]["start"][g_]] for g_ in GROUPS]
    rows += [[f"期末{g_}", data["groups_at"]["end"][g_]] for g_ in GROUPS]
    rows += [[f"本期纳入{g_}", data["entered"][g_]] for g_ in GROUPS]
    rows += [[f"本期退出{g_}", data["left"][g_]] for g_ in GROUPS]
    rows += [[f"纳入：{g_}：{k}", v] for g_ in GROUPS for k, v in data["entries"][g_].items()]
    rows += [
        [f"退出：{g_}：{k or '未填原因'}", v]
        for g_ in GROUPS
        for k, v in data["exits_by_group"][g_].items()
    ]
    rows += [["走访次数", data["visits"]]] + [[f"需求：{k}", v] for k, v in data["needs"].items()]
    rows += [[f"服务：{k}", v] for k, v in data["services"].items()]
    rows += [[f"突发事件：{k}", v] for k, v in data["emergencies"].items()]
    rows += [[f"活动：{k}", v] for k, v in data["activities"].items()] + [
        ["活动参加人次", data["attended"]]
    ]
    rows += [[f"救助补贴（元）：{k}", float(v)] for k, v in data["benefits"].items()]
    rows += [
        ["结对帮扶（已结对/应结对）", f"{data['coverage'][0]}/{data['coverage'][1]}"],
        ["确认书签订（已签/应签）", f"{data['agreements'][0]}/{data['agreements'][1]}"],
    ]
    if pending is not None:
        for name, cells in [*pending[0], pending[1]]:
            for g_, (n, plus, minus, would) in zip(GROUPS, cells, strict=True):
                rows.append(
                    [f"含待审核：{name}：{g_}（已通过 {n}，待审核 +{plus} −{minus}）", would]
                )
    if not data["final"]:
        rows.append([open_period_note(data["as_of"]), ""])
    record(current_actor(), "export", object_type="report", label=title)
    return xlsx_response(
        workbook(title, ["项目", "数值"], rows, sheet_name="统计"), f"{title}.xlsx"
    )


FORMATS = {"n": "#,##0", "pct": "0.0%", "d1": "0.0", "yuan": "#,##0.00"}


def _summary():
    """(figures, title, label, period rows) of the per-village sheet for the chosen period."""
    start, end, label = period(request.args)
    data = summary(g.scope, start, end)
    names = "、".join(v.name for v, _ in data["villages"]) or "本辖区"
    where = _where() or names
    title = f"{where}三留守关爱服务工作汇总表（{label}）"
    total = "全乡镇合计" if g.scope.whole_township else "合计"
    if g.scope.everything and g.townships:
        data, total = _by_township(data, end), "全县合计"  # one row per township
    return data, title, label, sheet_rows(data, total), start, end


def _summary_pending(data):
    """The "含待审核" rows for the summary sheet: its figures are dated facts and stay approved
    only; with the switch on, an open period adds persons by village and group with the pending
    proposals, on the page and its downloads (a past period's never change)."""
    if request.args.get("pending") != "1" or data["final"]:
        return None
    return _with_pending(None)


@bp.route("/reports/summary", endpoint="summary")
def summary_page():
    """The per-village summary sheet on screen, with the period chooser and its downloads."""
    data, title, label, rows, start, _ = _summary()
    return render_template(
        "reports_summary.html",
        start=start,
        s=data,
        title=title,
        label=label,
        rows=rows,
        columns=SHEET,
        bands=bands_of(),
        groups=GROUPS,
        pending_rows=_summary_pending(data),
        switch_urls=_switch_urls("reports.summary"),
    )


@bp.route("/reports/summary.<ext>", endpoint="summary_download")
def summary_download(ext):
    """The summary sheet as landscape A4 PDF (with signing lines) or .xlsx; audited."""
    data, title, label, rows, start, end = _summary()
    pending = _summary_pending(data)
    if pending is not None:
        title += "（含待审核）"
    if ext in ("pdf", "html"):
        response = print_response.respond(
            "summary.html",
            f"{title}.pdf",
            preview=ext == "html",
            s=data,
            title=title,
            rows=rows,
            columns=SHEET,
            bands=bands_of(),
            start=start,
            end=end,
            unit=settings.get("township_name"),
            groups=GROUPS,
            pending_rows=pending,
        )
        record(current_actor(), "print", object_type="summary", label=title)
        return response
    if ext != "xlsx":
        abort(404)
    lines = [
        f"统计区间：{start:%Y-%m-%d} 至 {end:%Y-%m-%d}　　数据截至：{data['cutoff']:%Y-%m-%d %H:%M}"
    ]
    if not data["final"]:
        lines.append("本期尚未结束，数字可能变化")
    values = [
        (name, [float(v) if c[2] == "yuan" else v for v, c in zip(vals, SHEET, strict=True)])
        for name, vals in rows
    ]
    if pending is not None:
        lines += ["含待审核：汇总表各列只含已审核通过的，下列为待审核修改全部通过后的各类人数"]
        lines += [
            f"含待审核：{name}：{g_} 已通过 {n}，待审核 +{plus} −{minus}，含待审核 {would}"
            for name, cells in [*pending[0], pending[1]]
            for g_, (n, plus, minus, would) in zip(GROUPS, cells, strict=True)
            if plus or minus
        ]
    footer = [
        f"填报单位（盖章）：{settings.get('township_name')}",
        "填报人：＿＿＿＿＿＿　　审核人：＿＿＿＿＿＿　　日期：＿＿＿＿年＿＿月＿＿日",
    ]
    book = sheet_workbook(
        title,
        lines,
        bands_of(),
        [c[1] for c in SHEET],
        values,
        [FORMATS[c[2]] for c in SHEET],
        footer,
    )
    record(current_actor(), "export", object_type="summary", label=title)
    return xlsx_response(book, f"{title}.xlsx")


def open_period_note(as_of):
    """What a report of a period not yet over says, on every copy."""
    return f"截至 {as_of:%Y-%m-%d %H:%M}，本期尚未结束，数字可能变化"
