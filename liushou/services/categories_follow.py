"""Categories that follow the facts: a household's family-away rows decide its members' facts,
each person's categories are re-derived and settled (flagged, in his history, his visit state
kept current), and the nightly job rechecks everyone as ages and months away move on."""

import json
import threading

from .. import clock
from ..db import database, in_batches
from ..models import Setting
from ..models.households import FamilyAway, Household
from ..models.persons import Person
from ..queries.visits import stale_states
from ..rules import categories, family
from . import SYSTEM, _plain, completeness, group_events
from .audit import record
from .month_rates import reopen_for_birth_date
from .person_facts import _member, _said, derive, facts_of, thresholds
from .person_review import _held
from .visits import ensure_states, refresh_state


def household_facts(household_id, person, data, on):
    """(facts the household's family-away rows decide for a person about to be saved with
    `data`, {field: message} where `data` contradicts them); an importer's preview can ask too."""
    others = Person.active().where(Person.household == household_id)
    if person is not None:
        others = others.where(Person.id != person.id)
    me = _member(person.id if person else 0, data)
    decided = family.facts_for(
        [me, *(_member(p.id, p.__data__) for p in others)],
        away_rows(household_id),
        on,
        thresholds(on),
    )[me.id]
    return decided, family.conflicts(me, decided, away_rows(household_id))


def away_rows(household_id):
    """A household's family-away rows as the family rules read them (the one place to leave
    out voided rows, and to read a row's end by death, once the table records them)."""
    return [
        family.AwayRow(r.id, r.name, r.relation, r.away_since, r.returned_on, r.died_on)
        for r in FamilyAway.select().where(FamilyAway.household == household_id)
    ]


# What a fact is when no family-away row decides it any more (a row voided as a mistake).
UNDECIDED = {
    "father_status": "",
    "mother_status": "",
    "husband_away_since": None,
    "children_away": False,
    "children_away_since": None,
}


def follow_household(actor, household_id, on=None, forget=None):
    """Bring every active member of a household into line with its family-away rows (children's
    parents, a woman's husband, elders' children) and re-derive each one's categories, in the
    caller's transaction. `forget`: the rows as they were before one was voided; a fact only
    that row decided goes back to unknown."""
    on = on or clock.today()
    members = list(Person.active().where(Person.household == household_id).order_by(Person.id))
    facts = [_member(p.id, p.__data__) for p in members]
    decided = family.facts_for(facts, away_rows(household_id), on, thresholds(on))
    if forget is not None:
        for pid, was in family.facts_for(facts, forget, on, thresholds(on)).items():
            for k in was:
                decided[pid].setdefault(k, UNDECIDED[k])
    changed = []
    with database.atomic():
        for person in members:
            before = facts_of(person.__data__)
            changes = [
                (k, _plain(person.__data__[k]), _plain(v))
                for k, v in decided[person.id].items()
                if person.__data__[k] != v
            ]
            if changes and _held(actor, person, decided[person.id], changes, on):
                continue  # his change waits for the township's review (审核报送)
            for k, v in decided[person.id].items():
                setattr(person, k, v)
            if _settle(actor, person, on, changes, before):
                changed.append(person)
        completeness.refresh_household(household_id, on)
    return changed


def _settle(actor, person, on, changes, before, flag=True, action="update", why=None):
    """Re-derive a person's categories from his facts (already set on him) and save him: a
    category change is flagged for review and written to his history, with the rule's reason,
    in the same audit row as the changes that caused it (`why` said instead, when given); then
    his visit state. True when his categories changed."""
    groups, reasons = derive(person.__data__, on)
    old_groups, old_reasons = person.groups, person.group_reasons
    changes = list(changes)
    if groups != old_groups:
        why = why or categories.change_reason(
            before,
            facts_of(person.__data__),
            json.loads(old_reasons or "{}"),
            json.loads(reasons),
            on,
            thresholds(on),
        )
        changes += [("groups", old_groups, groups), ("category_reason", _said(old_reasons), why)]
        if flag:
            _flag(person, old_groups, groups, on, why)
    person.groups, person.group_reasons = groups, reasons
    _follow_groups(person, on, action)
    if changes:
        person.updated_at = clock.now()
        record(actor, action, person, changes=changes)
    if changes or reasons != old_reasons:
        person.save()
    if any(field == "birth_date" for field, _old, _new in changes):
        reopen_for_birth_date(person)  # his allowance's amounts in closed periods moved
    _visit_state(person)
    return groups != old_groups


