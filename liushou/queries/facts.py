"""Figures for a period read from dated facts, as they were known when the period closed.

A report for a past period must print the same figures every time: a person registered,
exited or re-categorised today, a visit voided today, a benefit stopped from next month must
not change it. Two dates govern every figure:

- the fact's own date (visited_on, raised_on, the day a person entered or left a group);
- the knowledge cut-off: a row counts only if it was recorded (created_at) before the cut-off
  and was not voided before it. For a period that has ended the cut-off is the end of its last
  day; for the current period it is now (the page says the figures may still change).

This module is the contract the report queries build on. `members_on` is the one place that
says who was in a group on a day.
"""

from datetime import datetime, time, timedelta

from .. import clock
from ..models.persons import Person


def cutoff_for(end):
    """The knowledge cut-off for a period ending on `end` (a date): the next midnight, or now
    if that is still in the future."""
    close = datetime.combine(end + timedelta(days=1), time.min)
    now = clock.now()
    return close if close <= now else now


def is_final(end):
    """True once the period has closed: its figures can no longer change."""
    return datetime.combine(end + timedelta(days=1), time.min) <= clock.now()


def known(query, model, cutoff):
    """Narrow `query` (built on `model.with_voided()` for voidable models, so voided rows are
    not hidden twice) to the rows of `model` recorded before `cutoff` and not voided before it."""
    query = query.where(model.created_at < cutoff)
    if hasattr(model, "voided_at"):
        query = query.where(model.voided_at.is_null() | (model.voided_at >= cutoff))
    return query


def members_on(scope, day, group, cutoff, village_id=None):
    """A query of the persons (ids) in `group` on `day`, as known at `cutoff`.

    Provisional implementation (registration date and exit date with today's categories);
    the dated category history replaces it without changing the signature."""
    query = known(Person.select(Person.id), Person, cutoff)
    query = scope.filter(query, Person).where(
        (Person.created_at < datetime.combine(day + timedelta(days=1), time.min))
        & (Person.exited_on.is_null() | (Person.exited_on > day))
        & Person.groups.contains(group)
    )
    if village_id:
        query = query.where(Person.village == village_id)
    return query
