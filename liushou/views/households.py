"""Households: list, register, the household page with members and family away."""
from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from peewee import JOIN

from ..auth import current_actor
from ..models import Grid, Village
from ..models.households import AWAY_RELATIONS, FamilyAway, Household
from ..models.persons import Person
from ..services import ValidationError
from ..services.households import save_away, save_household
from .paging import paginate

bp = Blueprint("households", __name__)


@bp.route("/households", endpoint="list")
def household_list():
    """Households of the area, searchable by head name or address."""
    query = (Household.select(Household, Village, Grid).join(Village).switch(Household)
             .join(Grid, JOIN.LEFT_OUTER).order_by(Village.sort_order, Household.id))
    query = g.scope.filter(query, Household)
    q = (request.args.get("q") or "").strip()
    if q:
        query = query.where(Household.head_name.contains(q) | Household.address.contains(q))
    page = paginate(query, request.args.get("page", type=int), per_page=30)
    return render_template("households/list.html", page=page)


def _places():
    return (g.scope.query(Village).where(Village.active == True).order_by(Village.sort_order),  # noqa: E712
            g.scope.query(Grid).where(Grid.active == True).order_by(Grid.village, Grid.sort_order))  # noqa: E712


@bp.route("/households/new", methods=["GET", "POST"], defaults={"household_id": None},
          endpoint="new")
@bp.route("/households/<int:household_id>/edit", methods=["GET", "POST"], endpoint="edit")
def form(household_id):
    """Register or edit a household."""
    household = g.scope.get(Household, household_id) if household_id else None
    errors = {}
    form = dict(household.__data__) if household else {
        "village": g.user.village_id or "", "grid": (g.scope.grid_ids and sorted(g.scope.grid_ids)[0]) or ""}
    if request.method == "POST":
        form = request.form.to_dict()
        try:
            household = save_household(current_actor(), g.scope, form, household)
        except ValidationError as e:
            errors = e.errors
        else:
            flash(f"已保存 {household.head_name}户", "ok")
            return redirect(url_for("households.detail", household_id=household.id), 303)
    villages, grids = _places()
    return render_template("households/form.html", household=household, form=form, errors=errors,
                           villages=villages, grids=grids), (422 if errors else 200)


@bp.route("/households/<int:household_id>")
def detail(household_id):
    """One household: members at home, family away, flags; links to add more."""
    household = g.scope.get(Household, household_id)
    members = Person.select().where(Person.household == household).order_by(Person.exited_on.is_null(False), Person.birth_date)
    return render_template("households/detail.html", household=household, members=members,
                           records=_household_records(household),
                           away=household.away.order_by(FamilyAway.returned_on.is_null(False).desc(),
                                                        FamilyAway.id))


@bp.route("/households/<int:household_id>/away/new", methods=["GET", "POST"], defaults={"away_id": None})
@bp.route("/households/<int:household_id>/away/<int:away_id>", methods=["GET", "POST"])
def away_form(household_id, away_id):
    """Add or edit a family member working away (and mark his return)."""
    household = g.scope.get(Household, household_id)
    away = (FamilyAway.get_or_none((FamilyAway.id == away_id) & (FamilyAway.household == household))
            if away_id else None)
    if away_id and away is None:
        from flask import abort
        abort(404)
    errors, form = {}, dict(away.__data__) if away else {}
    if request.method == "POST":
        form = request.form.to_dict()
        try:
            save_away(current_actor(), household, form, away)
        except ValidationError as e:
            errors = e.errors
        else:
            flash("已保存外出务工人员", "ok")
            return redirect(url_for("households.detail", household_id=household.id), 303)
    return render_template("households/away_form.html", household=household, away=away, form=form,
                           errors=errors, relations=AWAY_RELATIONS), (422 if errors else 200)


def _household_records(household):
    """The household's cases, benefits and activities across its members, in one view."""
    from ..models.care import Emergency, Need
    from ..models.records import Activity, Attendance, Benefit
    members = Person.select(Person.id).where(Person.household == household)
    return {
        "needs": Need.select(Need, Person).join(Person).where(Need.person.in_(members))
        .order_by(Need.raised_on.desc()).limit(20),
        "emergencies": Emergency.select(Emergency, Person).join(Person).where(Emergency.person.in_(members))
        .order_by(Emergency.discovered_at.desc()).limit(10),
        "benefits": Benefit.select(Benefit, Person).join(Person).where(Benefit.person.in_(members))
        .order_by(Benefit.start_on.desc()),
        "activities": Attendance.select(Attendance, Activity, Person).join(Activity).switch(Attendance)
        .join(Person).where(Attendance.person.in_(members)).order_by(Activity.held_on.desc()).limit(20),
    }
