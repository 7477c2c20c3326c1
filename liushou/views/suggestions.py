"""困境儿童 suggestions: the area's list; a cadre confirms or dismisses one."""

from flask import Blueprint, g, redirect, render_template, request, url_for

from .. import clock
from ..auth import current_actor, roles_required
from ..models.persons import Person
from ..queries import suggestions as queries
from ..services import suggestions as service
from .forms import run
from .review import ok_message

bp = Blueprint("suggestions", __name__)

# Who answers a suggestion: the village's and the township's cadres (not grid workers, who
# report; not leaders, who read).
ANSWER_ROLES = ("admin", "township", "village")


@bp.route("/suggestions")
def listing():
    """待确认困境儿童建议 of the area, each with its reasons."""
    return render_template(
        "persons/suggestions.html",
        rows=queries.pending(g.scope, clock.today()),
        may_answer=g.user.role in ANSWER_ROLES,
    )


def _back(person):
    if request.form.get("back") == "list":
        return redirect(url_for("suggestions.listing"), 303)
    return redirect(url_for("persons.detail", person_id=person.id) + "#suggestion", 303)


@bp.route("/persons/<int:person_id>/suggestion/confirm", methods=["POST"])
@roles_required(*ANSWER_ROLES)
def confirm(person_id):
    """确认认定: set 困境儿童 as suggested (through the person's edit service)."""
    person = g.scope.get(Person, person_id)
    run(
        lambda: service.confirm(current_actor(), g.scope, person),
        lambda result: ok_message(result, f"已认定 {person.name} 为困境儿童"),
    )
    return _back(person)


@bp.route("/persons/<int:person_id>/suggestion/dismiss", methods=["POST"])
@roles_required(*ANSWER_ROLES)
def dismiss(person_id):
    """不予认定, with a reason (kept); the suggestion returns only when its reasons change."""
    person = g.scope.get(Person, person_id)
    run(
        lambda: service.dismiss(current_actor(), person, request.form.to_dict()),
        f"已记录：{person.name} 不予认定为困境儿童",
    )
    return _back(person)
