"""Helpers (帮扶人) and village posts."""
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from peewee import JOIN

from ..auth import current_actor
from ..models import Grid, User, Village
from ..models.helpers import HELPER_KINDS, VILLAGE_POSTS, Helper, VillagePost
from ..services import ValidationError
from ..services.helpers import save_helper, set_village_posts
from .paging import paginate

bp = Blueprint("helpers", __name__)


def visible_helpers():
    """Helpers of the user's villages plus the township-level ones (village empty)."""
    cond = g.scope.condition(Helper)
    query = Helper.select(Helper, Village).join(Village, JOIN.LEFT_OUTER)
    if cond is not None:
        query = query.where(cond | Helper.village.is_null())
    return query


def _get_helper(helper_id):
    helper = visible_helpers().where(Helper.id == helper_id).first() or abort(404)
    if helper.village_id is None and not g.scope.everything and request.method == "POST":
        abort(404)  # township-level helpers are managed by the township
    return helper


@bp.route("/helpers", endpoint="list")
def helper_list():
    """Helpers, filterable by kind and village."""
    query = visible_helpers().order_by(Helper.active.desc(), Village.sort_order, Helper.kind, Helper.name)
    if request.args.get("kind") in HELPER_KINDS:
        query = query.where(Helper.kind == request.args["kind"])
    if request.args.get("village", type=int):
        query = query.where(Helper.village == request.args.get("village", type=int))
    page = paginate(query, request.args.get("page", type=int), per_page=50)
    return render_template("helpers/list.html", page=page, kinds=HELPER_KINDS,
                           villages=g.scope.query(Village).order_by(Village.sort_order))


@bp.route("/helpers/new", methods=["GET", "POST"], defaults={"helper_id": None})
@bp.route("/helpers/<int:helper_id>/edit", methods=["GET", "POST"])
def form(helper_id):
    """Create or edit a helper."""
    helper = _get_helper(helper_id) if helper_id else None
    errors, form = {}, {"active": True}
    if request.method == "POST":
        form = {**request.form.to_dict(), "areas": request.form.getlist("areas"),
                "active": request.form.get("active") == "1" or helper is None}
        try:
            helper = save_helper(current_actor(), g.scope, form, helper)
        except ValidationError as e:
            errors = e.errors
        else:
            flash(f"已保存帮扶人 {helper.name}", "ok")
            return redirect(url_for("helpers.detail", helper_id=helper.id), 303)
    elif helper:
        form = {**helper.__data__, "areas": [f"g:{a.grid_id}" if a.grid_id else f"v:{a.village_id}"
                                             for a in helper.areas]}
    villages = g.scope.query(Village).where(Village.active == True).order_by(Village.sort_order)  # noqa: E712
    grids = g.scope.query(Grid).where(Grid.active == True).order_by(Grid.sort_order)  # noqa: E712
    users = _linkable_users()
    return render_template("helpers/form.html", helper=helper, form=form, errors=errors,
                           kinds=HELPER_KINDS, villages=villages, grids=grids, users=users), \
        (422 if errors else 200)


def _linkable_users():
    query = User.select().where(User.active == True).order_by(User.username)  # noqa: E712
    if not g.scope.everything:
        query = query.where(User.village.in_(list(g.scope.village_ids) or [0]))
    return query


@bp.route("/helpers/<int:helper_id>")
def detail(helper_id):
    """A helper's page: details, areas, posts held."""
    helper = _get_helper(helper_id)
    return render_template("helpers/detail.html", helper=helper,
                           posts=VillagePost.select(VillagePost, Village).join(Village)
                           .where(VillagePost.helper == helper))


@bp.route("/villages/<int:village_id>/posts", methods=["GET", "POST"])
def village_posts(village_id):
    """Name the 包片干部, 儿童主任, 村医, 民警 and 法律顾问 of a village (printed on contact cards)."""
    village = g.scope.get(Village, village_id)
    errors = {}
    if request.method == "POST":
        try:
            set_village_posts(current_actor(), g.scope, village, request.form)
        except ValidationError as e:
            errors = e.errors
        else:
            flash(f"已保存{village.name}的联系人", "ok")
            return redirect(url_for("helpers.village_posts", village_id=village.id), 303)
    current = {p.post: p.helper_id for p in VillagePost.select().where(VillagePost.village == village)}
    candidates = (Helper.select().where(((Helper.village == village) | Helper.village.is_null())
                                        & (Helper.active == True))  # noqa: E712
                  .order_by(Helper.kind, Helper.name))
    return render_template("helpers/posts.html", village=village, posts=VILLAGE_POSTS,
                           current=current, candidates=candidates, errors=errors), \
        (422 if errors else 200)
