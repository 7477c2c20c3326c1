"""Care records: child emergencies with their reporting clock, needs and services."""

import re

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from htmx_flask import request as hx_request

from .. import clock, figure_cache, page_cache
from ..auth import current_actor, disclosure
from ..models.care import NEED_KINDS, NEED_STATUSES, Emergency, Need, Service
from ..models.persons import Person
from ..queries import care as queries
from ..queries import history, places
from ..queries.helpers import for_person as helpers_for
from ..rules import emergency as rules
from ..services import ValidationError
from ..services import care as service
from ..services.audit import record
from .forms import form_page, record_page, run, void_action
from .labels import FIELD_LABELS
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
def emergency(emergency_id, errors=None):
    """The emergency's timeline: each step, its deadline, when it was done (and, corrected, the
    first time recorded); its history; 更正 and 作废."""
    item = g.scope.get(Emergency, emergency_id)
    # The call list shows the family's phones: reading it is reading the child's file.
    record(current_actor(), "view", item, label=f"{item.person.name} 突发事件（含通话名单）")
    return render_template(
        "care/emergency.html",
        emergency=item,
        steps=queries.steps(item),
        now=clock.now(),
        how=rules.HOW,
        late=rules.late,
        history=history.of(item),
        labels=FIELD_LABELS,
        errors=errors or {},
        **_call_context(item),
    )


def _call_context(item):
    """What the call list needs: its rows, the calls made (per row and all), who sees what."""
    return dict(
        call_rows=queries.call_list(item),
        made=queries.calls_by_target(item),
        calls=queries.calls(item),
        shown=disclosure("record"),
    )


_KEY = re.compile(r"[a-z0-9-]{1,32}")


@bp.route("/emergencies/<int:emergency_id>/calls", methods=["POST"])
def emergency_call(emergency_id):
    """已拨打: stamp a call-list row with the time and the caller; htmx gets the row back."""
    item = g.scope.get(Emergency, emergency_id)
    target = request.form.get("target", "")
    anchor = f"#call-{target}" if _KEY.fullmatch(target) else "#calls"
    if hx_request.htmx:
        errors, status = {}, 200
        try:
            service.add_call(current_actor(), item, request.form.to_dict())
        except ValidationError as e:
            errors, status = e.errors, 422
        context = _call_context(item)
        row = next((r for r in context["call_rows"] if r.key == target), None)
        return render_template(
            "care/_call_row.html", emergency=item, row=row, errors=errors, **context
        ), status
    run(lambda: service.add_call(current_actor(), item, request.form.to_dict()), "已记录拨打时间")
    return redirect(url_for("care.emergency", emergency_id=item.id) + anchor, 303)


@bp.route("/emergencies/<int:emergency_id>/calls/<int:call_id>/void", methods=["POST"])
def emergency_call_void(emergency_id, call_id):
    """作废 a call stamped on the wrong row."""
    item = g.scope.get(Emergency, emergency_id)
    call = queries.call(item, call_id)
    run(
        lambda: service.void_call(current_actor(), call, request.form.get("void_reason")),
        "已作废这条拨打记录",
    )
    return redirect(url_for("care.emergency", emergency_id=item.id) + "#calls", 303)


def _emergency_form(item):
    """An emergency's editable fields as its form shows them."""
    return {
        "kind": item.kind,
        "discovered_at": item.discovered_at.strftime("%Y-%m-%dT%H:%M"),
        "happened_at": item.happened_at.strftime("%Y-%m-%dT%H:%M") if item.happened_at else "",
        "reported_by": item.reported_by,
        "description": item.description,
    }


@bp.route("/emergencies/<int:emergency_id>/edit", methods=["GET", "POST"])
def emergency_edit(emergency_id):
    """Correct an emergency; a new kind or time needs a reason, the deadlines follow it."""
    item = g.scope.get(Emergency, emergency_id)
    return form_page(
        "care/emergency_new.html",
        initial=_emergency_form(item),
        record=item,
        # As the form shows them (its times as typed, not as stored), read again in the save.
        current=lambda: _emergency_form(g.scope.get(Emergency, emergency_id)),
        save=lambda values: service.update_emergency(current_actor(), item, values),
        done=lambda _: ("已更正突发事件", url_for("care.emergency", emergency_id=item.id)),
        context=dict(
            person=item.person, emergency=item, kinds=rules.KINDS, police_kinds=rules.POLICE_KINDS
        ),
    )


@bp.route("/emergencies/<int:emergency_id>/void", methods=["POST"])
def emergency_void(emergency_id):
    """作废 an emergency registered by mistake."""
    item = g.scope.get(Emergency, emergency_id)
    return void_action(
        lambda reason: service.void_emergency(current_actor(), item, reason),
        url_for("care.emergency", emergency_id=item.id),
        lambda errors: emergency(item.id, errors=errors),
    )


