"""Households: list, register, the household page with members and family away."""

from flask import Blueprint, g, redirect, render_template, request, url_for

from ..auth import current_actor
from ..models.households import AWAY_RELATIONS, Household
from ..queries import households as queries
from ..queries import places
from ..rules.text import mask_id_number
from ..services.households import save_away, save_household, void_away, void_household
from .forms import form_page, run
from .paging import paginate

bp = Blueprint("households", __name__)


@bp.route("/households", endpoint="list")
def household_list():
    """Households of the area, searchable by head name or address."""
    page = paginate(
        queries.listing(g.scope, request.args.get("q")),
        request.args.get("page", type=int),
        per_page=30,
    )
    return render_template("households/list.html", page=page)


@bp.route(
    "/households/new", methods=["GET", "POST"], defaults={"household_id": None}, endpoint="new"
)
@bp.route("/households/<int:household_id>/edit", methods=["GET", "POST"], endpoint="edit")
def form(household_id):
    """Register or edit a household."""
    household = g.scope.get(Household, household_id) if household_id else None
    initial = (
        dict(household.__data__)
        if household
        else {
            "village": g.user.village_id or "",
            "grid": (g.scope.grid_ids and sorted(g.scope.grid_ids)[0]) or "",
        }
    )
    return form_page(
        "households/form.html",
        initial=initial,
        save=lambda values: save_household(current_actor(), g.scope, values, household),
        record=household,
        done=lambda saved: (
            f"已保存 {saved.head_name}户",
            url_for("households.detail", household_id=saved.id),
        ),
        context=lambda values: dict(
            household=household,
            villages=places.villages(g.scope, active_only=True),
            grids=places.grids(g.scope, active_only=True),
        ),
    )


@bp.route("/households/<int:household_id>")
def detail(household_id):
    """One household: members at home, family away, flags; links to add more."""
    household = g.scope.get(Household, household_id)
    return render_template(
        "households/detail.html",
        household=household,
        members=queries.members(household),
        records=queries.records(household),
        away=queries.away(household),
    )


@bp.route(
    "/households/<int:household_id>/away/new", methods=["GET", "POST"], defaults={"away_id": None}
)
@bp.route("/households/<int:household_id>/away/<int:away_id>", methods=["GET", "POST"])
def away_form(household_id, away_id):
    """Add or edit a family member working away (and mark his return)."""
    household = g.scope.get(Household, household_id)
    away = queries.away_member(household, away_id) if away_id else None
    return form_page(
        "households/away_form.html",
        # The ID number is shown masked; saved unchanged, the mask keeps the stored number.
        initial={**away.__data__, "id_number": mask_id_number(away.id_number)} if away else {},
        save=lambda values: save_away(current_actor(), household, values, away),
        record=away,
        done=lambda _: (
            "已保存外出务工人员",
            url_for("households.detail", household_id=household.id),
        ),
        context=lambda values: dict(household=household, away=away, relations=AWAY_RELATIONS),
    )


@bp.route("/households/<int:household_id>/void", methods=["POST"])
def void(household_id):
    """作废 a household registered by mistake (once none of its members is registered)."""
    household = g.scope.get(Household, household_id)
    run(
        lambda: void_household(current_actor(), household, request.form.get("void_reason")),
        f"{household} 已作废",
    )
    return redirect(url_for("households.detail", household_id=household.id), 303)


@bp.route("/households/<int:household_id>/away/<int:away_id>/void", methods=["POST"])
def away_void(household_id, away_id):
    """作废 a family-away row entered by mistake; the members' categories follow."""
    household = g.scope.get(Household, household_id)
    away = queries.away_member(household, away_id)
    run(
        lambda: void_away(current_actor(), household, away, request.form.get("void_reason")),
        f"已作废 {away.name} 的外出务工记录",
    )
    return redirect(url_for("households.detail", household_id=household.id), 303)
