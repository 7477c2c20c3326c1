"""A user's own account: changing the password."""

from flask import Blueprint, g, url_for

from ..auth import current_actor, login_user
from ..services.accounts import change_password
from .forms import form_page

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.route("/password", methods=["GET", "POST"])
def password():
    """Change one's own password (the page never echoes what was typed)."""

    def save(values):
        change_password(current_actor(), g.user, values.get("old", ""), values.get("new", ""))
        login_user(g.user)  # every other session of this user has ended; this one goes on

    return form_page(
        "account/password.html",
        initial={},
        save=save,
        done=lambda _: ("密码已修改", url_for("home.index")),
    )
