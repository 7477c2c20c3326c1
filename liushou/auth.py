"""Who is logged in, idle expiry, read-only roles, and the decorators views use."""

import time
from functools import wraps

from flask import abort, flash, g, redirect, request, session, url_for
from flask_wtf.csrf import generate_csrf

from . import settings
from .db import database
from .models import User
from .models.accounts import ADMIN_ROLES, HELPER_ROLES
from .rules import privacy
from .scope import Scope
from .services import Actor

# Endpoints reachable without logging in.
PUBLIC_ENDPOINTS = {"auth.login", "static"}
# Endpoints an account whose password someone else chose may reach before choosing his own.
FIRST_LOGIN_ENDPOINTS = {"account.password", "auth.logout"}
# Endpoints a read-only role may POST to.
READ_ONLY_POSTS = {"auth.login", "auth.logout", "account.password"}
# Pages that take a POST but are also where a read-only user reads the record; every other
# create/edit page is refused to him on GET too (an edit form shows more than the record's page).
READ_ONLY_FORM_PAGES = {"care.need", "records.sites"}
# Everything a helper's own login (role `helper`) may reach: deny by default, so a route added
# later answers him 404 until it is listed here. His scope (scope.py) narrows each of these to the
# persons paired with him; home.index sends him to his worklist.
HELPER_ENDPOINTS = {
    "home.index",
    "visits.due",  # his worklist
    "persons.detail",  # a paired person's page (IDs and phones masked)
    "visits.new",  # record a visit: his paired persons only, himself as the helper
    "care.need",  # raise a need for a paired person, and follow it
    "mine.persons",  # his paired persons, to pick one for a visit or a need
    "account.password",
    "auth.logout",
}
HELPER_GONE = "您对应的帮扶人已停用或已解除关联，不能再使用本系统，请联系乡镇管理员"


def current_actor():
    """The acting user and his address, for services and the audit log."""
    return Actor(g.get("user"), request.remote_addr or "")


def login_user(user):
    """Start a fresh session for `user` (a new cookie: nothing of the old session survives)."""
    session.clear()
    session.permanent = True
    session["uid"] = user.id
    session["sv"] = user.session_version
    session["seen"] = int(time.time())
    # The new session's CSRF token, made now (not by the first page drawn): every page after
    # the login carries the same one, so page_cache can keep them from the first.
    g.pop("csrf_token", None)
    generate_csrf()


# The statement reading the signed-in user's row, built once per engine (peewee builds a
# query's SQL anew on every use: a noticeable part of a cached page's cost).
_user_sql = {}


def _active_user(uid):
    """The active user `uid` (a User, as User.get_or_none would give), or None: read from the
    database on every request (a disabled account or ended session counts at once)."""
    if not isinstance(uid, int) or not 0 < uid < 2**63:
        return None
    engine = type(database.obj)
    built = _user_sql.get(engine)
    if built is None:
        sql, params = User.select().where((User.id == 0) & User.active).sql()
        assert params == [0], params
        built = _user_sql[engine] = (sql, User._meta.sorted_fields)
    sql, fields = built
    row = database.execute_sql(sql, [uid]).fetchone()
    if row is None:
        return None
    user = User(
        __no_default__=1, **{f.name: f.python_value(v) for f, v in zip(fields, row, strict=True)}
    )
    user._dirty.clear()
    return user


def load_user():
    """before_request: find the user, expire idle sessions, send strangers to /login."""
    g.user = None
    uid = session.get("uid")
    if uid:
        idle = int(settings.get("session_idle_minutes") or 30) * 60
        now = int(time.time())
        if now - int(session.get("seen", 0)) > idle:
            session.clear()
            session["expired"] = True
        else:
            user = _active_user(uid)
            if user is None or session.get("sv") != user.session_version:
                session.clear()  # disabled, or its sessions were ended (logout, new password...)
            else:
                g.user = user
                if now - int(session.get("seen", 0)) > 30:
                    session["seen"] = now  # rewrite the cookie at most every 30 s
    g.scope = Scope.for_user(g.user)
    # The township whose settings (name, card numbers, thresholds) his pages read.
    g.township_id = settings.township_of(g.user)
    if g.user is not None and g.user.role in HELPER_ROLES and not g.scope.helper_ids:
        # His Helper record was deactivated or unlinked: his access ends with this request.
        session.clear()
        flash(HELPER_GONE, "error")
        g.user, g.scope = None, Scope.for_user(None)
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
        return None
    if g.user is None:
        if request.method == "GET":
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return redirect(url_for("auth.login"))
    if g.user.must_change_password and request.endpoint not in FIRST_LOGIN_ENDPOINTS:
        return redirect(url_for("account.password"), 303 if request.method == "POST" else 302)
    if g.user.role in HELPER_ROLES:
        if request.endpoint not in HELPER_ENDPOINTS:
            abort(404)  # not 403: he must not learn that the page or the record exists
        if request.endpoint == "home.index":
            return redirect(url_for("visits.due"))
        return None
    if g.user.read_only and request.endpoint not in READ_ONLY_POSTS:
        if request.method == "POST":
            abort(403)
        rule = request.url_rule
        if "POST" in rule.methods and request.endpoint not in READ_ONLY_FORM_PAGES:
            abort(403)
    return None


def roles_required(*roles):
    """Allow the view only to the given roles (403 for the others)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if g.user is None or g.user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


admin_required = roles_required(*ADMIN_ROLES)


def may(endpoint):
    """Whether the signed-in user's role may reach `endpoint` at all (templates hide links to
    the pages a helper's own login cannot open)."""
    user = g.get("user")
    if user is None:
        return False
    return user.role not in HELPER_ROLES or endpoint in HELPER_ENDPOINTS


def can_see_full_id(user):
    """Whether the user may ever be shown a full ID number (rules/privacy decides where)."""
    return user is not None and privacy.may_see_full_id(user.role)


def disclosure(kind="record", **options):
    """The signed-in user's privacy rule for a "listing", "record" or "archive" (see
    rules/privacy); templates get it as `disclosure(kind)`."""
    user = g.get("user")
    return getattr(privacy, kind)(user.role if user else None, **options)
