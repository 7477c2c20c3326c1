"""Group activities with their attendance, and service sites (服务阵地): add, correct, void."""

from .. import clock
from ..db import database
from ..models import Village
from ..models.orgs import Organisation
from ..models.persons import Person
from ..models.records import ACTIVITY_KINDS, SITE_KINDS, Activity, Attendance, Site
from . import ValidationError, site_events
from .audit import record
from .changes import apply_changes
from .form_versions import hold
from .forms import Reader, to_int
from .month_rates import reopen_periods
from .voiding import refuse_if_voided, refuse_if_voided_now, refuse_voided_persons_now, void

REMOVED = "从活动名单中移除"


def _ids(raw):
    """A form's list of ids as strings (one value or a list; blanks dropped)."""
    items = raw if isinstance(raw, (list, tuple, set)) else ([raw] if raw not in (None, "") else [])
    return [str(i).strip() for i in items if str(i).strip()]


def _village(scope, values, r, check):
    raw = values.get("village")
    village = Village.get_or_none(Village.id == to_int(raw)) if str(raw or "").isdigit() else None
    if village is None or not check(village.id):
        r.errors["village"] = "请选择您负责的村（社区）"
        return None
    return village


def _site_fields(r):
    return {
        "kind": r.choice("kind", SITE_KINDS, "请选择阵地类型"),
        "name": r.text("name", 64, "请填写名称"),
        "address": r.text("address", 128),
        "keeper": r.text("keeper", 64),
        "phone": r.phone("phone"),
        "hours": r.text("hours", 64),
    }


def save_site(actor, scope, values):
    r = Reader(values)
    village = _village(scope, values, r, scope.allows_village)
    data = _site_fields(r)
    if r.errors:
        raise ValidationError(r.errors)
    with database.atomic():
        site = Site.create(village=village, **data)
        site_events.follow(site)
        record(actor, "create", site, changes=[(k, None, v) for k, v in data.items() if v])
    return site


def _whole_village(scope, site):
    if not scope.allows_village(site.village_id):
        raise ValidationError({"_record": "服务阵地属于全村（社区），请村干部修改"})


def update_site(actor, scope, site, values):
    """Correct a site's kind, name, address, keeper, phone or hours (its village stays)."""
    _whole_village(scope, site)
    refuse_if_voided(site)
    r = Reader(values)
    data = _site_fields(r)
    if r.errors:
        raise ValidationError(r.errors)
    with database.atomic():
        if apply_changes(actor, site, data):
            # Its kind as counted at the end of every closed period since it was added.
            reopen_periods(ranges=[(site.created_at.date(), None)])
    return site


def set_site_active(actor, scope, site, active):
    """停用 / 启用 a site: a stopped site is offered to no new activity; audited."""
    _whole_village(scope, site)
    refuse_if_voided(site)
    if site.active == active:
        raise ValidationError({"active": "阵地已启用" if active else "阵地已停用"})
    with database.atomic():
        # The 停用 day: a report reads a site as in use on a day before it (queries/summary.py).
        closed_on = None if active else clock.today()
        apply_changes(actor, site, {"active": active, "closed_on": closed_on})
        site_events.follow(site)
    return site


def void_site(actor, scope, site, reason):
    _whole_village(scope, site)
    return void(actor, site, reason)


def _activity_fields(r, today):
    return {
        "kind": r.choice("kind", ACTIVITY_KINDS, "请选择活动类型"),
        "title": r.text("title", 100, "请填写活动名称"),
        "held_on": r.date("held_on", required_msg="请填写活动日期", not_future=True, today=today),
        "organiser": r.text("organiser", 64),
        "helpers": r.text("helpers", 200),
        "notes": r.text("notes", 1000),
    }


def _site(scope, village, raw, r, current_id=None):
    """The activity's site from the form: a site of the activity's village, in use (or the one
    it already had)."""
    if not raw:
        return None
    site = scope.query(Site).where(Site.id == to_int(raw)).first()
    if site is None or village is None or site.village_id != village.id:
        r.errors["site"] = "请选择本村（社区）的服务阵地"
        return None
    if not (site.active or site.id == current_id):
        r.errors["site"] = "此服务阵地已停用，请选择在用的阵地"
        return None
    return site


def _organisation(scope, village, raw, r):
    """The organisation that held the activity: one of the village's own or a township-wide
    one, inside the user's area."""
    if not raw:
        return None
    org = scope.query(Organisation).where(Organisation.id == to_int(raw)).first()
    if org is None or org.village_id not in (None, village.id if village else None):
        r.errors["organisation"] = "请选择本村（社区）或全乡（镇）的协会、队伍"
        return None
    return org


def _participants(scope, village, values, r):
    """(persons invited, ids of those who came) among the persons the user may see in the
    activity's village."""
    invited = _ids(values.get("persons"))
    attended = set(_ids(values.get("attended")))
    query = scope.filter(Person.select(), Person).where(
        Person.id.in_([int(i) for i in invited if i.isdigit()] or [0])
    )
    if village is not None:
        query = query.where(Person.village == village.id)
    persons = list(query)
    if set(invited) - {str(p.id) for p in persons}:
        r.errors["persons"] = "只能选择本村（社区）中您负责范围内的人员"
    if attended - set(invited):
        r.errors["attended"] = "实到人员须在参加人员之中"
    return persons, {int(i) for i in attended if i.isdigit()}


