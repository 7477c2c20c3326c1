"""Pairing coverage, the visit worklist and visit figures, within a user's area."""

from bisect import bisect_left, insort
from datetime import date, timedelta

from peewee import JOIN, fn

from .. import clock
from ..db import count_if, database
from ..models import Village
from ..models.helpers import Helper
from ..models.households import Household
from ..models.persons import Person
from ..models.visits import CheckIn, Pairing, Visit, VisitHelper, VisitPerson, VisitState
from ..rules.dates import month_after
from ..rules.dates import month_start as month_of
from ..rules.visits import items_for
from .facts import known
from .helpers import for_visit
from .persons import household_members


def in_groups(scope):
    """Active persons who belong to at least one group (the population helpers cover)."""
    return scope.filter(Person.active().where(Person.groups != ""), Person)


def _paired_ids():
    return Pairing.select(Pairing.person).where(Pairing.ended_on.is_null())


def unpaired_persons(scope, village_id=None):
    query = (
        in_groups(scope)
        .where(Person.id.not_in(_paired_ids()))
        .order_by(Person.village, Person.grid, Person.name_pinyin)
    )
    if village_id:
        query = query.where(Person.village == village_id)
    return query


def coverage_by_village(scope, on=None):
    """([(village, persons in groups, paired, rate)], (total, paired, rate))."""
    base = in_groups(scope)
    totals = dict(
        base.select(Person.village, fn.COUNT(Person.id)).group_by(Person.village).tuples()
    )
    paired = dict(
        base.select(Person.village, fn.COUNT(Person.id))
        .where(Person.id.in_(_paired_ids()))
        .group_by(Person.village)
        .tuples()
    )
    rows = []
    for village in scope.filter(Village.ordered(), Village):
        n, p = totals.get(village.id, 0), paired.get(village.id, 0)
        rows.append((village, n, p, (p / n) if n else None))
    n, p = sum(totals.values()), sum(paired.values())
    return rows, (n, p, (p / n) if n else None)


def visits_in_month(scope, month_start):
    """(done, due) for a month: persons visited in it, and persons whose visit fell due by its
    end (a person visited in the month counts as due too). For the current month "visited in
    it" is his kept last visit day (VisitState.last_visit_on, recomputed with every visit, its
    correction and its voiding; no visit is dated after today): the area's own persons, never
    the whole register's visits of the month (a county's 1,000,000 persons)."""
    next_month = month_after(month_start)
    population = in_groups(scope).join(VisitState, JOIN.LEFT_OUTER)
    if month_start == month_of(clock.today()):
        seen = VisitState.last_visit_on >= month_start
    else:
        visited = (
            VisitPerson.select(VisitPerson.person)
            .join(Visit)
            .where(
                (Visit.visited_on >= month_start)
                & (Visit.visited_on < next_month)
                & Visit.voided_at.is_null()  # a join does not leave voided visits out by itself
            )
        )
        seen = Person.id.in_(visited)
    done = population.where(seen).count()
    due = population.where((VisitState.due_on < next_month) | seen).count()
    return done, due


def visits_by_village(scope, month_start):
    """[(village, visits this month, persons visited, persons due)]."""
    next_month = month_after(month_start)
    in_month = (Visit.visited_on >= month_start) & (Visit.visited_on < next_month)
    counts = dict(
        scope.filter(Visit.select(Visit.village, fn.COUNT(Visit.id)), Visit)
        .where(in_month)
        .group_by(Visit.village)
        .tuples()
    )
    seen = dict(
        scope.filter(Person.select(Person.village, fn.COUNT(fn.DISTINCT(Person.id))), Person)
        .join(VisitPerson)
        .join(Visit)
        .where(in_month & Visit.voided_at.is_null())
        .group_by(Person.village)
        .tuples()
    )
    overdue = dict(
        scope.filter(Person.active().select(Person.village, fn.COUNT(Person.id)), Person)
        .join(VisitState)
        .where(VisitState.due_on < clock.today())
        .group_by(Person.village)
        .tuples()
    )
    return [
        (v, counts.get(v.id, 0), seen.get(v.id, 0), overdue.get(v.id, 0))
        for v in scope.filter(Village.ordered(), Village)
    ]


