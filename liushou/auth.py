"""Who is logged in, idle expiry, read-only roles, and the decorators views use."""

import hashlib
import threading
import time
from collections import OrderedDict
from functools import wraps

from flask import abort, flash, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import generate_csrf
from itsdangerous import BadSignature

from . import settings
from .db import database
from .db_generation import accounts_generation, shared_accounts
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
# (database, uid) -> (accounts generation, time read, the row as read, its fields' Python
# values, the digest of what a page can draw of it): the row is read again once any account
# was written (db_generation.accounts_generation: by this server at once, by another process
# within its look at the shared counters, row 2 included: shared_accounts) or after
# USER_ROW_SECONDS (a change by hand in the database); until then a request reads no row (on
# PostgreSQL it was the one round trip of a kept page, and requests queued behind it).
_user_rows = {}
USER_ROWS_MAX = 4096
USER_ROW_SECONDS = 5.0
# Columns of the user's row that draw nothing on a page: a wrong password typed for him (failed
# logins, a lock), his last login and his password's hash (never in page_cache's key).
NOT_DRAWN = frozenset({"password_hash", "failed_logins", "locked_until", "last_login_at"})


def drawn_state(data):
    """A short digest of what of a user's row (his fields' values) a page can draw or depend
    on (role, name, area, phone, session version …): page_cache's key holds it."""
    drawn = sorted(((k, v) for k, v in data.items() if k not in NOT_DRAWN), key=lambda kv: kv[0])
    return hashlib.blake2b(repr(drawn).encode(), digest_size=16).digest()


def _active_user(uid):
    """The active user `uid` (a User, as User.get_or_none would give), or None: his row as
    stored now (a disabled account or ended session counts at once), read from the database
    unless no account was written since it was last read (`_user_rows`)."""
    if not isinstance(uid, int) or not 0 < uid < 2**63:
        return None
    # Before the read: a write during it is a new value. The accounts' shared counter too: an
    # account change by a process whose writes are not shared (a second server) moves only it.
    name = database.database
    generation = (accounts_generation(), shared_accounts(name))
    key = (name, uid)
    kept = _user_rows.get(key)
    now = time.monotonic()
    if kept is None or kept[0] != generation or not 0 <= now - kept[1] < USER_ROW_SECONDS:
        row = _read_user(uid)
        if row is None:
            _user_rows.pop(key, None)
            return None
        if kept is None or kept[2] != row:
            data = {
                f.name: f.python_value(v)
                for f, v in zip(User._meta.sorted_fields, row, strict=True)
            }
            kept = (generation, now, row, data, drawn_state(data))
        else:
            kept = (generation, now, *kept[2:])
        if len(_user_rows) >= USER_ROWS_MAX:
            _user_rows.clear()
        _user_rows[key] = kept
    user = User(__no_default__=1)
    user.__data__ = dict(kept[3])  # his own copy: a view may change its User
    user._drawn_state = kept[4]
    return user


