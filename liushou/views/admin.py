"""Admin pages: users, settings, the audit log (places and townships: admin_places.py)."""

from datetime import date, timedelta

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)

from .. import clock, settings
from ..auth import admin_required, current_actor, login_user
from ..backup import last_backup
from ..backup_pg import is_postgres
from ..models import ROLES
from ..models.accounts import COUNTY_ROLES
from ..models.audit import ACTIONS
from ..queries import accounts as account_queries
from ..queries import helpers as helper_queries
from ..queries import places
from ..rules.sheet_rows import as_text, pasted_rows
from ..services import ValidationError, accounts, accounts_bulk
from ..services import settings as settings_service
from ..settings import DEFINITIONS, all_current
from ..xlsx_io import WorkbookError, read_rows
from .forms import form_page, run
from .paging import paginate

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(admin_required(lambda: None))


def _instance_admin():
    """Settings, the audit log and townships are the whole instance's: on a county's instance
    only a county admin (or an admin of no township) reaches them; 403 for a township's admin."""
    if g.scope.township_ids is not None:
        abort(403)


def _county_admin():
    if g.user.role != "county_admin":
        abort(403)


def _roles():
    """The roles an admin may give: county roles only on a county's instance, by its admin."""
    county = g.user.role == "county_admin" and places.has_townships()
    return {code: label for code, label in ROLES.items() if county or code not in COUNTY_ROLES}


def _user_form():
    f = request.form
    return {
        "username": f.get("username"),
        "display_name": f.get("display_name"),
        "role": f.get("role"),
        "village": f.get("village"),
        "grids": f.getlist("grids"),
        "phone": f.get("phone"),
        "helper": f.get("helper"),
        "township": f.get("township"),
        "active": f.get("active") == "1",
    }


@bp.route("/users")
def users():
    """Every account with its role and area."""
    return render_template(
        "admin/users.html",
        users=account_queries.users(g.scope),
        roles=ROLES,
        townships={t.id: t for t in places.townships(g.scope)},
    )


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():
    """Create an account."""
    return form_page(
        "admin/user_form.html",
        initial={},
        read=_user_form,
        save=lambda values: accounts.create_user(
            current_actor(), values, request.form.get("password", ""), scope=g.scope
        ),
        done=lambda user: (f"已创建账号 {user.username}", url_for("admin.users")),
        context=lambda values: _user_choices(None),
    )


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user_edit(user_id):
    """Change an account's role, area, password or active flag."""
    user = account_queries.user(user_id, g.scope) or abort(404)
    return form_page(
        "admin/user_form.html",
        initial=_user_initial(user),
        read=_user_form,
        save=lambda values: _update_user(user, values),
        record=user,
        # Its version covers his grids and helper (other tables than his row).
        current=lambda: _user_initial(account_queries.user(user_id, g.scope) or abort(404)),
        done=lambda _: (f"已保存账号 {user.username}", url_for("admin.users")),
        context=lambda values: _user_choices(user),
    )


def _user_initial(user):
    """The account form's values of `user` as stored."""
    linked = accounts.linked_helper(user)
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "village": user.village_id,
        "grids": user.grid_ids,
        "phone": user.phone,
        "township": user.township_id,
        "helper": linked.id if linked else "",
        # In the form's version: a stale form never enables an account another admin disabled.
        "active": user.active,
    }


def _update_user(user, values):
    accounts.update_user(
        current_actor(),
        user,
        values,
        request.form.get("password") or None,
        active=bool(values.get("active")),
        scope=g.scope,
    )
    if user.id == g.user.id and user.active:
        login_user(user)  # his other sessions ended with the change; this one goes on


def _user_choices(user):
    return dict(
        user=user,
        roles=_roles(),
        villages=places.villages(g.scope),
        grids=places.all_grids(g.scope),
        helpers=helper_queries.for_account(g.scope, user),
        townships=list(places.townships(g.scope)) if g.scope.everything else [],
    )


@bp.route("/users/<int:user_id>/reset", methods=["POST"])
def user_reset(user_id):
    """A new one-time password, shown once on a slip to print; never stored in clear."""
    user = account_queries.user(user_id, g.scope) or abort(404)
    password = accounts.reset_password(current_actor(), user)
    if user.id == g.user.id:
        login_user(user)  # he reset his own: this browser goes on, to the password page
    return _slips([(user, password)], f"已重置 {user.username} 的密码")