def visits_by_helper(scope, month_start):
    """[(helper, visits this month)] for the helpers of the area."""
    next_month = month_after(month_start)
    query = (
        Helper.select(Helper, fn.COUNT(Visit.id).alias("n"))
        .join(VisitHelper, JOIN.LEFT_OUTER)
        .join(
            Visit,
            JOIN.LEFT_OUTER,
            on=(
                (VisitHelper.visit == Visit.id)
                & (Visit.visited_on >= month_start)
                & (Visit.visited_on < next_month)
                & Visit.voided_at.is_null()
            ),
        )
        .where(Helper.active)
        .group_by(Helper)
        .order_by(fn.COUNT(Visit.id).desc())
    )
    cond = scope.condition(Helper)
    if cond is not None:
        query = query.where(cond)
    return [(h, h.n) for h in query]


def _visited_ids():
    """Persons seen in a visit that is not voided."""
    return VisitPerson.select(VisitPerson.person).join(Visit).where(Visit.voided_at.is_null())


def never_visited(scope):
    """Active persons in a group who have no visit at all."""
    return (
        in_groups(scope)
        .where(Person.id.not_in(_visited_ids()))
        .order_by(Person.village, Person.name_pinyin)
    )


def worklist_query(today, horizon_days=7, helper_ids=None):
    """Visit states due within `horizon_days` (overdue first), of active persons (not exited,
    not voided), optionally only of persons currently paired with the given helpers. Callers
    add the area scope."""
    query = (
        VisitState.select(VisitState, Person, Household)
        .join(Person)
        .join(Household)
        .where(
            Person.exited_on.is_null()
            & Person.voided_at.is_null()  # a join does not leave voided persons out by itself
            & (VisitState.due_on <= today + timedelta(days=horizon_days))
        )
        .order_by(VisitState.due_on, Person.name_pinyin)
    )
    if helper_ids is not None:
        paired = Pairing.select(Pairing.person).where(
            Pairing.ended_on.is_null() & Pairing.helper.in_(list(helper_ids) or [0])
        )
        query = query.where(Person.id.in_(paired))
    return query


def worklist(scope, today, helper_ids=None):
    """(query of due visit states, counts by bucket) for a user: his paired persons when he is
    a helper (`helper_ids`), else his area. Read only: the states are kept current by the writes
    that change them and by the nightly job."""
    query = scope.filter(worklist_query(today, 7, helper_ids), Person)
    # The three counts in one pass over the rows (no joined models, no ordering).
    overdue, due_today, total = (
        query.select(
            fn.COALESCE(count_if(VisitState.due_on < today), 0),
            fn.COALESCE(count_if(VisitState.due_on == today), 0),
            fn.COUNT(VisitState.id),
        )
        .order_by()
        .tuples()
        .get()
    )
    counts = {"overdue": overdue, "today": due_today, "week": total - overdue - due_today}
    return query, counts


def state(person):
    """A person's visit state (tier, last visit, due date), or None before his first refresh."""
    return VisitState.get_or_none(VisitState.person == person)


def grid_for_pairing(grid):
    """Active persons in a group of one grid (already resolved through the scope), each with
    `helper_ids`: the helpers currently paired with him."""
    persons = list(
        Person.active()
        .where((Person.grid == grid) & (Person.groups != ""))
        .order_by(Person.name_pinyin)
    )
    current = {}
    for p in Pairing.current().where(Pairing.person.in_([p.id for p in persons] or [0])):
        current.setdefault(p.person_id, []).append(p.helper_id)
    for p in persons:
        p.helper_ids = current.get(p.id, [])
    return persons


def stale_states(today):
    """Active persons without a visit state brought up to `today` (the nightly job's work)."""
    return (
        Person.select()
        .join(VisitState, JOIN.LEFT_OUTER)
        .where(
            Person.exited_on.is_null()
            & Person.voided_at.is_null()
            & (
                VisitState.id.is_null()
                | VisitState.refreshed_on.is_null()
                | (VisitState.refreshed_on < today)
            )
        )
    )


def persons_seen(visit):
    """The persons seen in a visit."""
    return [link.person for link in visit.person_links.order_by(VisitPerson.id)]


def helpers_of(visit):
    """The helpers who made a visit."""
    return [link.helper for link in visit.helper_links.order_by(VisitHelper.id)]


def edit_choices(visit, user_helper_ids):
    """(members, helpers) a visit's edit form offers: its household's active members and
    whoever it saw; the helpers of a new visit (`helpers.for_visit`) and whoever made it."""
    seen, done_by = persons_seen(visit), helpers_of(visit)
    members = list(household_members(seen[0]))
    members += [p for p in seen if p.id not in {m.id for m in members}]
    helpers = for_visit(seen[0], user_helper_ids)
    for h in done_by:
        if h.id not in {x.id for x in helpers}:
            h.paired = False
            helpers.append(h)
    return members, helpers