@bp.route("/emergencies/<int:emergency_id>/steps/<int:step_id>/correct", methods=["POST"])
def emergency_step_correct(emergency_id, step_id):
    """Correct a done step's time, with a reason; the first time recorded stays visible."""
    item = g.scope.get(Emergency, emergency_id)
    step = queries.step(item, step_id)
    try:
        service.correct_step(current_actor(), step, request.form.to_dict())
    except ValidationError as e:
        return emergency(
            item.id, errors={f"step{step.id}-{k}": v for k, v in e.errors.items()}
        ), 422
    flash(f"已更正：{step.label} 的完成时间", "ok")
    return redirect(url_for("care.emergency", emergency_id=item.id), 303)


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
    return page_cache.page("care.needs", _needs_page)


def _needs_page():
    today = clock.today()
    query = queries.open_needs(
        g.scope,
        today,
        request.args.get("village", type=int),
        overdue=request.args.get("overdue") == "1",
    )
    # Counting every open need by its person's village costs about 15 ms at 100,000 persons:
    # kept per scope until a write in its villages (figure_cache).
    scope = g.scope
    counts = figure_cache.get(
        "needs by village", scope, "any", today, lambda: queries.open_needs_by_village(scope)
    ).value
    page = paginate(query, request.args.get("page", type=int), per_page=30)
    return render_template(
        "care/needs.html",
        page=page,
        today=today,
        counts=[(v, counts[v.id]) for v in places.villages(g.scope) if v.id in counts],
    )


@bp.route("/persons/<int:person_id>/needs/new", methods=["GET", "POST"], defaults={"need_id": None})
@bp.route("/needs/<int:need_id>", methods=["GET", "POST"])
def need(person_id=None, need_id=None, void_errors=None):
    """Register a need, or follow one: status, assignment, services delivered; its history."""
    item = g.scope.get(Need, need_id) if need_id else None
    person = item.person if item else g.scope.get(Person, person_id)
    initial = dict(item.__data__) if item else {"raised_on": clock.today().isoformat()}
    if void_errors is not None:
        page = record_page("care/need.html", initial, **_need_context(person, item, void_errors))
        return page, 422
    return form_page(
        "care/need.html",
        initial=initial,
        save=lambda values: service.save_need(current_actor(), person, values, item, scope=g.scope),
        record=item,
        done=lambda saved: ("已保存需求", url_for("care.need", need_id=saved.id)),
        context=lambda values: _need_context(person, item),
    )


def _need_context(person, item, void_errors=None):
    return dict(
        person=person,
        need=item,
        kinds=NEED_KINDS,
        statuses=NEED_STATUSES,
        helpers=helpers_for(g.scope, person),
        services=queries.need_services(item) if item else [],
        history=history.of(item) if item else [],
        labels=FIELD_LABELS,
        void_errors=void_errors or {},
    )


@bp.route("/needs/<int:need_id>/void", methods=["POST"])
def need_void(need_id):
    """作废 a need registered by mistake."""
    item = g.scope.get(Need, need_id)
    return void_action(
        lambda reason: service.void_need(current_actor(), item, reason),
        url_for("care.need", need_id=item.id),
        lambda errors: need(need_id=item.id, void_errors=errors)[0],
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


def _service_form(item):
    return {
        "kind": item.kind,
        "served_on": item.served_on.isoformat(),
        "description": item.description,
        "helper": str(item.helper_id or ""),
        "need": str(item.need_id or ""),
    }


def _service_context(item, void_errors=None):
    return dict(
        item=item,
        person=item.person,
        kinds=NEED_KINDS,
        helpers=helpers_for(g.scope, item.person),
        needs=queries.needs_of(item.person, keep=item.need_id),
        history=history.of(item),
        labels=FIELD_LABELS,
        void_errors=void_errors or {},
    )


@bp.route("/services/<int:service_id>", methods=["GET", "POST"])
def service_page(service_id):
    """A service record: correct it, see its history, 作废 it."""
    item = g.scope.get(Service, service_id)
    return form_page(
        "care/service.html",
        initial=_service_form(item),
        record=item,
        save=lambda values: service.update_service(current_actor(), item, values, scope=g.scope),
        done=lambda _: ("已更正服务记录", url_for("care.service_page", service_id=item.id)),
        context=lambda values: _service_context(item),
    )


@bp.route("/services/<int:service_id>/void", methods=["POST"])
def service_void(service_id):
    """作废 a service record entered by mistake."""
    item = g.scope.get(Service, service_id)
    return void_action(
        lambda reason: service.void_service(current_actor(), item, reason),
        url_for("care.service_page", service_id=item.id),
        lambda errors: record_page(
            "care/service.html", _service_form(item), **_service_context(item, errors)
        ),
    )


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
