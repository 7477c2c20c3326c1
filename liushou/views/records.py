"""Benefits and 高龄补贴, health check-ups, activities with attendance, service sites."""
from datetime import date

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from ..auth import current_actor
from ..models import Village
from ..models.persons import Person
from ..models.records import (ACTIVITY_KINDS, BENEFIT_KINDS, BENEFIT_STATUSES, PERIODS, SITE_KINDS,
                              Activity, Attendance, Benefit, Site)
from ..rules.subsidy import band_label, change_in_month
from ..services import ValidationError
from ..services import records as service
from .paging import paginate

bp = Blueprint("records", __name__)


def next_month(today=None):
    today = today or date.today()
    return (today.replace(day=28) + date.resolution * 4).replace(day=1)


@bp.route("/benefits")
def benefits():
    """This month's totals per village and kind; who becomes eligible or moves band next month."""
    month = date.today().replace(day=1)
    coming = next_month()
    active = (g.scope.query(Benefit).join(Person)
              .where((Benefit.status == "享受中") & Person.exited_on.is_null()))
    totals = {}
    table = service.bands(month)
    for b in active.select(Benefit, Person):
        amount = service.monthly_amount(b, month, table)
        if amount:
            row = totals.setdefault(b.person.village_id, {})
            row[b.kind] = row.get(b.kind, 0) + amount
    villages = {v.id: v for v in g.scope.query(Village).order_by(Village.sort_order)}
    bands_now, bands_before = service.bands(coming), service.bands(month)
    changes = []
    elders = g.scope.filter(Person.active(), Person).where(
        Person.birth_date <= date(coming.year - bands_now[0][0], 12, 31)) if bands_now else []
    for p in elders:
        change = change_in_month(p.birth_date, coming, bands_now, bands_before)
        if change:
            changes.append((p, change))
    return render_template("records/benefits.html", month=month, coming=coming, totals=totals,
                           villages=villages, kinds=BENEFIT_KINDS, changes=changes, band_label=band_label)


@bp.route("/persons/<int:person_id>/benefits/new", methods=["GET", "POST"])
def benefit_new(person_id):
    person = g.scope.get(Person, person_id)
    errors, form = {}, {"start_on": date.today().replace(day=1).isoformat(), "period": "每月"}
    if request.method == "POST":
        form = request.form.to_dict()
        try:
            service.save_benefit(current_actor(), person, form)
        except ValidationError as e:
            errors = e.errors
        else:
            flash("已登记救助补贴", "ok")
            return redirect(url_for("persons.detail", person_id=person.id) + "#more", 303)
    return render_template("records/benefit_new.html", person=person, form=form, errors=errors,
                           kinds=BENEFIT_KINDS, periods=PERIODS, statuses=BENEFIT_STATUSES), \
        (422 if errors else 200)


@bp.route("/benefits/<int:benefit_id>/stop", methods=["POST"])
def benefit_stop(benefit_id):
    """Stop a benefit from a date; it stays on the person's page as 已停发."""
    from .actions import run
    benefit = g.scope.get(Benefit, benefit_id)
    run(lambda: service.stop_benefit(current_actor(), benefit, request.form.to_dict()), f"{benefit.kind}已停发")
    return redirect(url_for("persons.detail", person_id=benefit.person_id) + "#more", 303)


@bp.route("/persons/<int:person_id>/checkups/new", methods=["GET", "POST"])
def checkup_new(person_id):
    person = g.scope.get(Person, person_id)
    activity = None
    if request.values.get("activity"):  # recording the check-ups of a 义诊 for its attendees
        activity = g.scope.get(Activity, request.values["activity"])
    errors, form = {}, {"checked_on": (activity.held_on if activity else date.today()).isoformat(),
                        "checked_by": activity.organiser if activity else "",
                        "activity": activity.id if activity else ""}
    if request.method == "POST":
        form = request.form.to_dict()
        form["activity"] = activity.id if activity else None
        try:
            service.save_checkup(current_actor(), person, form)
        except ValidationError as e:
            errors = e.errors
        else:
            flash(f"已记录 {person.name} 的体检", "ok")
            if activity:
                return redirect(url_for("records.activity", activity_id=activity.id), 303)
            return redirect(url_for("persons.detail", person_id=person.id) + "#more", 303)
    return render_template("records/checkup_new.html", person=person, form=form, errors=errors,
                           activity=activity), \
        (422 if errors else 200)


@bp.route("/activities")
def activities():
    query = g.scope.query(Activity).order_by(Activity.held_on.desc())
    page = paginate(query, request.args.get("page", type=int), per_page=30)
    return render_template("records/activities.html", page=page)


@bp.route("/activities/new", methods=["GET", "POST"])
def activity_new():
    """Record an activity: pick the village, tick who was invited and who came."""
    villages = g.scope.query(Village).where(Village.active == True).order_by(Village.sort_order)  # noqa: E712
    village_id = request.values.get("village", type=int) or (villages.first().id if villages.count() else None)
    errors, form = {}, {"held_on": date.today().isoformat(), "village": village_id}
    if request.method == "POST":
        form = {**request.form.to_dict(), "persons": request.form.getlist("persons"),
                "attended": request.form.getlist("attended")}
        try:
            activity = service.save_activity(current_actor(), g.scope, form)
        except ValidationError as e:
            errors = e.errors
        else:
            flash("已记录活动", "ok")
            return redirect(url_for("records.activity", activity_id=activity.id), 303)
    persons = (g.scope.filter(Person.active(), Person)
               .where((Person.village == village_id) & (Person.groups != "")).order_by(Person.name_pinyin))
    sites = Site.select().where(Site.village == village_id)
    return render_template("records/activity_new.html", villages=villages, village_id=village_id,
                           persons=persons, sites=sites, form=form, errors=errors, kinds=ACTIVITY_KINDS), \
        (422 if errors else 200)


@bp.route("/activities/<int:activity_id>")
def activity(activity_id):
    item = g.scope.get(Activity, activity_id)
    rows = (Attendance.select(Attendance, Person).join(Person)
            .where(Attendance.activity == item).order_by(Person.name_pinyin))
    rows = [a for a in rows if g.scope.allows_grid(a.person.village_id, a.person.grid_id)]
    from ..models.records import CheckUp
    checked = {c.person_id for c in CheckUp.select().where(CheckUp.activity == item.id)}
    return render_template("records/activity.html", activity=item, rows=rows, checked=checked)


@bp.route("/sites", methods=["GET", "POST"])
def sites():
    """Service sites (服务阵地) of the area, and a form to add one."""
    errors, form = {}, {}
    if request.method == "POST":
        form = request.form.to_dict()
        try:
            service.save_site(current_actor(), g.scope, form)
        except ValidationError as e:
            errors = e.errors
        else:
            flash("已添加服务阵地", "ok")
            return redirect(url_for("records.sites"), 303)
    return render_template("records/sites.html", sites=g.scope.query(Site).order_by(Site.village, Site.kind),
                           villages=g.scope.query(Village).order_by(Village.sort_order),
                           kinds=SITE_KINDS, form=form, errors=errors), (422 if errors else 200)
