"""Visits: the cadre's worklist, quick entry from a phone, a visit's page, the figures."""
from datetime import date, timedelta

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from peewee import JOIN

from ..auth import current_actor
from ..models.helpers import Helper
from ..models.persons import Person
from ..models.visits import ASPECTS, VISIT_METHODS, Pairing, Visit, VisitState, worklist_query
from ..rules.visits import TIERS, bucket
from ..services import ValidationError
from ..services import visits as service
from .paging import paginate

bp = Blueprint("visits", __name__)
PER_PAGE = 40


def my_helper_ids():
    """The helper records that are the logged-in user (None: he is no helper, show his area)."""
    ids = [h.id for h in Helper.for_user(g.user)]
    return ids or None


def _stale_persons(today, helper_ids):
    """Active persons of the worklist's population without a visit state from today."""
    query = (g.scope.filter(Person.select(), Person).switch(Person)
             .join(VisitState, JOIN.LEFT_OUTER)
             .where(Person.exited_on.is_null()
                    & (VisitState.id.is_null() | (VisitState.refreshed_on < today)
                       | VisitState.refreshed_on.is_null())))
    if helper_ids is not None:
        query = query.where(Person.id.in_(Pairing.select(Pairing.person).where(
            Pairing.ended_on.is_null() & Pairing.helper.in_(helper_ids))))
    return query


def worklist(today, page_number=1):
    """(page of states, counts by bucket) for the current user."""
    helper_ids = my_helper_ids()
    stale = list(_stale_persons(today, helper_ids))
    if stale:
        service.ensure_states(stale, today)
    query = g.scope.filter(worklist_query(today, 7, helper_ids), Person)
    counts = {
        "overdue": query.where(VisitState.due_on < today).count(),
        "today": query.where(VisitState.due_on == today).count(),
    }
    counts["week"] = query.count() - counts["overdue"] - counts["today"]
    return paginate(query, page_number, PER_PAGE), counts


@bp.route("/visits/due")
def due():
    """Whom to visit: overdue first (most days overdue first), then today, then this week."""
    today = date.today()
    page, counts = worklist(today, request.args.get("page", type=int))
    return render_template("visits/due.html", page=page, counts=counts, today=today,
                           bucket=bucket, tiers=TIERS)


@bp.route("/persons/<int:person_id>/visits/new", methods=["GET", "POST"])
def new(person_id):
    """Quick entry: a short form to record a visit in under a minute (printed QR codes open it)."""
    person = g.scope.get(Person, person_id)
    today = date.today()
    members = list(Person.active().where(Person.household == person.household_id)
                   .order_by(Person.birth_date))
    helpers = _helper_choices(person)
    errors = {}
    if request.method == "POST":
        form = request.form.to_dict()
        form["helpers"] = request.form.getlist("helpers")
        chosen = [m for m in members if str(m.id) in request.form.getlist("persons")]
        try:
            service.record_visit(current_actor(), g.scope, chosen, form)
        except ValidationError as e:
            errors = e.errors
        else:
            flash(f"已记录对 {'、'.join(m.name for m in chosen)} 的走访", "ok")
            target = request.args.get("next", "")
            return redirect(target if target.startswith("/") and not target.startswith("//")
                            else url_for("visits.due"), 303)
    else:
        state = VisitState.get_or_none(VisitState.person == person) or service.refresh_state(person)
        days = service.tier_rules(today).days(state.effective_tier)
        mine = my_helper_ids() or [h.id for h in helpers if h.paired][:1]
        form = {"visited_on": today.isoformat(), "method": "上门", "helpers": [str(i) for i in mine],
                "next_on": (today + timedelta(days=days)).isoformat()}
    chosen_ids = request.form.getlist("persons") if request.method == "POST" else [str(person.id)]
    return render_template("visits/new.html", person=person, members=members, helpers=helpers,
                           form=form, errors=errors, chosen=chosen_ids, methods=VISIT_METHODS,
                           aspects=ASPECTS, today=today), (422 if errors else 200)


def _helper_choices(person):
    """The person's paired helpers first, then the user's own, then the village's."""
    paired = {p.helper_id for p in Pairing.current().where(Pairing.person == person)}
    mine = set(my_helper_ids() or [])
    query = Helper.select().where((Helper.active == True) & (  # noqa: E712
        Helper.id.in_(list(paired | mine) or [0]) | (Helper.village == person.village_id)))
    helpers = sorted(query, key=lambda h: (h.id not in paired, h.id not in mine, h.name))
    for h in helpers:
        h.paired = h.id in paired
    return helpers


@bp.route("/visits/<int:visit_id>")
def detail(visit_id):
    """One visit record."""
    visit = g.scope.get(Visit, visit_id)
    return render_template("visits/detail.html", visit=visit, aspects=ASPECTS)


@bp.route("/visits/figures")
def figures():
    """Visits done vs due this month, by village and by helper; persons never visited."""
    from ..queries.visits import never_visited, visits_by_helper, visits_by_village, visits_in_month
    month = date.today().replace(day=1)
    done, due_count = visits_in_month(g.scope, month)
    return render_template("visits/figures.html", month=month, done=done, due=due_count,
                           villages=visits_by_village(g.scope, month),
                           helpers=visits_by_helper(g.scope, month)[:30],
                           never=never_visited(g.scope).limit(50),
                           never_count=never_visited(g.scope).count())
