"""Rendered pages kept in memory between requests, per user and per state of his data.

A view calls `page(parts, render)` AFTER its user, scope and access checks and after any audit
its read must write (a child's page audits every read, cached or not): the checks and the
audit run on every request, only the rendering is skipped. The page is kept (gzip-compressed)
under a key of everything it is drawn from:

- the database, the user (his id and his whole row: a new role, name or area is a new key),
  his scope, his township, and the session's CSRF token (the page's forms carry it; a new
  login is a new session and a new token);
- GET, the full path with its query string and the htmx headers (htmx asks for parts of a
  page);
- the data generation of his villages (`db.data_generation`, every village's for a township
  user or a helper): a committed write of this process in one of them, or a township-wide one
  (settings among them), is a new key, so the write shows on the next page; a write in
  another village leaves his pages alone (a page that shows no visit, e.g. the person list,
  follows the registry generation: a recorded visit leaves it alone too);
- today's date, the view's own `parts`, and the overdue emergency steps shown on every page.

A page is never kept nor served while a flashed message is pending (it shows once), nor when
the rendering flashed one, nor inside a transaction, nor for anything but a 200 text body, nor
when it shows figures counted before the last write (figure_cache serves slow figures for a
while after a write: such a page is drawn again on each request until they are recounted).
A write by another process (the daily job's child, a command) or a new day moves every
village's generation at the server's next request (db_generation, "Other processes"), so
every kept page is drawn again. At most `MAX_AGE` seconds old (15 minutes, as memo and
figure_cache: writes no process reported, by hand with sqlite3 or psql), at most `MAX_BYTES`
kept, the least recently used dropped first.

Responses keep the app's privacy headers: `Cache-Control: no-store` (web._headers) for every
logged-in page, plus `Vary: Cookie`. No ETag/304: a no-store page is never revalidated by a
browser, so it would buy nothing.
"""

import gzip
import threading
import time
from collections import OrderedDict

from flask import Response, current_app, g, request, session
from flask.globals import request_ctx
from flask_wtf.csrf import generate_csrf

from . import clock, figure_cache
from .auth import drawn_state
from .db import data_generation, database
from .db_generation import KEEP_MAX_AGE

MAX_AGE = KEEP_MAX_AGE  # seconds (15 minutes)
MAX_BYTES = 8 * 1024 * 1024
OVERHEAD = 512  # bytes counted per entry for its key and bookkeeping (its URL counted apart)
USER_SHARE = 8  # one user's pages may take at most MAX_BYTES / USER_SHARE: his own oldest go first
MAX_URL = 2048  # a longer path and query string (no page of ours makes one) is never kept

_entries: OrderedDict = OrderedDict()  # key -> (made, gzip body, bytes counted)
_users: dict = {}  # user id -> OrderedDict of his keys, oldest kept first
_user_size: dict = {}  # user id -> bytes counted for his pages
_size = [0]
_lock = threading.Lock()


def page(parts, render, registry=False):
    """The page `render()` draws, kept or drawn now. `parts`: what else the page depends on
    that the key does not already hold (hashable; often the view's name). `registry`: the page
    shows no visit, need or visit state, so it holds across recorded visits (the person list:
    db.data_generation(..., registry=True))."""
    key = _key(parts, registry)
    if key is None:
        return render()
    body = _lookup(key)
    if body is not None:
        return _response(body)
    result = render()
    if (
        not isinstance(result, str)
        or _flashed()
        or g.get("stale_figures")  # figures counted before the last write: drawn again
        or g.get("page_not_kept")
    ):
        return result
    # A page ages from the oldest figures it shows (figure_cache notes when they were counted).
    now = time.monotonic()
    made = min(now, g.get("figures_made", now))
    if now - made >= _max_age():
        return result  # figures due for their recount ahead: drawn again until it is done
    body = gzip.compress(
        result.encode(), compresslevel=current_app.config.get("COMPRESS_LEVEL", 6), mtime=0
    )
    _store(key, body, made)
    return _response(body)


def _max_age():
    """How long a page is kept: at most MAX_AGE, and no longer than its figures may be served
    without their recount ahead starting (figure_cache.MAX_AGE - AHEAD: slow figures are
    recounted in the background only when a page asks for them, so a kept page of them must be
    drawn again by then, or at the age bound a request would wait for their whole count)."""
    return max(0.0, min(MAX_AGE, figure_cache.MAX_AGE - figure_cache.AHEAD))