def _read_user(uid):
    """The row of active user `uid` (a tuple in User's field order), or None."""
    engine = type(database.obj)
    sql = _user_sql.get(engine)
    if sql is None:
        sql, params = User.select().where((User.id == 0) & User.active).sql()
        assert params == [0], params
        _user_sql[engine] = sql
    return database.execute_sql(sql, [uid]).fetchone()


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed-cookie session, unchanged in what it accepts, cheaper per request: the
    serializer is built once per secret key (Flask builds it, and derives its HMAC key, on
    every request), and a cookie already verified is remembered with its payload and signing
    time, so the same cookie string again is not verified again (its age is still checked
    against the session's lifetime). Only cookies whose values are plain scalars are
    remembered (a flashed message's list is changed in place by Flask). A forged or altered
    cookie is a different string: it is verified as before and refused."""

    REMEMBERED_MAX = 4096

    def __init__(self):
        self._serializer = (None, None)
        self._verified = OrderedDict()  # (serializer, cookie) -> (signed at, payload)
        self._lock = threading.Lock()

    def get_signing_serializer(self, app):
        keys = (tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()), app.secret_key)
        made_for, serializer = self._serializer
        if made_for != keys:
            serializer = super().get_signing_serializer(app)
            self._serializer = (keys, serializer)
        return serializer

    def open_session(self, app, request):
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        cookie = self._cookie(request, self.get_cookie_name(app))
        if not cookie:
            return self.session_class()
        max_age = app.permanent_session_lifetime.total_seconds()
        known = self._verified.get((serializer, cookie))
        if known is not None:
            age = time.time() - known[0]
            if 0 <= age <= max_age:
                return self.session_class(known[1])
        try:
            data, signed = serializer.loads(cookie, max_age=int(max_age), return_timestamp=True)
        except BadSignature:
            return self.session_class()
        self._remember(serializer, cookie, signed.timestamp(), data)
        return self.session_class(data)

    @staticmethod
    def _cookie(request, name):
        """The session cookie's value, read from the Cookie header without parsing every
        cookie in it (ours is never quoted; anything unusual goes to werkzeug's parser)."""
        raw = request.environ.get("HTTP_COOKIE", "")
        if '"' in raw or "\\" in raw or "%" in raw:
            return request.cookies.get(name)
        prefix = name + "="
        for part in raw.split(";"):
            part = part.strip()
            if part.startswith(prefix):
                return part[len(prefix) :]
        return None

    def save_session(self, app, session, response):
        if not session.modified and not (session and self.should_set_cookie(app, session)):
            # Nothing to send (the usual page): only say the page varies with the cookie.
            if session.accessed and not getattr(response, "finished", False):
                response.vary.add("Cookie")
            return
        super().save_session(app, session, response)
        # The cookie just signed comes back with the next request: remember it now.
        if session and self.should_set_cookie(app, session):
            cookie = response.headers.get("Set-Cookie", "")
            name = self.get_cookie_name(app) + "="
            if cookie.startswith(name):
                value = cookie[len(name) :].split(";", 1)[0]
                # Signed this second or the one before: counted from the earlier (never longer).
                self._remember(self._serializer[1], value, int(time.time()) - 1, dict(session))

    def _remember(self, serializer, cookie, signed_at, data):
        if not isinstance(data, dict) or not all(
            isinstance(v, (str, int, float, bool, type(None))) for v in data.values()
        ):
            return
        with self._lock:
            self._verified[(serializer, cookie)] = (signed_at, dict(data))
            while len(self._verified) > self.REMEMBERED_MAX:
                self._verified.popitem(last=False)


def load_user():
    """before_request: find the user, expire idle sessions, send strangers to /login."""
    # The request's objects once (each use of flask's proxies looks them up again).
    ctx, sess = g._get_current_object(), session._get_current_object()
    req = request._get_current_object()
    user = None
    uid = sess.get("uid")
    if uid:
        idle = int(settings.get("session_idle_minutes") or 30) * 60
        now = int(time.time())
        seen = int(sess.get("seen", 0))
        if now - seen > idle:
            sess.clear()
            sess["expired"] = True
        else:
            user = _active_user(uid)
            if user is None or sess.get("sv") != user.session_version:
                user = None
                sess.clear()  # disabled, or its sessions were ended (logout, new password...)
            elif now - seen > 30:
                sess["seen"] = now  # rewrite the cookie at most every 30 s
    ctx.user = user
    ctx.scope = scope = Scope.for_user(user)
    # The township whose settings (name, card numbers, thresholds) his pages read.
    ctx.township_id = settings.township_of(user)
    if user is not None and user.role in HELPER_ROLES and not scope.helper_ids:
        # His Helper record was deactivated or unlinked: his access ends with this request.
        sess.clear()
        flash(HELPER_GONE, "error")
        user = ctx.user = None
        ctx.scope = Scope.for_user(None)
    endpoint = req.endpoint
    if endpoint in PUBLIC_ENDPOINTS or endpoint is None:
        return None
    if user is None:
        if req.method == "GET":
            return redirect(url_for("auth.login", next=req.full_path.rstrip("?")))
        return redirect(url_for("auth.login"))
    if user.must_change_password and endpoint not in FIRST_LOGIN_ENDPOINTS:
        return redirect(url_for("account.password"), 303 if req.method == "POST" else 302)
    if user.role in HELPER_ROLES:
        if endpoint not in HELPER_ENDPOINTS:
            abort(404)  # not 403: he must not learn that the page or the record exists
        if endpoint == "home.index":
            return redirect(url_for("visits.due"))
        return None
    if user.read_only and endpoint not in READ_ONLY_POSTS:
        if req.method == "POST":
            abort(403)
        rule = req.url_rule
        if "POST" in rule.methods and endpoint not in READ_ONLY_FORM_PAGES:
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
