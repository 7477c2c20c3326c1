"""Visits: the cadre's worklist, the 一敲门 check-in, a visit's page, the figures (quick entry and a
visit's correction: views/visit_forms.py)."""

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from htmx_flask import request as hx_request

from .. import clock, figure_cache, page_cache
from ..auth import current_actor
from ..models.visits import ASPECTS, CheckIn, Visit
from ..queries import helpers as helper_queries
from ..queries import history, visit_duties
from ..queries import visits as queries
from ..rules.dates import month_start
from ..rules.visits import CHECKIN_METHODS, ITEM_PROBLEM, TIERS, bucket
from ..services import ValidationError
from ..services import checkins as checkin_service
from ..services import visit_changes as changes
from ..services import visits as service
from .forms import void_action
from .labels import FIELD_LABELS
from .paging import MAX_PAGE, Page

bp = Blueprint("visits", __name__)
PER_PAGE = 40


class _Kept:
    """A kept worklist: its ordered keys (queries.visits.worklist_keys) and the models of the
    rows pages have shown (read once, shared by the server's threads; a patch reads its
    persons' again)."""

    __slots__ = ("keys", "models")
    MODELS = 400  # rows' models kept at most

    def __init__(self, keys, models=None):
        self.keys, self.models = keys, models or {}

    def rows(self, ids):
        models = self.models
        missing = [i for i in ids if i not in models]
        if missing:
            models = dict(models) if len(models) + len(missing) <= self.MODELS else {}
            models.update(queries.worklist_states(missing))
            self.models = models  # another thread's rows may be lost: read again when asked
        return [models[i] for i in ids if i in models]


def worklist(today, page_number=1, per_page=PER_PAGE, others=True):
    """(page of due visit states, counts by bucket, when they were counted) for the logged-in
    user. Kept in figure_cache until the next write: the same for every user of this scope,
    helper records and day; the whole ordered list is kept (pages are drawn from it), and a
    visit or check-in patches the rows of its persons instead of a recount (figure_cache
    `moving`). A township-wide worklist (any visit in the township moves it) is served up to a
    minute old after other users' visits, never after the user's own write (figure_cache's
    `others`; with `others` False, never): its page says when it was counted."""
    helper_ids = helper_queries.of_user(g.user)
    number = min(max(1, page_number or 1), MAX_PAGE)
    scope = g.scope

    def compute():
        return _Kept(queries.worklist_keys(scope, today, helper_ids))

    def patch(kept, persons):
        keys = queries.worklist_patched(kept.keys, scope, today, helper_ids, persons)
        # The other rows' models stay: only the patched persons' are read again.
        return _Kept(keys, {i: m for i, m in kept.models.items() if i not in persons})

    wide = others and figure_cache.villages_of(scope) is None
    entry = figure_cache.get(
        "worklist",
        scope,
        "any",
        today,
        compute,
        tuple(helper_ids or ()),
        wide,
        others=wide,
        patch=patch,
    )
    kept = entry.value
    start = (number - 1) * per_page
    ids = [k[2] for k in kept.keys[start : start + per_page]]
    has_next = len(kept.keys) > start + per_page
    counts = queries.worklist_counts(kept.keys, today)
    return Page(kept.rows(ids), number, per_page, has_next), counts, entry.at


def duties(today):
    """What the logged-in user's role owes: [(duty, label, [Due])] (一登门, 一敲门). Kept in
    figure_cache until the next write; a visit or check-in patches the rows of its persons."""
    helper_ids = helper_queries.of_user(g.user)
    scope, role = g.scope, g.user.role

    def compute():
        cyc, tr = service.cycles(today), service.tier_rules(today)
        return visit_duties.of_user(scope, today, cyc, tr, helper_ids, role)

    def patch(value, persons):
        cyc, tr = service.cycles(today), service.tier_rules(today)
        return visit_duties.patched(value, persons, scope, today, cyc, tr, helper_ids, role)

    return figure_cache.get(
        "duties", scope, role, today, compute, tuple(helper_ids or ()), patch=patch
    ).value


def duty_context(today, first_page=True):
    """The template context of the duty lists (templates/visits/_duties.html), shown above the
    first page of the worklist only."""
    return dict(
        duties=duties(today) if first_page else [],
        methods=CHECKIN_METHODS,
        next=url_for("visits.due"),
        today=today,
        bucket=bucket,
    )


