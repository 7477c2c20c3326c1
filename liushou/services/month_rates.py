"""Trend rates of closed months kept in the month_rates table per place (the whole instance,
each township of a county's instance, each village), so a report's 12-month trend after a
restart reads them instead of counting eleven past months again.

Written by the start-of-day job only (jobs.warm_figures), never by a page: a month's rows are
written once, after the month has closed, from dated facts as known at its cut-off (so they are
what counting again would give) and never rewritten. A month is counted once for every village
(one pass over its members: summary_months.closed_month_rows); the township's and the
instance's rows are sums of their villages'. The counting reads only; the rows are written in
short transactions. Derived figures, not a change of any record: not audited, and writing them moves
no data generation (db_generation._UNCOUNTED_TABLES).

Known difference: a kept village row is that village's row of the whole count, where a person
counts in the village he lived in at the month's end with every visit he had; a village user's
own count leaves out a visit recorded in the village he lived in before (the scope reads visits
by their village). Only a person who moved and was visited before the move differs."""

import time

from .. import clock, settings
from ..db import BATCH_GAP_SECONDS, database
from ..models.month_rates import MonthRates
from ..queries import summary, summary_months
from ..rules.dates import month_before, month_start
from ..scope import Scope

ROWS_PER_TRANSACTION = 200


def closed_months(today, months=12):
    """The closed months among the last `months` (the current one excluded), newest first."""
    month, out = month_start(today), []
    for _ in range(months - 1):
        month = month_before(month)
        out.append(month)
    return out


def _places(villages):
    """[((township id, village id), [village ids])]: the instance, each township (a county's
    instance: villages naming one), each village."""
    out = [((None, None), [v.id for v in villages])]
    townships = {}
    for v in villages:
        if v.township_id is not None:
            townships.setdefault(v.township_id, []).append(v.id)
    out += [((t, None), ids) for t, ids in sorted(townships.items())]
    out += [((None, v.id), [v.id]) for v in villages]
    return out


def keep_closed_months(today=None, months=12):
    """Count and keep the rates of the closed months among the last `months` (the current
    month excluded) for every place that has no row for them yet; returns how many rows were
    written."""
    today = today or clock.today()
    kept = {
        (m, t, v)
        for m, t, v in MonthRates.select(
            MonthRates.month, MonthRates.township_id, MonthRates.village_id
        ).tuples()
    }
    villages = summary.villages(Scope(everything=True))
    places = _places(villages)
    township_of = {v.id: v.township_id for v in villages}
    by_township = {}  # township id -> {village id: Figures} of the month being kept
    written = 0
    for month in closed_months(today, months):
        missing = [(place, ids) for place, ids in places if (month, *place) not in kept]
        if not missing:
            continue
        # One count of the month for every village (one pass over its members) under the
        # instance's settings: the instance's row and the rows of villages of no township.
        rows = {v.id: f for v, f in summary_months.closed_month_rows(month)}
        # A month with no rate anywhere (before anyone was registered) is not kept: it costs
        # nothing to count, and a database filled later (a demo, a county load) has its rows
        # then. In a month with any, every place's row is kept, rates or none (an empty village
        # would otherwise have the month counted again every day).
        if not any(v is not None for v in summary_months.rates_of(rows.values(), month).values()):
            continue
        new = []
        for (township_id, village_id), ids in missing:
            owner = township_of.get(village_id) if village_id else township_id
            if owner is None:
                figures = rows
            else:
                # A county's township counts by its own settings (its visit cycles), as its
                # users' and county users' reports of it do (settings.reading_for): one more
                # pass over that township's members, once per month.
                if owner not in by_township:
                    with settings.reading_for(owner):
                        by_township[owner] = {
                            v.id: f
                            for v, f in summary_months.closed_month_rows(
                                month, Scope.for_townships([owner])
                            )
                        }
                figures = by_township[owner]
            with settings.reading_for(owner):
                rates = summary_months.rates_of([figures[i] for i in ids if i in figures], month)
            new.append(
                {"month": month, "township_id": township_id, "village_id": village_id}
                | rates
                | {"counted_at": clock.now()}
            )
        by_township.clear()
        written += _write(new)
    return written


def _write(rows):
    """Insert the rows in short transactions (a row another process kept meanwhile is left as
    it is); returns how many were given."""
    for at in range(0, len(rows), ROWS_PER_TRANSACTION):
        if at:
            time.sleep(BATCH_GAP_SECONDS)  # writers waiting for the lock go first
        with database.atomic():
            chunk = rows[at : at + ROWS_PER_TRANSACTION]
            MonthRates.insert_many(chunk).on_conflict_ignore().execute()
    return len(rows)
