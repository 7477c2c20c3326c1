"""Named read queries for lists and figures; each takes the user's scope."""
from datetime import date, timedelta

from peewee import JOIN, fn

from ..models import Village
from ..models.helpers import Helper
from ..models.persons import Person
from ..models.visits import Pairing, Visit, VisitHelper, VisitPerson, VisitState


def in_groups(scope):
    """Active persons who belong to at least one group (the population helpers cover)."""
    return scope.filter(Person.active().where(Person.groups != ""), Person)


def _paired_ids():
    return Pairing.select(Pairing.person).where(Pairing.ended_on.is_null())


def unpaired_persons(scope, village_id=None):
    query = (in_groups(scope).where(Person.id.not_in(_paired_ids()))
             .order_by(Person.village, Person.grid, Person.name_pinyin))
    if village_id:
        query = query.where(Person.village == village_id)
    return query


def coverage_by_village(scope, on=None):
    """([(village, persons in groups, paired, rate)], (total, paired, rate))."""
    base = in_groups(scope)
    totals = dict(base.select(Person.village, fn.COUNT(Person.id)).group_by(Person.village).tuples())
    paired = dict(base.select(Person.village, fn.COUNT(Person.id))
                  .where(Person.id.in_(_paired_ids())).group_by(Person.village).tuples())
    rows = []
    for village in scope.query(Village).order_by(Village.sort_order):
        n, p = totals.get(village.id, 0), paired.get(village.id, 0)
        rows.append((village, n, p, (p / n) if n else None))
    n, p = sum(totals.values()), sum(paired.values())
    return rows, (n, p, (p / n) if n else None)


def visits_in_month(scope, month_start):
    """(done, due) for a month: persons visited in it, and persons whose visit fell due by its
    end (a person visited in the month counts as due too)."""
    next_month = (month_start.replace(day=28) + timedelta(days=4)).replace(day=1)
    visited = (VisitPerson.select(VisitPerson.person).join(Visit)
               .where((Visit.visited_on >= month_start) & (Visit.visited_on < next_month)))
    population = in_groups(scope)
    done = population.where(Person.id.in_(visited)).count()
    due = (population.join(VisitState, JOIN.LEFT_OUTER)
           .where((VisitState.due_on < next_month) | Person.id.in_(visited)).count())
    return done, due


def visits_by_village(scope, month_start):
    """[(village, visits this month, persons visited, persons due)]."""
    next_month = (month_start.replace(day=28) + timedelta(days=4)).replace(day=1)
    in_month = (Visit.visited_on >= month_start) & (Visit.visited_on < next_month)
    counts = dict(scope.filter(Visit.select(Visit.village, fn.COUNT(Visit.id)), Visit)
                  .where(in_month).group_by(Visit.village).tuples())
    seen = dict(scope.filter(Person.select(Person.village, fn.COUNT(fn.DISTINCT(Person.id))), Person)
                .join(VisitPerson).join(Visit).where(in_month).group_by(Person.village).tuples())
    overdue = dict(scope.filter(Person.active().select(Person.village, fn.COUNT(Person.id)), Person)
                   .join(VisitState).where(VisitState.due_on < date.today())
                   .group_by(Person.village).tuples())
    return [(v, counts.get(v.id, 0), seen.get(v.id, 0), overdue.get(v.id, 0))
            for v in scope.query(Village).order_by(Village.sort_order)]


def visits_by_helper(scope, month_start):
    """[(helper, visits this month)] for the helpers of the area."""
    next_month = (month_start.replace(day=28) + timedelta(days=4)).replace(day=1)
    query = (Helper.select(Helper, fn.COUNT(Visit.id).alias("n"))
             .join(VisitHelper, JOIN.LEFT_OUTER).join(Visit, JOIN.LEFT_OUTER,
                                                      on=((VisitHelper.visit == Visit.id)
                                                          & (Visit.visited_on >= month_start)
                                                          & (Visit.visited_on < next_month)))
             .where(Helper.active == True).group_by(Helper).order_by(fn.COUNT(Visit.id).desc()))  # noqa: E712
    cond = scope.condition(Helper)
    if cond is not None:
        query = query.where(cond)
    return [(h, h.n) for h in query]


def never_visited(scope):
    """Active persons in a group who have no visit at all."""
    return (in_groups(scope).where(Person.id.not_in(VisitPerson.select(VisitPerson.person)))
            .order_by(Person.village, Person.name_pinyin))
