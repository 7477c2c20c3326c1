"""审核报送: the review queue, one proposal field by field, approve or return one or many,
withdraw."""

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from ..auth import current_actor, roles_required
from ..models.review import KINDS, STATUSES, ReviewItem
from ..queries import history, places
from ..queries import review as queries
from ..services import review as service
from .forms import run
from .labels import FIELD_LABELS

bp = Blueprint("review", __name__)


def submitted(done):
    """Wrap a form page's `done`: a proposal stored for review (instead of the record) says so
    and shows the proposal."""

    def wrapped(result):
        if isinstance(result, ReviewItem):
            return service.SUBMITTED, url_for("review.detail", item_id=result.id)
        return done(result)

    return wrapped


def ok_message(result, message):
    """The flash of a small POST action (exit, re-entry) that may have become a proposal."""
    return service.SUBMITTED if isinstance(result, ReviewItem) else message


@bp.route("/review", endpoint="queue")
def queue():
    """The queue (a village or grid user: his own items), filtered by village, kind, status."""
    return render_template(
        "review/queue.html",
        items=queries.listing(g.scope, g.user, request.args),
        args=request.args,
        kinds=KINDS,
        statuses=STATUSES,
        villages=places.villages(g.scope),
        may_decide=g.user.role in service.REVIEWER_ROLES,
    )


@bp.route("/review/decide", methods=["POST"])
@roles_required(*service.REVIEWER_ROLES)
def decide():
    """审核通过 or 退回 the ticked items, each in its own transaction; failures are reported."""
    form = request.form
    ok, result = run(
        lambda: service.decide_many(
            current_actor(), g.scope, form.getlist("items"), form.get("action"), form.get("reason")
        ),
        lambda r: f"已处理 {len(r[0])} 项",
    )
    for item, message in result[1] if ok else []:
        flash(f"第 {item.id} 号（{item.label}）未能通过：{message}", "error")
    ids = form.getlist("items")
    if form.get("back") == "detail" and len(ids) == 1 and ids[0].isdigit():
        return redirect(url_for("review.detail", item_id=int(ids[0])), 303)
    return redirect(url_for("review.queue"), 303)


@bp.route("/review/<int:item_id>")
def detail(item_id):
    """One proposal: its changes old → new, the categories it gives, its status and history."""
    item = queries.get(g.scope, g.user, item_id)
    return render_template(
        "review/detail.html",
        item=item,
        rows=queries.shown_changes(item, FIELD_LABELS),
        may_decide=g.user.role in service.REVIEWER_ROLES,
        mine=item.author_id == g.user.id,
        history=history.of(item),
        labels=FIELD_LABELS,
    )


@bp.route("/review/<int:item_id>/withdraw", methods=["POST"])
def withdraw(item_id):
    """撤回: the author takes back his proposal."""
    item = queries.get(g.scope, g.user, item_id)
    run(lambda: service.withdraw(current_actor(), item), "已撤回")
    return redirect(url_for("review.detail", item_id=item.id), 303)
