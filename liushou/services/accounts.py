"""Accounts: creating and changing users (role, area, linked helper record). Logging in and
passwords are in services/passwords.py, accounts from a sheet in services/accounts_bulk.py."""

import itertools
import threading

from peewee import IntegrityError
from werkzeug.exceptions import NotFound

from ..db import database
from ..db_generation import shared_accounts
from ..models import ROLES, Grid, User, UserGrid, Village
from ..models.accounts import AREA_BOUND_ROLES, COUNTY_ROLES, HELPER_ROLES, TOWNSHIP_LEVEL_ROLES
from ..models.helpers import Helper
from ..models.places import Township
from ..queries import helpers as helper_queries
from ..rules.text import clean, normalize_phone, password_problem, phone_problem
from . import ValidationError, diff
from .audit import record
from .changes import apply_changes
from .forms import to_int
from .passwords import (  # noqa: F401  (re-exported for callers)
    authenticate,
    change_password,
    end_sessions,
    hash_password,
    move_shared_accounts,
    one_time_password,
    reset_password,
    unlock,
)

# Writes to accounts move no data generation (every login writes one). What a kept page draws
# of accounts other than its reader's own (a child's 采集人 and 核实人 by name; the admin's first-
# day checklist kept as finished, which counts active accounts by role and area: one made an
# admin, moved to another township or disabled leaves it) holds while accounts_changed() does:
# it moves after every account changed (update_user; accounts are created, never deleted), by
# this process at once, by another process (a second server on the same database) once this
# one reads the shared counters again: row 2 of the shared_generation table (row 1 is the data
# generation's; services/passwords.move_shared_accounts), moved in the change's own transaction
# and read with the data generation's row in one statement at each request's start
# (db_generation.sync_shared, shared_accounts: on PostgreSQL at most every CHECK_EVERY seconds).
_changes = itertools.count(1)
_changed = [0]
_changed_lock = threading.Lock()


def accounts_changed():
    """A value that moves after every change of an account committed by this process, or by
    another process on the same database (seen from the next request's look at the shared
    counters)."""
    return _changed[0], shared_accounts(database.database)


def _account_changed():
    with _changed_lock:
        _changed[0] = next(_changes)


def _linked_helper(values, role, user, scope, errors):
    """The Helper record a helper-role account is to be (None for the other roles): named by
    `values["helper"]`, within `scope` when an admin acts, active, and no other account's."""
    if role not in HELPER_ROLES:
        return None
    raw = values.get("helper")
    helper = None
    if raw not in (None, ""):
        try:
            if scope is not None:
                helper = helper_queries.get(scope, raw)
            else:
                helper = Helper.get_or_none(Helper.id == to_int(raw))
        except NotFound:
            helper = None
    if helper is None:
        errors["helper"] = (
            "没有这个帮扶人，或不在您负责的范围内" if raw else "帮扶人账号须选择对应的帮扶人"
        )
    elif not helper.active:
        errors["helper"] = f"帮扶人“{helper.name}”已停用"
    elif helper.user_id and (user is None or helper.user_id != user.id):
        other = User.get_by_id(helper.user_id)
        errors["helper"] = f"帮扶人“{helper.name}”已关联账号 {other.username}"
    return helper


def _township(values, role, scope, errors):
    """The township an account belongs to (None: none of its own). On a county's instance a
    township-level role needs one (an admin of a township: his own, by default); county roles
    and single-township instances have none; village-bound accounts take their village's."""
    raw = values.get("township")
    own = sorted(scope.township_ids) if scope is not None and scope.township_ids else []
    if raw in (None, "") and len(own) == 1 and role in TOWNSHIP_LEVEL_ROLES:
        raw = own[0]
    township = None
    if raw not in (None, ""):
        township = Township.get_or_none(Township.id == to_int(raw))
        if township is None or (scope is not None and own and township.id not in own):
            errors["township"] = "没有这个乡镇（街道），或不在您负责的范围内"
            return None
    if role in COUNTY_ROLES:
        if not Township.select().exists():
            errors["role"] = "县级角色只用于有多个乡镇（街道）的县级系统，请先建立乡镇"
        elif township is not None:
            errors["township"] = "县级账号不属于某个乡镇（街道），请勿选择"
        return None
    if role in TOWNSHIP_LEVEL_ROLES:
        if township is None and Township.select().exists():
            errors["township"] = "县级系统中，管理员、乡镇干部和领导须选择所属乡镇（街道）"
        return township
    return None  # village-bound and helper accounts: their village decides


