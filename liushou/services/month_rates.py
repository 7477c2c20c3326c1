"""Trend rates of closed months kept in the month_rates table per place (the whole instance,
each township of a county's instance, each village), so a report's 12-month trend after a
restart reads them instead of counting eleven past months again.

Written by the start-of-day job only (jobs.keep_closed, in the job's child process), never by a
page: a month's rows are written once, after the month has closed, from dated facts as known at
its cut-off (so they are what counting again would give) and never rewritten (a correction of
one of its facts drops them: `reopen_periods`). A month is counted once for every village (one
pass over its members: summary_months.closed_month_rows); the township's and the instance's
rows are sums of their villages'. The counting reads only; a month's (a period's place's) rows
are written in one short transaction. Derived figures, not a change of any record: not
audited, and writing them moves no data generation (db_generation._UNCOUNTED_TABLES).

Known difference: a kept village row is that village's row of the whole count, where a person
counts in the village he lived in at the month's end with every visit he had; a village user's
own count leaves out a visit recorded in the village he lived in before (the scope reads visits
by their village). Only a person who moved and was visited before the move differs."""

import json
import uuid
from datetime import date, timedelta

from .. import clock, settings
from ..db import database
from ..models.month_rates import MonthRates, PeriodFigures
from ..queries import facts, summary, summary_kept, summary_months
from ..queries.summary_period import Figures
from ..rules.dates import month_before, month_end, month_start
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
        marker = _mark(month, month_end(month), MONTHS_MARKER)
        # One count of the month for every village (one pass over its members) under the
        # instance's settings: the instance's row and the rows of villages of no township.
        rows = {v.id: f for v, f in summary_months.closed_month_rows(month)}
        # A month with no rate anywhere (before anyone was registered) is not kept: it costs
        # nothing to count, and a database filled later (a demo, a county load) has its rows
        # then. In a month with any, every place's row is kept, rates or none (an empty village
        # would otherwise have the month counted again every day).
        if not any(v is not None for v in summary_months.rates_of(rows.values(), month).values()):
            _drop_mark(month, month_end(month), MONTHS_MARKER)
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
        written += _write(new, month, marker)
    return written


def _write(rows, month, marker):
    """Insert a month's rows in one transaction (a row another process kept meanwhile is left
    as it is), unless a correction reopened the month since its counting began (its `marker`
    gone: then nothing, the next day's job counts it again); returns how many were written."""
    with database.atomic():
        if not _unmark(month, month_end(month), MONTHS_MARKER, marker):
            return 0
        for at in range(0, len(rows), ROWS_PER_TRANSACTION):
            chunk = rows[at : at + ROWS_PER_TRANSACTION]
            MonthRates.insert_many(chunk).on_conflict_ignore().execute()
    return len(rows)


def closed_periods(today, months=12):
    """[(start, end)] of the closed periods a report offers that are kept: the closed months
    among the last `months`, the closed quarters of this year and the last, and last year;
    newest first within each kind."""
    out = [(m, month_end(m)) for m in closed_months(today, months)]
    for year in (today.year, today.year - 1):
        for q in (4, 3, 2, 1):
            end = month_end(date(year, 3 * q, 1))
            if end < today:
                out.append((date(year, 3 * q - 2, 1), end))
    out.append((date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)))
    return out


def keep_closed_periods(today=None, months=12, periods=None):
    """Count and keep the figures of every village for each closed period (`closed_periods`)
    and place (the instance's count, each township's) that has no rows yet; returns how many
    rows were written. A period with no fact anywhere (no member, no visit…) is not kept: a
    database filled later has its rows then.

    A place's rows of a period are written in one transaction (a report reads all of them or
    none), and only if no correction reopened the period since its counting began (`_mark`):
    rows counted before a correction are never kept."""
    today = today or clock.today()
    kept = {
        (s, e, t)
        for s, e, t in PeriodFigures.select(
            PeriodFigures.start, PeriodFigures.end, PeriodFigures.township_id
        )
        .distinct()
        .tuples()
    }
    townships = sorted(
        {v.township_id for v in summary.villages(Scope(everything=True)) if v.township_id}
    )
    written = 0
    for start, end in periods or closed_periods(today, months):
        for township in [None, *townships]:
            if (start, end, township) in kept:
                continue
            marker = _mark(start, end, PERIOD_MARKER)
            scope = Scope(everything=True) if township is None else Scope.for_townships([township])
            with settings.reading_for(township), facts.shared():
                rows = summary.counted_rows(scope, start, end)
            empty = summary_kept.to_json(Figures(1, None))
            if all(summary_kept.to_json(f) == empty for _, f in rows):
                _drop_mark(start, end, PERIOD_MARKER)
                continue
            now = clock.now()
            written += _write_figures(
                [
                    {
                        "start": start,
                        "end": end,
                        "township_id": township,
                        "village_id": v.id,
                        "figures": summary_kept.to_json(f),
                        "counted_at": now,
                    }
                    for v, f in rows
                ],
                start,
                end,
                marker,
            )
    return written


