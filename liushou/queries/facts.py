"""Figures for a period read from dated facts, as they were known when the period closed.

A report for a past period must print the same figures every time: a person registered,
exited or re-categorised today, a visit voided today, a benefit stopped from next month must
not change it. Two dates govern every figure:

- the fact's own date (visited_on, raised_on, the day a person entered or left a group);
- the knowledge cut-off: a row counts only if it was recorded (created_at) before the cut-off
  and was not voided before it. For a period that has ended the cut-off is the end of its last
  day; for the current period it is now (the page says the figures may still change).

So a past report never changes, whatever is registered, exited, re-categorised or voided
later, even back-dated. Who was in a group on a day comes from the dated membership history
(models/group_events.py: every entry into and exit from a group, written by the services in
the same transaction as the change): the last event for the person and group dated on or
before the day and recorded before the cut-off decides, in the village he lived in then.

This module is the contract the report queries build on. `members_on` is the one place that
says who was in a group on a day; `population` gives a period's opening, closing, entries and
exits.
"""

from bisect import bisect_right
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, time, timedelta

from peewee import SQL, fn

from .. import clock
from ..db import database
from ..models.agreement_events import AgreementEvent
from ..models.group_events import GroupEvent
from ..models.persons import Person
from ..models.site_events import SiteEvent
from ..rules.categories import GROUPS

# What one screen's counts share (`shared()`): {key: value}, or None outside such a block.
_shared = ContextVar("facts_shared", default=None)


@contextmanager
def shared():
    """Within the block (one screen's figures: the report, the area figures and the open
    month's trend of /reports), each period's cut-off is fixed at its first reading and the
    members of a group on a day, as known at a cut-off, are read once (`member_set`), as are
    the other sets kept with `kept`. Outside a block every call reads anew. Nested blocks share
    the outer one's."""
    if _shared.get() is not None:
        yield
        return
    token = _shared.set({})
    try:
        yield
    finally:
        _shared.reset(token)


def kept(key, compute):
    """`compute()`, once per key within a `shared()` block; anew outside one."""
    store = _shared.get()
    if store is None:
        return compute()
    if key not in store:
        store[key] = compute()
    return store[key]


def cutoff_for(end):
    """The knowledge cut-off for a period ending on `end` (a date): the next midnight, or, if
    that is still in the future, the end of the current second (clock.now() is to the second:
    a row written this second is known). Within `shared()`, the one of its first reading, and
    one "now" for every open period: the counts of one screen agree with each other (an open
    year's current month is the trend's: queries/summary_open.py)."""

    def compute():
        close = datetime.combine(end + timedelta(days=1), time.min)
        now = kept(("now",), lambda: clock.now() + timedelta(seconds=1))
        return close if close <= now else now

    return kept(("cutoff", end), compute)


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
    """A query of the persons (ids, as `person_id`) in `group` on `day`, as known at `cutoff`:
    those whose last membership event for the group dated on or before `day` and recorded
    before `cutoff` is "in" (in the user's area and the village, as they lived then). A person
    voided before `cutoff` is in no figure; voided after it, he stays in it as he was known.
    Person's columns may narrow the query further (it joins Person)."""
    return _members(scope, day, group, cutoff, village_id).select(GroupEvent.person)


def raw_rows(query):
    """The rows of `query` as the driver gives them, without peewee's conversion of each value:
    for the big reads of ids, counts and texts (tens of thousands of rows at 100k persons)."""
    return database.execute(query)


def state_day(day, cutoff):
    """The day whose group and tier history, as known at `cutoff`, says what `day`'s says:
    `day`, or today when `day` is later and no group or tier event is dated after today (an open
    period's end: the open year's states are its current month's, read once per screen)."""
    today = clock.today()
    if day <= today:
        return day

    def ahead():
        from ..models.tier_events import TierEvent

        for model in (GroupEvent, TierEvent):
            dated = (model.on > today) & (model.recorded_at < cutoff)
            if model.select(SQL("1")).where(dated).limit(1).exists():
                return True
        return False

    return day if kept(("ahead", today, cutoff), ahead) else today


def member_set(scope, day, group, cutoff, village_id=None):
    """The ids of `members_on(...)` as a frozenset: read once per (scope, day, group, cut-off,
    village) within `shared()` (a day after today as today's when the same: `state_day`)."""
    day = state_day(day, cutoff)
    return kept(
        ("members", scope, day, group, cutoff, village_id),
        lambda: frozenset(
            row[0] for row in raw_rows(members_on(scope, day, group, cutoff, village_id))
        ),
    )


def signed_set(end, cutoff, among=None):
    """The ids of the persons (voided ones too, any place) whose agreement was signed by
    `end` as known at `cutoff` (`agreement_signed`); read once within `shared()`. `among`: a
    condition on Person narrowing the persons asked about (an area's: each person's own
    history read by its index, not every person's of a county)."""

    def read():
        if among is None:
            query = Person.select(Person.id).where(agreement_signed(end, cutoff))
        else:
            query = Person.select(Person.id).where(among & _signed_each(end, cutoff))
        return frozenset(row[0] for row in raw_rows(query))

    return read() if among is not None else kept(("signed", end, cutoff), read)


