"""The closed months of a report's trend: their rates change only by a correction of one of
their facts (services/month_rates.reopen_periods drops the month's kept rows), so each is read
or counted once per process, database, place and data generation (a correction's write moves
it, another process's too: the trend shows it at once), and kept in the month_rates table by
the start-of-day job (services/month_rates.py) for the whole instance, each township of a
county and each village (`place_of`). A scope with no row of its own (a grid worker's, a
helper's, several villages) counts them as before."""

import threading

from ..db import database
from ..db_generation import data_generation
from ..models.month_rates import MonthRates
from ..rules.dates import month_after, month_before, month_end, month_start
from ..scope import Scope
from .facts import is_final
from .summary import _counted, _needs, _population
from .summary_period import Figures, tier_rules

_closed_months = {}
_closed_lock = threading.Lock()


def trend(scope, today, months=12, village_id=None):
    """[(month start, {rate name: rate or None})] for the last `months` months, oldest first;
    each month as known at its own cut-off."""
    first = month_start(today)
    for _ in range(months - 1):
        first = month_before(first)
    out, month = [], first
    for _ in range(months):
        out.append((month, month_rates(scope, month, village_id)))
        month = month_after(month)
    return out


def place_of(scope, village_id=None):
    """(township id, village id) of the kept rows a scope's trend reads, None for none: the
    whole instance (None, None); a township user's, or a county user's chosen township
    (t, None); a village user's village, or the village chosen in the area (None, v)."""
    if scope.is_helper or scope.grid_ids is not None:
        return None
    if village_id:
        if scope.everything or village_id in scope.village_ids:
            return (None, village_id)
        return None
    if scope.everything:
        return (None, None)
    if scope.township_ids is not None:
        return (next(iter(scope.township_ids)), None) if len(scope.township_ids) == 1 else None
    if len(scope.village_ids) == 1:
        return (None, next(iter(scope.village_ids)))
    return None


def month_rates(scope, month, village_id=None):
    """{rate name: rate or None} of one month as known at its cut-off: for a closed month and a
    scope with a place (`place_of`), as kept (memory, then the month_rates table), else counted
    now."""
    end = month_end(month)
    place = place_of(scope, village_id)
    if place is None or not is_final(end):
        return _month_rates(scope, month, end, village_id)
    key = (database.database, month, place)
    generation = data_generation()  # before reading: a write committed meanwhile moves it
    with _closed_lock:
        held = _closed_months.get(key)
    rates = held[1] if held is not None and held[0] == generation else None
    if rates is None:
        township_id, place_village = place
        row = MonthRates.get_or_none(
            (MonthRates.month == month)
            & (
                MonthRates.township_id.is_null()
                if township_id is None
                else MonthRates.township_id == township_id
            )
            & (
                MonthRates.village_id.is_null()
                if place_village is None
                else MonthRates.village_id == place_village
            )
        )
        if row is not None:
            rates = {name: getattr(row, name) for name in MonthRates.RATES}
        else:
            rates = _month_rates(scope, month, end, village_id)
        with _closed_lock:
            _closed_months[key] = (generation, rates)
    return dict(rates)


def forget():
    """Drop what this process remembers of closed months (a correction reopened some)."""
    with _closed_lock:
        _closed_months.clear()


def closed_month_rows(month, scope=None):
    """[(village, Figures)] of a closed month for every village (of `scope`), counted once
    (members, tiers, visits within their cycle, needs): what the kept rows of every place are
    summed from."""
    end = month_end(month)
    scope = scope or Scope(everything=True)
    listed, rows, _ = _counted(scope, month, end, None, (_population, _needs))
    return [(v, rows[v.id]) for v in listed]


def rates_of(figures, month):
    """{rate name: rate or None} of the Figures of some villages for a month, summed."""
    end = month_end(month)
    total = Figures((end - month).days + 1, tier_rules(end))
    for f in figures:
        total.add(f)
    return {
        "pairing": total.pairing_rate,
        "signing": total.signing_rate("留守儿童"),
        "within": total.within_rate,
        "closed30": total.closed30_rate,
    }


def _month_rates(scope, month, end, village_id):
    _, rows, _ = _counted(scope, month, end, village_id, (_population, _needs))
    return rates_of(rows.values(), month)
