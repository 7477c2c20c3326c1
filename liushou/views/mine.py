"""A helper's own login (帮扶人): the persons paired with him, to record a visit or raise a need."""

from flask import Blueprint, abort, g, render_template, request

from ..queries import persons as person_queries

bp = Blueprint("mine", __name__)

# ?do= on /mine: what the page is for, with its heading.
PURPOSES = {"visit": "记一次走访", "need": "提需求"}


@bp.route("/mine")
def persons():
    """His paired persons, each with the button for the chosen task; no page for other roles."""
    if not g.scope.is_helper:
        abort(404)
    do = request.args.get("do") if request.args.get("do") in PURPOSES else "visit"
    return render_template(
        "mine/persons.html",
        persons=person_queries.paired_with_me(g.scope),
        do=do,
        title=PURPOSES[do],
    )
