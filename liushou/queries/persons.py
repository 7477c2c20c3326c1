"""Persons: the list with its filters and search, and what a person's page and archive show."""

from peewee import JOIN

from ..models import AuditLog, Grid, Village
from ..models.care import Emergency, Need, Service
from ..models.helpers import Helper
from ..models.households import Household
from ..models.persons import Person
from ..models.records import Activity, Attendance, Benefit, CheckUp
from ..models.visits import CheckIn, Pairing, Visit, VisitPerson, VisitState
from ..rules.categories import GROUPS
from ..rules.dates import month_start
from .helpers import visible as visible_helpers
from .records import bands, monthly_amount

HISTORY_ACTIONS = ("create", "update", "exit", "reenter")


def listing(scope, args):
    """The persons of the area narrowed by the list's GET filters (status, village, grid, group,
    review) and searched by name, pinyin or ID tail (`q`)."""
    query = (
        Person.select(Person, Village, Grid)
        .join(Village)
        .switch(Person)
        .join(Grid, JOIN.LEFT_OUTER)
        .order_by(Person.needs_review.desc(), Village.sort_order, Person.name_pinyin)
    )
    query = scope.filter(query, Person)
    status = args.get("status", "active")
    if status == "voided":  # registrations voided as mistakes, for whoever looks for one
        return Person.search(query.where(Person.voided_at.is_null(False)), args.get("q"))
    query = query.where(Person.voided_at.is_null())
    if status == "active":
        query = query.where(Person.exited_on.is_null())
    elif status == "exited":
        query = query.where(Person.exited_on.is_null(False))
    if args.get("village", type=int):
        query = query.where(Person.village == args.get("village", type=int))
    if args.get("grid", type=int):
        query = query.where(Person.grid == args.get("grid", type=int))
    if args.get("group") in GROUPS:
        query = query.where(Person.groups.contains(args["group"]))
    if args.get("review") == "1":
        query = query.where(Person.needs_review)
    return Person.search(query, args.get("q"))


def in_area(scope):
    """Active persons of the area."""
    return scope.filter(Person.active(), Person)


def recent_households(scope, limit=200):
    """Households to choose from when a person is registered without one chosen."""
    return (
        scope.query(Household)
        .where(Household.voided_at.is_null())
        .order_by(Household.id.desc())
        .limit(limit)
    )


def household_members(person):
    """The active members of a person's household, oldest first."""
    return (
        Person.active().where(Person.household == person.household_id).order_by(Person.birth_date)
    )


def history(person, limit=100):
    """The person's registry changes, newest first (from the append-only audit log)."""
    return (
        AuditLog.select()
        .where(
            (AuditLog.object_type == "person")
            & (AuditLog.object_id == person.id)
            & AuditLog.action.in_(HISTORY_ACTIONS)
        )
        .order_by(AuditLog.id.desc())
        .limit(limit)
    )


def care(scope, person):
    """Pairings (current first), visit state, the last visits and the helpers one may pair.
    Voided pairings and visits are listed too, struck through, after the others."""
    return {
        "pairings": Pairing.with_voided()
        .where(Pairing.person == person)
        .order_by(
            Pairing.voided_at.is_null(False),
            Pairing.ended_on.is_null(False),
            Pairing.primary.desc(),
            Pairing.started_on,
        ),
        "state": VisitState.get_or_none(VisitState.person == person),
        "visits": Visit.with_voided()
        .join(VisitPerson)
        .where(VisitPerson.person == person)
        .order_by(Visit.visited_on.desc())
        .limit(10),
        # 一敲门 check-ins, counted apart from visits.
        "checkins": CheckIn.with_voided()
        .where(CheckIn.person == person)
        .order_by(CheckIn.at.desc())
        .limit(5),
        "checkin_count": CheckIn.select().where(CheckIn.person == person).count(),
        "helpers": visible_helpers(scope, active_only=True).order_by(Helper.name),
    }


def records(person):
    """Needs, services and emergencies of a person (the person is already in the user's scope);
    voided ones too, shown struck through."""
    return {
        "needs": Need.with_voided().where(Need.person == person).order_by(Need.raised_on.desc()),
        "services": Service.with_voided()
        .where(Service.person == person)
        .order_by(Service.served_on.desc())
        .limit(20),
        "emergencies": Emergency.with_voided()
        .where(Emergency.person == person)
        .order_by(Emergency.discovered_at.desc()),
    }


def more(person, today):
    """Benefits (with this month's amount), check-ups and activities of a person; voided ones
    too (the page shows them struck through)."""
    month = month_start(today)
    table = bands(month)
    return {
        "today": today,
        "benefits": [
            (b, monthly_amount(b, month, table))
            for b in Benefit.with_voided()
            .where(Benefit.person == person)
            .order_by(Benefit.start_on.desc())
        ],
        "checkups": CheckUp.with_voided()
        .where(CheckUp.person == person)
        .order_by(CheckUp.checked_on.desc())
        .limit(10),
        "attendance": (
            Attendance.with_voided(Attendance, Activity)
            .join(Activity)
            .where(Attendance.person == person)
            .order_by(Activity.held_on.desc())
            .limit(20)
        ),
    }


def by_ids(scope, ids):
    """The persons of the area among `ids` (ids outside the area are silently left out)."""
    ids = [int(i) for i in ids if str(i).isdigit()]
    return scope.query(Person).where(Person.id.in_(ids or [0]))


def ledger(scope, village, group):
    """A village's active persons of one group, by grid and name (the village ledger)."""
    return (
        scope.filter(Person.active(), Person)
        .where((Person.village == village) & Person.groups.contains(group))
        .order_by(Person.grid, Person.name_pinyin)
    )


def paired_with_me(scope):
    """A helper's own login: the active persons currently paired with him, by name."""
    return scope.filter(Person.active(), Person).order_by(Person.name_pinyin)