@bp.route("/visits/due")
def due():
    """What the user owes today: his role's 一敲门 and 一登门, then the visits due (overdue
    first, most days overdue first, then today, then this week)."""
    return page_cache.page("visits.due", _due_page)


def _due_page():
    today = clock.today()
    number = request.args.get("page", type=int)
    page, counts, counted_at = worklist(today, number)
    return render_template(
        "visits/due.html",
        page=page,
        counts=counts,
        counted_at=counted_at,
        tiers=TIERS,
        **duty_context(today, first_page=(number or 1) <= 1),
    )


@bp.route("/persons/<int:person_id>/checkin", methods=["POST"])
def check_in(person_id):
    """ "平安": one tap records a 一敲门 check-in. htmx gets the row back; without JavaScript,
    back to the worklist with a message."""
    today = clock.today()
    try:
        checkin, created = checkin_service.check_in(
            current_actor(),
            g.scope,
            person_id,
            request.form.get("method", ""),
            helper_queries.of_user(g.user),
        )
    except ValidationError as e:
        flash("；".join(e.errors.values()), "error")
        return redirect(_next_page(url_for("visits.due")), 303)
    message = f"已记录 {checkin.person.name} 平安" if created else "刚才已记录过，没有重复登记"
    if hx_request.htmx and not request.headers.get("HX-Boosted"):
        row = visit_duties.Due(checkin.person, "knock", 1, today, today, checkin)
        return render_template(
            "visits/_knock.html",
            d=row,
            today=today,
            bucket=bucket,
            methods=CHECKIN_METHODS,
            next=_next_page(url_for("visits.due")),
        )
    flash(message, "ok")
    return redirect(_next_page(url_for("visits.due")), 303)


@bp.route("/checkins/<int:checkin_id>")
def checkin(checkin_id, void_errors=None):
    """One check-in: who, when, how; 作废 with a reason."""
    item = g.scope.get(CheckIn, checkin_id)
    return render_template(
        "visits/checkin.html",
        checkin=item,
        history=history.of(item),
        labels=FIELD_LABELS,
        errors=void_errors or {},
    )


@bp.route("/checkins/<int:checkin_id>/void", methods=["POST"])
def checkin_void(checkin_id):
    """作废 a check-in tapped by mistake, with a reason."""
    item = g.scope.get(CheckIn, checkin_id)
    return void_action(
        lambda reason: checkin_service.void_checkin(current_actor(), item, reason),
        url_for("visits.checkin", checkin_id=item.id),
        lambda errors: checkin(item.id, void_errors=errors),
        "一敲门记录已作废",
    )


def _next_page(default):
    """Where to go after a visit is saved: a local path from ?next=, else `default`."""
    target = request.args.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else default


@bp.route("/visits/<int:visit_id>")
def detail(visit_id, void_errors=None):
    """One visit record, its history and, unless voided, its 更正 and 作废."""
    visit = g.scope.get(Visit, visit_id)
    return render_template(
        "visits/detail.html",
        visit=visit,
        aspects=ASPECTS,
        items=queries.items_seen(visit),
        problem=ITEM_PROBLEM,
        history=history.of(visit),
        labels=FIELD_LABELS,
        errors=void_errors or {},
    )


@bp.route("/visits/<int:visit_id>/void", methods=["POST"])
def void(visit_id):
    """作废 a visit entered by mistake, with a reason."""
    visit = g.scope.get(Visit, visit_id)
    return void_action(
        lambda reason: changes.void_visit(current_actor(), visit, reason),
        url_for("visits.detail", visit_id=visit.id),
        lambda errors: detail(visit.id, void_errors=errors),
        "走访记录已作废",
    )


@bp.route("/visits/figures")
def figures():
    """Visits done vs due this month, by village and by helper; persons never visited."""
    month = month_start(clock.today())
    done, due_count = queries.visits_in_month(g.scope, month)
    never = queries.never_visited(g.scope)
    return render_template(
        "visits/figures.html",
        month=month,
        done=done,
        due=due_count,
        villages=queries.visits_by_village(g.scope, month),
        helpers=queries.visits_by_helper(g.scope, month)[:30],
        never=never.limit(50),
        never_count=never.count(),
    )


from . import visit_forms  # noqa: E402, F401 - its routes are on this blueprint
