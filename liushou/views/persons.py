"""Persons: the list with search, registration, the person's page, edits, exit and re-entry."""
import json
from datetime import date

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from htmx_flask import request as hx_request
from peewee import JOIN

from ..auth import can_see_full_id, current_actor
from ..models import AuditLog, Grid, Village
from ..models.helpers import Helper
from ..models.households import Household
from ..models.persons import (CARER_DISQUALIFIERS, DISABILITY_GRADES, DISABILITY_KINDS, EXIT_REASONS,
                              LIVING, RISK_LEVELS, SELF_CARE, SEXES, Person)
from ..rules.categories import GROUPS, PARENT_STATUSES
from ..services import ValidationError
from ..services import persons as service
from ..services.audit import record
from .actions import run
from .labels import FIELD_LABELS
from .paging import paginate

bp = Blueprint("persons", __name__)


def filtered(args):
    """The persons of the user's area narrowed by the list's GET filters."""
    query = (Person.select(Person, Village, Grid).join(Village).switch(Person)
             .join(Grid, JOIN.LEFT_OUTER)
             .order_by(Person.needs_review.desc(), Village.sort_order, Person.name_pinyin))
    query = g.scope.filter(query, Person)
    status = args.get("status", "active")
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
        query = query.where(Person.needs_review == True)  # noqa: E712
    return Person.search(query, args.get("q"))


@bp.route("/persons", endpoint="list")
def person_list():
    """All persons of the area, filtered and searched; htmx asks for the rows alone."""
    page = paginate(filtered(request.args), request.args.get("page", type=int), per_page=30)
    if hx_request.htmx and request.headers.get("HX-Target") == "rows":
        return render_template("persons/_rows.html", page=page)
    return render_template("persons/list.html", page=page, groups=GROUPS,
                           villages=g.scope.query(Village).order_by(Village.sort_order),
                           grids=g.scope.query(Grid).order_by(Grid.village, Grid.sort_order))


def _choices():
    return dict(sexes=SEXES, risk_levels=RISK_LEVELS, disability_kinds=DISABILITY_KINDS,
                disability_grades=DISABILITY_GRADES, living=LIVING, self_care=SELF_CARE,
                parent_statuses=PARENT_STATUSES, disqualifiers=CARER_DISQUALIFIERS,
                difficulty_kinds=service.difficulty_options())


def _form_values():
    values = request.form.to_dict()
    for name in ("difficulty_kinds", "carer_disqualifiers"):
        values[name] = request.form.getlist(name)
    return values


@bp.route("/persons/new", methods=["GET", "POST"])
def new():
    """Register a person in a household (chosen from the household's page)."""
    household = g.scope.get(Household, request.values.get("household")) \
        if request.values.get("household") else None
    errors, form = {}, {"household": household.id if household else ""}
    if request.method == "POST":
        form = _form_values()
        try:
            person = service.save_person(current_actor(), g.scope, form)
        except ValidationError as e:
            errors = e.errors
        else:
            flash(f"已登记 {person.name}", "ok")
            return redirect(url_for("persons.detail", person_id=person.id), 303)
    households = [] if household else g.scope.query(Household).order_by(Household.id.desc()).limit(200)
    return render_template("persons/form.html", person=None, household=household, form=form,
                           errors=errors, households=households, **_choices()), \
        (422 if errors else 200)


@bp.route("/persons/<int:person_id>/edit", methods=["GET", "POST"])
def edit(person_id):
    """Change a person's record; every change is kept in the history."""
    person = g.scope.get(Person, person_id)
    errors, form = {}, dict(person.__data__)
    form["difficulty_kinds"] = person.difficulty_kinds.split(",")
    form["carer_disqualifiers"] = person.carer_disqualifiers.split(",")
    if request.method == "POST":
        form = _form_values()
        try:
            service.save_person(current_actor(), g.scope, form, person)
        except ValidationError as e:
            errors = e.errors
        else:
            flash("已保存", "ok")
            return redirect(url_for("persons.detail", person_id=person.id), 303)
    return render_template("persons/form.html", person=person, household=person.household,
                           form=form, errors=errors, households=[], **_choices()), \
        (422 if errors else 200)


