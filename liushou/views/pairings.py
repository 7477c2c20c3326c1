"""Pairing (结对帮扶): pair, end, primary, bulk pairing, unpaired lists, coverage; visit tiers."""
from datetime import date

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from ..auth import current_actor
from ..models import Grid, Village
from ..models.helpers import Helper
from ..models.persons import Person
from ..models.visits import Pairing
from ..queries.visits import coverage_by_village, unpaired_persons
from ..services import ValidationError
from ..services import visits as service
from .actions import run
from .helpers import visible_helpers

bp = Blueprint("pairings", __name__)
TIER_ROLES = ("admin", "township", "village")


def _back(person_id):
    return redirect(url_for("persons.detail", person_id=person_id) + "#care", 303)


def _helper(helper_id):
    return visible_helpers().where(Helper.id == helper_id).first() or abort(404)


@bp.route("/persons/<int:person_id>/pairings", methods=["POST"])
def add(person_id):
    """Pair a helper with this person."""
    person = g.scope.get(Person, person_id)
    helper = _helper(request.form.get("helper", type=int) or 0)
    run(lambda: service.pair(current_actor(), g.scope, helper, [person],
                             primary=request.form.get("primary") == "1"), f"已结对：{helper.name}")
    return _back(person.id)


def _pairing(pairing_id):
    return g.scope.get(Pairing, pairing_id)


@bp.route("/pairings/<int:pairing_id>/end", methods=["POST"])
def end(pairing_id):
    """End a pairing (it stays in the history)."""
    pairing = _pairing(pairing_id)
    run(lambda: service.end_pairing(current_actor(), pairing, reason=request.form.get("reason", "")), "已结束结对")
    return _back(pairing.person_id)


@bp.route("/pairings/<int:pairing_id>/primary", methods=["POST"])
def primary(pairing_id):
    """Make a pairing the person's primary one."""
    pairing = _pairing(pairing_id)
    if pairing.active:
        service.set_primary(current_actor(), pairing)
        flash("已设为主要帮扶人", "ok")
    return _back(pairing.person_id)


@bp.route("/persons/<int:person_id>/tier", methods=["POST"])
def tier(person_id):
    """Override a person's visit tier with a reason (or go back to the rule)."""
    person = g.scope.get(Person, person_id)
    if g.user.role not in TIER_ROLES:
        abort(403)
    run(lambda: service.override_tier(current_actor(), person, request.form.get("tier", ""),
                                      request.form.get("override_reason", "")), "走访等级已调整")
    return _back(person.id)


@bp.route("/pairings/bulk", methods=["GET", "POST"])
def bulk():
    """Pick a helper, tick the persons of a grid, pair them all at once."""
    helpers = visible_helpers().where(Helper.active == True).order_by(Helper.name)  # noqa: E712
    grids = g.scope.query(Grid).where(Grid.active == True).order_by(Grid.village, Grid.sort_order)  # noqa: E712
    grid = g.scope.get(Grid, request.values.get("grid")) if request.values.get("grid") else None
    helper_id = request.values.get("helper", type=int)
    if request.method == "POST":
        helper = _helper(helper_id or 0)
        persons = list(g.scope.query(Person).where(Person.id.in_(
            [int(i) for i in request.form.getlist("persons") if i.isdigit()] or [0])))
        try:
            made = service.pair(current_actor(), g.scope, helper, persons)
        except ValidationError as e:
            flash("；".join(e.errors.values()), "error")
        else:
            flash(f"{helper.name} 新结对 {len(made)} 人", "ok")
        return redirect(url_for("pairings.bulk", helper=helper.id, grid=grid.id if grid else ""), 303)
    persons = []
    if grid is not None:
        persons = list(Person.active().where((Person.grid == grid) & (Person.groups != ""))
                       .order_by(Person.name_pinyin))
        current = {}
        for p in Pairing.current().where(Pairing.person.in_([p.id for p in persons] or [0])):
            current.setdefault(p.person_id, []).append(p.helper_id)
        for p in persons:
            p.helper_ids = current.get(p.id, [])
    return render_template("pairings/bulk.html", helpers=helpers, grids=grids, grid=grid,
                           helper_id=helper_id, persons=persons)


@bp.route("/pairings/unpaired")
def unpaired():
    """Persons in a group without any current pairing, by village."""
    village = request.args.get("village", type=int)
    persons = unpaired_persons(g.scope, village)
    return render_template("pairings/unpaired.html", persons=persons,
                           villages=g.scope.query(Village).order_by(Village.sort_order), village=village)


@bp.route("/pairings/coverage")
def coverage():
    """Pairing coverage (结对帮扶率) per village and for the township."""
    rows, total = coverage_by_village(g.scope, date.today())
    return render_template("pairings/coverage.html", rows=rows, total=total)
