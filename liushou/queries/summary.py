"""The indicators a township reports upward, per village and for the user's area, for a period.

Every figure counts facts by their own dates (visited_on, raised_on, held_on...) and only as they
were known at the period's cut-off (`facts.known` on `with_voided()` queries; group members from
`facts.members_on(..., end, ...)`), so a report for a closed period prints the same every time.
Each indicator is one query grouped by village for all the villages at once; the area's total
row adds up the villages' counts and recomputes its rates and medians from them (never an
average of percentages).

Dated too: a person's visit tier is the one in force on the period's last day as known at the
cut-off (models/tier_events.py); a site is in use on a day by its dated open/close history
(models/site_events.py: a site stopped and started again reads as stopped in between); an
agreement counts by its dated history (models/agreement_events.py: signed on or before the
period's end as known at the cut-off); a person counts in the village he lived in on the fact's
date (members, tiers and coverage at the period's end; needs on the day raised, services,
check-ins and emergencies on their day, benefits at each month's end: facts.Whereabouts /
facts.village_on, from his group history); a benefit approved (out of 待审核) after the cut-off
does not count, one stopped, a person voided or exited after it still do (records.paying_between
/ as_known); 一敲门 counts check-ins (queries/visits.checkins_between), 一登门 visits made at the
door (上门).

Known limits: the moves of a person in no group are not dated (he counts where he lives now); a
village user's check-ins and emergencies of a person who has moved out are left out of his
village's past rows (the scope is read as now; the township's are right); the 高龄补贴 roster and
missing list list persons by their current village; a benefit set back to 待审核 leaves the
periods before.

The counting parts live in this module (the visits in summary_visits.py); the period they count
over and the figures they count into in summary_period.py; the closed months of the trend, kept
per place, in summary_months.py.
"""

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace

from peewee import JOIN, SQL, fn

from ..models import Village
from ..models.care import CLOSED_STATUSES, Emergency, EmergencyStep, Need, Service
from ..models.persons import Person
from ..models.records import Activity, Attendance, Benefit, Site
from ..models.visits import Pairing, Visit, VisitPerson
from ..rules.categories import GROUPS
from ..rules.dates import month_after, month_end, month_start
from ..rules.visits import TIERS
from . import facts, summary_kept, summary_open
from .facts import cutoff_for, is_final, known
from .records import as_known, bands, monthly_amount, paying_between
from .summary_period import Figures, _Period, _sum_if, tier_rules
from .summary_visits import by_person, count_visit_flows, count_visits, linked

CHILD_GROUPS = ("留守儿童", "困境儿童")
BENEFIT_KINDS = ("低保", "特困供养", "临时救助", "医疗救助", "助学金", "高龄补贴")
COVERAGE_KINDS = ("低保", "特困供养")
CLOSE_WITHIN_DAYS = 30


