"""Benefits and 高龄补贴, check-ups, activities with attendance, service sites."""

from datetime import date
from decimal import Decimal

from .. import settings
from ..models.persons import Person
from ..models.records import Activity, Attendance, Benefit, CheckUp, Site
from ..models.site_events import SiteEvent
from ..rules.dates import month_before, month_end
from ..rules.subsidy import band_in_month, change_in_month, parse_bands


def bands(on=None):
    """The 高龄补贴 bands in force on a date (a dated setting)."""
    return parse_bands(settings.get("elder_subsidy_bands", on))


ZERO = Decimal("0")


def monthly_amount(benefit, month_start, bands_in_force=None):
    """What a benefit pays in a month (0 if not paid then), from its dates, never its current
    status alone: a benefit pays from its start month until its end date (停发日期, the first
    day not paid) and while its person has not exited; a voided or pending one pays nothing.
    高龄补贴 by the bands in force (pass them in when summing many benefits: they are one
    settings lookup per month). Any odd stored record pays 0 rather than failing."""
    start, end = benefit.start_on, benefit.end_on
    if benefit.voided_at is not None or benefit.status == "待审核" or not isinstance(start, date):
        return ZERO
    if start > month_end(month_start):
        return ZERO
    if end is None and benefit.status == "已停发":
        return ZERO  # stopped on an unknown date (old data): never counted
    if isinstance(end, date) and end <= month_start:
        return ZERO
    person = benefit.person
    if person.voided_at is not None or (person.exited_on and person.exited_on < month_start):
        return ZERO
    if benefit.period == "一次性":
        return (benefit.amount or ZERO) if start >= month_start else ZERO
    if benefit.kind == "高龄补贴":
        table = bands_in_force if bands_in_force is not None else bands(month_start)
        band = band_in_month(person.birth_date, month_start, table)
        return Decimal(str(band[2])).quantize(Decimal("0.01")) if band else ZERO
    return benefit.amount or ZERO


def paying_between(query, start, end, cutoff=None):
    """Narrow a Benefit query joined to Person to the benefits that may pay between two dates
    (monthly_amount decides each month). Without `cutoff`: as stored now, voided persons and
    benefits left out. With it (a report's knowledge cut-off, on a `with_voided()` query
    narrowed by facts.known): as known then: a person voided or exited, a benefit stopped
    after it still counts; one approved (out of 待审核) after it does not. Pass each row
    through `as_known` before monthly_amount."""
    if cutoff is None:
        return query.where(
            Person.voided_at.is_null()
            & (Benefit.status != "待审核")
            & (Benefit.start_on <= end)
            & (Benefit.end_on.is_null() | (Benefit.end_on > start))
            & (Person.exited_on.is_null() | (Person.exited_on >= start))
        )
    return query.where(
        (Person.voided_at.is_null() | (Person.voided_at >= cutoff))
        & (Benefit.status != "待审核")
        & (Benefit.approved_at.is_null() | (Benefit.approved_at < cutoff))
        & (Benefit.start_on <= end)
        & (Benefit.end_on.is_null() | (Benefit.end_on > start) | (Benefit.ended_at >= cutoff))
        & (Person.exited_on.is_null() | (Person.exited_on >= start) | (Person.exited_at >= cutoff))
    )


def as_known(benefit, cutoff):
    """The benefit (with its person) as it stood at `cutoff`, in memory only (never saved): a
    void, an approval, an end date or an exit recorded after it had not happened yet."""
    person = benefit.person
    for row in (benefit, person):
        if row.voided_at is not None and row.voided_at >= cutoff:
            row.voided_at = None
    if benefit.approved_at is not None and benefit.approved_at >= cutoff:
        benefit.status = "待审核"
    if benefit.ended_at is not None and benefit.ended_at >= cutoff:
        benefit.end_on = None
        if benefit.status == "已停发":
            benefit.status = "享受中"
    if person.exited_at is not None and person.exited_at >= cutoff:
        person.exited_on = None
    return benefit


def totals_in_month(scope, month):
    """{village id: {kind: amount}} of what benefits pay in a month, in the area."""
    query = scope.filter(Benefit.select(Benefit, Person).join(Person), Benefit)
    totals = {}
    table = bands(month)
    for b in paying_between(query, month, month_end(month)):
        amount = monthly_amount(b, month, table)
        if amount:
            row = totals.setdefault(b.person.village_id, {})
            row[b.kind] = row.get(b.kind, 0) + amount
    return totals


def subsidy_changes(scope, month):
    """[(person, (band before, band after))] of active persons who become eligible for 高龄补贴
    or move band in `month`."""
    bands_now, bands_before = bands(month), bands(month_before(month))
    if not bands_now:
        return []
    youngest = date(month.year - bands_now[0][0], 12, 31)
    out = []
    for p in scope.filter(Person.active(), Person).where(Person.birth_date <= youngest):
        change = change_in_month(p.birth_date, month, bands_now, bands_before)
        if change:
            out.append((p, change))
    return out


def activities(scope):
    """Activities of the area, newest first."""
    return scope.query(Activity).order_by(Activity.held_on.desc())


def attendance(scope, activity, with_removed=False):
    """Who was invited to an activity and who came, limited to the persons the user may see;
    with_removed: also those taken off the list (voided rows, shown struck through)."""
    base = Attendance.with_voided() if with_removed else Attendance.select()
    rows = (
        base.select(Attendance, Person)
        .join(Person)
        .where(Attendance.activity == activity)
        .order_by(Person.name_pinyin)
    )
    return [a for a in rows if scope.allows_grid(a.person.village_id, a.person.grid_id)]


def activity_form(activity, rows):
    """An activity's edit form as stored: its fields and the ids invited and attended."""
    return {
        **activity.__data__,
        "persons": [str(a.person_id) for a in rows],
        "attended": [str(a.person_id) for a in rows if a.attended],
    }


def checked_at(activity):
    """Ids of the persons whose check-up was recorded at this activity (a 义诊)."""
    return {
        c.person_id for c in CheckUp.select(CheckUp.person).where(CheckUp.activity == activity.id)
    }


def invitees(scope, village_id, also=()):
    """Active persons in a group of a village of the area, to tick on an activity form, and the
    persons of `also` (an activity's rows, when correcting it)."""
    wanted = (Person.groups != "") & Person.exited_on.is_null() & Person.voided_at.is_null()
    if also:
        wanted |= Person.id.in_([a.person_id for a in also])
    return (
        scope.filter(Person.select(), Person)
        .where((Person.village == village_id) & wanted)
        .order_by(Person.name_pinyin)
    )


def sites(scope, village_id=None, usable=False, keep=None):
    """Service sites of the area (of one village when given); usable: only those in use, and
    the site `keep` (an activity's own) whatever its state."""
    query = scope.query(Site).order_by(Site.village, Site.active.desc(), Site.kind)
    if village_id:
        query = query.where(Site.village == village_id)
    if usable:
        query = query.where(Site.active | (Site.id == (keep or 0)))
    return query


def site_history(site):
    """A site's dated 启用/停用 rows, oldest first (shown on its page)."""
    return list(
        SiteEvent.select().where(SiteEvent.site == site.id).order_by(SiteEvent.on, SiteEvent.id)
    )
