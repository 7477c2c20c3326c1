"""Completeness scores (derived state) kept with every change, and the collector's check (核实).

A person's score depends on his own record, his household and its family-away rows, so every
writer of those calls `refresh_household` inside its own transaction
(services/categories_follow.follow_household does it for persons and family-away rows,
services/households for the household itself).
"""

from .. import clock
from ..db import database, touching
from ..models.households import FamilyAway, Household
from ..models.persons import Person
from ..rules import completeness
from ..rules.categories import age_on
from . import ValidationError
from .audit import record


def away_of(rows):
    """Family-away rows (model instances or raw dicts) as the rule reads them."""
    get = (lambda r, k: r[k]) if rows and isinstance(rows[0], dict) else getattr
    return [
        completeness.Away(
            id=get(r, "id"),
            relation=get(r, "relation"),
            name=get(r, "name") or "",
            id_number=get(r, "id_number") or "",
            phone=get(r, "phone") or "",
            province=get(r, "province") or "",
            city=get(r, "city") or "",
            away_since=get(r, "away_since"),
            returned_on=get(r, "returned_on"),
            died_on=get(r, "died_on"),
        )
        for r in rows
    ]


def assess(person, household=None, rows=None, today=None):
    """The rule's `Completeness` for one Person (his household and rows read when not given)."""
    today = today or clock.today()
    household = household or person.household
    if rows is None:
        rows = away_of(list(FamilyAway.select().where(FamilyAway.household == household.id)))
    age = age_on(person.birth_date, today) if person.birth_date else None
    return completeness.assess(person.__data__, household.__data__, rows, age)


def refresh_household(household_id, today=None):
    """Recompute the stored score of every person of a household (in the caller's
    transaction); only changed scores are written."""
    household = Household.get_by_id(household_id)
    rows = away_of(list(FamilyAway.select().where(FamilyAway.household == household_id)))
    for person in Person.select().where(Person.household == household_id):
        score = assess(person, household, rows, today).score
        if person.completeness != score:
            with touching([person.village_id]):
                Person.update(completeness=score).where(Person.id == person.id).execute()
            person.completeness = score


def refresh_persons(persons, today=None):
    """Recompute the scores of some persons (a nightly re-derivation changed their groups)."""
    for household_id in sorted({p.household_id for p in persons}):
        refresh_household(household_id, today)


def check_person(actor, person, today=None):
    """核实: the user has checked the record against the family; who and when are kept."""
    today = today or clock.today()
    if person.voided_at is not None:
        raise ValidationError({"checked_by": "此登记已作废"})
    with database.atomic():
        # The history says who checked (his login name) rather than a bare user id.
        changes = [
            (
                "核实",
                str(person.checked_on) if person.checked_on else None,
                f"{today} {actor.username}",
            ),
        ]
        person.checked_by, person.checked_on = actor.user_id, today
        person.save(only=[Person.checked_by, Person.checked_on])
        record(actor, "update", person, changes=changes)
        refresh_household(person.household_id, today)
    return person


_PERSON_COLUMNS = (
    "id, household_id, birth_date, groups, id_number, ethnicity, health, phone, school, "
    "father_status, mother_status, carer_name, carer_relation, carer_id_number, carer_phone, "
    "carer_capable, agreement_signed_on, living_arrangement, self_care, supporters, "
    "contact_name, contact_relation, contact_phone, collected_by, checked_by"
)
_AWAY_COLUMNS = (
    "id, household_id, relation, name, id_number, phone, province, city, away_since, "
    "returned_on, died_on"
)


_IDS_PER_UPDATE = 1000


def _dicts(sql):
    cursor = database.execute_sql(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def backfill(today=None, township_id=None):
    """Every person's score (or only those of township `township_id`: the demo adding one to a
    county), from the columns as schema step 19 has them (raw SQL: later model fields may not
    exist yet while migrating)."""
    from ..rules.cells import parse_date

    today = today or clock.today()
    within = ""
    if township_id is not None:
        within = (
            f" WHERE village_id IN (SELECT id FROM village WHERE township_id = {int(township_id)})"
        )
    households = {
        h["id"]: h
        for h in _dicts(f"SELECT id, address, economic_sources, phone FROM household{within}")
    }
    away = {}
    for row in _dicts(f"SELECT {_AWAY_COLUMNS} FROM family_away WHERE voided_at IS NULL"):
        if row["household_id"] not in households:
            continue
        for key in ("away_since", "returned_on", "died_on"):
            row[key] = parse_date(str(row[key]))[0] if row[key] else None
        away.setdefault(row["household_id"], []).append(row)
    by_score = {}  # score -> the ids of the persons who have it
    for p in _dicts(f"SELECT {_PERSON_COLUMNS} FROM person{within}"):
        born = parse_date(str(p["birth_date"]))[0] if p["birth_date"] else None
        age = age_on(born, today) if born else None
        rows = away_of(away.get(p["household_id"], []))
        score = completeness.assess(p, households.get(p["household_id"], {}), rows, age).score
        by_score.setdefault(score, []).append(p["id"])
    # One UPDATE per score and up to _IDS_PER_UPDATE persons (one per person took 3.5 s at
    # 100,000 persons).
    mark = database.param
    for score, ids in by_score.items():
        for start in range(0, len(ids), _IDS_PER_UPDATE):
            chunk = ids[start : start + _IDS_PER_UPDATE]
            database.execute_sql(
                f"UPDATE person SET completeness = {mark} "
                f"WHERE id IN ({', '.join([mark] * len(chunk))})",
                (score, *chunk),
            )
