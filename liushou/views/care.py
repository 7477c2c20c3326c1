"""Care records: child emergencies with their reporting clock, needs and services."""

from flask import Blueprint, g, redirect, render_template, request, url_for

from .. import clock
from ..auth import current_actor
from ..models.care import NEED_KINDS, NEED_STATUSES, Emergency, Need
from ..models.persons import Person
from ..queries import care as queries
from ..queries import places
from ..queries.helpers import for_person as helpers_for
from ..rules import emergency as rules
from ..services import care as service
from .forms import form_page, run
from .paging import paginate

bp = Blueprint("care", __name__)


@bp.route("/emergencies")
def emergencies():
    """Open emergencies first, then the closed ones."""
    page = paginate(queries.emergencies(g.scope), request.args.get("page", type=int), per_page=30)
    return render_template("care/emergencies.html", page=page)


@bp.route("/persons/<int:person_id>/emergencies/new", methods=["GET", "POST"])
def emergency_new(person_id):
    """Open an emergency: the reporting clock starts at the discovery time."""
    person = g.scope.get(Person, person_id)
    initial = {
        "discovered_at": clock.now().strftime("%Y-%m-%dT%H:%M"),
        "reported_by": g.user.display_name,
    }
    return form_page(
        "care/emergency_new.html",
        initial=initial,
        save=lambda values: service.open_emergency(current_actor(), person, values),
        done=lambda item: (
            "已登记突发事件，请按时限逐项报告",
            url_for("care.emergency", emergency_id=item.id),
        ),
        context=dict(person=person, kinds=rules.KINDS, police_kinds=rules.POLICE_KINDS),
    )


@bp.route("/emergencies/<int:emergency_id>")
def emergency(emergency_id):
    """The emergency's timeline: each step, its deadline, and when it was done."""
    item = g.scope.get(Emergency, emergency_id)
    return render_template(
        "care/emergency.html",
        emergency=item,
        steps=queries.steps(item),
        now=clock.now(),
        how=rules.HOW,
        late=rules.late,
    )


@bp.route("/emergencies/<int:emergency_id>/steps/<int:step_id>", methods=["POST"])
def emergency_step(emergency_id, step_id):
    """Record one reporting step as done."""
    item = g.scope.get(Emergency, emergency_id)
    step = queries.step(item, step_id)
    run(
        lambda: service.complete_step(current_actor(), step, request.form.to_dict()),
        f"已记录：{step.label}",
    )
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
    today = clock.today()
    query = queries.open_needs(
        g.scope,
        today,
        request.args.get("village", type=int),
        overdue=request.args.get("overdue") == "1",
    )
    counts = queries.open_needs_by_village(g.scope)
    page = paginate(query, request.args.get("page", type=int), per_page=30)
    return render_template(
        "care/needs.html",
        page=page,
        today=today,
        counts=[(v, counts[v.id]) for v in places.villages(g.scope) if v.id in counts],
    )


@bp.route("/persons/<int:person_id>/needs/new", methods=["GET", "POST"], defaults={"need_id": None})
@bp.route("/needs/<int:need_id>", methods=["GET", "POST"])
def need(person_id=None, need_id=None):
    """Register a need, or follow one: status, assignment, services delivered."""
    item = g.scope.get(Need, need_id) if need_id else None
    person = item.person if item else g.scope.get(Person, person_id)
    initial = dict(item.__data__) if item else {"raised_on": clock.today().isoformat()}
    return form_page(
        "care/need.html",
        initial=initial,
        save=lambda values: service.save_need(current_actor(), person, values, item, scope=g.scope),
        record=item,
        done=lambda saved: ("已保存需求", url_for("care.need", need_id=saved.id)),
        context=lambda values: dict(
            person=person,
            need=item,
            kinds=NEED_KINDS,
            statuses=NEED_STATUSES,
            helpers=helpers_for(g.scope, person),
            services=queries.need_services(item) if item else [],
        ),
    )


@bp.route("/persons/<int:person_id>/services/new", methods=["POST"])
def service_new(person_id):
    """Record a service delivered (from a need's page or the person's page)."""
    person = g.scope.get(Person, person_id)
    ok, item = run(
        lambda: service.save_service(
            current_actor(), person, request.form.to_dict(), scope=g.scope
        ),
        "已记录服务",
    )
    if ok and request.form.get("need") and item.need_id:
        return redirect(url_for("care.need", need_id=item.need_id), 303)
    return redirect(url_for("persons.detail", person_id=person.id) + "#records", 303)


@bp.route("/services")
def services():
    """Services delivered by kind and month (this year)."""
    year = request.args.get("year", type=int) or clock.today().year
    return render_template(
        "care/services.html",
        year=year,
        table=queries.services_by_month(g.scope, year),
        kinds=NEED_KINDS,
    )