def _signed_each(end, cutoff):
    """`agreement_signed` as a condition read person by person (his last history row)."""
    last = (
        AgreementEvent.select(AgreementEvent.signed_on)
        .where((AgreementEvent.person == Person.id) & (AgreementEvent.recorded_at < cutoff))
        .order_by(AgreementEvent.id.desc())
        .limit(1)
    )
    any_row = AgreementEvent.select(SQL("1")).where(AgreementEvent.person == Person.id)
    never = end + timedelta(days=1)  # no row before the cut-off, or a cleared date: not signed
    return (fn.COALESCE(last, never) <= end) | (
        ~fn.EXISTS(any_row) & (Person.agreement_signed_on <= end)
    )


def in_any_group_on(scope, day, cutoff, village_id=None):
    """The persons (ids) in at least one group on `day`, as known at `cutoff`."""
    queries = [members_on(scope, day, group, cutoff, village_id) for group in GROUPS]
    union = queries[0]
    for query in queries[1:]:
        union = union | query
    return union


def _members(scope, day, group, cutoff, village_id):
    # A person's events for a group are appended in date order (services/group_events.follow
    # never dates one before the last), so his last event on or before `day` is the one with
    # the highest id.
    dated = (GroupEvent.group_name == group) & (GroupEvent.on <= day)
    dated &= GroupEvent.recorded_at < cutoff
    if scope.everything and not village_id:
        # The whole instance: one grouped pass over the group's events.
        latest = GroupEvent.select(fn.MAX(GroupEvent.id)).where(dated).group_by(GroupEvent.person)
        last = GroupEvent.id.in_(latest)
    else:
        # Part of it (a village, a township of a county): the area's own events, each kept if
        # no later one of the person's for the group (in any village) exists, one probe of
        # the (person, group, on) index each, so the cost follows the area, not the county.
        later = GroupEvent.alias()
        newer = later.select(SQL("1")).where(
            (later.person == GroupEvent.person)
            & (later.group_name == group)
            & (later.on <= day)
            & (later.recorded_at < cutoff)
            & (later.id > GroupEvent.id)
        )
        last = dated & ~fn.EXISTS(newer)
    query = (
        GroupEvent.select()
        .join(Person, on=(GroupEvent.person == Person.id))
        .where(last & (GroupEvent.event == "in") & _not_voided(cutoff))
    )
    query = scope.filter(query, GroupEvent)
    return query.where(GroupEvent.village == village_id) if village_id else query


def _not_voided(cutoff):
    return Person.voided_at.is_null() | (Person.voided_at >= cutoff)


def population(scope, start, end, cutoff, village_id=None):
    """Persons by group at the opening (the day before `start`) and the closing (`end`) of a
    period, and the entries and exits in it by group and reason, as known at `cutoff`:
    {"opening": {group: n}, "closing": {group: n}, "entries": {group: {reason: n}},
    "exits": {group: {reason: n}}}. A person entering or leaving a group counts once per
    group; closing = opening + entries − exits for every group. A move between villages is an
    exit of one and an entry of the other, and no entry or exit of the township."""
    out = {"opening": {}, "closing": {}, "entries": {}, "exits": {}}
    for group in GROUPS:
        # One row per member (his last event): the set's size is the query's count.
        opening = member_set(scope, start - timedelta(days=1), group, cutoff, village_id)
        out["opening"][group] = len(opening)
        out["closing"][group] = len(member_set(scope, end, group, cutoff, village_id))
        out["entries"][group], out["exits"][group] = {}, {}
    query = (
        GroupEvent.select(
            GroupEvent.group_name,
            GroupEvent.event,
            GroupEvent.reason,
            GroupEvent.exit_reason,
            fn.COUNT(GroupEvent.id),
        )
        .join(Person, on=(GroupEvent.person == Person.id))
        .where(
            (GroupEvent.group_name.in_(GROUPS))
            & (GroupEvent.on >= start)
            & (GroupEvent.on <= end)
            & (GroupEvent.recorded_at < cutoff)
            & _not_voided(cutoff)
        )
        .group_by(
            GroupEvent.group_name, GroupEvent.event, GroupEvent.reason, GroupEvent.exit_reason
        )
    )
    query = scope.filter(query, GroupEvent)
    if village_id:
        query = query.where(GroupEvent.village == village_id)
    else:
        query = query.where(GroupEvent.reason != "moved")
    for group, event, reason, exit_reason, n in query.tuples():
        label = GroupEvent(reason=reason, exit_reason=exit_reason).reason_label
        if reason == "moved":
            label = "由他村转入" if event == "in" else "转至他村"
        side = out["entries" if event == "in" else "exits"][group]
        side[label] = side.get(label, 0) + n
    return out


