"""What each user's role owes today: a village cadre's weekly 一登门, a grid worker's or
volunteer's daily 一敲门 (the paired helper's 谈心 is the visit-state worklist in queries.visits).

Computed on read from the last door visit, the last visit or check-in (kept on each person's
visit state by the writes that move them: VisitState.last_door_on, last_contact_on), and the
cycles in force today (dated settings): one indexed read of the population, no visit rows (a
person without a visit state yet, newly registered, has his counted from his visits)."""

from bisect import insort
from datetime import date, timedelta

from peewee import JOIN, fn

from ..db import database
from ..models.helpers import Helper, HelperArea
from ..models.households import Household
from ..models.persons import Person
from ..models.visits import CheckIn, Pairing, Visit, VisitPerson, VisitState
from ..rules import visits as rules

# How far ahead each duty's list looks: those not done within their cycle (due today or before).
HORIZON = {"door": 0, "knock": 0}
SHOWN = 60  # rows listed per duty on the phone (the count says how many in all)


class Due:
    """One person owed one duty. `person` may be given as his id: the Person (with his
    household) is read when first asked for, so a list of thousands builds no models for the
    rows nobody shows."""

    __slots__ = ("_person", "person_id", "duty", "days", "last_on", "due_on", "checkin", "order")

    def __init__(self, person, duty, days, last_on, due_on, checkin=None, pinyin=""):
        if isinstance(person, int):
            self._person, self.person_id = None, person
        else:
            self._person, self.person_id = person, person.id
        self.duty, self.days, self.last_on, self.due_on = duty, days, last_on, due_on
        self.checkin = checkin  # today's check-in, once tapped
        self.order = (due_on, pinyin or "", self.person_id)  # the list's order

    @property
    def person(self):
        if self._person is None:
            self._person = (
                Person.select(Person, Household)
                .join(Household)
                .where(Person.id == self.person_id)
                .get()
            )
        return self._person

    def __repr__(self):
        return f"Due({self.person_id}, {self.duty!r}, {self.days}, {self.last_on}, {self.due_on})"


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


# The kept column of each duty's last day.
_KEPT = {"door": VisitState.last_door_on, "knock": VisitState.last_contact_on}


def _last_done(duty, ids):
    """{person id: the last day the duty was done} for the persons `ids` (ids or a subquery):
    a door visit for 一登门; any visit or a check-in for 一敲门 (a check-in never satisfies a door
    visit or a talk)."""
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


def _day(value):
    return date.fromisoformat(value) if isinstance(value, str) else value


def owed(scope, duty, today, cyc, tr, helpers, role="", only=None):
    """[Due] of one duty, due by today + its horizon, most overdue first (then by name); []
    when none. Only the persons `only` (ids) when given."""
    population = _population(scope, duty, cyc, helpers, role)
    if population is None:
        return []
    if only is not None:
        population = population.where(Person.id.in_(sorted(only) or [0]))
    # Plain rows for the decision, straight from the cursor (no per-value conversion: a
    # village's thousands of rows are counted after each of its visits); models only for the
    # rows a page shows (SHOWN).
    query = (
        population.select(
            Person.id,
            Person.groups,
            Person.name_pinyin,
            VisitState.id,
            VisitState.override,
            VisitState.tier,
            _KEPT[duty],
        )
        .join(Household)
        .switch(Person)
        .join(VisitState, JOIN.LEFT_OUTER)
    )
    rows = database.execute_sql(*query.sql()).fetchall()
    unkept = [pid for pid, _g, _p, state_id, *_ in rows if not state_id]
    # No visit state yet (none of their writes kept one): counted from their rows.
    counted = _last_done(duty, unkept) if unkept else {}
    horizon = today + timedelta(days=HORIZON[duty])
    out = []
    cycle = {}  # (groups, tier) -> the duty's cycle in days, or None
    for pid, groups, pinyin, state_id, override, tier, on in rows:
        tier = (override or tier) if state_id else "general"
        days = cycle.get((groups, tier), 0)
        if days == 0:
            days = cycle[groups, tier] = cyc.for_groups(
                duty, [g for g in groups.split(",") if g], tr.days(tier)
            )
        if days is None:
            continue
        last = _day(on) if state_id else counted.get(pid)
        due = rules.due_after(last, days, today)
        if due <= horizon:
            out.append(Due(pid, duty, days, last, due, pinyin=pinyin))
    out.sort(key=_order)
    _load_shown(out)
    return out


def _order(due):
    return due.order


def _load_shown(rows):
    """Read the persons (with households) of the first SHOWN rows not read yet, at once."""
    shown = {d.person_id: d for d in rows[:SHOWN] if d._person is None}
    if not shown:
        return
    for person in (
        Person.select(Person, Household).join(Household).where(Person.id.in_(list(shown)))
    ):
        shown[person.id]._person = person


def patched(value, persons, scope, today, cyc, tr, helper_ids, role):
    """`value` (of_user's) with the rows of the persons `persons` (ids) counted again: a visit
    or check-in moved their duty dates. A new list; `value` is left as it was."""
    helpers = list(Helper.select().where(Helper.id.in_(list(helper_ids or []) or [0])))
    out = []
    for duty, label, rows in value:
        kept = [d for d in rows if d.person_id not in persons]
        for d in owed(scope, duty, today, cyc, tr, helpers, role, only=persons):
            insort(kept, d, key=_order)
        _load_shown(kept)
        out.append((duty, label, kept))
    return out


def of_user(scope, today, cyc, tr, helper_ids, role):
    """[(duty, label, [Due])] for the duties the user's role and helper kinds owe."""
    helpers = list(Helper.select().where(Helper.id.in_(list(helper_ids or []) or [0])))
    kinds = [h.kind for h in helpers]
    return [
        (duty, rules.DUTIES[duty], owed(scope, duty, today, cyc, tr, helpers, role))
        for duty in rules.duties_of(kinds, role)
    ]