def _validate(values, *, creating, password=None, user=None, scope=None):
    """(data for the User row, grids, linked helper); raises ValidationError."""
    errors = {}
    username = clean(values.get("username"), 64)
    if creating:
        if not username:
            errors["username"] = "请填写登录名"
        elif User.select().where(User.username == username).exists():
            errors["username"] = "该登录名已被使用"
    role = values.get("role")
    if role not in ROLES:
        errors["role"] = "请选择角色"
    if scope is not None and not scope.everything and role in COUNTY_ROLES:
        errors["role"] = "只有县级管理员可以建立县级账号"
    village = None
    if values.get("village"):
        villages = Village.select() if scope is None else scope.query(Village)
        village = villages.where(Village.id == to_int(values["village"])).first()
        if village is None:
            errors["village"] = "没有这个村（社区），或不在您负责的范围内"
    if role in AREA_BOUND_ROLES and village is None:
        errors.setdefault("village", "村干部和网格员须选择所属村（社区）")
    grids = list(
        (Grid.select() if scope is None else scope.query(Grid)).where(
            Grid.id.in_([to_int(g) for g in values.get("grids") or []])
        )
    )
    if len(grids) < len(set(values.get("grids") or [])):
        errors["grids"] = "所选网格不存在，或不在您负责的范围内"
    township = _township(values, role, scope, errors)
    if role == "grid":
        if not grids:
            errors["grids"] = "网格员须至少选择一个网格"
        elif village and any(g.village_id != village.id for g in grids):
            errors["grids"] = "所选网格须属于所选的村（社区）"
    helper = _linked_helper(values, role, user, scope, errors)
    phone = normalize_phone(values.get("phone"))
    if phone_problem(phone):
        errors["phone"] = phone_problem(phone)
    if creating or password:
        problem = password_problem(password)
        if problem:
            errors["password"] = problem
    if errors:
        raise ValidationError(errors)
    return (
        {
            "username": username,
            "display_name": clean(values.get("display_name"), 64) or username,
            "role": role,
            "village": village.id if village and role in AREA_BOUND_ROLES else None,
            "township": township.id if township else None,
            "phone": phone,
        },
        (grids if role == "grid" else []),
        helper,
    )


def _chosen_by_someone_else(actor, user=None):
    """True when a logged-in person other than the account's owner chose its password. The
    system itself (the command line at the server, the demo) does not count: whoever types
    there is the owner or sets up the machine."""
    return actor.user is not None and (user is None or actor.user.id != user.id)


def create_user(actor, values, password, scope=None):
    """Create an account; `values` has username, display_name, role, village, grids, phone and,
    for the helper role, helper (the Helper record's id, resolved within `scope` if given).

    An account an admin creates must choose its own password at first login."""
    data, grids, helper = _validate(values, creating=True, password=password, scope=scope)
    try:
        with database.atomic():
            return _create(actor, data, grids, password, helper)
    except IntegrityError as e:
        if User.select().where(User.username == data["username"]).exists():
            # Another admin created the same name between the check and the write.
            raise ValidationError({"username": "该登录名已被使用"}) from e
        raise


def _link_helper(actor, user, helper, old=None):
    """Make `helper` the Helper record of `user` (and `old`, if another, no longer his)."""
    if old is not None and (helper is None or old.id != helper.id):
        Helper.update(user=None).where(Helper.id == old.id).execute()
        record(actor, "update", old, changes=[("user", user.id, None)])
    if helper is not None and helper.user_id != user.id:
        Helper.update(user=user.id).where(Helper.id == helper.id).execute()
        record(actor, "update", helper, changes=[("user", helper.user_id, user.id)])
        helper.user_id = user.id


def _create(actor, data, grids, password, helper=None):
    must_change = _chosen_by_someone_else(actor)
    user = User.create(
        password_hash=hash_password(password),
        must_change_password=must_change,
        **data,
    )
    for g in grids:
        UserGrid.create(user=user, grid=g)
    changes = [(k, None, v) for k, v in data.items()]
    if must_change:
        changes.append(("must_change_password", None, True))
    if helper is not None:
        changes.append(("helper", None, helper.id))
    record(actor, "create", user, changes=changes)
    _link_helper(actor, user, helper)
    return user


def update_user(actor, user, values, password=None, active=True, scope=None):
    """Change role, area (or, for the helper role, his Helper record), name, phone, active flag
    and (optionally) the password."""
    data, grids, helper = _validate(
        {**values, "username": user.username},
        creating=False,
        password=password,
        user=user,
        scope=scope,
    )
    data.pop("username")
    data["active"] = bool(active)
    changes = []  # beside the fields of `data`, on the same audit row after them
    old_grids = sorted(user.grid_ids)
    new_grids = sorted(g.id for g in grids)
    if old_grids != new_grids:
        changes.append(("grids", old_grids, new_grids))
    old_helper = linked_helper(user) if user.role in HELPER_ROLES else None
    if helper is not None and (old_helper is None or old_helper.id != helper.id):
        changes.append(("helper", old_helper.id if old_helper else None, helper.id))
    if password:
        changes.append(("password", "***", "***"))
        if _chosen_by_someone_else(actor, user):
            changes.append(("must_change_password", user.must_change_password, True))
    # A new password, role, area or a disabled account: every open session of the user ends.
    ends_sessions = bool(password) or any(
        field in ("role", "village", "township", "grids", "active", "helper")
        for field, _old, _new in diff(user, data) + changes
    )
    with database.atomic():
        # Only what changed is written: a stale copy never writes back another request's
        # session version, lock or password.
        apply_changes(actor, user, data, extra=changes)
        if password:
            user.password_hash = hash_password(password)
            user.failed_logins = 0
            user.locked_until = None
            user.must_change_password = _chosen_by_someone_else(actor, user)
            user.save(
                only=[
                    User.password_hash,
                    User.failed_logins,
                    User.locked_until,
                    User.must_change_password,
                ]
            )
        if old_grids != new_grids:
            UserGrid.delete().where(UserGrid.user == user).execute()
            for g in grids:
                UserGrid.create(user=user, grid=g)
        if ends_sessions:
            end_sessions(user)
        if helper is not None:
            _link_helper(actor, user, helper, old_helper)
        move_shared_accounts()
    _account_changed()  # after the commit: a page drawn before it is not kept under the new one
    return user


def linked_helper(user):
    """The Helper record a helper-role account is (active or not), or None."""
    return Helper.select().where(Helper.user == user).order_by(Helper.id).first()
