"""Care records: child emergencies with their reporting clock, needs and services."""
from datetime import date

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from peewee import fn

from .. import clock
from ..auth import current_actor
from ..models import Village
from ..models.care import CLOSED_STATUSES, NEED_KINDS, NEED_STATUSES, Emergency, EmergencyStep, Need, Service
from ..models.persons import Person
from ..rules import emergency as rules
from ..services import ValidationError
from ..services import care as service
from .actions import run
from .helpers import visible_helpers
from .paging import paginate

bp = Blueprint("care", __name__)


def _form_page(template, status_errors, **context):
    return render_template(template, **context), (422 if status_errors else 200)


@bp.route("/emergencies")
def emergencies():
    """Open emergencies first, then the closed ones."""
    query = (g.scope.query(Emergency).order_by(Emergency.closed_at.is_null(False), Emergency.discovered_at.desc()))
    page = paginate(query, request.args.get("page", type=int), per_page=30)
    return render_template("care/emergencies.html", page=page)


@bp.route("/persons/<int:person_id>/emergencies/new", methods=["GET", "POST"])
def emergency_new(person_id):
    """Open an emergency: the reporting clock starts at the discovery time."""
    person = g.scope.get(Person, person_id)
    now = clock.now()
    errors, form = {}, {"discovered_at": now.strftime("%Y-%m-%dT%H:%M"), "reported_by": g.user.display_name}
    if request.method == "POST":
        form = request.form.to_dict()
        try:
            emergency = service.open_emergency(current_actor(), person, form)
        except ValidationError as e:
            errors = e.errors
        else:
            flash("已登记突发事件，请按时限逐项报告", "ok")
            return redirect(url_for("care.emergency", emergency_id=emergency.id), 303)
    return _form_page("care/emergency_new.html", errors, person=person, form=form, errors=errors,
                      kinds=rules.KINDS, police_kinds=rules.POLICE_KINDS)


@bp.route("/emergencies/<int:emergency_id>")
def emergency(emergency_id):
    """The emergency's timeline: each step, its deadline, and when it was done."""
    item = g.scope.get(Emergency, emergency_id)
    return render_template("care/emergency.html", emergency=item, steps=item.steps.order_by(EmergencyStep.due_at),
                           now=clock.now(), how=rules.HOW, late=rules.late)


@bp.route("/emergencies/<int:emergency_id>/steps/<int:step_id>", methods=["POST"])
def emergency_step(emergency_id, step_id):
    """Record one reporting step as done."""
    item = g.scope.get(Emergency, emergency_id)
    step = EmergencyStep.get_or_none((EmergencyStep.id == step_id) & (EmergencyStep.emergency == item))
    if step is None:
        from flask import abort
        abort(404)
    run(lambda: service.complete_step(current_actor(), step, request.form.to_dict()), f"已记录：{step.label}")
    return redirect(url_for("care.emergency", emergency_id=item.id), 303)


@bp.route("/emergencies/<int:emergency_id>/close", methods=["POST"])
def emergency_close(emergency_id):
    """Close with a summary."""
    item = g.scope.get(Emergency, emergency_id)
    run(lambda: service.close_emergency(current_actor(), item, request.form.to_dict()), "已结案")
    return redirect(url_for("care.emergency", emergency_id=item.id), 303)


@bp.route("/needs")
def needs():
    """Open needs (overdue first) of the area, with counts per village."""
    today = date.today()
    base = g.scope.filter(Need.select(Need, Person).join(Person), Need).where(Need.status.not_in(CLOSED_STATUSES))
    if request.args.get("village", type=int):
        base = base.where(Person.village == request.args.get("village", type=int))
    if request.args.get("overdue") == "1":
        base = base.where(Need.due_on < today)
    query = base.order_by(Need.due_on.is_null(), Need.due_on, Need.raised_on)
    counts = (g.scope.filter(Need.select(Person.village, fn.COUNT(Need.id)).join(Person), Need)
              .where(Need.status.not_in(CLOSED_STATUSES)).group_by(Person.village).tuples())
    villages = {v.id: v for v in g.scope.query(Village)}
    page = paginate(query, request.args.get("page", type=int), per_page=30)
    return render_template("care/needs.html", page=page, today=today,
                           counts=[(villages[v], n) for v, n in counts if v in villages])


@bp.route("/persons/<int:person_id>/needs/new", methods=["GET", "POST"], defaults={"need_id": None})
@bp.route("/needs/<int:need_id>", methods=["GET", "POST"])
def need(person_id=None, need_id=None):
    """Register a need, or follow one: status, assignment, services delivered."""
    item = g.scope.get(Need, need_id) if need_id else None
    person = item.person if item else g.scope.get(Person, person_id)
    errors, form = {}, dict(item.__data__) if item else {"raised_on": date.today().isoformat()}
    if request.method == "POST":
        form = request.form.to_dict()
        try:
            item = service.save_need(current_actor(), person, form, item)
        except ValidationError as e:
            errors = e.errors
        else:
            flash("已保存需求", "ok")
            return redirect(url_for("care.need", need_id=item.id), 303)
    return _form_page("care/need.html", errors, person=person, need=item, form=form, errors=errors,
                      kinds=NEED_KINDS, statuses=NEED_STATUSES, helpers=visible_helpers(),
                      services=item.services.order_by(Service.served_on) if item else [])


@bp.route("/persons/<int:person_id>/services/new", methods=["POST"])
def service_new(person_id):
    """Record a service delivered (from a need's page or the person's page)."""
    person = g.scope.get(Person, person_id)
    try:
        item = service.save_service(current_actor(), person, request.form.to_dict())
    except ValidationError as e:
        flash("；".join(e.errors.values()), "error")
        item = None
    else:
        flash("已记录服务", "ok")
    need_id = request.form.get("need")
    if need_id and item is not None and item.need_id:
        return redirect(url_for("care.need", need_id=item.need_id), 303)
    return redirect(url_for("persons.detail", person_id=person.id) + "#records", 303)


@bp.route("/services")
def services():
    """Services delivered by kind and month (this year)."""
    year = request.args.get("year", type=int) or date.today().year
    month = fn.strftime("%m", Service.served_on)
    rows = (g.scope.filter(Service.select(Service.kind, month.alias("m"), fn.COUNT(Service.id)), Service)
            .where(fn.strftime("%Y", Service.served_on) == str(year))
            .group_by(Service.kind, month).tuples())
    table = {}
    for kind, m, n in rows:
        table.setdefault(kind, [0] * 12)[int(m) - 1] = n
    return render_template("care/services.html", year=year, table=table, kinds=NEED_KINDS)