def save_activity(actor, scope, values, today=None):
    """An activity with its participants (ids in values['persons']) and who attended."""
    today = today or clock.today()
    r = Reader(values)
    village = _village(scope, values, r, lambda vid: scope.everything or vid in scope.village_ids)
    data = _activity_fields(r, today)
    site = _site(scope, village, values.get("site"), r)
    organisation = _organisation(scope, village, values.get("organisation"), r)
    persons, attended = _participants(scope, village, values, r)
    if not persons and "persons" not in r.errors:
        r.errors["persons"] = "请选择参加人员"
    if r.errors:
        raise ValidationError(r.errors)
    with database.atomic():
        refuse_voided_persons_now(persons, "persons")  # a voided registration joins nothing
        activity = Activity.create(
            village=village,
            site=site,
            organisation=organisation,
            created_by=actor.user_id,
            **data,
        )
        for p in persons:
            Attendance.create(activity=activity, person=p, attended=p.id in attended)
        record(
            actor,
            "create",
            activity,
            changes=[(k, None, v) for k, v in data.items() if v]
            + ([("organisation", None, organisation.name)] if organisation else [])
            + [("attendance", None, f"{len(attended & {p.id for p in persons})}/{len(persons)}")],
        )
    return activity


def _counts(rows):
    """(invited, attended) of an activity's live rows, as its history shows them: counts, not
    names, since grid workers of other grids see the activity too."""
    live = [a for a in rows if not a.voided]
    return len(live), sum(1 for a in live if a.attended)


def _set_row(actor, row, voided, attended):
    """Put one attendance row in its new state and audit it (who, on the row itself)."""
    changes = []
    if row.voided != voided:
        changes.append(("void_reason", row.void_reason, REMOVED if voided else ""))
        row.voided_at, row.voided_by = (clock.now(), actor.user_id) if voided else (None, None)
        row.void_reason = REMOVED if voided else ""
    if not voided and row.attended != attended:
        changes.append(("attended", row.attended, attended))
        row.attended = attended
    if changes:
        row.save()
        action = "void" if voided else "update"
        record(actor, action, row, label=f"{row.person.name} 活动名单", changes=changes)
    return bool(changes)


def update_activity(actor, scope, activity, values, today=None):
    """Correct an activity's fields and its list: a person taken off the list has his row
    voided (kept, struck through); putting him back un-voids it. Persons outside the user's
    area keep their rows untouched."""
    today = today or clock.today()
    refuse_if_voided(activity)
    r = Reader(values)
    data = _activity_fields(r, today)
    site = _site(scope, activity.village, values.get("site"), r, activity.site_id)
    organisation = _organisation(scope, activity.village, values.get("organisation"), r)
    persons, attended = _participants(scope, activity.village, values, r)
    rows = {
        a.person_id: a
        for a in Attendance.with_voided()
        .select(Attendance, Person)
        .join(Person)
        .where(Attendance.activity == activity)
    }
    mine = {
        pid for pid, a in rows.items() if scope.allows_grid(a.person.village_id, a.person.grid_id)
    }
    others = [a for pid, a in rows.items() if pid not in mine and not a.voided]
    if not persons and not others and "persons" not in r.errors:
        r.errors["persons"] = "请选择参加人员"
    if r.errors:
        raise ValidationError(r.errors)
    before = _counts(rows.values())
    chosen = {p.id: p for p in persons}
    held_before = activity.held_on
    with database.atomic():
        refuse_if_voided_now(activity)  # voided by another request since it was read
        hold(activity)  # its form's version checked again, before any write here
        # A person put on the list must not be voided (those it had keep their rows).
        refuse_voided_persons_now([p for pid, p in chosen.items() if pid not in rows], "persons")
        touched = False
        for pid in mine - set(chosen):
            touched |= _set_row(actor, rows[pid], True, rows[pid].attended)
        for pid, person in chosen.items():
            if pid in rows:
                touched |= _set_row(actor, rows[pid], False, pid in attended)
            else:
                touched = True
                rows[pid] = Attendance.create(
                    activity=activity, person=person, attended=pid in attended
                )
                record(actor, "create", rows[pid], label=f"{person.name} 活动名单")
        after = _counts(rows.values())
        # The site and organisation audited by name (not id), then the list's counts, on the
        # same row after the fields; written along with any change.
        extra, links = [], {}
        if activity.site_id != (site.id if site else None):
            extra.append(("site", str(activity.site) if activity.site_id else "", str(site or "")))
            links["site"] = site.id if site else None
        if activity.organisation_id != (organisation.id if organisation else None):
            extra.append(
                (
                    "organisation",
                    activity.organisation.name if activity.organisation_id else "",
                    organisation.name if organisation else "",
                )
            )
            links["organisation"] = organisation.id if organisation else None
        if before != after:
            extra.append(("attendance", "{1}/{0}".format(*before), "{1}/{0}".format(*after)))
        changes = apply_changes(actor, activity, data, extra=extra, quiet=links)
        if touched or any(k in ("kind", "held_on") for k, _old, _new in changes):
            # Its kind, day or attendance as counted in the closed periods holding its old and
            # new day: their kept figures are dropped.
            reopen_periods([held_before, activity.held_on])
    return activity


def void_activity(actor, scope, activity, reason):
    """作废 an activity recorded by mistake (it leaves the counts; its page stays). A grid worker
    may void only an activity whose every participant is in his grids."""
    outside = [
        a
        for a in Attendance.select(Attendance, Person)
        .join(Person)
        .where(Attendance.activity == activity)
        if not scope.allows_grid(a.person.village_id, a.person.grid_id)
    ]
    if outside:
        raise ValidationError({"void_reason": "活动有您负责范围以外的人员参加，请村干部作废"})
    return void(actor, activity, reason)