def _population(p, rows):
    """Members, paired and signed by group; members by tier and visited within their cycle."""
    paired_ids = known(Pairing.with_voided(Pairing.person), Pairing, p.cutoff).where(
        (Pairing.started_on <= p.end) & (Pairing.ended_on.is_null() | (Pairing.ended_on > p.end))
    )
    # Each group's members read once (one grouped pass each), then counted here: the same
    # counts as one SUM(CASE … IN (members)) per column, without evaluating each group's
    # members several times.
    members = p.member_sets()
    candidates = p.candidates(Pairing.person)
    if candidates is not None:
        paired_ids = paired_ids.where(candidates)
    paired = {row[0] for row in facts.raw_rows(paired_ids)}
    # Signed by the period's end as known at its cut-off (the agreement's dated history).
    signed_by_end = facts.signed_set(p.end, p.cutoff, p.candidates(Person.id))
    for pid, village_id in p.placed():  # where he was counted at the end
        signed = pid in signed_by_end
        groups = [g for g in GROUPS if pid in members[g]]
        if not groups:
            continue
        f, is_paired = rows[village_id], pid in paired
        if not f.members:  # a village with members has every key, as a grouped row gave
            f.members.update(dict.fromkeys(["all", *GROUPS], 0))
            f.paired.update(dict.fromkeys(["all", *GROUPS], 0))
            f.signed.update(dict.fromkeys(CHILD_GROUPS, 0))
        f.members["all"] += 1
        f.paired["all"] += is_paired
        for g in groups:
            f.members[g] += 1
            f.paired[g] += is_paired
            if g in CHILD_GROUPS and signed:
                f.signed[g] += 1
    rules = next(iter(rows.values())).rules if rows else tier_rules(p.end)
    tiers = p.tier_of()
    for village_id, tier in tiers.values():
        rows[village_id].tier_persons[tier] += 1
    # Visited within his tier's cycle: his last visit in the longest cycle's window (one
    # query) falls on or after his own cycle's first day.
    since = {tier: p.end - timedelta(days=rules.days(tier) - 1) for tier in TIERS}
    first = min(since.values())
    if first >= p.start:  # within the period: its visits per person have the last day too
        seen = [(person_id, last) for person_id, _, last in by_person(p)]
    else:
        seen = linked(p, first, VisitPerson.person, fn.MAX(Visit.visited_on))
        seen = facts.raw_rows(seen.group_by(VisitPerson.person))
    for person_id, last in seen:
        village_tier = tiers.get(person_id)
        if village_tier is not None and str(last) >= since[village_tier[1]].isoformat():
            rows[village_tier[0]].tier_within[village_tier[1]] += 1


def _needs(p, rows):
    """Needs raised and closed in the period by kind, closed within 30 days, days to close;
    services by kind. Each counts in the village its person lived in on its own date (a need:
    the day it was raised, its closing too), as known at the cut-off (facts.Whereabouts)."""
    in_period = lambda f: (f >= p.start) & (f <= p.end)  # noqa: E731
    lived = facts.lived_in(p.scope, p.cutoff, p.village_ids)

    def candidates(model, *fields):
        query = known(model.with_voided(model.person, *fields), model, p.cutoff)
        return query if lived is None else query.where(model.person.in_(lived))

    needs = candidates(Need, Need.kind, Need.raised_on, Need.closed_on, Need.status).where(
        in_period(Need.raised_on) | in_period(Need.closed_on)
    )
    services = (
        candidates(Service, Service.served_on, Service.kind, fn.COUNT(Service.id))
        .where(in_period(Service.served_on))
        .group_by(Service.person, Service.served_on, Service.kind)
    )
    needs, services = list(needs.tuples()), list(services.tuples())
    where = facts.Whereabouts({r[0] for r in needs} | {r[0] for r in services}, p.cutoff)
    for person_id, kind, raised, closed, status in needs:
        village_id = where.village_in(p.scope, rows, person_id, raised)
        if village_id is None:
            continue
        f = rows[village_id]
        if p.start <= raised <= p.end:
            f.needs_raised[kind] += 1
        if closed and status in CLOSED_STATUSES and p.start <= closed <= p.end:
            days = (closed - raised).days
            f.needs_closed[kind] += 1
            f.needs_closed30[kind] += days <= CLOSE_WITHIN_DAYS
            f.close_days[kind].append(days)
    for person_id, served, kind, n in services:
        village_id = where.village_in(p.scope, rows, person_id, served)
        if village_id is not None:
            rows[village_id].services[kind] += n


