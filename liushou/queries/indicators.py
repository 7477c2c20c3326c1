"""The figures a township reports upward, as named queries over the user's scope.

Each takes the scope (and dates) and returns plain numbers or rows; tests check them against
hand counts, and benchmarks time them at 100k persons.
"""

from datetime import timedelta
from types import SimpleNamespace

from peewee import fn

from .. import clock
from ..models import Grid, Village
from ..models.care import CLOSED_STATUSES, Emergency, Need, Service
from ..models.persons import Person
from ..models.records import Activity, Attendance, Benefit
from ..models.visits import Pairing, Visit, VisitPerson
from ..rules.categories import GROUPS
from ..rules.dates import month_after, month_before, month_end, month_start
from . import completeness, facts, summary_visits
from . import summary as summary_queries
from .records import as_known, bands, monthly_amount, paying_between
from .visits import coverage_by_village, visits_in_month


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


# What monthly_amount reads of a benefit and of its person: read as tuples, not models (a
# township has tens of thousands of benefits).
_BENEFIT_FIELDS = ("voided_at", "status", "start_on", "end_on", "period", "amount", "kind")
_PERSON_FIELDS = ("voided_at", "exited_on", "birth_date")


def benefits_in_month(scope, month_start):
    """Total yuan paid in a month (高龄补贴 by the bands in force that month)."""
    table = bands(month_start)
    fields = [getattr(Benefit, f) for f in _BENEFIT_FIELDS]
    fields += [getattr(Person, f) for f in _PERSON_FIELDS]
    rows = paying_between(
        scope.filter(Benefit.select(*fields).join(Person), Benefit),
        month_start,
        month_end(month_start),
    ).tuples()
    n = len(_BENEFIT_FIELDS)
    total = 0
    for row in rows:
        benefit = SimpleNamespace(**dict(zip(_BENEFIT_FIELDS, row[:n], strict=True)))
        benefit.person = SimpleNamespace(**dict(zip(_PERSON_FIELDS, row[n:], strict=True)))
        total += monthly_amount(benefit, month_start, table)
    return total


def visits_per_month(scope, months=12, today=None):
    """[(month start, visits)] for the last `months` months, oldest first: one count per month
    over the visit indexes on (village, visited_on, voided_at) (migration 24)."""
    today = today or clock.today()
    start = month_start(today)
    for _ in range(months - 1):
        start = month_before(start)
    out, month = [], start
    for _ in range(months):
        following = month_after(month)
        n = (
            scope.filter(Visit.select(fn.COUNT(Visit.id)), Visit)
            .where((Visit.visited_on >= month) & (Visit.visited_on < following))
            .scalar()
        )
        out.append((month, n or 0))
        month = following
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
        "completeness": completeness.by_village(scope),
    }


