"""The user's home page."""
from flask import Blueprint, g, render_template

from ..models import Grid, Village

bp = Blueprint("home", __name__)


@bp.route("/")
def index():
    """Home: the user's area at a glance (later issues add the worklist and figures)."""
    villages = list(g.scope.query(Village).where(Village.active == True)  # noqa: E712
                    .order_by(Village.sort_order, Village.code))
    grids = g.scope.query(Grid).where(Grid.active == True).count()  # noqa: E712
    return render_template("home.html", villages=villages, grid_count=grids)
