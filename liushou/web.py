"""Wiring the web side: extensions, blueprints, template helpers, headers, error pages."""

import hashlib
import os
from datetime import datetime

from flask import abort, current_app, g, render_template, request, url_for
from flask_compress import Compress
from flask_wtf.csrf import CSRFError, CSRFProtect
from htmx_flask import Htmx
from peewee import OperationalError
from werkzeug.exceptions import NotFound, ServiceUnavailable

from . import auth, clock, memo, settings
from .db import is_locked
from .queries.care import overdue_steps
from .rules.text import mask_id_number, mask_phone
from .views import (
    account,
    admin,
    allowance,
    care,
    completeness,
    crosscheck,
    files,
    helpers,
    home,
    households,
    imports,
    mine,
    orgs,
    pairings,
    persons,
    printouts,
    records,
    reminders,
    reports,
    review,
    suggestions,
    visits,
)
from .views import auth as auth_views

csrf = CSRFProtect()
compress = Compress()
htmx = Htmx()

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'self'; "
    "frame-ancestors 'none'; object-src 'none'"
)

ERRORS = {
    400: ("请求有误", "提交的内容无法处理。请返回上一页重试。"),
    403: ("没有权限", "您的账号不能进行此操作。如需权限请联系管理员。"),
    404: ("找不到页面", "您要找的内容不存在，或不在您负责的范围内。"),
    405: ("请求方式不对", "请从页面上的按钮或链接进入。"),
    413: ("提交的内容过大", "提交的内容超过了允许的大小，没有保存。上传文件请拆分后再试。"),
    500: ("系统出错", "系统暂时出了问题，您刚才的操作没有保存。请稍后重试，或联系管理员。"),
    503: ("系统繁忙", "系统繁忙，请稍后重试。您刚才的操作没有保存。"),
}


BODILESS = frozenset(["GET", "HEAD", "OPTIONS"])

# The headers every response carries (web._finish), as page_cache's kept pages carry them too.
SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
)

# Endpoints that take a file upload -> the config key of their body limit.
UPLOAD_LIMITS = {
    "imports.upload": "UPLOAD_MAX_BYTES",
    "crosscheck.listing": "UPLOAD_MAX_BYTES",
    "files.upload": "ATTACHMENT_MAX_BYTES",
}


def _limit_request_size():
    """First before_request (ahead of CSRF, which parses the form): the body limit for this
    endpoint, and a declared length over it refused before a byte of the body is read."""
    req = request._get_current_object()
    if req.method in BODILESS and "Content-Length" not in req.headers:
        return  # nothing to read (the usual GET): no limit to look up
    key = UPLOAD_LIMITS.get(req.endpoint)
    if key:
        req.max_content_length = int(current_app.config[key])
    limit = req.max_content_length
    if limit is not None and (req.content_length or 0) > limit:
        abort(413)


def init_app(app):
    app.session_interface = auth.SessionCookies()
    app.before_request(_limit_request_size)
    csrf.init_app(app)
    # Flask-Compress runs from _finish (after the headers), not as its own hook: a page from
    # page_cache comes compressed and with every header already, and skips both.
    app.config["COMPRESS_REGISTER"] = False
    compress.init_app(app)
    htmx.init_app(app)
    app.before_request(auth.load_user)
    app.after_request(_finish)

    for module in (
        auth_views,
        home,
        account,
        admin,
        helpers,
        persons,
        households,
        visits,
        pairings,
        printouts,
        imports,
        care,
        records,
        orgs,
        reminders,
        reports,
        allowance,
        suggestions,
        mine,
        files,
        crosscheck,
        completeness,
        review,
    ):
        app.register_blueprint(module.bp)

    _asset_urls = {}

    def asset(filename):
        """A static URL with a content hash, so it can be cached for a year (built once per
        file and script root; read again on every use in debug mode)."""
        key = (request.script_root, filename)
        url = _asset_urls.get(key)
        if url is None or app.debug:
            path = os.path.join(app.static_folder, filename)
            with open(path, "rb") as fh:
                version = hashlib.sha256(fh.read()).hexdigest()[:10]
            url = _asset_urls[key] = url_for("static", filename=filename, v=version)
        return url

    app.jinja_env.globals.update(
        asset=asset,
        setting=settings.get,
        disclosure=auth.disclosure,
        may=auth.may,
        today=clock.today,
        emergency_alerts=_emergency_alerts,
        form_version=lambda: g.get("form_version", ""),
    )
    app.jinja_env.filters.update(
        mask_phone=mask_phone, mask_id=mask_id_number, dt=_fmt_dt, d=_fmt_d
    )

    for code in ERRORS:
        app.register_error_handler(code, _error_page)

    @app.errorhandler(OverflowError)
    def _id_out_of_range(e):
        # An id too large for SQLite (a typed or forged URL/form value): no such object.
        return _error_page(NotFound())

    @app.errorhandler(OperationalError)
    def _database_busy(e):
        # The write lock stayed taken past the busy timeout, twice (db.Database.begin retries):
        # nothing was written; say so instead of a 500.
        if not is_locked(e):
            raise e
        return _error_page(ServiceUnavailable())

    @app.errorhandler(CSRFError)
    def _csrf_error(e):
        return render_template(
            "errors/error.html",
            code=400,
            title="页面已过期",
            message="页面停留时间过长或已在别处退出登录，请刷新页面后重新提交。",
        ), 400


def _error_page(e):
    code = getattr(e, "code", 500) or 500
    title, message = ERRORS.get(code, ERRORS[500])
    return render_template("errors/error.html", code=code, title=title, message=message), code


def _finish(response):
    """after_request: the app's headers, then Flask-Compress; a page page_cache answered
    (`response.finished`) has both already."""
    if getattr(response, "finished", False):
        return response
    return compress.after_request(_headers(response))


def _headers(response):
    # Runs before Flask-Compress. Static files are sent as file streams, which it will not
    # gzip; our few small assets are read into memory instead.
    endpoint = request.endpoint
    if endpoint == "static" and response.status_code == 200 and response.is_streamed:
        response.direct_passthrough = False
        response.set_data(response.get_data())
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    for name, value in SECURITY_HEADERS:
        headers[name] = value
    if endpoint != "static" and g.get("user") is not None:
        headers["Cache-Control"] = "no-store"
    return response


def _fmt_dt(value):
    return value.strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else (value or "")


def _fmt_d(value):
    return value.strftime("%Y-%m-%d") if hasattr(value, "strftime") else (value or "")


def _emergency_alerts():
    """Reporting steps past their deadline in the user's area: shown in red on every page."""
    if g.get("user") is None:
        return []
    # The area's open steps are read once per data generation (memo); which of them are past
    # their deadline is decided now, so a step turns red on the first page after its deadline.
    steps = memo.get(("open steps", g.scope), lambda: list(overdue_steps(g.scope, datetime.max)))
    now = clock.now()
    return [s for s in steps if s.due_at < now][:5]
