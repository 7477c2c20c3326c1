"""The user's home page."""
from flask import Blueprint, current_app, g, render_template

from ..models import Grid, Village
from ..models.helpers import Helper
from ..models.persons import Person
from ..rules.categories import GROUPS
from ..services.persons import daily_recheck, daily_recheck_in_background

bp = Blueprint("home", __name__)


@bp.route("/")
def index():
    """Home: what needs attention first, then the user's area at a glance."""
    if current_app.config.get("TESTING"):
        daily_recheck()  # tests swap databases between cases: no threads outliving a request
    else:
        daily_recheck_in_background()
    villages = list(g.scope.query(Village).where(Village.active == True)  # noqa: E712
                    .order_by(Village.sort_order, Village.code))
    grids = g.scope.query(Grid).where(Grid.active == True).count()  # noqa: E712
    active = g.scope.filter(Person.active(), Person)
    review = active.where(Person.needs_review == True).count()  # noqa: E712
    counts = {group: active.where(Person.groups.contains(group)).count() for group in GROUPS}
    work = None
    if g.user.role in ("village", "grid") or Helper.for_user(g.user).exists():
        from datetime import date
        from ..rules.visits import TIERS, bucket
        from .visits import worklist
        page, work_counts = worklist(date.today())
        page.items, page.has_next, page.number = page.items[:10], False, 1
        work = {"page": page, "counts": work_counts, "today": date.today(), "bucket": bucket,
                "tiers": TIERS}
    from ..indicators import home_figures
    from .reminders import reminder_counts
    figures = home_figures(g.scope)
    return render_template("home.html", villages=villages, grid_count=grids, review=review,
                           counts=counts, total=active.count(), work=work, figures=figures,
                           charts=_charts(figures), reminders=reminder_counts())


def _charts(f):
    """Rows for the SVG charts: (label, value, link)."""
    from flask import url_for
    from ..rules.categories import GROUPS
    totals = []
    for v in f["villages"]:
        groups = f["by_village"].get(v.id, {})
        totals.append((v.name, [groups.get(gr, 0) for gr in GROUPS], url_for("persons.list", village=v.id)))
    coverage = [(v.name, round(rate * 100) if rate is not None else 0,
                 url_for("pairings.unpaired", village=v.id)) for v, n, p, rate in f["coverage_rows"]]
    months = [(f"{m.month}月", n) for m, n in f["per_month"]]
    return {"villages": totals, "groups": GROUPS, "villages_max": max([sum(t[1]) for t in totals] or [1]) or 1,
            "coverage": coverage, "months": months}
