"""Households: the list, members, family working away and what the household page joins."""

from peewee import JOIN
from werkzeug.exceptions import NotFound

from ..models import Grid, Village
from ..models.care import Emergency, Need
from ..models.households import FamilyAway, Household
from ..models.persons import Person
from ..models.records import Activity, Attendance, Benefit


def listing(scope, q=""):
    """Households of the area, searchable by the head's name or the address."""
    query = (
        Household.select(Household, Village, Grid)
        .join(Village)
        .switch(Household)
        .join(Grid, JOIN.LEFT_OUTER)
        .order_by(Village.sort_order, Household.id)
    )
    query = scope.filter(query, Household).where(Household.voided_at.is_null())
    q = (q or "").strip()
    if q:
        query = query.where(Household.head_name.contains(q) | Household.address.contains(q))
    return query


def members(household):
    """Everyone registered in the household, those still registered first, oldest first."""
    return (
        Person.select()
        .where(Person.household == household)
        .order_by(Person.exited_on.is_null(False), Person.birth_date)
    )


def away(household):
    """Family members working away, those still away first."""
    return household.away.order_by(FamilyAway.returned_on.is_null(False).desc(), FamilyAway.id)


def away_member(household, away_id):
    """One family member away of this household (NotFound when he belongs to another)."""
    row = FamilyAway.get_or_none((FamilyAway.id == away_id) & (FamilyAway.household == household))
    if row is None:
        raise NotFound()
    return row


def records(household):
    """The household's needs, emergencies, benefits and activities across its members."""
    ids = Person.select(Person.id).where(Person.household == household)
    return {
        "needs": Need.select(Need, Person)
        .join(Person)
        .where(Need.person.in_(ids))
        .order_by(Need.raised_on.desc())
        .limit(20),
        "emergencies": Emergency.select(Emergency, Person)
        .join(Person)
        .where(Emergency.person.in_(ids))
        .order_by(Emergency.discovered_at.desc())
        .limit(10),
        "benefits": Benefit.select(Benefit, Person)
        .join(Person)
        .where(Benefit.person.in_(ids))
        .order_by(Benefit.start_on.desc()),
        "activities": Attendance.select(Attendance, Activity, Person)
        .join(Activity)
        .switch(Attendance)
        .join(Person)
        .where(Attendance.person.in_(ids) & Activity.voided_at.is_null())
        .order_by(Activity.held_on.desc())
        .limit(20),
    }
