"""A user's own account: changing the password."""

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from ..auth import current_actor, login_user
from ..services import ValidationError
from ..services.accounts import change_password

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.route("/password", methods=["GET", "POST"])
def password():
    """Change one's own password."""
    errors = {}
    if request.method == "POST":
        try:
            change_password(
                current_actor(), g.user, request.form.get("old", ""), request.form.get("new", "")
            )
        except ValidationError as e:
            errors = e.errors
        else:
            login_user(g.user)  # every other session of this user has ended; this one goes on
            flash("密码已修改", "ok")
            return redirect(url_for("home.index"), 303)
    return render_template("account/password.html", errors=errors), (422 if errors else 200)