def report(scope, start, end, village_id=None):
    """A period's report: persons by group at start and end, entries and exits with reasons,
    visits, needs and services by kind, emergencies, activities and attendance, benefits,
    coverage."""

    cutoff = facts.cutoff_for(end)
    # A person voided after the cut-off stays in the figures he was in when it passed.
    alive = Person.voided_at.is_null() | (Person.voided_at >= cutoff)

    def known(query, model, day=end):
        # One village: the one the person lived in on the fact's day (facts.village_on).
        query = facts.known(scope.filter(query, model), model, cutoff).where(alive)
        if not village_id:
            return query
        return query.where(facts.village_on(Person.id, day, cutoff) == village_id)

    people = facts.population(scope, start, end, cutoff, village_id)
    groups_at = {"start": people["opening"], "end": people["closing"]}
    exits = {}
    for reasons in people["exits"].values():
        for reason, n in reasons.items():
            exits[reason] = exits.get(reason, 0) + n
    if village_id:
        # One village: a visit counts there if one of its persons lived there on its day.
        visits = (
            known(Visit.with_voided().join(VisitPerson).join(Person), Visit, Visit.visited_on)
            .where((Visit.visited_on >= start) & (Visit.visited_on <= end))
            .select(fn.COUNT(fn.DISTINCT(Visit.id)))
            .scalar()
        )
    else:
        # The area's: by the visit's own village, from the visit index (no join to Person).
        visits = summary_visits.area_visits(scope, start, end, cutoff)
    needs = dict(
        known(Need.with_voided(Need.kind, fn.COUNT(Need.id)).join(Person), Need, Need.raised_on)
        .where((Need.raised_on >= start) & (Need.raised_on <= end))
        .group_by(Need.kind)
        .tuples()
    )
    services = dict(
        known(
            Service.with_voided(Service.kind, fn.COUNT(Service.id)).join(Person),
            Service,
            Service.served_on,
        )
        .where((Service.served_on >= start) & (Service.served_on <= end))
        .group_by(Service.kind)
        .tuples()
    )
    emergencies = dict(
        known(
            Emergency.with_voided(Emergency.kind, fn.COUNT(Emergency.id)).join(Person),
            Emergency,
            fn.DATE(Emergency.discovered_at),
        )
        .where(
            (Emergency.discovered_at >= start) & (Emergency.discovered_at < end + timedelta(days=1))
        )
        .group_by(Emergency.kind)
        .tuples()
    )
    acts = facts.known(scope.filter(Activity.with_voided(), Activity), Activity, cutoff).where(
        (Activity.held_on >= start) & (Activity.held_on <= end)
    )
    if village_id:
        acts = acts.where(Activity.village == village_id)
    activities = dict(
        acts.select(Activity.kind, fn.COUNT(Activity.id)).group_by(Activity.kind).tuples()
    )
    attended = (
        Attendance.with_voided()
        .join(Person)
        .where(
            Attendance.activity.in_(acts.select(Activity.id))
            & Attendance.attended
            & (Attendance.voided_at.is_null() | (Attendance.voided_at >= cutoff))
            & alive
        )
        .count()
    )
    benefit_totals = {}
    month = start.replace(day=1)
    # Read as tuples into plain objects (summary's benefit fields), not models: a township has
    # tens of thousands of benefits.
    fields = [getattr(Benefit, f) for f in summary_queries.BENEFIT_FIELDS]
    fields += [getattr(Person, f) for f in summary_queries.BENEFIT_PERSON_FIELDS]
    query = known(Benefit.with_voided(*fields).join(Person), Benefit)
    benefits = [
        as_known(summary_queries.benefit_row(row), cutoff)
        for row in paying_between(query, start, end, cutoff).tuples()
    ]
    first = {}  # kind -> (month, place in the list) of its first payment: the kinds' order
    for at, (b, paid_in, amount) in enumerate(summary_queries.paid(benefits, month, end)):
        benefit_totals[b.kind] = benefit_totals.get(b.kind, 0) + amount
        first[b.kind] = min(first.get(b.kind, (paid_in, at)), (paid_in, at))
    # In the order the kinds are first paid month by month, as the page has always listed them.
    benefit_totals = {k: benefit_totals[k] for k in sorted(benefit_totals, key=first.get)}
    # Pairing and agreements at the period's close, as known then: the members' ids (read once
    # per screen, facts.member_set).
    members = {g: facts.member_set(scope, end, g, cutoff, village_id) for g in GROUPS}
    in_groups_then = set().union(*members.values())
    pairings = facts.known(Pairing.with_voided(Pairing.person), Pairing, cutoff).where(
        (Pairing.started_on <= end) & (Pairing.ended_on.is_null() | (Pairing.ended_on > end))
    )
    # An area's members lived in it by now or by their group history: its pairings and
    # agreements are read for those persons, not for every person of a county.
    lived = facts.lived_in(scope, cutoff, [village_id] if village_id else None)
    if lived is not None:
        pairings = pairings.where(Pairing.person.in_(lived))
    paired = len(in_groups_then & {pid for (pid,) in pairings.tuples()})
    population_now = len(in_groups_then)
    children_then = members["留守儿童"]
    children = len(children_then)
    among = None if lived is None else Person.id.in_(lived)
    signed = len(children_then & facts.signed_set(end, cutoff, among))
    return {
        "start": start,
        "end": end,
        "cutoff": cutoff,
        "final": facts.is_final(end),
        "as_of": clock.now(),
        "groups_at": groups_at,
        "entries": people["entries"],
        "exits_by_group": people["exits"],
        "entered": {g: sum(people["entries"][g].values()) for g in GROUPS},
        "left": {g: sum(people["exits"][g].values()) for g in GROUPS},
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