@bp.route("/persons/<int:person_id>")
def detail(person_id):
    """Everything about one person, with why he is in each group and his history."""
    person = g.scope.get(Person, person_id)
    if person.is_child or "儿童" in person.groups:
        record(current_actor(), "view", person)  # reads of a child's file are audited
    history = (AuditLog.select().where((AuditLog.object_type == "person")
                                       & (AuditLog.object_id == person.id)
                                       & AuditLog.action.in_(("create", "update", "exit", "reenter")))
               .order_by(AuditLog.id.desc()).limit(100))
    live = service.derive(person.__data__)
    return render_template("persons/detail.html", person=person, history=history, care=_care(person),
                           records=_records(person), more=_more(person),
                           labels=FIELD_LABELS, full_id=can_see_full_id(g.user),
                           live_reasons=json.loads(live[1]),
                           exit_reasons=EXIT_REASONS, today=date.today())


@bp.route("/persons/<int:person_id>/exit", methods=["POST"], endpoint="exit")
def exit_view(person_id):
    """退出: the person leaves the registry with a reason and a date."""
    person = g.scope.get(Person, person_id)
    run(lambda: service.exit_person(current_actor(), person, request.form.to_dict()),
        f"{person.name} 已退出登记")
    return redirect(url_for("persons.detail", person_id=person.id), 303)


@bp.route("/persons/<int:person_id>/reenter", methods=["POST"])
def reenter(person_id):
    """Bring an exited person back."""
    person = g.scope.get(Person, person_id)
    run(lambda: service.reenter_person(current_actor(), person), f"{person.name} 已重新登记")
    return redirect(url_for("persons.detail", person_id=person.id), 303)


@bp.route("/persons/<int:person_id>/review", methods=["POST"])
def review(person_id):
    """Confirm a flagged person has been looked at."""
    person = g.scope.get(Person, person_id)
    if person.needs_review:
        service.confirm_review(current_actor(), person)
        flash("已确认核实", "ok")
    return redirect(url_for("persons.detail", person_id=person.id), 303)




def _care(person):
    """What the person page shows about pairing and visits."""
    from ..models.visits import Pairing, Visit, VisitPerson, VisitState
    from ..rules.visits import TIERS
    from .helpers import visible_helpers
    return {
        "pairings": Pairing.select().where(Pairing.person == person)
        .order_by(Pairing.ended_on.is_null(False), Pairing.primary.desc(), Pairing.started_on),
        "state": VisitState.get_or_none(VisitState.person == person),
        "visits": Visit.select().join(VisitPerson).where(VisitPerson.person == person)
        .order_by(Visit.visited_on.desc()).limit(10),
        "helpers": visible_helpers().where(Helper.active == True).order_by(Helper.name),  # noqa: E712
        "tiers": TIERS, "can_tier": g.user.role in ("admin", "township", "village"),
    }


def _records(person):
    """Needs, services and emergencies of a person, for his page and archive."""
    from ..models.care import Emergency, Need, Service
    return {
        "needs": Need.select().where(Need.person == person).order_by(Need.raised_on.desc()),
        "services": Service.select().where(Service.person == person).order_by(Service.served_on.desc()).limit(20),
        "emergencies": Emergency.select().where(Emergency.person == person).order_by(Emergency.discovered_at.desc()),
    }


def _more(person):
    """Benefits (with this month's amount), check-ups and activities of a person."""
    from ..models.records import Activity, Attendance, Benefit, CheckUp
    from ..services.records import monthly_amount
    month = date.today().replace(day=1)
    return {
        "today": date.today(),
        "benefits": [(b, monthly_amount(b, month)) for b in
                     Benefit.select().where(Benefit.person == person).order_by(Benefit.start_on.desc())],
        "checkups": CheckUp.select().where(CheckUp.person == person).order_by(CheckUp.checked_on.desc()).limit(10),
        "attendance": (Attendance.select(Attendance, Activity).join(Activity)
                       .where(Attendance.person == person).order_by(Activity.held_on.desc()).limit(20)),
    }
