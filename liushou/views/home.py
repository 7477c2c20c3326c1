"""The user's home page."""
from flask import Blueprint, g, render_template

from ..models import Grid, Village
from ..models.helpers import Helper
from ..models.persons import Person
from ..rules.categories import GROUPS
from ..services.persons import daily_recheck

bp = Blueprint("home", __name__)


@bp.route("/")
def index():
    """Home: what needs attention first, then the user's area at a glance."""
    daily_recheck()
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
    return render_template("home.html", villages=villages, grid_count=grids, review=review,
                           counts=counts, total=active.count(), work=work)
