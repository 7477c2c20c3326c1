"""The township's trend rates of closed months kept in the month_rates table, so a report's
12-month trend after a restart reads them instead of counting eleven past months again.

Written by the start-of-day job only (jobs.warm_figures), never by a page: a month's row is
written once, after the month has closed, from dated facts as known at its cut-off (so it is
what counting it again would give) and never rewritten. Derived figures, not a change of any
record: not audited, and it moves no data generation (db._UNCOUNTED_TABLES)."""

from .. import clock
from ..db import database
from ..models.month_rates import MonthRates
from ..queries import summary
from ..rules.dates import month_before, month_start
from ..scope import Scope


def keep_closed_months(today=None, months=12):
    """Count and keep the township's rates of the closed months among the last `months`
    (the current month excluded) that are not kept yet and have any rate; returns how many
    were written."""
    today = today or clock.today()
    scope = Scope(everything=True)
    month, closed = month_start(today), []
    for _ in range(months - 1):
        month = month_before(month)
        closed.append(month)
    kept = {m for (m,) in MonthRates.select(MonthRates.month).tuples()}
    new = [(m, summary.month_rates(scope, m)) for m in closed if m not in kept]
    # A month with no rate at all (before anyone was registered) costs nothing to count.
    new = [(m, rates) for m, rates in new if any(v is not None for v in rates.values())]
    if new:
        with database.atomic():
            for m, rates in new:
                MonthRates.create(month=m, **rates)
    return len(new)