def _write_figures(rows, start, end, marker):
    """Insert one place's rows of a period in one transaction (rows another process kept
    meanwhile are left as they are), unless a correction reopened the period since its counting
    began (its `marker` gone: then nothing, the next day's job counts it again); returns how
    many were written."""
    with database.atomic():
        if not _unmark(start, end, PERIOD_MARKER, marker):
            return 0
        for at in range(0, len(rows), ROWS_PER_TRANSACTION):
            chunk = rows[at : at + ROWS_PER_TRANSACTION]
            PeriodFigures.insert_many(chunk).on_conflict_ignore().execute()
    return len(rows)


# While the job counts a period (or a month's trend rates) it holds a marker: a row of
# period_figures of no place (township_id MARKER_TOWNSHIP, which no report reads; village_id
# PERIOD_MARKER or MONTHS_MARKER) over the period's days, with a token of its own. A correction's
# reopen drops it with the period's rows (it overlaps the same days); the job writes what it
# counted only if its marker is still there, in the writing transaction, and drops it then. So
# rows counted before a correction are never kept. No marker is left once the job is done.
MARKER_TOWNSHIP = -1
PERIOD_MARKER = 0
MONTHS_MARKER = -1
REOPEN_LOCK = 7_031_244  # PostgreSQL advisory lock: a reopen and a job's write run one at a time
_is_marker = PeriodFigures.township_id == MARKER_TOWNSHIP


def _serialise_reopens():
    """In the caller's transaction: wait for any reopen (or job's write) in progress, and make
    the next one wait for this transaction. SQLite: BEGIN IMMEDIATE already does (one writer)."""
    if database.is_postgres:
        database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (REOPEN_LOCK,))


def _marker_of(start, end, kind):
    return (
        _is_marker
        & (PeriodFigures.village_id == kind)
        & (PeriodFigures.start == start)
        & (PeriodFigures.end == end)
    )


def _mark(start, end, kind):
    """Put (or renew) the job's marker of a period before counting it; returns its token."""
    token = json.dumps({"counting": uuid.uuid4().hex})
    with database.atomic():
        PeriodFigures.insert(
            start=start,
            end=end,
            township_id=MARKER_TOWNSHIP,
            village_id=kind,
            figures=token,
            counted_at=clock.now(),
        ).on_conflict_ignore().execute()
        PeriodFigures.update(figures=token).where(_marker_of(start, end, kind)).execute()
    return token


def _drop_mark(start, end, kind):
    """Drop the job's marker of a period it counted and keeps nothing of."""
    with database.atomic():
        PeriodFigures.delete().where(_marker_of(start, end, kind)).execute()


def _unmark(start, end, kind, token):
    """In the writing transaction: whether the marker `token` is still there (no correction
    reopened the period since `_mark`); it is dropped either way."""
    _serialise_reopens()
    held = PeriodFigures.select(PeriodFigures.figures).where(_marker_of(start, end, kind))
    if database.is_postgres:
        held = held.for_update()
    row = held.first()
    PeriodFigures.delete().where(_marker_of(start, end, kind)).execute()
    return row is not None and row.figures == token


def reopen_for_birth_date(person):
    """A person's birth date was corrected: his 高龄补贴 pays by his age band in each month
    (queries/records.monthly_amount), so the closed periods over any of his allowances (voided
    ones too: a report reads a benefit as known at its cut-off; to today: an end learnt late is
    read as not known then) count again. His categories and tiers follow from today (dated
    events): no closed period moves by them. In the caller's transaction."""
    from ..models.records import Benefit

    starts = (
        Benefit.with_voided(Benefit.start_on)
        .where((Benefit.person == person.id) & (Benefit.kind == "高龄补贴"))
        .tuples()
    )
    return reopen_periods(ranges=[(start, None) for (start,) in starts])


def reopen_periods(days=(), ranges=()):
    """A fact dated on one of `days`, or holding the days of one of `ranges` ((first, last),
    last None: up to today), was corrected (its date, its persons, how it was done, its amount…)
    after its period may have closed: drop every place's kept figures (period_figures) and
    trend rates (month_rates) of the closed periods that hold one of those days, so their
    reports count live (the live count reads the fact as it is now: what a village user's report
    of the same village says) until the day's job keeps them again; a job counting one of them
    meanwhile keeps nothing it counted before (its marker goes with them: `_unmark`). In
    the caller's transaction; returns how many period rows were dropped. Memory of kept rows
    goes with the next write's data generation (summary_kept, summary_months)."""
    spans = [(d, d) for d in days if d is not None]
    spans += [(a, b or clock.today()) for a, b in ranges if a is not None]
    spans = [(a, b) if a <= b else (b, a) for a, b in spans]
    # Only closed periods are kept: what lies from today on moves none of them.
    yesterday = clock.today() - timedelta(days=1)
    spans = [(a, min(b, yesterday)) for a, b in spans if a <= yesterday]
    if not spans:
        return 0
    _serialise_reopens()
    overlaps = None
    rates = None
    for a, b in spans:
        each = (PeriodFigures.start <= b) & (PeriodFigures.end >= a)
        overlaps = each if overlaps is None else overlaps | each
        month = (MonthRates.month <= b) & (MonthRates.month >= month_start(a))
        rates = month if rates is None else rates | month
    # The kept rows and the markers of a job counting one of them (so it writes none).
    dropped = PeriodFigures.delete().where(overlaps).execute()
    MonthRates.delete().where(rates).execute()
    summary_kept.forget()
    summary_months.forget()
    return dropped
