"""Helpers (帮扶人) and village posts."""

from flask import Blueprint, g, render_template, request, url_for

from .. import page_cache
from ..auth import current_actor
from ..models import Village
from ..models.helpers import HELPER_KINDS, VILLAGE_POSTS
from ..queries import helpers as queries
from ..queries import places
from ..services.helpers import save_helper, set_village_posts
from .forms import form_page
from .paging import paginate

bp = Blueprint("helpers", __name__)


@bp.route("/helpers", endpoint="list")
def helper_list():
    """Helpers, filterable by kind and village."""
    return page_cache.page("helpers.list", _list_page)


def _list_page():
    query = queries.listing(
        g.scope, request.args.get("kind"), request.args.get("village", type=int)
    )
    page = paginate(query, request.args.get("page", type=int), per_page=50)
    return render_template(
        "helpers/list.html", page=page, kinds=HELPER_KINDS, villages=places.villages(g.scope)
    )


@bp.route("/helpers/new", methods=["GET", "POST"], defaults={"helper_id": None})
@bp.route("/helpers/<int:helper_id>/edit", methods=["GET", "POST"])
def form(helper_id):
    """Create or edit a helper."""
    helper = (
        queries.get(g.scope, helper_id, for_write=request.method == "POST") if helper_id else None
    )
    initial = _helper_initial(helper) if helper else {"active": True}

    def read():
        return {
            **request.form.to_dict(),
            "areas": request.form.getlist("areas"),
            "active": request.form.get("active") == "1" or helper is None,
        }

    return form_page(
        "helpers/form.html",
        initial=initial,
        read=read,
        save=lambda values: save_helper(current_actor(), g.scope, values, helper),
        record=helper,
        # Its version covers his areas (other rows than his own).
        current=lambda: _helper_initial(queries.get(g.scope, helper_id)),
        done=lambda saved: (
            f"已保存帮扶人 {saved.name}",
            url_for("helpers.detail", helper_id=saved.id),
        ),
        context=lambda values: dict(
            helper=helper,
            kinds=HELPER_KINDS,
            villages=places.villages(g.scope, active_only=True),
            grids=places.grids(g.scope, active_only=True),
            users=queries.linkable_users(g.scope),
        ),
    )


def _helper_initial(helper):
    """The helper form's values of `helper` as stored: his row and his areas."""
    return {
        **helper.__data__,
        "areas": [f"g:{a.grid_id}" if a.grid_id else f"v:{a.village_id}" for a in helper.areas],
    }


@bp.route("/helpers/<int:helper_id>")
def detail(helper_id):
    """A helper's page: details, areas, posts held."""
    helper = queries.get(g.scope, helper_id)
    return render_template("helpers/detail.html", helper=helper, posts=queries.posts_held(helper))


@bp.route("/villages/<int:village_id>/posts", methods=["GET", "POST"])
def village_posts(village_id):
    """Name the 包片干部, 儿童主任, 村医, 民警 and 法律顾问 of a village (printed on contact
    cards)."""
    village = g.scope.get(Village, village_id)
    return form_page(
        "helpers/posts.html",
        initial={},
        save=lambda values: set_village_posts(current_actor(), g.scope, village, request.form),
        done=lambda _: (
            f"已保存{village.name}的联系人",
            url_for("helpers.village_posts", village_id=village.id),
        ),
        context=lambda values: dict(
            village=village,
            posts=VILLAGE_POSTS,
            current=queries.village_posts(village),
            candidates=queries.post_candidates(village),
        ),
    )