@bp.route("/users/<int:user_id>/unlock", methods=["POST"])
def user_unlock(user_id):
    """Lift the lock that wrong passwords put on an account."""
    user = account_queries.user(user_id, g.scope) or abort(404)
    run(lambda: accounts.unlock(current_actor(), user), f"已解除 {user.username} 的锁定")
    return redirect(url_for("admin.users"), 303)


@bp.route("/users/bulk", methods=["GET", "POST"])
def users_bulk():
    """Many accounts from a sheet or pasted lines: preview, then create all with one-time
    passwords and show their slips once (the answer to the POST itself: the passwords are
    never stored, so there is nothing to redirect to)."""
    text, rows, errors = _sheet()
    if request.form.get("confirm") and not errors:
        try:
            made = accounts_bulk.create_accounts(current_actor(), rows, g.scope)
        except ValidationError as e:
            errors = e.errors
        else:
            return _slips(made, f"已创建 {len(made)} 个账号")
    planned = accounts_bulk.account_rows(rows, g.scope) if rows else []
    page = render_template(
        "admin/users_bulk.html", text=text, planned=planned, errors=errors, roles=ROLES
    )
    return page, (422 if errors else 200)


def _slips(made, message):
    """The printable slips: one per account, its one-time password; never cached."""
    response = make_response(
        render_template(
            "admin/slips.html",
            made=made,
            message=message,
            township=settings.get("township_name"),
            base_url=settings.get("base_url"),
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _sheet():
    """(text, rows, errors) from the posted file or the pasted text; a file becomes text, so the
    preview's confirm carries exactly the rows that were shown."""
    if request.method != "POST":
        return "", [], {}
    upload = request.files.get("file")
    data = upload.read(10 * 1024 * 1024 + 1) if upload and upload.filename else b""
    if data:
        try:
            rows = read_rows(data, max_rows=2000)
        except WorkbookError as e:
            return "", [], {"file": str(e)}
        rows = [r for r in rows if any(c not in (None, "") for c in r)]
        return as_text(rows), rows, {}
    text = (request.form.get("rows") or "")[:200_000]
    rows = pasted_rows(text)
    return text, rows, ({} if rows else {"rows": "请粘贴表格内容或选择 .xlsx 文件"})


def _settings_township():
    """Whose values the settings page edits: a township admin's own township's; the county
    admin's (or an admin of no township) the instance-wide ones, or a township he chooses
    (?township=ID, 404 if none such)."""
    if g.scope.township_ids is not None:
        if g.user.township_id is None:
            abort(403)
        return places.township(g.user.township_id) or abort(403)
    chosen = request.args.get("township", type=int)
    if chosen is None:
        return None
    return places.township(chosen) or abort(404)


@bp.route("/settings", methods=["GET", "POST"])
def settings_page():
    """The township's name, card phone numbers and system settings."""
    township = _settings_township()
    # On PostgreSQL the database server's pg_dump makes the copies: nothing here to watch.
    on_postgres = is_postgres(current_app.config["DATABASE"])
    last = None if on_postgres else last_backup(current_app.config["BACKUP_DIR"])
    stale = not on_postgres and (last is None or last < clock.now() - timedelta(days=2))
    of = township if township is not None else settings.INSTANCE
    shown = [d for d in DEFINITIONS if township is None or d.key not in settings.INSTANCE_ONLY]
    here = url_for("admin.settings_page", **({"township": township.id} if township else {}))
    return form_page(
        "admin/settings.html",
        initial=all_current(of),
        save=lambda values: settings_service.update_settings(
            current_actor(), request.form, _date(request.form.get("valid_from")), township
        ),
        done=lambda changed: ("设置已保存" if changed else "没有改动", here),
        context=lambda values: dict(
            definitions=shown,
            last_backup=last,
            backup_stale=stale,
            on_postgres=on_postgres,
            township=township,
            townships=list(places.townships()) if g.scope.township_ids is None else [],
        ),
    )


@bp.route("/audit")
def audit():
    """Browse and filter the audit log."""
    _instance_admin()
    args = request.args
    since = _date(args.get("since"))
    until = _date(args.get("until"))
    query = account_queries.audit(
        action=args.get("action") or None,
        username=(args.get("username") or "").strip() or None,
        object_type=args.get("object_type") or None,
        since=since,
        until=until,
    )
    page = paginate(query, args.get("page", type=int), per_page=50)
    return render_template("admin/audit.html", page=page, actions=ACTIONS, args=args)


def _date(text):
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


from . import admin_places  # noqa: E402, F401 - its routes are on this blueprint
