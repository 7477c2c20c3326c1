"""What each user's role owes today: a village cadre's weekly 一登门, a grid worker's or
volunteer's daily 一敲门 (the paired helper's 谈心 is the visit-state worklist in queries.visits).

Computed on read from the last door visit, the last visit or check-in, and the cycles in force
today (dated settings): the persons concerned are one village or a helper's few, so no state is
kept for them."""

from dataclasses import dataclass
from datetime import date, timedelta

from peewee import JOIN, fn

from ..models.helpers import Helper, HelperArea
from ..models.households import Household
from ..models.persons import Person
from ..models.visits import CheckIn, Pairing, Visit, VisitPerson, VisitState
from ..rules import visits as rules

# How far ahead each duty's list looks: those not done within their cycle (due today or before).
HORIZON = {"door": 0, "knock": 0}
SHOWN = 60  # rows listed per duty on the phone (the count says how many in all)


@dataclass
class Due:
    """One person owed one duty."""

    person: Person
    duty: str
    days: int
    last_on: date | None
    due_on: date
    checkin: CheckIn | None = None  # today's check-in, once tapped


def _groups_cond(duty, cyc):
    """Persons in a group the duty applies to (so the rest are not read at all)."""
    groups = [g for g, days in cyc.days.get(duty, {}).items() if days > 0]
    groups += [a for a, g in rules.GROUP_ALIASES.items() if g in groups]
    cond = None
    for g in groups:
        cond = Person.groups.contains(g) if cond is None else cond | Person.groups.contains(g)
    return cond


def _population(scope, duty, cyc, helpers, role):
    """The persons a user owes `duty`, or None when he owes none: a cadre his area (or his
    door helpers' villages), a grid worker his grids and his paired persons, a volunteer his
    paired persons, a grid account its grids."""
    cond = _groups_cond(duty, cyc)
    if cond is None:
        return None
    mine = [h for h in helpers if h.kind in rules.DUTY_KINDS[duty]]
    base = scope.filter(Person.active().where(cond), Person)
    account_duty = (duty == "door" and role == "village") or (duty == "knock" and role == "grid")
    if account_duty:
        return base
    if not mine:
        return None
    if duty == "door":
        villages = [h.village_id for h in mine if h.village_id]
        return base.where(Person.village.in_(villages)) if villages else base
    paired = Pairing.select(Pairing.person).where(
        Pairing.ended_on.is_null() & Pairing.helper.in_([h.id for h in mine])
    )
    own = Person.id.in_(paired)
    workers = [h.id for h in mine if h.kind == "网格员"]
    if workers:
        areas = list(HelperArea.select().where(HelperArea.helper.in_(workers)))
        for a in areas:
            place = (Person.grid == a.grid_id) if a.grid_id else (Person.village == a.village_id)
            own |= place
    return base.where(own)


def _last_by_person(query, ids):
    return dict(query.where(VisitPerson.person.in_(ids)).group_by(VisitPerson.person).tuples())


def _last_done(duty, ids):
    """{person id: the last day the duty was done}: a door visit for 一登门; any visit or a
    check-in for 一敲门 (a check-in never satisfies a door visit or a talk)."""
    visits = (
        VisitPerson.select(VisitPerson.person, fn.MAX(Visit.visited_on))
        .join(Visit)
        .where(Visit.voided_at.is_null())
    )
    if duty == "door":
        return _last_by_person(visits.where(Visit.method == "上门"), ids)
    last = _last_by_person(visits, ids)
    checks = (
        CheckIn.select(CheckIn.person, fn.MAX(CheckIn.on))
        .where(CheckIn.person.in_(ids))
        .group_by(CheckIn.person)
        .tuples()
    )
    for pid, on in checks:
        on = date.fromisoformat(on) if isinstance(on, str) else on
        if pid not in last or on > last[pid]:
            last[pid] = on
    return last


def owed(scope, duty, today, cyc, tr, helpers, role=""):
    """[Due] of one duty, due by today + its horizon, most overdue first; [] when none."""
    population = _population(scope, duty, cyc, helpers, role)
    if population is None:
        return []
    persons = list(
        population.select(Person, Household, VisitState)
        .join(Household)
        .switch(Person)
        .join(VisitState, JOIN.LEFT_OUTER)
        .order_by(Person.name_pinyin)
    )
    last = _last_done(duty, [p.id for p in persons])
    horizon = today + timedelta(days=HORIZON[duty])
    out = []
    for p in persons:
        state = getattr(p, "visitstate", None)
        tier = state.effective_tier if state and state.id else "general"
        days = cyc.for_groups(duty, p.group_list, tr.days(tier))
        if days is None:
            continue
        due = rules.due_after(last.get(p.id), days, today)
        if due <= horizon:
            out.append(Due(p, duty, days, last.get(p.id), due))
    out.sort(key=lambda d: d.due_on)
    return out


def of_user(scope, today, cyc, tr, helper_ids, role):
    """[(duty, label, [Due])] for the duties the user's role and helper kinds owe."""
    helpers = list(Helper.select().where(Helper.id.in_(list(helper_ids or []) or [0])))
    kinds = [h.kind for h in helpers]
    return [
        (duty, rules.DUTIES[duty], owed(scope, duty, today, cyc, tr, helpers, role))
        for duty in rules.duties_of(kinds, role)
    ]
