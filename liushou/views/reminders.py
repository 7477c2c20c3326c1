"""Reminders: the lists a township must not forget, each with a count on the home page."""

from flask import Blueprint, abort, g, render_template

from .. import clock
from ..queries import reminders as queries
from ..rules.categories import age_on

bp = Blueprint("reminders", __name__)


@bp.route("/reminders/<kind>")
def show(kind):
    """One reminder's list."""
    if kind not in queries.LABELS:
        abort(404)
    today = clock.today()
    return render_template(
        "reminders.html",
        label=queries.label(kind, today),
        people=list(queries.people(g.scope, kind, today).limit(300)),
        today=today,
        age_on=age_on,
    )
