"""Benefits and 高龄补贴, check-ups, activities with attendance, service sites."""

from datetime import date
from decimal import Decimal

from .. import settings
from ..models.persons import Person
from ..models.records import Activity, Attendance, Benefit, CheckUp, Site
from ..rules.dates import month_before, month_end
from ..rules.subsidy import band_in_month, change_in_month, parse_bands


def bands(on=None):
    """The 高龄补贴 bands in force on a date (a dated setting)."""
    return parse_bands(settings.get("elder_subsidy_bands", on))


def monthly_amount(benefit, month_start, bands_in_force=None):
    """What a benefit pays in a month (0 if not active then); 高龄补贴 by the bands in force
    (pass them in when summing many benefits: they are one settings lookup per month)."""
    last_day = month_end(month_start)
    if benefit.status == "待审核" or benefit.start_on > last_day:
        return Decimal("0")
    if benefit.end_on and benefit.end_on < month_start:
        return Decimal("0")
    if benefit.period == "一次性":
        return benefit.amount if month_start <= benefit.start_on <= last_day else Decimal("0")
    if benefit.kind == "高龄补贴":
        table = bands_in_force if bands_in_force is not None else bands(month_start)
        band = band_in_month(benefit.person.birth_date, month_start, table)
        return Decimal(str(band[2])).quantize(Decimal("0.01")) if band else Decimal("0")
    return benefit.amount or Decimal("0")


def totals_in_month(scope, month):
    """{village id: {kind: amount}} of what active benefits pay in a month, in the area."""
    active = (
        scope.query(Benefit)
        .join(Person)
        .where((Benefit.status == "享受中") & Person.exited_on.is_null())
    )
    totals = {}
    table = bands(month)
    for b in active.select(Benefit, Person):
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


def attendance(scope, activity):
    """Who was invited to an activity and who came, limited to the persons the user may see."""
    rows = (
        Attendance.select(Attendance, Person)
        .join(Person)
        .where(Attendance.activity == activity)
        .order_by(Person.name_pinyin)
    )
    return [a for a in rows if scope.allows_grid(a.person.village_id, a.person.grid_id)]


def checked_at(activity):
    """Ids of the persons whose check-up was recorded at this activity (a 义诊)."""
    return {
        c.person_id for c in CheckUp.select(CheckUp.person).where(CheckUp.activity == activity.id)
    }


def invitees(scope, village_id):
    """Active persons in a group of a village of the area, to tick on an activity form."""
    return (
        scope.filter(Person.active(), Person)
        .where((Person.village == village_id) & (Person.groups != ""))
        .order_by(Person.name_pinyin)
    )


def sites(scope, village_id=None):
    """Service sites of the area (of one village when given)."""
    query = scope.query(Site).order_by(Site.village, Site.kind)
    return query.where(Site.village == village_id) if village_id else query
