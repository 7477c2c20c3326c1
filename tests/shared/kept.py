"""Closed periods' kept figures against the live count (tests/test_kept_periods.py,
tests/test_kept_corrections.py, tests/test_hostile_review9.py, tests/test_summary.py)."""

from contextlib import contextmanager
from datetime import timedelta

from liushou import clock
from liushou.queries import summary, summary_kept
from liushou.rules.dates import month_end, month_start
from liushou.services.month_rates import keep_closed_periods
from tests._helpers import ALL


def flat(data):
    """Every figure of a summary as plain values, to compare two readings."""
    out = []
    for f in [f for _, f in data["villages"]] + [data["total"]]:
        if f is not None:
            out.append({k: dict(v) if isinstance(v, dict) else v for k, v in vars(f).items()})
    return out


def live_and_kept(monkeypatch, start, end, forget=True):
    """The whole township's summary of start…end counted live and read from its kept rows
    (read again from the database; with forget=False, as this process keeps them in memory)."""
    if forget:
        summary_kept.forget()
    kept = flat(summary.summary(ALL, start, end, None))
    real = summary_kept.kept_rows
    monkeypatch.setattr(summary_kept, "kept_rows", lambda *a: None)
    live = flat(summary.summary(ALL, start, end, None))
    monkeypatch.setattr(summary_kept, "kept_rows", real)
    return live, kept


@contextmanager
def this_month_kept():
    """This month's figures kept as a closed month, the clock 10 days after its end: yields
    (start, end); the kept rows read are forgotten after."""
    start = month_start(clock.today())
    end = month_end(start)
    try:
        with clock.freeze(end + timedelta(days=10)):
            assert keep_closed_periods(clock.today(), periods=[(start, end)]) > 0
            summary_kept.forget()
            yield start, end
    finally:
        summary_kept.forget()
