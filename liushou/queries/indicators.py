"""The figures a township reports upward, as named queries over the user's scope.

Each takes the scope (and dates) and returns plain numbers or rows; tests check them against
hand counts, and benchmarks time them at 100k persons.
"""

from datetime import timedelta

from peewee import fn

from .. import clock
from ..models import Grid, Village
from ..models.care import CLOSED_STATUSES, Emergency, Need, Service
from ..models.persons import Person
from ..models.records import Activity, Attendance, Benefit
from ..models.visits import Pairing, Visit, VisitPerson
from ..rules.categories import GROUPS
from ..rules.dates import month_after, month_before, month_end, month_start
from .records import bands, monthly_amount, paying_between
from .visits import coverage_by_village, in_groups, visits_in_month


def persons_by_village_and_group(scope):
    """{village id: {group: n}} of active persons; a person in two groups counts in both."""
    out = {}
    for group in GROUPS:
        rows = (
            scope.filter(Person.active().select(Person.village, fn.COUNT(Person.id)), Person)
            .where(Person.groups.contains(group))
            .group_by(Person.village)
            .tuples()
        )
        for village_id, n in rows:
            out.setdefault(village_id, {})[group] = n
    return out


def agreement_rate(scope):
    """(signed, children) for left-behind children: entrusted-care agreements signed."""
    children = scope.filter(Person.active().where(Person.groups.contains("留守儿童")), Person)
    total = children.count()
    signed = children.where(Person.agreement_signed_on.is_null(False)).count()
    return signed, total


def needs_open(scope, today=None):
    """(open, overdue) needs."""
    today = today or clock.today()
    base = scope.filter(Need.select(), Need).where(Need.status.not_in(CLOSED_STATUSES))
    return base.count(), base.where(Need.due_on < today).count()


def emergencies_open(scope):
    return scope.filter(Emergency.select(), Emergency).where(Emergency.closed_at.is_null()).count()


def benefits_in_month(scope, month_start):
    """Total yuan paid in a month (高龄补贴 by the bands in force that month)."""
    table = bands(month_start)
    benefits = paying_between(
        scope.filter(Benefit.select(Benefit, Person).join(Person), Benefit),
        month_start,
        month_end(month_start),
    )
    return sum((monthly_amount(b, month_start, table) for b in benefits), start=0)


def visits_per_month(scope, months=12, today=None):
    """[(month start, visits)] for the last `months` months, oldest first."""
    today = today or clock.today()
    start = month_start(today)
    for _ in range(months - 1):
        start = month_before(start)
    key = fn.strftime("%Y-%m", Visit.visited_on)
    counts = dict(
        scope.filter(Visit.select(key, fn.COUNT(Visit.id)), Visit)
        .where(Visit.visited_on >= start)
        .group_by(key)
        .tuples()
    )
    out, month = [], start
    for _ in range(months):
        out.append((month, counts.get(month.strftime("%Y-%m"), 0)))
        month = month_after(month)
    return out


def home_figures(scope, today=None):
    """Everything the home page shows, computed once per request."""
    today = today or clock.today()
    month = month_start(today)
    rows, total = coverage_by_village(scope)
    active = scope.filter(Person.active(), Person)
    done, due = visits_in_month(scope, month)
    signed, children = agreement_rate(scope)
    open_needs, overdue_needs = needs_open(scope, today)
    return {
        "coverage": total,
        "coverage_rows": rows,
        "visits": (done, due),
        "agreements": (signed, children),
        "needs": (open_needs, overdue_needs),
        "emergencies": emergencies_open(scope),
        "benefits": benefits_in_month(scope, month),
        "by_village": persons_by_village_and_group(scope),
        "villages": list(scope.filter(Village.ordered(), Village).where(Village.active)),
        "grids": scope.query(Grid).where(Grid.active).count(),
        "groups": {group: active.where(Person.groups.contains(group)).count() for group in GROUPS},
        "total": active.count(),
        "review": active.where(Person.needs_review).count(),
        "per_month": visits_per_month(scope, 12, today),
    }