def _emergencies(p, rows):
    """Child emergencies discovered in the period; their steps done in time; first report."""
    start = datetime.combine(p.start, time.min)
    # In the village the child lived in on the day it was discovered.
    found_on = fn.DATE(Emergency.discovered_at)
    then = facts.village_on(Person.id, found_on, p.cutoff)
    query = p.persons(
        p.known(
            Emergency,
            then,
            Emergency.id,
            Emergency.discovered_at,
            EmergencyStep.due_at,
            EmergencyStep.done_at,
            EmergencyStep.original_done_at,
            EmergencyStep.corrected_at,
        )
        .join(Person, on=Emergency.person == Person.id)
        .switch(Emergency)
        .join(EmergencyStep, JOIN.LEFT_OUTER, on=EmergencyStep.emergency == Emergency.id)
        .where((Emergency.discovered_at >= start) & (Emergency.discovered_at < p.after)),
        then,
    )
    first = {}
    for village_id, eid, found, due, done, original, corrected in query.tuples():
        f = rows[village_id]
        if eid not in first:
            first[eid] = (village_id, found, None)
            f.emergencies += 1
        if due is None:
            continue
        if corrected is not None and corrected >= p.cutoff:
            done = original  # corrected after the cut-off: the time as it was then
        if done is not None and done >= p.cutoff:
            done = None  # not yet done when the period closed
        f.steps += 1
        f.steps_on_time += done is not None and done <= due
        if done is not None and (first[eid][2] is None or done < first[eid][2]):
            first[eid] = (village_id, found, done)
    for village_id, found, done in first.values():
        if done is not None:
            rows[village_id].first_minutes.append(max(0, (done - found).total_seconds() / 60))


# What as_known, monthly_amount and the counts read of a benefit and its person: read as
# tuples into plain objects, not models (a township has tens of thousands of benefits).
BENEFIT_FIELDS = (
    "person_id",
    "kind",
    "amount",
    "period",
    "start_on",
    "end_on",
    "status",
    "voided_at",
    "approved_at",
    "ended_at",
)
BENEFIT_PERSON_FIELDS = ("village_id", "birth_date", "voided_at", "exited_on", "exited_at")


def benefit_row(row):
    n = len(BENEFIT_FIELDS)
    benefit = SimpleNamespace(**dict(zip(BENEFIT_FIELDS, row[:n], strict=True)))
    benefit.person = SimpleNamespace(**dict(zip(BENEFIT_PERSON_FIELDS, row[n:], strict=True)))
    return benefit


def paid(benefits, start, end):
    """(benefit, month's first day, amount) for each month from `start`'s to `end`'s a benefit
    pays in (records.monthly_amount, 高龄补贴 by each month's bands), without asking about the
    months it cannot pay in: before its start month, from its end date on, none at all when
    voided, pending or without a start date (monthly_amount says 0 for those)."""
    months, month = [], month_start(start)
    while month <= end:
        months.append((month, bands(month), month_end(month)))
        month = month_after(month)
    for b in benefits:
        first, stop = b.start_on, b.end_on
        if b.voided_at is not None or b.status == "待审核" or not isinstance(first, date):
            continue
        for month, table, last in months:
            if first > last:
                continue
            if isinstance(stop, date) and stop <= month:
                break
            amount = monthly_amount(b, month, table)
            if amount:
                yield b, month, amount


