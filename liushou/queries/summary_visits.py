"""The visits of a period, counted for a summary (queries/summary.py) and for the report
(queries/indicators.report) over the visit index, without reading the visit table or every
person of a county.

Two facts of the schema make this exact:
- a visit is scoped by its own village and grid (Scope.condition(Visit)): whatever the scope, it
  decides which visits are the area's without its persons; only a one-village report of a
  township user places a visit by where its persons lived on the day (facts.village_on), and
  that one still joins them;
- every visit has at least one person: recording one asks for them (services/visits.read_visit:
  请选择走访对象), a correction keeps the ones chosen (services/visit_changes), and a link goes
  only with its visit. So the visits with a person known at the cut-off (not voided before it)
  are all the area's visits less those whose every person was voided before it, and voided
  persons are few and found by their own index (person.voided_at, migration 34).
"""

from peewee import SQL, fn

from ..models.persons import Person
from ..models.visits import CheckIn, Visit, VisitPerson
from . import facts
from .facts import known
from .summary_period import _sum_if


def _alive(cutoff):
    return Person.voided_at.is_null() | (Person.voided_at >= cutoff)


def area_visits(scope, start, end, cutoff):
    """Visits in `scope` dated start..end as known at `cutoff` with at least one person not
    voided before it: the same number as COUNT(DISTINCT visit) over their persons."""
    dated = (Visit.visited_on >= start) & (Visit.visited_on <= end)
    visits = known(scope.filter(Visit.with_voided(fn.COUNT(SQL("*"))), Visit), Visit, cutoff)
    visits = visits.where(dated)
    total = visits.scalar() or 0
    gone = Person.select(Person.id).where(Person.voided_at < cutoff)
    touched = VisitPerson.select(VisitPerson.visit).where(VisitPerson.person.in_(gone))
    someone = (
        VisitPerson.select(SQL("1"))
        .join(Person, on=VisitPerson.person == Person.id)
        .where((VisitPerson.visit == Visit.id) & _alive(cutoff))
    )
    lost = visits.where(Visit.id.in_(touched) & ~fn.EXISTS(someone)).scalar() or 0
    return total - lost


def linked(p, first, *fields):
    """`fields` of the area's visits dated `first`..the period's end as known at its cut-off,
    joined to their links to persons. For an area (not the whole instance) the links are read
    between the lowest and the highest id of those visits (one pass over the visit index
    first): the same rows, but PostgreSQL reads the link index's range for them instead of
    every link of a county."""
    dated = (Visit.visited_on >= first) & (Visit.visited_on <= p.end)
    query = p.known(Visit, *fields).join(VisitPerson, on=VisitPerson.visit == Visit.id).where(dated)
    if p.scope.everything:
        return query
    # id + 0: read from the visit index, not by walking the primary key (PostgreSQL's
    # MIN/MAX shortcut reads the table row of every id until one is the area's).
    bounds = p.known(Visit, fn.MIN(Visit.id + 0), fn.MAX(Visit.id + 0)).where(dated)
    low, high = next(iter(facts.raw_rows(bounds)))
    return query.where(VisitPerson.visit.between(low or 0, high or 0))


def by_person(p):
    """[(person id, visits, last visit's day)] of the persons visited in the period (read once
    per period: the person-visits by tier and, when the longest visit cycle lies within the
    period, whether each was visited within his cycle)."""
    if p._by_person is None:
        # COUNT(*): the links' (visit, person) index holds all it reads (PostgreSQL).
        query = linked(
            p, p.start, VisitPerson.person, fn.COUNT(SQL("*")), fn.MAX(Visit.visited_on)
        ).group_by(VisitPerson.person)
        p._by_person = list(facts.raw_rows(query))
    return p._by_person


def count_visits(p, rows):
    """Person-visits in the period by tier (each person by his tier and village at its end)."""
    tiers = p.tier_of()
    for person_id, n, _ in by_person(p):
        village_tier = tiers.get(person_id)
        if village_tier is not None:
            rows[village_tier[0]].tier_done[village_tier[1]] += n


def count_visit_flows(p, rows):
    """Visits, at the door (一登门); check-ins (一敲门): each in the month of its own day (an
    open period's closed months read them kept: summary_open)."""
    in_period = (Visit.visited_on >= p.start) & (Visit.visited_on <= p.end)
    door = _sum_if(Visit.method == "上门")
    query = p.persons(
        p.known(Visit, Visit.village, fn.COUNT(Visit.id), door).where(in_period), Visit.village
    ).group_by(Visit.village)
    for village_id, n, at_door in query.tuples():
        rows[village_id].visits, rows[village_id].door = n, at_door or 0
    # In the village the person lived in on the check-in's day (facts.village_on: his current
    # one without a group history), placed here per person and day from his events read once
    # (not one look-up of his events per check-in). The candidates are those who live in the
    # listed villages now or lived in one by their group history (facts.lived_in), not the
    # area's persons of today: a child who moved to another village or township since keeps his
    # check-ins in the village he lived in on their day in every report of it (as his needs and
    # services do), and a grid worker's are those made while he lived in the worker's grids.
    query = known(
        CheckIn.with_voided(CheckIn.person, CheckIn.on, fn.COUNT(CheckIn.id)).join(Person),
        CheckIn,
        p.cutoff,
    ).where((CheckIn.on >= p.start) & (CheckIn.on <= p.end) & p.alive)
    lived = facts.lived_in(p.scope, p.cutoff, p.village_ids)
    if lived is not None:
        query = query.where(CheckIn.person.in_(lived))
    counted = list(query.group_by(CheckIn.person, CheckIn.on).tuples())
    where = facts.Whereabouts({row[0] for row in counted}, p.cutoff)
    for person_id, day, n in counted:
        village_id, grid_id = where.on(person_id, day)
        if village_id in rows and _in_area(p.scope, person_id, village_id, grid_id):
            rows[village_id].knock += n


def _in_area(scope, person_id, village_id, grid_id):
    """Whether a person who lived in this village and grid is inside the user's area then."""
    if scope.is_helper:
        return person_id in scope.person_ids
    return scope.allows_grid(village_id, grid_id)