def _follow_groups(person, on, action):
    """His group history follows, dated by the exit's own date for an exit."""
    if action == "exit":
        group_events.follow(person, person.exited_on, group_events.exit_kind(person.exit_reason))
    else:
        group_events.follow(person, on, "reentry" if action == "reenter" else "category")


def _flag(person, old, new, on, why=""):
    person.needs_review = True
    before, after = old.replace(",", "、") or "无", new.replace(",", "、") or "无"
    note = f"{on:%Y-%m-%d} 类别变化：{before} → {after}" + (f"（{why}）" if why else "")
    person.review_note = note[:200]


def recheck(persons, on=None):
    """Re-derive categories (ages and months away move with the calendar); flag changes.

    Returns the persons whose categories changed.
    """
    on = on or clock.today()
    changed = []
    with database.atomic():
        for person in persons:
            groups, reasons = derive(person.__data__, on)
            if groups == person.groups and reasons == person.group_reasons:
                continue
            if groups != person.groups:
                changed.append(person)
            _settle(SYSTEM, person, on, [], facts_of(person.__data__))
        completeness.refresh_persons(changed, on)  # his groups decide which items apply
    return changed


_RECHECK_LOCK = threading.Lock()
CHECKED_ON = "categories_checked_on"  # the setting: the last day whose recheck is done


def checked(day):
    """Is `day`'s recheck recorded as done (one indexed read)?"""
    return Setting.value_on(CHECKED_ON, day) == day.isoformat()


def mark_checked(day):
    """Record `day`'s recheck as done: one dated setting row, in its own transaction."""
    with database.atomic():
        Setting.create(
            key=CHECKED_ON, value=json.dumps(day.isoformat()), valid_from=day, created_by=None
        )


def daily_recheck(today=None):
    """Once a day, re-derive every active person's categories (a child turns 16, months away
    pass a threshold) and bring every visit state up to the day; returns the number of persons
    whose categories changed, or None when already done today (or being done right now by
    another thread: only one does the work)."""
    today = today or clock.today()
    if checked(today):
        return None
    if not _RECHECK_LOCK.acquire(blocking=False):
        return None
    try:
        if checked(today):
            return None
        # In short batches, each its own transaction: writers never wait long behind the job.
        changed = recheck_all(today)
        in_batches(Person, stale_states(today), lambda batch: ensure_states(batch, today))
        mark_checked(today)
        return len(changed)
    finally:
        _RECHECK_LOCK.release()


def recheck_all(today):
    """The nightly work: follow every household with family-away rows (ages move: a child turns
    18, someone turns 60, and whom the rows concern moves with them), then re-derive every
    active person; returns the ids of persons whose categories changed. In short batches, each
    its own transaction (db.in_batches)."""
    with_rows = Household.select().where(Household.id.in_(FamilyAway.select(FamilyAway.household)))
    moved = in_batches(
        Household,
        with_rows,
        lambda batch: {p.id for h in batch for p in follow_household(SYSTEM, h.id, today)},
    )
    rechecked = in_batches(
        Person, Person.active(), lambda batch: {p.id for p in recheck(batch, today)}
    )
    return set().union(*moved, *rechecked)


def _visit_state(person):
    """A person's facts decide his visit tier and due date: keep them current."""
    refresh_state(person)