def not_kept():
    """Keep the page being drawn for nobody: it shows something no data generation follows
    (accounts, the audit log), e.g. the admin's first-day checklist while it is unfinished."""
    g.page_not_kept = True


def _user_state(user):
    """A short digest of what of his row a page can draw or depend on (role, name, area, phone,
    session version …): a change to any of it is a new key. auth made it with his row (once
    per distinct row); a User made elsewhere has it computed now."""
    state = getattr(user, "_drawn_state", None)
    return state if state is not None else drawn_state(user.__data__)


def _key(parts, registry=False):
    # The request's objects once (each use of flask's proxies looks them up again).
    ctx, req = g._get_current_object(), request._get_current_object()
    user = ctx.get("user")
    if user is None or req.method != "GET" or database.in_transaction():
        return None
    path = req.full_path
    if len(path) > MAX_URL:
        return None  # a forged URL of 100 KB: its key alone would outweigh the pages
    sess = session._get_current_object()
    if "_flashes" in sess or request_ctx.flashes:
        return None
    if "csrf_token" not in sess:
        generate_csrf()  # as the page's forms would: the session's token, made now
    token = sess.get("csrf_token")
    if token is None:
        return None
    from .web import _emergency_alerts  # web imports the views, which import this module

    scope = ctx.scope
    headers = req.headers
    return (
        database.database,
        user.id,
        _user_state(user),
        token,
        scope,
        ctx.get("township_id"),
        path,
        headers.get("HX-Request"),
        headers.get("HX-Target"),
        headers.get("HX-Boosted"),
        data_generation(figure_cache.villages_of(scope), registry),
        clock.today(),
        tuple(s.id for s in _emergency_alerts()),
        parts,
    )


def _flashed():
    """Whether this request flashed a message or showed one (neither may be kept)."""
    return "_flashes" in session or bool(request_ctx.flashes)


def _lookup(key):
    with _lock:
        entry = _entries.get(key)
        if entry is None:
            return None
        # Never older than the figures it shows may be (`_max_age`; aged from their count).
        if time.monotonic() - entry[0] >= _max_age():
            _drop(key)
            return None
        _entries.move_to_end(key)
        return entry[1]


def _store(key, body, made):
    size = len(body) + OVERHEAD + len(request.full_path)
    if size > MAX_BYTES // 2:
        return
    with _lock:
        if key in _entries:
            _drop(key)
        _entries[key] = (made, body, size)
        _size[0] += size
        user = key[1]
        _users.setdefault(user, OrderedDict())[key] = None
        _user_size[user] = _user_size.get(user, 0) + size
        # One user's many distinct pages (every ?page=, every ?q=) push out his own first,
        # not everybody's.
        while _user_size[user] > MAX_BYTES // USER_SHARE and len(_users[user]) > 1:
            _drop(next(iter(_users[user])))
        while _size[0] > MAX_BYTES:
            _drop(next(iter(_entries)))


def _drop(key):
    _made, _body, size = _entries.pop(key)
    _size[0] -= size
    user = key[1]
    mine = _users.get(user)
    if mine is not None:
        mine.pop(key, None)
        _user_size[user] -= size
        if not mine:
            del _users[user], _user_size[user]


def _headers(gzipped):
    """Every header a kept page is sent with, as web._finish and Flask-Compress would set
    them on a page drawn now (no-store: only logged-in users' pages are kept)."""
    from .web import CSP, SECURITY_HEADERS  # web imports the views, which import this module

    return [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Vary", "Cookie, Accept-Encoding"),
        *([("Content-Encoding", "gzip")] if gzipped else []),
        ("Content-Security-Policy", CSP),
        *SECURITY_HEADERS,
        ("Cache-Control", "no-store"),
    ]


_HEADERS = {}  # gzipped or not -> the header list (built on first use)


def _response(body):
    gzipped = bool(request.accept_encodings["gzip"])
    headers = _HEADERS.get(gzipped)
    if headers is None:
        headers = _HEADERS[gzipped] = _headers(gzipped)
    if not gzipped:
        body = gzip.decompress(body)
    response = Response(body, headers=headers)
    response.finished = True  # web._finish: headers set, body compressed
    return response


def clear():
    """Forget every page (tests, a restored database)."""
    with _lock:
        _entries.clear()
        _users.clear()
        _user_size.clear()
        _size[0] = 0


def size():
    """(pages kept, bytes counted)."""
    with _lock:
        return len(_entries), _size[0]
