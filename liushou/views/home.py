"""The user's home page."""

from flask import Blueprint, g, render_template, request, url_for

from .. import clock, figure_cache, jobs, page_cache, settings
from ..auth import admin_required
from ..db import data_generation, database
from ..models.accounts import WORKLIST_ROLES
from ..queries import accounts as account_queries
from ..queries import helpers as helper_queries
from ..queries import reminders
from ..queries import review as review_queries
from ..queries import suggestions as suggestion_queries
from ..queries.indicators import home_figures
from ..queries.visits import checkins_this_month
from ..rules.categories import GROUPS
from ..rules.completeness import THRESHOLD as COMPLETE_THRESHOLD
from ..rules.visits import TIERS, bucket
from ..scope import Scope
from ..services.accounts import accounts_changed
from ..services.review import REVIEWER_ROLES
from .admin import _instance_admin
from .suggestions import ANSWER_ROLES
from .visits import duties, worklist

bp = Blueprint("home", __name__)


@bp.route("/")
def index():
    """Home: what needs attention first, then the user's area at a glance."""
    parts = "home.index"
    if g.user.role == "admin":
        parts = (parts, _first_day_key())
    return page_cache.page(parts, _home_page)


# A checklist found finished: (database, township) -> what it was found finished under (the
# data generation of the township's villages, services.accounts.accounts_changed()). Bounded:
# one entry per township of the instance.
_finished = {}


def _first_day_key():
    """What of the first-day checklist the kept home page's key must hold. The checklist
    counts accounts and printed cards, which no data generation follows: while it is
    unfinished, their reads (one statement) are part of the key. Once a drawing found it
    finished, nothing: every other step follows the data generation (already in the key: a
    new village without its posts shows the checklist again on the next request), and these
    two only grow (accounts are disabled, never deleted; audit rows are appended) but by a
    change of an account (made an admin, moved to another township: accounts_changed), so a
    finished checklist stays finished under the same generation and accounts."""
    generation = _generation(g.scope)
    if _finished.get(_checklist_of(g.scope)) == generation:
        return "finished", generation[1]  # not a page kept before an account's change
    return account_queries.first_day_unfollowed(g.scope)


def _checklist_of(scope):
    return database.database, scope.own_township


def _generation(scope):
    return data_generation(figure_cache.villages_of(scope)), accounts_changed()


@bp.route("/admin/warm-up")
@admin_required
def warm_up():
    """The server's start-of-day round (the day's job, then the figures counted before the
    first user asks): whether it is done, for an admin wondering why the first pages are slow
    and for the benchmarks, which measure only after it (never kept: it changes by itself).
    The server's state, not a township's: on a county's instance only the county admin reads
    it (403 for a township's admin, as for the instance's other pages: views/admin.py)."""
    _instance_admin()
    return render_template("admin/warm_up.html", status=jobs.warm_up_status())


def _home_page():
    today = clock.today()
    work = None
    if g.user.role in WORKLIST_ROLES or helper_queries.of_user(g.user):
        page, counts, _counted_at = worklist(today, 1, per_page=10, others=False)
        page.has_next = False
        work = {
            "page": page,
            "counts": counts,
            "today": today,
            "bucket": bucket,
            "tiers": TIERS,
            "duties": duties(today),
        }
    scope, town = g.scope, settings.current_township()

    def for_town(compute):
        # Maybe in figure_cache's recount thread (no request there): the request's township
        # said here, so a county township's figures read its own settings (ages, bands).
        def counted():
            with settings.reading_for(town):
                return compute()

        return counted

    # The same for every role that sees this scope (admin, township staff, leader): one count
    # shared by all of them; the suggestions count, for the roles that answer them, apart.
    cached = figure_cache.get(
        "home",
        scope,
        "any",
        today,
        for_town(lambda: area(scope, today)),
        background=True,
        timed=True,
        others=figure_cache.villages_of(scope) is None,  # a township's: see figure_cache
    )
    area_ = cached.value
    suggestions = None
    if g.user.role in ANSWER_ROLES:
        suggestions = figure_cache.get(
            "home suggestions",
            scope,
            "any",
            today,
            for_town(lambda: len(suggestion_queries.pending(scope, today))),
            background=True,
            registry=True,  # persons and dismissals only: recorded visits leave it alone
        ).value
    figures = area_["figures"]
    return render_template(
        "home.html",
        villages=figures["villages"],
        grid_count=figures["grids"],
        review=figures["review"],
        counts=figures["groups"],
        total=figures["total"],
        work=work,
        figures=figures,
        checkins=area_["checkins"],
        charts=_charts(figures),
        reminders=area_["reminders"],
        suggestions=suggestions,
        counted_at=cached.at,
        first_day=_first_day() if g.user.role == "admin" else None,
        completeness=figures["completeness"],
        threshold=COMPLETE_THRESHOLD,
        review_home=_review(figures),
        groups=GROUPS,
    )


