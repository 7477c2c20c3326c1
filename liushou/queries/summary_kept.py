"""Closed periods' figures, kept per village (models/month_rates.PeriodFigures): a report of a
month, quarter or year that has closed reads them instead of counting its facts again.

What is kept is the live count itself (summary._counted with every part, the same scope and
settings a report of the place counts with, the period's own cut-off), once the period has
closed (facts.is_final), so kept == live by construction, for every figure alike: sums,
medians (the kept values, not a median of medians), stocks at the period's end and distinct
persons over the period (not a sum of months: each period is counted as a whole).

Late facts (decided by the live count's rule, kept the same): a fact dated in a period counts
in it only if it was recorded (and not voided) before the period's cut-off, the next midnight
after its last day; one entered later never moves that period's figures. A longer period has its
own, later cut-off: a visit of 15 March recorded on 10 April is not in March's figures nor the
first quarter's, but it is in the year's (cut-off 1 January). Months are therefore never summed
into a quarter or a year: each closed period is kept as counted with its own cut-off, after it,
so a late fact is in a kept row exactly when it is in the live count, and no row is rewritten.
A correction of a fact (a visit's date, persons or method; a need, service or emergency; an
emergency's reporting step recorded as done, whose time may lie before the cut-off; a
benefit's range or amount; an activity or its attendance; a pairing's dates; a person's re-entry
or move when his past facts are placed by where he lives now) after its period was kept drops the
period's rows (services/month_rates.reopen_periods): the live count reads the fact as corrected,
and the period is counted live until the next day's job keeps it again. What this process
remembers of the rows holds while the data generation does (the correction's write moves it).

The places with rows of their own: the whole instance (township_id None: its count under the
instance's settings) and each township of a county (its users' scope and settings). Other
scopes (a village user's, a grid worker's, a helper's, a chosen village) count live.
"""

import json
import threading
from collections import Counter, defaultdict
from decimal import Decimal

from ..db import database
from ..db_generation import data_generation
from ..models.month_rates import PeriodFigures
from .facts import is_final
from .summary_period import Figures, tier_rules

_kept = {}  # (database, start, end, township id) -> (data generation, {village id: JSON text})
_kept_lock = threading.Lock()
_NOT_SERIALISED = ("days", "rules")


def place(scope, village_id=None):
    """The township id (None: the whole instance) whose kept rows a report of `scope` reads,
    or False when it has none of its own."""
    if village_id or scope.is_helper or scope.grid_ids is not None:
        return False
    if scope.everything:
        return None
    if scope.township_ids is not None and len(scope.township_ids) == 1:
        return next(iter(scope.township_ids))
    return False


def to_json(figures):
    """A Figures' counts as JSON text (money as exact decimal strings)."""
    data = {}
    for name, value in vars(figures).items():
        if name in _NOT_SERIALISED:
            continue
        data[name] = dict(value) if isinstance(value, dict) else value
    return json.dumps(data, default=str, ensure_ascii=False, sort_keys=True)


def from_json(text, days, rules):
    """The Figures kept as `text` (to_json), with the period's days and visit cycles."""
    figures = Figures(days, rules)
    data = json.loads(text)
    if not isinstance(data, dict) or set(data) != set(vars(figures)) - set(_NOT_SERIALISED):
        # Every figure this version counts, and no other: a row kept by another version
        # would show a figure it never counted as 0.
        raise ValueError("a kept row of other figures")
    for name, value in data.items():
        current = getattr(figures, name)
        if name == "benefit_amount":
            value = {k: Decimal(v) for k, v in value.items()}
        if isinstance(current, defaultdict):
            for key, values in value.items():
                current[key] = list(values)
        elif isinstance(current, Counter):
            current.update(value)  # keys with 0 stay, as the live count set them
        else:
            setattr(figures, name, value)
    return figures


def kept_rows(scope, start, end, village_ids, village_id=None):
    """{village id: Figures} kept for a closed period for every village listed, or None (an
    open period, a scope with no rows of its own, a village without its row, a row that does
    not read back as this version's figures)."""
    township = place(scope, village_id)
    if township is False or not is_final(end) or not village_ids:
        return None
    key = (database.database, start, end, township)
    # Remembered while the data generation holds (read before the rows: a correction's commit
    # after it moves it), so a correction's reopen shows at once in every thread.
    generation = data_generation()
    with _kept_lock:
        held = _kept.get(key)
    texts = held[1] if held is not None and held[0] == generation else None
    if texts is None:
        query = PeriodFigures.select(PeriodFigures.village_id, PeriodFigures.figures).where(
            (PeriodFigures.start == start)
            & (PeriodFigures.end == end)
            & (
                PeriodFigures.township_id.is_null()
                if township is None
                else PeriodFigures.township_id == township
            )
        )
        texts = dict(query.tuples())
        if not texts:
            return None  # not kept yet: nothing remembered, the job may keep it later
        with _kept_lock:
            _kept[key] = (generation, texts)
    if any(v not in texts for v in village_ids):
        return None
    days, rules = (end - start).days + 1, tier_rules(end)
    try:
        return {v: from_json(texts[v], days, rules) for v in village_ids}
    except (ValueError, TypeError, AttributeError, KeyError, ArithmeticError):
        # A row that does not read back as this version's figures (cut short, written by
        # another version with other figures): the report is counted live, never a 500.
        return None


def forget():
    """Drop what this process remembers of kept periods (a county load replaced them)."""
    with _kept_lock:
        _kept.clear()