def report(scope, start, end, village_id=None):
    """A period's report: persons by group at start and end, entries and exits with reasons,
    visits, needs and services by kind, emergencies, activities and attendance, benefits,
    coverage."""

    def narrow(query, model):
        query = scope.filter(query, model).where(Person.voided_at.is_null())
        return query.where(Person.village == village_id) if village_id else query

    def population(on):
        q = narrow(Person.select(), Person).where(Person.created_at < on + timedelta(days=1))
        return q.where(Person.exited_on.is_null() | (Person.exited_on > on))

    groups_at = {}
    for label, on in (("start", start - timedelta(days=1)), ("end", end)):
        q = population(on)
        groups_at[label] = {g: q.where(Person.groups.contains(g)).count() for g in GROUPS}
    entered = (
        narrow(Person.select(), Person)
        .where((Person.created_at >= start) & (Person.created_at < end + timedelta(days=1)))
        .count()
    )
    exits = dict(
        narrow(Person.select(Person.exit_reason, fn.COUNT(Person.id)), Person)
        .where((Person.exited_on >= start) & (Person.exited_on <= end))
        .group_by(Person.exit_reason)
        .tuples()
    )
    visits = (
        narrow(Visit.select().join(VisitPerson).join(Person), Visit)
        .where((Visit.visited_on >= start) & (Visit.visited_on <= end) & Person.voided_at.is_null())
        .select(fn.COUNT(fn.DISTINCT(Visit.id)))
        .scalar()
    )
    needs = dict(
        narrow(Need.select(Need.kind, fn.COUNT(Need.id)).join(Person), Need)
        .where((Need.raised_on >= start) & (Need.raised_on <= end) & Person.voided_at.is_null())
        .group_by(Need.kind)
        .tuples()
    )
    services = dict(
        narrow(Service.select(Service.kind, fn.COUNT(Service.id)).join(Person), Service)
        .where(
            (Service.served_on >= start) & (Service.served_on <= end) & Person.voided_at.is_null()
        )
        .group_by(Service.kind)
        .tuples()
    )
    emergencies = dict(
        narrow(Emergency.select(Emergency.kind, fn.COUNT(Emergency.id)).join(Person), Emergency)
        .where(
            (Emergency.discovered_at >= start)
            & (Emergency.discovered_at < end + timedelta(days=1))
            & Person.voided_at.is_null()
        )
        .group_by(Emergency.kind)
        .tuples()
    )
    acts = scope.filter(Activity.select(), Activity).where(
        (Activity.held_on >= start) & (Activity.held_on <= end)
    )
    if village_id:
        acts = acts.where(Activity.village == village_id)
    activities = dict(
        acts.select(Activity.kind, fn.COUNT(Activity.id)).group_by(Activity.kind).tuples()
    )
    attended = (
        Attendance.select()
        .join(Person)
        .where(
            Attendance.activity.in_(acts.select(Activity.id))
            & Attendance.attended
            & Person.voided_at.is_null()
        )
        .count()
    )
    benefit_totals = {}
    month = start.replace(day=1)
    benefits = list(
        paying_between(narrow(Benefit.select(Benefit, Person).join(Person), Benefit), start, end)
    )
    while month <= end:
        table = bands(month)
        for b in benefits:
            amount = monthly_amount(b, month, table)
            if amount:
                benefit_totals[b.kind] = benefit_totals.get(b.kind, 0) + amount
        month = month_after(month)
    paired = narrow(
        in_groups(scope).where(
            Person.id.in_(Pairing.select(Pairing.person).where(Pairing.ended_on.is_null()))
        ),
        Person,
    ).count()
    population_now = narrow(in_groups(scope), Person).count()
    signed, children = (
        agreement_rate(scope)
        if not village_id
        else (
            narrow(
                Person.active().where(
                    Person.groups.contains("留守儿童") & Person.agreement_signed_on.is_null(False)
                ),
                Person,
            ).count(),
            narrow(Person.active().where(Person.groups.contains("留守儿童")), Person).count(),
        )
    )
    return {
        "start": start,
        "end": end,
        "groups_at": groups_at,
        "entered": entered,
        "exits": exits,
        "visits": visits,
        "needs": needs,
        "services": services,
        "emergencies": emergencies,
        "activities": activities,
        "attended": attended,
        "benefits": benefit_totals,
        "coverage": (paired, population_now),
        "agreements": (signed, children),
    }
