"""Reads for complete records: the least complete first, the figure per village, and the rows
of the full-record export (one per person of a group, in the national form's block order)."""

from peewee import JOIN, fn

from .. import clock
from ..db import count_if
from ..models import Grid, User, Village
from ..models.households import FamilyAway, Household
from ..models.persons import Person
from ..rules import completeness as rule
from ..rules.categories import age_on
from ..services.completeness import away_of


def incomplete(scope, village_id=None, group=None):
    """Active persons of the area, least complete first (the ones to fix first)."""
    query = (
        scope.filter(Person.active(), Person)
        .where(Person.completeness < 100)
        .order_by(Person.completeness, Person.village, Person.name_pinyin, Person.id)
    )
    if village_id:
        query = query.where(Person.village == village_id)
    if group:
        query = query.where(Person.groups.contains(group))
    return query


def missing_of(persons, today=None):
    """{person id: Completeness} for a page of persons (households and rows in two reads)."""
    today = today or clock.today()
    persons = list(persons)
    ids = {p.household_id for p in persons}
    households = {h.id: h for h in Household.select().where(Household.id.in_(ids))}
    rows = {}
    for r in FamilyAway.select().where(FamilyAway.household.in_(ids)):
        rows.setdefault(r.household_id, []).append(r)
    out = {}
    for p in persons:
        h = households[p.household_id]
        age = age_on(p.birth_date, today) if p.birth_date else None
        out[p.id] = rule.assess(p.__data__, h.__data__, away_of(rows.get(h.id, [])), age)
    return out


def by_village(scope):
    """[(village, persons, average score, persons below the threshold)] for the area's
    villages with active persons; plus the area's (persons, average, below)."""
    score = fn.COALESCE(Person.completeness, 0)
    rows = (
        scope.filter(Person.active(), Person)
        .select(
            Person.village,
            fn.COUNT(Person.id),
            fn.AVG(score),
            count_if(score < rule.THRESHOLD),
        )
        .group_by(Person.village)
        .tuples()
    )
    figures = {v: (n, avg, below) for v, n, avg, below in rows}
    villages = Village.select().where(Village.id.in_(list(figures))).order_by(Village.sort_order)
    out = [(v, figures[v.id][0], round(figures[v.id][1]), figures[v.id][2]) for v in villages]
    n = sum(r[1] for r in out)
    total = (n, round(sum(r[1] * figures[r[0].id][1] for r in out) / n) if n else None)
    return out, (*total, sum(r[3] for r in out))


def export_persons(scope, group):
    """The active persons of a group in the area, by village, grid and name, with what the
    export prints about each: his household, its family-away rows, members at home and the
    names of his collector and checker."""
    persons = list(
        scope.filter(Person.active(), Person)
        .select(Person, Household)
        .join(Household, JOIN.INNER, on=(Person.household == Household.id))
        .where(Person.groups.contains(group))
        .order_by(Person.village, Person.grid, Person.name_pinyin, Person.id)
    )
    ids = {p.household_id for p in persons}
    rows, members = {}, {}
    for r in FamilyAway.select().where(FamilyAway.household.in_(ids)).order_by(FamilyAway.id):
        rows.setdefault(r.household_id, []).append(r)
    for hid, n in (
        Person.active()
        .select(Person.household, fn.COUNT(Person.id))
        .where(Person.household.in_(ids))
        .group_by(Person.household)
        .tuples()
    ):
        members[hid] = n
    user_ids = {i for p in persons for i in (p.collected_by, p.checked_by) if i}
    users = {u.id: u.display_name for u in User.select().where(User.id.in_(user_ids))}
    villages = {v.id: v.name for v in Village.select()}
    grids = {g.id: g.name for g in Grid.select()}
    return [
        {
            "person": p,
            "village": villages.get(p.village_id, ""),
            "grid": grids.get(p.grid_id, ""),
            "away": rows.get(p.household_id, []),
            "members": members.get(p.household_id, 0),
            "collector": users.get(p.collected_by, ""),
            "checker": users.get(p.checked_by, ""),
        }
        for p in persons
    ]


def for_page(person, today=None):
    """What a person's page shows of his record's completeness: the rule's result (computed
    afresh for the one person) and the names of his collector and checker."""
    ids = [i for i in (person.collected_by, person.checked_by) if i]
    names = {u.id: u.display_name for u in User.select().where(User.id.in_(ids))}
    return {
        "complete": missing_of([person], today)[person.id],
        "collector": names.get(person.collected_by, ""),
        "checker": names.get(person.checked_by, ""),
    }