def lived_in(scope, cutoff, village_ids=None):
    """The persons (ids) who live in the user's area (the listed villages of it) now, or lived
    in it by their group history as known at `cutoff`: the candidates for a figure counted by
    the place a person lived in on the fact's date (`Whereabouts`). None: no narrowing."""
    if scope.everything and not village_ids:
        return None
    now = scope.filter(Person.select(Person.id), Person)
    then = scope.filter(
        GroupEvent.select(GroupEvent.person).where(GroupEvent.recorded_at < cutoff), GroupEvent
    )
    if village_ids:
        now = now.where(Person.village.in_(list(village_ids)))
        then = then.where(GroupEvent.village.in_(list(village_ids)))
    return now | then


class Whereabouts:
    """Where persons lived on a day, as known at `cutoff`: the village and grid of the last
    group event (any group, in or out) dated on or before the day and recorded before the
    cut-off; before his first such event, the place of that first event; with none, where he
    lives now. A need, service or benefit counts in the village its person lived in on its own
    date, so a person who moved from A to B keeps last month's services in A.

    Only a person's group history is dated, so the moves of a person in no group are not known
    (he counts where he lives now)."""

    def __init__(self, person_ids, cutoff):
        self._events, self._now = {}, {}
        ids = sorted(set(person_ids))
        for chunk in range(0, len(ids), 500):
            batch = ids[chunk : chunk + 500]
            query = (
                GroupEvent.select(
                    GroupEvent.person, GroupEvent.on, GroupEvent.village, GroupEvent.grid
                )
                .where(GroupEvent.person.in_(batch) & (GroupEvent.recorded_at < cutoff))
                .order_by(GroupEvent.person, GroupEvent.on, GroupEvent.id)
            )
            for pid, on, village, grid in query.tuples():
                self._events.setdefault(pid, []).append((on, village, grid))
            now = Person.select(Person.id, Person.village, Person.grid).where(Person.id.in_(batch))
            for pid, village, grid in now.tuples():
                self._now[pid] = (village, grid)

    def place(self, person_id, day):
        """(village id, grid id) of the person on `day`."""
        events = self._events.get(person_id)
        if not events:
            return self._now.get(person_id, (None, None))
        at = bisect_right([e[0] for e in events], day)
        _, village, grid = events[max(at - 1, 0)]
        return village, grid

    def on(self, person_id, day):
        """(village id, grid id) of the person on `day` as `village_on` reads his village: those
        of his last event dated on or before it, else where he lives now."""
        events = self._events.get(person_id)
        at = bisect_right([e[0] for e in events], day) if events else 0
        return events[at - 1][1:] if at else self._now.get(person_id, (None, None))

    def village_in(self, scope, village_ids, person_id, day):
        """The person's village on `day` if it is one of `village_ids` and inside the user's
        area (his grid then, for a grid worker); else None."""
        village, grid = self.place(person_id, day)
        if village not in village_ids:
            return None
        if scope.is_helper:
            return village if person_id in scope.person_ids else None
        return village if scope.allows_grid(village, grid) else None


def agreement_signed(end, cutoff):
    """A condition on Person: his entrusted-care agreement was signed on or before `end`, as
    known at `cutoff`: the last row of his agreement history recorded before the cut-off has a
    signing date on or before `end` (a date cleared or corrected later leaves it as it was). A
    person with no history row at all (a record written by a bulk path) reads his stored date,
    as the history's backfill would have it."""
    latest = (
        AgreementEvent.select(fn.MAX(AgreementEvent.id))
        .where(AgreementEvent.recorded_at < cutoff)
        .group_by(AgreementEvent.person)
    )
    signed = AgreementEvent.select(AgreementEvent.person).where(
        AgreementEvent.id.in_(latest) & (AgreementEvent.signed_on <= end)
    )
    # NOT EXISTS, not NOT IN: an anti-join on PostgreSQL, where NOT IN (subquery) rescans a
    # county's history for each person once it outgrows work_mem.
    unrecorded = ~fn.EXISTS(
        AgreementEvent.select(SQL("1")).where(AgreementEvent.person == Person.id)
    )
    return Person.id.in_(signed) | (unrecorded & (Person.agreement_signed_on <= end))


def site_in_use(site, end, cutoff):
    """An expression: the site (a Site column or id) was in use (启用) on `end`, as known at
    `cutoff`: its last open/close row dated on or before `end` and recorded before the cut-off
    says open (every site has a row from the day it was added; none: read as in use)."""
    last = (
        SiteEvent.select(SiteEvent.event)
        .where((SiteEvent.site == site) & (SiteEvent.on <= end) & (SiteEvent.recorded_at < cutoff))
        .order_by(SiteEvent.on.desc(), SiteEvent.id.desc())
        .limit(1)
    )
    return fn.COALESCE(last, "open") == "open"


def village_on(person, day, cutoff):
    """An expression: the village a person (a Person id column, in a query joining Person)
    lived in on `day`: that of his last group event dated on or before it and recorded before
    `cutoff`, else the one he lives in now. For the persons in a group on `day` it is where
    they were counted then."""
    last = (
        GroupEvent.select(GroupEvent.village)
        .where(
            (GroupEvent.person == person)
            & (GroupEvent.on <= day)
            & (GroupEvent.recorded_at < cutoff)
        )
        .order_by(GroupEvent.on.desc(), GroupEvent.id.desc())
        .limit(1)
    )
    return fn.COALESCE(last, Person.village)
