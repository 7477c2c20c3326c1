"""Admin pages: users, places, settings, the audit log."""

from datetime import date

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from peewee import JOIN

from ..auth import admin_required, current_actor, login_user
from ..models import ROLES, AuditLog, Grid, User, Village
from ..models.audit import ACTIONS
from ..services import ValidationError, accounts, places
from ..services import settings as settings_service
from ..settings import DEFINITIONS, all_current
from .paging import paginate

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(admin_required(lambda: None))


def _user_form():
    f = request.form
    return {
        "username": f.get("username"),
        "display_name": f.get("display_name"),
        "role": f.get("role"),
        "village": f.get("village", type=int),
        "grids": f.getlist("grids", type=int),
        "phone": f.get("phone"),
    }


@bp.route("/users")
def users():
    """Every account with its role and area."""
    rows = (
        User.select(User, Village)
        .join(Village, on=(User.village == Village.id), join_type=JOIN.LEFT_OUTER)
        .order_by(User.role, User.username)
    )
    return render_template("admin/users.html", users=rows, roles=ROLES)


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():
    """Create an account."""
    errors, form = {}, {}
    if request.method == "POST":
        form = _user_form()
        try:
            user = accounts.create_user(current_actor(), form, request.form.get("password", ""))
        except ValidationError as e:
            errors = e.errors
        else:
            flash(f"已创建账号 {user.username}", "ok")
            return redirect(url_for("admin.users"), 303)
    return _user_page(None, form, errors)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user_edit(user_id):
    """Change an account's role, area, password or active flag."""
    user = User.get_or_none(User.id == user_id) or abort(404)
    errors, form = {}, {}
    if request.method == "POST":
        form = _user_form()
        try:
            accounts.update_user(
                current_actor(),
                user,
                form,
                request.form.get("password") or None,
                active=request.form.get("active") == "1",
            )
        except ValidationError as e:
            errors = e.errors
        else:
            if user.id == g.user.id and user.active:
                login_user(user)  # his other sessions ended with the change; this one goes on
            flash(f"已保存账号 {user.username}", "ok")
            return redirect(url_for("admin.users"), 303)
    else:
        form = {
            "username": user.username,
            "display_name": user.display_name,
            "role": user.role,
            "village": user.village_id,
            "grids": user.grid_ids,
            "phone": user.phone,
        }
    return _user_page(user, form, errors)


def _user_page(user, form, errors):
    return render_template(
        "admin/user_form.html",
        user=user,
        form=form,
        errors=errors,
        roles=ROLES,
        villages=Village.ordered(),
        grids=Grid.select(Grid, Village)
        .join(Village)
        .order_by(Village.sort_order, Village.code, Grid.sort_order, Grid.code),
    ), (422 if errors else 200)


@bp.route("/places")
def places_list():
    """Villages/communities and their grids with their codes."""
    villages = list(Village.ordered())
    grids = {}
    for grid in Grid.select().order_by(Grid.sort_order, Grid.code):
        grids.setdefault(grid.village_id, []).append(grid)
    return render_template("admin/places.html", villages=villages, grids=grids)


@bp.route("/places/villages/new", methods=["GET", "POST"], defaults={"village_id": None})
@bp.route("/places/villages/<int:village_id>", methods=["GET", "POST"])
def village_form(village_id):
    """Create or edit a village/community."""
    village = (Village.get_or_none(Village.id == village_id) or abort(404)) if village_id else None
    return _place_form(village, places.save_village, "admin/village_form.html")


@bp.route("/places/grids/new", methods=["GET", "POST"], defaults={"grid_id": None})
@bp.route("/places/grids/<int:grid_id>", methods=["GET", "POST"])
def grid_form(grid_id):
    """Create or edit a grid."""
    grid = (Grid.get_or_none(Grid.id == grid_id) or abort(404)) if grid_id else None
    return _place_form(grid, places.save_grid, "admin/grid_form.html")


def _place_form(obj, save, template):
    errors = {}
    if request.method == "POST":
        form = dict(request.form.items())
        form["active"] = request.form.get("active") == "1"
        try:
            saved = save(current_actor(), form, obj)
        except ValidationError as e:
            errors = e.errors
        else:
            flash(f"已保存 {saved.name}", "ok")
            return redirect(url_for("admin.places_list"), 303)
    elif obj is not None:
        form = {**obj.__data__}
    else:
        form = {"active": True, "village": request.args.get("village", type=int)}
    return render_template(
        template, obj=obj, form=form, errors=errors, villages=Village.ordered()
    ), (422 if errors else 200)


@bp.route("/settings", methods=["GET", "POST"])
def settings_page():
    """The township's name, card phone numbers and system settings."""
    errors, form = {}, all_current()
    if request.method == "POST":
        form = dict(request.form.items())
        try:
            changed = settings_service.update_settings(
                current_actor(), request.form, _date(request.form.get("valid_from"))
            )
        except ValidationError as e:
            errors = e.errors
        else:
            flash("设置已保存" if changed else "没有改动", "ok")
            return redirect(url_for("admin.settings_page"), 303)
    from datetime import datetime, timedelta

    from flask import current_app

    from ..backup import last_backup

    last = last_backup(current_app.config["BACKUP_DIR"])
    stale = last is None or last < datetime.now() - timedelta(days=2)
    return render_template(
        "admin/settings.html",
        definitions=DEFINITIONS,
        form=form,
        errors=errors,
        last_backup=last,
        backup_stale=stale,
    ), (422 if errors else 200)


@bp.route("/audit")
def audit():
    """Browse and filter the audit log."""
    args = request.args
    since = _date(args.get("since"))
    until = _date(args.get("until"))
    query = AuditLog.search(
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