def _benefits(p, rows):
    """People and amounts by kind paid in the period's months, each month in the village the
    person lived in at its end (or the period's, if sooner; facts.Whereabouts); 低保/特困
    coverage at its end."""
    fields = [getattr(Benefit, f) for f in BENEFIT_FIELDS]
    fields += [getattr(Person, f) for f in BENEFIT_PERSON_FIELDS]
    query = paying_between(
        known(Benefit.with_voided(*fields), Benefit, p.cutoff)
        .join(Person, on=Benefit.person == Person.id)
        .where(Benefit.kind.in_(BENEFIT_KINDS)),
        p.start,
        p.end,
        p.cutoff,
    )
    lived = facts.lived_in(p.scope, p.cutoff, p.village_ids)
    if lived is not None:
        query = query.where(Benefit.person.in_(lived))
    benefits = [as_known(benefit_row(row), p.cutoff) for row in query.tuples()]
    where = facts.Whereabouts({b.person_id for b in benefits}, p.cutoff)
    people = defaultdict(set)
    for b, month, amount in paid(benefits, p.start, p.end):
        day = min(month_end(month), p.end)
        village_id = where.village_in(p.scope, rows, b.person_id, day)
        if village_id is not None:
            rows[village_id].benefit_amount[b.kind] += amount
            people[village_id, b.kind].add(b.person_id)
    for (village_id, kind), ids in people.items():
        rows[village_id].benefit_people[kind] = len(ids)
    for kind in COVERAGE_KINDS:
        # Receiving at the period end, as known at the cut-off (records.as_known).
        ended = Benefit.ended_at.is_null(False) & (Benefit.ended_at >= p.cutoff)
        receiving = known(Benefit.with_voided(Benefit.person), Benefit, p.cutoff).where(
            (Benefit.kind == kind)
            & (Benefit.status != "待审核")
            & (Benefit.approved_at.is_null() | (Benefit.approved_at < p.cutoff))
            & (Benefit.start_on <= p.end)
            & (Benefit.end_on.is_null() | (Benefit.end_on > p.end) | ended)
            & ((Benefit.status != "已停发") | Benefit.end_on.is_null(False))
        )
        then = facts.village_on(Person.id, p.end, p.cutoff)
        query = p.persons(
            Person.select(then, fn.COUNT(Person.id)).where(p.in_any & Person.id.in_(receiving)),
            then,
        ).group_by(SQL("1"))  # by position (PostgreSQL)
        for village_id, n in query.tuples():
            rows[village_id].covered[kind] = n


def _activities(p, rows):
    """Activities held by kind; attendance by group (members at period end); sites by kind."""
    held = p.known(Activity).where((Activity.held_on >= p.start) & (Activity.held_on <= p.end))
    query = p.persons(
        held.select(Activity.village, Activity.kind, fn.COUNT(Activity.id)), Activity.village
    ).group_by(Activity.village, Activity.kind)
    for village_id, kind, n in query.tuples():
        rows[village_id].activities[kind] = n
    columns = [Activity.village, fn.COUNT(Attendance.id)]
    columns += [_sum_if(Attendance.person.in_(p.members[g])) for g in GROUPS]
    query = p.persons(
        Attendance.with_voided(*columns)
        .join(Activity, on=Attendance.activity == Activity.id)
        .where(
            Attendance.activity.in_(held.select(Activity.id))
            & Attendance.attended
            & (Attendance.voided_at.is_null() | (Attendance.voided_at >= p.cutoff))
        ),
        Activity.village,
    ).group_by(Activity.village)
    for village_id, n, *by_group in query.tuples():
        rows[village_id].attendance["all"] = n
        for g, m in zip(GROUPS, by_group, strict=True):
            rows[village_id].attendance[g] = m or 0
    # In use on the period's last day by the site's dated open/close history as known then.
    in_use = facts.site_in_use(Site.id, p.end, p.cutoff)
    query = p.persons(
        p.known(Site, Site.village, Site.kind, in_use, fn.COUNT(Site.id)), Site.village
    ).group_by(Site.village, Site.kind, SQL("3"))
    for village_id, kind, active, n in query.tuples():
        (rows[village_id].sites_active if active else rows[village_id].sites_inactive)[kind] = n


def villages(scope, village_id=None):
    """The villages a summary has a row for: the area's, or the one asked for (in the area)."""
    query = scope.filter(Village.ordered(), Village)
    if village_id:
        query = query.where(Village.id == village_id)
    return list(query)


def _counted(scope, start, end, village_id, parts):
    """(villages listed, {village id: Figures}, _Period) with `parts` counted into the rows.
    Within facts.shared() a period is counted once: the open month's trend rates read the
    rows the summary of the same month counted (and the other way round). A closed period
    kept for the scope's place (summary_kept) is read, not counted: every part is in it."""

    def fresh():
        listed = villages(scope, village_id)
        ids = [v.id for v in listed]
        period = _Period(scope, start, end, ids or [0])
        kept = summary_kept.kept_rows(scope, start, end, ids, village_id)
        if kept is not None:
            return listed, kept, period, set(PARTS)
        rows = {v.id: Figures((end - start).days + 1, tier_rules(end)) for v in listed}
        if _flows_from_months(scope, start, end, village_id, ids, rows, period.cutoff):
            return listed, rows, period, set(FLOW_PARTS)
        return listed, rows, period, set()

    key = ("counted", scope, start, end, village_id, cutoff_for(end))
    listed, rows, p, done = facts.kept(key, fresh)
    for part in parts:
        if part not in done:
            part(p, rows)
            done.add(part)
    return listed, rows, p


