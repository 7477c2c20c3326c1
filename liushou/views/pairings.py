"""Pairing (结对帮扶): pair, end, primary, bulk pairing, unpaired lists, coverage; visit tiers."""

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from .. import clock
from ..auth import current_actor
from ..models import Grid
from ..models.accounts import TIER_ROLES
from ..models.helpers import Helper
from ..models.persons import Person
from ..models.visits import Pairing
from ..queries import helpers as helper_queries
from ..queries import history, places
from ..queries import persons as person_queries
from ..queries import visits as queries
from ..rules.visits import fits
from ..services import visit_changes as changes
from ..services import visits as service
from .forms import form_page, record_page, run, void_action
from .labels import FIELD_LABELS

bp = Blueprint("pairings", __name__)


def _back(person_id):
    return redirect(url_for("persons.detail", person_id=person_id) + "#care", 303)


@bp.route("/persons/<int:person_id>/pairings", methods=["POST"])
def add(person_id):
    """Pair a helper with this person."""
    person = g.scope.get(Person, person_id)
    helper = helper_queries.get(g.scope, request.form.get("helper"))
    run(
        lambda: service.pair(
            current_actor(), g.scope, helper, [person], primary=request.form.get("primary") == "1"
        ),
        f"已结对：{helper.name}",
    )
    return _back(person.id)


def _pairing(pairing_id):
    return g.scope.get(Pairing, pairing_id)


@bp.route("/pairings/<int:pairing_id>/end", methods=["POST"])
def end(pairing_id):
    """End a pairing (it stays in the history)."""
    pairing = _pairing(pairing_id)
    run(
        lambda: service.end_pairing(
            current_actor(), pairing, reason=request.form.get("reason", "")
        ),
        "已结束结对",
    )
    return _back(pairing.person_id)


def _initial(pairing):
    return {
        "helper": str(pairing.helper_id),
        "started_on": pairing.started_on.isoformat(),
        "primary": pairing.primary,
    }


def _context(pairing, void_errors=None):
    return dict(
        pairing=pairing,
        person=pairing.person,
        helpers=helper_queries.for_person(g.scope, pairing.person),
        history=history.of(pairing),
        labels=FIELD_LABELS,
        void_errors=void_errors or {},
    )


@bp.route("/pairings/<int:pairing_id>/edit", methods=["GET", "POST"])
def edit(pairing_id):
    """Correct a pairing (helper, start date, primary); its history; 作废 one made by mistake."""
    pairing = _pairing(pairing_id)
    return form_page(
        "pairings/edit.html",
        initial=_initial(pairing),
        read=lambda: {**request.form.to_dict(), "primary": request.form.get("primary", "")},
        record=pairing,
        save=lambda values: changes.update_pairing(current_actor(), g.scope, pairing, values),
        done=lambda _: ("已更正结对", url_for("persons.detail", person_id=pairing.person_id)),
        context=lambda values: _context(pairing),
    )


@bp.route("/pairings/<int:pairing_id>/void", methods=["POST"])
def void(pairing_id):
    """作废 a pairing made by mistake (unlike 结束, it never counted)."""
    pairing = _pairing(pairing_id)
    return void_action(
        lambda reason: changes.void_pairing(current_actor(), pairing, reason),
        url_for("persons.detail", person_id=pairing.person_id) + "#care",
        lambda errors: record_page(
            "pairings/edit.html", _initial(pairing), **_context(pairing, errors)
        ),
        "结对已作废",
    )


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
    run(
        lambda: service.override_tier(
            current_actor(),
            person,
            request.form.get("tier", ""),
            request.form.get("override_reason", ""),
        ),
        "走访等级已调整",
    )
    return _back(person.id)


@bp.route("/pairings/bulk", methods=["GET", "POST"])
def bulk():
    """Pick a helper, tick the persons of a grid, pair them all at once."""
    helpers = helper_queries.visible(g.scope, active_only=True).order_by(Helper.name)
    grids = places.grids(g.scope, active_only=True)
    grid = g.scope.get(Grid, request.values.get("grid")) if request.values.get("grid") else None
    helper_id = request.values.get("helper", type=int)
    if request.method == "POST":
        helper = helper_queries.get(g.scope, helper_id)
        asked = request.form.getlist("persons")
        persons = list(person_queries.by_ids(g.scope, asked))
        ok, _made = run(
            lambda: service.pair(current_actor(), g.scope, helper, persons, asked=asked),
            lambda made: f"{helper.name} 新结对 {len(made)} 人",
        )
        unfit = [p.name for p in persons if not fits(helper.kind, p.group_list)]
        if ok and unfit:
            # A warning, not a refusal: the village may have nobody better.
            flash(
                f"提示：{helper.kind}一般不与{'、'.join(unfit[:10])}这类对象结对，请确认是否合适",
                "warn",
            )
        return redirect(
            url_for("pairings.bulk", helper=helper.id, grid=grid.id if grid else ""), 303
        )
    persons = queries.grid_for_pairing(grid) if grid is not None else []
    return render_template(
        "pairings/bulk.html",
        helpers=helpers,
        grids=grids,
        grid=grid,
        helper_id=helper_id,
        persons=persons,
    )


@bp.route("/pairings/unpaired")
def unpaired():
    """Persons in a group without any current pairing, by village."""
    village = request.args.get("village", type=int)
    return render_template(
        "pairings/unpaired.html",
        persons=queries.unpaired_persons(g.scope, village),
        villages=places.villages(g.scope),
        village=village,
    )


@bp.route("/pairings/coverage")
def coverage():
    """Pairing coverage (结对帮扶率) per village and for the township."""
    rows, total = queries.coverage_by_village(g.scope, clock.today())
    return render_template("pairings/coverage.html", rows=rows, total=total)
