"""The per-village summary sheet's columns (县级报表对应列) over queries/summary.py's figures."""

from decimal import Decimal


def _yuan(f):
    return sum(f.benefit_amount.values(), start=Decimal(0))


# The per-village sheet's columns (县级报表对应列): (band, heading, format, value of a Figures).
# Formats: n = count, pct = share (None: nothing to divide), d1 = one decimal, yuan = money.
SHEET = (
    ("期末人数", "留守儿童", "n", lambda f: f.members["留守儿童"]),
    ("期末人数", "困境儿童", "n", lambda f: f.members["困境儿童"]),
    ("期末人数", "留守妇女", "n", lambda f: f.members["留守妇女"]),
    ("期末人数", "留守老人", "n", lambda f: f.members["留守老人"]),
    ("结对与签订", "结对帮扶率", "pct", lambda f: f.pairing_rate),
    ("结对与签订", "留守儿童确认书签订率", "pct", lambda f: f.signing_rate("留守儿童")),
    ("结对与签订", "困境儿童确认书签订率", "pct", lambda f: f.signing_rate("困境儿童")),
    ("走访", "应走访（人次）", "n", lambda f: f.due_total),
    ("走访", "已走访（人次）", "n", lambda f: f.done_total),
    ("走访", "周期内走访率", "pct", lambda f: f.within_rate),
    ("走访", "一登门", "n", lambda f: f.door),
    ("走访", "一敲门", "n", lambda f: f.knock),
    ("需求与服务", "需求登记", "n", lambda f: sum(f.needs_raised.values())),
    ("需求与服务", "办结", "n", lambda f: f.closed),
    ("需求与服务", "30日内办结率", "pct", lambda f: f.closed30_rate),
    ("需求与服务", "办结中位天数", "d1", lambda f: f.median_days()),
    ("需求与服务", "服务次数", "n", lambda f: sum(f.services.values())),
    ("突发事件", "起数", "n", lambda f: f.emergencies),
    ("突发事件", "按时报告率", "pct", lambda f: f.on_time_rate),
    ("突发事件", "首报中位分钟", "d1", lambda f: f.median_first_minutes),
    ("救助补贴", "低保覆盖率", "pct", lambda f: f.coverage_rate("低保")),
    ("救助补贴", "特困覆盖率", "pct", lambda f: f.coverage_rate("特困供养")),
    ("救助补贴", "发放金额（元）", "yuan", _yuan),
    ("活动与阵地", "活动场次", "n", lambda f: sum(f.activities.values())),
    ("活动与阵地", "参加人次", "n", lambda f: f.attendance["all"]),
    ("活动与阵地", "在用阵地", "n", lambda f: sum(f.sites_active.values())),
)


def sheet_rows(data, total_label):
    """[(name, [value per SHEET column])]: one per village, then the total (if any)."""
    rows = [(v.name, [c[3](f) for c in SHEET]) for v, f in data["villages"]]
    if data["total"] is not None:
        rows.append((total_label, [c[3](data["total"]) for c in SHEET]))
    return rows


def bands_of(columns=SHEET):
    """[(band, span)] of consecutive columns, for the two-row header."""
    out = []
    for band, *_ in columns:
        if out and out[-1][0] == band:
            out[-1] = (band, out[-1][1] + 1)
        else:
            out.append((band, 1))
    return out
