"""Child emergencies with their reporting steps, needs and services, within a user's area."""

from peewee import fn
from werkzeug.exceptions import NotFound

from .. import clock
from ..models.care import CLOSED_STATUSES, Emergency, EmergencyStep, Need, Service
from ..models.persons import Person


def emergencies(scope):
    """Open emergencies first (newest first), then the closed ones."""
    return scope.query(Emergency).order_by(
        Emergency.closed_at.is_null(False), Emergency.discovered_at.desc()
    )


def steps(emergency):
    """An emergency's reporting steps by deadline."""
    return emergency.steps.order_by(EmergencyStep.due_at)


def step(emergency, step_id):
    """One step of an emergency the user may see (NotFound when it belongs to another)."""
    row = EmergencyStep.get_or_none(
        (EmergencyStep.id == step_id) & (EmergencyStep.emergency == emergency)
    )
    if row is None:
        raise NotFound()
    return row


def overdue_steps(scope, now=None):
    """Open emergencies' steps past their deadline and not done, in the user's area."""
    now = now or clock.now()
    query = (
        EmergencyStep.select(EmergencyStep, Emergency)
        .join(Emergency)
        .where(
            EmergencyStep.done_at.is_null()
            & (EmergencyStep.due_at < now)
            & Emergency.closed_at.is_null()
            & Emergency.voided_at.is_null()  # a join does not leave voided ones out by itself
        )
        .order_by(EmergencyStep.due_at)
    )
    return scope.filter(query, Emergency)


def open_needs(scope, today, village_id=None, overdue=False):
    """Open needs of the area, the most urgent first; of one village, or only the overdue."""
    query = scope.filter(Need.select(Need, Person).join(Person), Need).where(
        Need.status.not_in(CLOSED_STATUSES)
    )
    if village_id:
        query = query.where(Person.village == village_id)
    if overdue:
        query = query.where(Need.due_on < today)
    return query.order_by(Need.due_on.is_null(), Need.due_on, Need.raised_on)


def open_needs_by_village(scope):
    """{village id: open needs} in the area."""
    return dict(
        scope.filter(Need.select(Person.village, fn.COUNT(Need.id)).join(Person), Need)
        .where(Need.status.not_in(CLOSED_STATUSES))
        .group_by(Person.village)
        .tuples()
    )


def need_services(need):
    """The services delivered for a need, in order; voided ones too (shown struck through)."""
    return Service.with_voided().where(Service.need == need).order_by(Service.served_on)


def services_by_month(scope, year):
    """{kind: [count per month, January first]} of services delivered in a year."""
    month = fn.strftime("%m", Service.served_on)
    rows = (
        scope.filter(Service.select(Service.kind, month.alias("m"), fn.COUNT(Service.id)), Service)
        .where(fn.strftime("%Y", Service.served_on) == str(year))
        .group_by(Service.kind, month)
        .tuples()
    )
    table = {}
    for kind, m, n in rows:
        table.setdefault(kind, [0] * 12)[int(m) - 1] = n
    return table


def needs_of(person, keep=None):
    """A person's needs a service may answer (newest first), and the one it answers now."""
    query = Need.select().where(Need.person == person)
    if keep:
        query = Need.with_voided().where(
            (Need.person == person) & (Need.voided_at.is_null() | (Need.id == keep))
        )
    return query.order_by(Need.raised_on.desc())