PARTS = (_population, count_visits, count_visit_flows, _needs, _emergencies, _benefits, _activities)
# What an open period starting with closed months reads from their kept rows (summary_open).
FLOW_PARTS = (count_visit_flows, _needs)


def _live_flows(scope, first, last, ids, cutoff):
    """{village id: Figures} of the summed figures (FLOW_PARTS) of first..last counted live with
    another period's cut-off."""
    p = _Period(scope, first, last, ids, cutoff)
    rows = {v: Figures((last - first).days + 1, tier_rules(last)) for v in ids}
    for part in FLOW_PARTS:
        part(p, rows)
    return rows


def _flows_from_months(scope, start, end, village_id, ids, rows, cutoff):
    """An open period starting with closed months (the current year or quarter) of a place
    with kept rows (summary_kept.place): add its summed figures (summary_open.FLOWS) into
    `rows` from the closed months' kept rows (counted live with `cutoff` for a month with a
    fact learnt late, or no row), the open month's count (the one the trend reads) and the
    days after it. False (nothing added) for any other period."""
    if summary_kept.place(scope, village_id) is False or not ids or is_final(end):
        return False
    months = summary_open.closed_months(start, end)
    if not months:
        return False
    late = summary_open.late_months(months, cutoff)
    parts = []
    for month in months:
        last = month_end(month)
        kept = None if month in late else summary_kept.kept_rows(scope, month, last, ids, None)
        parts.append(kept if kept is not None else _live_flows(scope, month, last, ids, cutoff))
    first = month_after(months[-1])
    if first <= end:
        last = min(month_end(first), end)
        if cutoff_for(last) == cutoff:  # the open month, counted once per screen (facts.shared)
            parts.append(_counted(scope, first, last, None, FLOW_PARTS)[1])
        else:
            parts.append(_live_flows(scope, first, last, ids, cutoff))
        if last < end:  # the days after the open month (dated ahead: activities, needs due)
            parts.append(_live_flows(scope, last + timedelta(days=1), end, ids, cutoff))
    for counted in parts:
        for v in ids:
            summary_open.add_flows(rows[v], counted[v])
    return True


def counted_rows(scope, start, end):
    """[(village, Figures)] of every village of `scope` for a period, every part counted (or
    read, when kept): what the start-of-day job keeps for a closed period."""
    listed, rows, _ = _counted(scope, start, end, None, PARTS)
    return [(v, rows[v.id]) for v in listed]


def summary(scope, start, end, village_id=None):
    """{'villages': [(village, Figures)], 'total': Figures or None, 'cutoff', 'final'}.

    The total is of the user's area only: None when the area is a single village."""
    listed, rows, p = _counted(scope, start, end, village_id, PARTS)
    rules = tier_rules(end)
    days = (end - start).days + 1
    total = None
    if len(listed) > 1:
        total = Figures(days, rules)
        for f in rows.values():
            total.add(f)
    return {
        "villages": [(v, rows[v.id]) for v in listed],
        "total": total,
        "cutoff": p.cutoff,
        "final": is_final(end),
        "days": days,
    }


def area_figures(scope, start, end, village_id=None):
    """The figures of the whole area (or one village) for /reports: one Figures."""
    data = summary(scope, start, end, village_id)
    if data["total"] is not None:
        return data["total"]
    if data["villages"]:
        return data["villages"][0][1]
    return Figures(data["days"], tier_rules(end))