def checkins_between(scope, start, end, cutoff):
    """A query of the 一敲门 check-ins (CheckIn joined with Person) made from `start` to `end`
    (dates, inclusive) of persons in the user's area, as known at `cutoff` (facts.known: one
    recorded later or voided before it does not count). Counted apart from visits: a check-in
    is not a visit. `.count()` for the figure; group by Person.village for a village's."""
    query = (
        CheckIn.with_voided()
        .select(CheckIn, Person)
        .join(Person)
        .where((CheckIn.on >= start) & (CheckIn.on <= end))
    )
    return scope.filter(known(query, CheckIn, cutoff), CheckIn)


def checkins_this_month(scope, today):
    """Check-ins made so far this month in the user's area (for the home page)."""
    # Everything recorded so far, this very second included (clock.now() is to the second).
    now = clock.now() + timedelta(seconds=1)
    start = today.replace(day=1)
    if scope.condition(CheckIn) is None:
        # The whole instance (a township's own staff): no village to filter by, so no join to
        # Person (every check-in's person exists: a foreign key); at 100,000 persons the join
        # was half of this count's time (issue 17 item 7).
        query = CheckIn.with_voided().where((CheckIn.on >= start) & (CheckIn.on <= today))
        return known(query, CheckIn, now).count()
    return checkins_between(scope, start, today, now).count()


def items_seen(visit):
    """[(person, [(item, status, note)])] of a visit, as recorded."""
    return [(link.person, link.item_rows) for link in visit.person_links.order_by(VisitPerson.id)]


def item_form(members, posted=None, kept=None):
    """[(person, [(item, status, note)])] the visit form asks about each household member: the
    items his visit was recorded with (`kept`: {person id: rows}) or his groups' items, filled
    from `posted` ({(person id, item): (status, note)}) when the form comes back."""
    posted, kept = posted or {}, kept or {}
    out = []
    for m in members:
        rows = kept.get(m.id) or [(n, "", "") for n in items_for(m.group_list)]
        rows = [(n, *posted.get((str(m.id), n), (st, note))) for n, st, note in rows]
        if rows:
            out.append((m, rows))
    return out


def _day(value):
    return date.fromisoformat(value) if isinstance(value, str) else value


def worklist_keys(scope, today, helper_ids=None, persons=None):
    """The worklist (as `worklist`) as its ordered keys [(due_on, name_pinyin, person id)]:
    plain rows straight from the cursor, sorted here (so a patched list sorts as a counted
    one). Only the persons `persons` (ids) when given."""
    query = (
        scope.filter(worklist_query(today, 7, helper_ids), Person)
        .select(VisitState.due_on, Person.name_pinyin, Person.id)
        .order_by()
    )
    if persons is not None:
        query = query.where(Person.id.in_(sorted(persons) or [0]))
    rows = database.execute_sql(*query.sql()).fetchall()
    days = {}  # one date object per day (a township's list has tens of thousands of rows)
    keys = [
        (days.get(due) or days.setdefault(due, _day(due)), pinyin or "", pid)
        for due, pinyin, pid in rows
    ]
    keys.sort()
    return keys


def worklist_patched(keys, scope, today, helper_ids, persons):
    """`keys` (worklist_keys) with the rows of the persons `persons` (ids) read again: a visit
    or check-in moved their visit state. A new list; `keys` is left as it was."""
    fresh = worklist_keys(scope, today, helper_ids, persons=persons)
    kept = [k for k in keys if k[2] not in persons]
    for k in fresh:
        insort(kept, k)
    return kept


def worklist_counts(keys, today):
    """{overdue, today, week} of ordered worklist keys."""
    overdue = bisect_left(keys, (today,))
    due_today = bisect_left(keys, (today + timedelta(days=1),)) - overdue
    return {"overdue": overdue, "today": due_today, "week": len(keys) - overdue - due_today}


def worklist_states(person_ids):
    """{person id: VisitState (with its person and household)} for the persons `person_ids`."""
    query = (
        VisitState.select(VisitState, Person, Household)
        .join(Person)
        .join(Household)
        .where(Person.id.in_(list(person_ids) or [0]))
    )
    return {state.person_id: state for state in query}
