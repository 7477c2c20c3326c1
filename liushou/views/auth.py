"""Logging in and out."""

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for

from ..auth import current_actor, login_user
from ..db import database
from ..services import ValidationError
from ..services.accounts import authenticate, end_sessions
from ..services.audit import record

bp = Blueprint("auth", __name__)


def _safe_next(target):
    return target if target and target.startswith("/") and not target.startswith("//") else None


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login form; after too many failures the account is locked for a while."""
    errors, username = {}, ""
    expired = session.pop("expired", False)
    if request.method == "POST":
        username = request.form.get("username", "")
        cfg = current_app.config
        try:
            user = authenticate(
                username,
                request.form.get("password", ""),
                ip=request.remote_addr or "",
                max_failures=int(cfg["LOGIN_MAX_FAILURES"]),
                lock_minutes=int(cfg["LOGIN_LOCK_MINUTES"]),
            )
        except ValidationError as e:
            errors = e.errors
        else:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")) or url_for("home.index"), 303)
    elif g.user is not None:
        return redirect(url_for("home.index"))
    status = 422 if errors else 200
    return render_template(
        "auth/login.html", errors=errors, username=username, expired=expired
    ), status


@bp.route("/logout", methods=["POST"])
def logout():
    """End the session, and every other session of the same user (a copied cookie included)."""
    if g.user is not None:
        with database.atomic():
            end_sessions(g.user)
            record(current_actor(), "logout", g.user)
    session.clear()
    return redirect(url_for("auth.login"), 303)
