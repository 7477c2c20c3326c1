"""Accounts: creating users, logging in with lockout, changing passwords."""

import re
import secrets
from datetime import timedelta

from werkzeug.exceptions import NotFound
from werkzeug.security import check_password_hash, generate_password_hash

from .. import clock
from ..db import database
from ..models import ROLES, Grid, User, UserGrid, Village
from ..models.accounts import AREA_BOUND_ROLES, COUNTY_ROLES, HELPER_ROLES, TOWNSHIP_LEVEL_ROLES
from ..models.helpers import Helper
from ..models.places import Township
from ..queries import helpers as helper_queries
from ..rules.sheet_rows import cell_text, find_header
from ..rules.text import clean, normalize_phone, password_problem, phone_problem
from . import Actor, ValidationError, diff
from .audit import record

# scrypt by default; tests lower the cost through this name.
HASH_METHOD = "scrypt"

# A hash to compare against when the user does not exist, so timing does not reveal usernames.
_DUMMY_HASH = generate_password_hash("not-a-real-password-1")


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
                helper = Helper.get_or_none(Helper.id == int(raw))
        except (NotFound, TypeError, ValueError):
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
        try:
            township = Township.get_or_none(Township.id == int(raw))
        except (TypeError, ValueError):
            township = None
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
        try:
            village = villages.where(Village.id == int(values["village"])).first()
        except (TypeError, ValueError):
            village = None
        if village is None:
            errors["village"] = "没有这个村（社区），或不在您负责的范围内"
    if role in AREA_BOUND_ROLES and village is None:
        errors.setdefault("village", "村干部和网格员须选择所属村（社区）")
    grids = list(
        (Grid.select() if scope is None else scope.query(Grid)).where(
            Grid.id.in_(values.get("grids") or [])
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


# Letters and digits that cannot be mistaken for each other on a printed slip (no 0 O 1 l I).
_SLIP_LETTERS = "abcdefghjkmnpqrstuvwxyz"
_SLIP_DIGITS = "23456789"


def one_time_password():
    """A password for a printed slip: 10 characters, letters and digits, easy to type."""
    while True:
        text = "".join(secrets.choice(_SLIP_LETTERS + _SLIP_DIGITS) for _ in range(10))
        if password_problem(text) is None:
            return text


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
    with database.atomic():
        return _create(actor, data, grids, password, helper)


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
        password_hash=generate_password_hash(password, method=HASH_METHOD),
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
    changes = diff(user, data)
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
        for field, _old, _new in changes
    )
    with database.atomic():
        for k, v in data.items():
            setattr(user, k, v)
        if password:
            user.password_hash = generate_password_hash(password, method=HASH_METHOD)
            user.failed_logins = 0
            user.locked_until = None
            user.must_change_password = _chosen_by_someone_else(actor, user)
        user.save()
        if old_grids != new_grids:
            UserGrid.delete().where(UserGrid.user == user).execute()
            for g in grids:
                UserGrid.create(user=user, grid=g)
        if ends_sessions:
            end_sessions(user)
        if changes:
            record(actor, "update", user, changes=changes)
        if helper is not None:
            _link_helper(actor, user, helper, old_helper)
    return user


def linked_helper(user):
    """The Helper record a helper-role account is (active or not), or None."""
    return Helper.select().where(Helper.user == user).order_by(Helper.id).first()


def end_sessions(user):
    """End every session of `user`: the version each session cookie carries no longer matches.
    (Call login_user again to give the current browser a fresh session.)"""
    User.update(session_version=User.session_version + 1).where(User.id == user.id).execute()
    user.session_version = User.get_by_id(user.id).session_version


def authenticate(username, password, *, ip="", max_failures=5, lock_minutes=30, now=None):
    """The user if the password is right and the account is open; ValidationError otherwise.

    After `max_failures` wrong passwords in a row the account is locked for `lock_minutes`,
    and while locked even the right password is refused.

    Each attempt first reserves its check: one UPDATE ... SET failed_logins = failed_logins + 1
    inside BEGIN IMMEDIATE, counted as a failure until the password proves right. The attempt
    that reserves the last allowed check locks the account in the same transaction, so however
    many requests arrive at once, at most `max_failures` passwords are ever checked. The slow
    hash is compared outside the transaction, so logins do not hold the write lock.
    """
    now = now or clock.now()
    username = clean(username, 64)
    user = User.get_or_none(User.username == username)
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        record(Actor(None, ip), "login_failed", object_type="app_user", label=username)
        raise ValidationError({"password": "登录名或密码不正确"})
    actor = Actor(user, ip)
    with database.atomic("IMMEDIATE"):
        open_ = (User.locked_until.is_null()) | (User.locked_until <= now)
        reserved = (
            User.update(failed_logins=User.failed_logins + 1)
            .where((User.id == user.id) & User.active & open_)
            .execute()
        )
        user = User.get_by_id(user.id)
        last_try = reserved and user.failed_logins >= max_failures
        if last_try:
            User.update(failed_logins=0, locked_until=now + timedelta(minutes=lock_minutes)).where(
                User.id == user.id
            ).execute()
        if not reserved:
            # The error is raised after the commit: raising inside atomic() would roll back
            # the audit row.
            if not user.active:
                record(actor, "login_failed", user, label=f"{user.username}（已停用）")
                problem = "该账号已停用，请联系管理员"
            else:
                record(actor, "login_failed", user, label=f"{user.username}（已锁定）")
                minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
                problem = f"连续输错密码次数过多，账号已锁定，请 {minutes} 分钟后再试"
    if not reserved:
        raise ValidationError({"password": problem})
    if not check_password_hash(user.password_hash, password or ""):
        with database.atomic():
            record(actor, "login_failed", user)
        if last_try:
            problem = f"连续输错 {max_failures} 次，账号已锁定 {lock_minutes} 分钟"
        else:
            problem = "登录名或密码不正确"
        raise ValidationError({"password": problem})
    if user.role in HELPER_ROLES and not Helper.for_user(user).exists():
        with database.atomic():
            record(actor, "login_failed", user, label=f"{user.username}（帮扶人已停用）")
        raise ValidationError({"password": "您对应的帮扶人已停用或未关联，不能登录，请联系管理员"})
    with database.atomic("IMMEDIATE"):
        User.update(failed_logins=0, locked_until=None, last_login_at=now).where(
            User.id == user.id
        ).execute()
        record(actor, "login", user)
    return User.get_by_id(user.id)


def change_password(actor, user, old, new):
    """A user changes his own password."""
    if not check_password_hash(user.password_hash, old or ""):
        raise ValidationError({"old": "原密码不正确"})
    problem = password_problem(new)
    if not problem and new == old:
        problem = "新密码不能与原密码相同"
    if problem:
        raise ValidationError({"new": problem})
    changes = [("password", "***", "***")]
    if user.must_change_password:
        changes.append(("must_change_password", True, False))
    with database.atomic():
        user.password_hash = generate_password_hash(new, method=HASH_METHOD)
        user.must_change_password = False
        user.save()
        end_sessions(user)
        record(actor, "update", user, changes=changes)


def reset_password(actor, user):
    """Give `user` a new one-time password (returned, to print on a slip): his sessions end, the
    lock is lifted, and he must choose his own password at his next login."""
    password = one_time_password()
    with database.atomic():
        User.update(
            password_hash=generate_password_hash(password, method=HASH_METHOD),
            must_change_password=True,
            failed_logins=0,
            locked_until=None,
        ).where(User.id == user.id).execute()
        end_sessions(user)
        record(
            actor,
            "update",
            user,
            label=f"{user.username}（重置密码）",
            changes=[("password", "***", "***"), ("must_change_password", None, True)],
        )
    user.must_change_password = True
    return password


def unlock(actor, user):
    """Lift the lock that wrong passwords put on `user`."""
    if not user.is_locked() and not user.failed_logins:
        raise ValidationError({"user": "该账号没有被锁定"})
    with database.atomic():
        User.update(failed_logins=0, locked_until=None).where(User.id == user.id).execute()
        record(
            actor,
            "update",
            user,
            label=f"{user.username}（解除锁定）",
            changes=[("locked_until", str(user.locked_until or ""), None)],
        )
    user.locked_until, user.failed_logins = None, 0


# Accounts from a sheet or pasted lines: our key -> the header names offices use.
ACCOUNT_COLUMNS = {
    "display_name": ("姓名",),
    "username": ("登录名", "用户名", "账号"),
    "role": ("角色",),
    "area": ("村/网格", "村（社区）/网格", "所属村", "村（社区）", "村", "网格", "负责区域"),
    "phone": ("电话", "手机", "手机号", "联系电话"),
}
_ROLE_BY_TEXT = {**{code: code for code in ROLES}, **{label: code for code, label in ROLES.items()}}


def account_rows(rows, scope=None):
    """What creating these accounts would do: [{number, values, area, errors}]; nothing is
    written. Without a header row the columns are 姓名, 登录名, 角色, 村/网格, 电话. Villages,
    grids and helpers are looked up within `scope` (the acting admin's) when given."""
    index, columns = find_header(rows, ACCOUNT_COLUMNS, ("username",))
    if index is None:
        index = -1
        columns = dict(enumerate(("display_name", "username", "role", "area", "phone")))
    villages = list(Village.select() if scope is None else scope.query(Village))
    seen, seen_helpers, out = set(), set(), []
    for number, cells in enumerate(rows[index + 1 :], start=index + 2):
        raw = {
            key: cell_text(cells[col]) if col < len(cells) else "" for col, key in columns.items()
        }
        if not any(raw.values()):
            continue
        errors = {}
        role = _ROLE_BY_TEXT.get(raw.get("role", "").strip())
        village, grids = _area(raw.get("area", ""), villages, errors)
        values = {
            "username": raw.get("username", ""),
            "display_name": raw.get("display_name", ""),
            "role": role or "",
            "village": village.id if village else None,
            "grids": [g.id for g in grids],
            "phone": raw.get("phone", ""),
        }
        if role in HELPER_ROLES:
            values["helper"] = _helper_by_name(values["display_name"], village, errors)
            if values["helper"] and values["helper"] in seen_helpers:
                errors["helper"] = "表中有两个账号对应同一名帮扶人"
            seen_helpers.add(values["helper"])
        try:
            _validate(values, creating=True, password="a1234567", scope=scope)
        except ValidationError as e:
            errors = {**e.errors, **errors}
        username = clean(values["username"], 64)
        if username and username in seen:
            errors["username"] = "表中登录名重复"
        seen.add(username)
        out.append({"number": number, "values": values, "raw": raw, "errors": errors})
    return out


def _helper_by_name(name, village, errors):
    """The id of the one active helper of this name (of `village`, if the row names one) not yet
    linked to an account; None with a message in `errors` otherwise."""
    name = clean(name, 64)
    query = Helper.select().where((Helper.name == name) & Helper.active & Helper.user.is_null())
    if village is not None:
        query = query.where(Helper.village == village)
    found = list(query.limit(2))
    if len(found) == 1:
        return found[0].id
    if found:
        errors["helper"] = f"有多名叫“{name}”的帮扶人，请在“新建账号”页逐个选择"
    else:
        errors["helper"] = f"没有叫“{name}”、尚未关联账号的在用帮扶人（帮扶人账号按姓名对应）"
    return None


def _area(text, villages, errors):
    """(village, [grids]) from 第一村 or 第一村/1组、2组 (names or codes)."""
    text = clean(text)
    if not text:
        return None, []
    village_part, _, grid_part = text.replace("／", "/").partition("/")
    village = next((v for v in villages if village_part.strip() in (v.name, v.code)), None)
    if village is None:
        errors["village"] = f"没有叫“{village_part.strip()}”的村（社区）"
        return None, []
    grids = []
    known = list(Grid.select().where(Grid.village == village))
    for name in re.split(r"[、,，;；\s]+", grid_part.strip()):
        if not name:
            continue
        grid = next((g for g in known if name in (g.name, g.code)), None)
        if grid is None:
            errors["grids"] = f"{village.name}没有叫“{name}”的网格"
        else:
            grids.append(grid)
    return village, grids


def create_accounts(actor, rows, scope=None):
    """Create every account of the rows with a one-time password each, all or nothing; returns
    [(user, password)] for the slips. Any row with an error refuses the whole sheet."""
    planned = account_rows(rows, scope)
    if not planned:
        raise ValidationError(
            {"rows": "没有可创建的账号：请粘贴或上传 姓名/登录名/角色/村/网格/电话 表"}
        )
    bad = [r for r in planned if r["errors"]]
    if bad:
        raise ValidationError(
            {
                "rows": "；".join(
                    f"第 {r['number']} 行：{'，'.join(r['errors'].values())}" for r in bad[:10]
                )
            }
        )
    out = []
    with database.atomic("IMMEDIATE"):
        for row in planned:
            password = one_time_password()
            data, grids, helper = _validate(
                row["values"], creating=True, password=password, scope=scope
            )
            out.append((_create(actor, data, grids, password, helper), password))
    return out