def _review(figures):
    """审核报送 on home: the reviewer's queue size, the author's returned items, and the figures
    with pending proposals when the "含待审核" switch is on."""
    return {
        "pending": review_queries.pending_count(g.scope) if g.user.role in REVIEWER_ROLES else None,
        "returned": review_queries.returned_to(g.scope, g.user),
        "rows": review_queries.with_pending(g.scope, figures["by_village"], figures["villages"])
        if request.args.get("pending") == "1"
        else None,
    }


def area(scope, today):
    """The area's figures on home: the same for every user of this scope today, whatever his
    role, so they are kept in figure_cache between writes. Needs no request (a background
    recount or the warm-up counts them too)."""
    return {
        "figures": home_figures(scope, today),
        "checkins": checkins_this_month(scope, today),
        "reminders": reminders.counts(scope, today),
    }


def warm(today=None, scope=None):
    """Count the township's home figures (as its staff see them; `scope`: a county township's,
    as its users' Scope) unless they are fresh: the warm-up after the server starts and after
    the start-of-day job, in that job's thread, so the first user of the day does not wait.
    Reads only. Returns figure_cache.warm's answer."""
    today = today or clock.today()
    scope = scope or Scope(everything=True)
    took = figure_cache.warm("home", scope, "any", today, lambda: area(scope, today), timed=True)
    figure_cache.warm(
        "home suggestions",
        scope,
        "any",
        today,
        lambda: len(suggestion_queries.pending(scope, today)),
        registry=True,
    )
    return took


# Where each step of the first-run checklist is done.
_STEP_PAGES = {
    "township": "admin.settings_page",
    "base_url": "admin.settings_page",
    "places": "admin.places_list",
    "accounts": "admin.users",
    "posts": "helpers.list",
    "helpers": "helpers.list",
    "ledgers": "imports.upload",
    "cards": "printouts.index",
}


def _first_day():
    """The checklist with its links, while any step is left; None once all are done."""
    generation = _generation(g.scope)  # before the reads: a write meanwhile moves it on
    steps = account_queries.first_day_steps(g.scope)
    if all(done for _key, _label, done, _detail in steps):
        if not database.in_transaction():
            _finished[_checklist_of(g.scope)] = generation
        return None
    return [(label, url_for(_STEP_PAGES[key]), done, detail) for key, label, done, detail in steps]


def _charts(f):
    """Rows for the SVG charts: (label, value, link)."""
    totals = []
    for v in f["villages"]:
        groups = f["by_village"].get(v.id, {})
        totals.append(
            (v.name, [groups.get(gr, 0) for gr in GROUPS], url_for("persons.list", village=v.id))
        )
    coverage = [
        (
            v.name,
            round(rate * 100) if rate is not None else 0,
            url_for("pairings.unpaired", village=v.id),
        )
        for v, n, p, rate in f["coverage_rows"]
    ]
    months = [(f"{m.month}月", n) for m, n in f["per_month"]]
    return {
        "villages": totals,
        "groups": GROUPS,
        "villages_max": max([sum(t[1]) for t in totals] or [1]) or 1,
        "coverage": coverage,
        "months": months,
    }
