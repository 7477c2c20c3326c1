"""Helpers and the posts they hold on villages."""

from ..db import database
from ..models import Grid, User, Village
from ..models.accounts import HELPER_ROLES
from ..models.helpers import HELPER_KINDS, VILLAGE_POSTS, Helper, HelperArea, VillagePost
from ..queries.helpers import linkable_users
from ..rules.text import clean, normalize_phone, phone_problem
from . import ValidationError
from .audit import record
from .changes import apply_changes
from .forms import to_int


def _keep_helper_account(helper, data, errors):
    """A helper's own login (role helper) is linked to exactly one helper, and only from the
    account page: this form neither moves nor drops that link, nor gives such an account a
    second helper."""
    own = helper.user if helper is not None and helper.user_id else None
    if own is not None and own.role in HELPER_ROLES:
        if data["user"] not in (None, own.id):
            errors["user"] = f"此帮扶人有自己的登录账号 {own.username}，请在“账号”页更改"
        data["user"] = own.id
    elif data["user"] and User.get_by_id(data["user"]).role in HELPER_ROLES:
        errors["user"] = "帮扶人账号只对应一名帮扶人，请在“账号”页更改"


def save_helper(actor, scope, values, helper=None):
    """Create or update a helper; `values` has name, kind, unit, position, phone, village,
    user, active, notes and `areas`: a list of "v<id>" (whole village) or "g<id>" (one grid)."""
    errors = {}
    village = Village.get_or_none(Village.id == to_int(values.get("village")))
    if values.get("village") and village is None:
        errors["village"] = "请选择所属村（社区）"
    if village is None and not (scope.everything or scope.own_township):
        errors["village"] = "请选择所属村（社区）"
    elif village is not None and not scope.allows_village(village.id) and not scope.everything:
        errors["village"] = "只能选择您负责的村（社区）"
    data = {
        "name": clean(values.get("name"), 64),
        "kind": values.get("kind") or "",
        "unit": clean(values.get("unit"), 64),
        "position": clean(values.get("position"), 64),
        "phone": normalize_phone(values.get("phone")),
        "village": village.id if village else None,
        "user": None,
        "active": bool(values.get("active", True)),
        "notes": clean(values.get("notes"), 500),
        # A township-level helper of a county's instance: the author's township (kept on edit).
        "township": None
        if village
        else (helper.township_id if helper and helper.township_id else scope.own_township),
    }
    if not data["name"]:
        errors["name"] = "请填写姓名"
    if data["kind"] not in HELPER_KINDS:
        errors["kind"] = "请选择类别"
    if phone_problem(data["phone"]):
        errors["phone"] = phone_problem(data["phone"])
    if values.get("user"):
        user = linkable_users(scope).where(User.id == to_int(values["user"])).first()
        if user is None:
            errors["user"] = "只能关联您负责范围内的账号"
        else:
            data["user"] = user.id
    _keep_helper_account(helper, data, errors)
    areas = _areas(values.get("areas") or [], scope, errors)
    if errors:
        raise ValidationError(errors)
    with database.atomic():
        if helper is None:
            helper = Helper.create(**data)
            record(actor, "create", helper, changes=[(k, None, v) for k, v in data.items() if v])
            old = []
        else:
            old = sorted((a.village_id, a.grid_id or 0) for a in helper.areas)
            new = sorted((v, g or 0) for v, g in areas)
            areas_moved = [("areas", old, new)] if old != new else []
            apply_changes(actor, helper, data, extra=areas_moved)
        HelperArea.delete().where(HelperArea.helper == helper).execute()
        for v, g in areas:
            HelperArea.create(helper=helper, village=v, grid=g)
    return helper


def _areas(codes, scope, errors):
    """The (village, grid) pairs named by "v:<id>" / "g:<id>" codes; any code outside the user's
    area (or naming nothing) is refused, none is silently dropped."""
    out, refused = [], False
    for code in codes:
        kind, _, raw = str(code).partition(":")
        if kind == "v" and raw.isdigit():
            village = Village.get_or_none(Village.id == int(raw))
            if village and scope.allows_village(village.id):
                out.append((village.id, None))
                continue
        elif kind == "g" and raw.isdigit():
            grid = Grid.get_or_none(Grid.id == int(raw))
            if grid and scope.allows_grid(grid.village_id, grid.id):
                out.append((grid.village_id, grid.id))
                continue
        refused = True
    if refused:
        errors["areas"] = "所选服务范围不在您负责的范围内"
    return sorted(set(out), key=lambda a: (a[0], a[1] or 0))


def set_village_posts(actor, scope, village, values):
    """Name the helper holding each village post; `values` maps post -> helper id or ''."""
    if not scope.allows_village(village.id):
        raise ValidationError({"village": "只能设置您负责的村（社区）"})
    errors, chosen = {}, {}
    for post in VILLAGE_POSTS:
        raw = values.get(post) or ""
        if not raw:
            chosen[post] = None
            continue
        helper = Helper.get_or_none(Helper.id == to_int(raw))
        if helper is None or (helper.village_id not in (None, village.id)):
            errors[post] = "请选择本村或乡镇的帮扶人"
        else:
            chosen[post] = helper
    if errors:
        raise ValidationError(errors)
    with database.atomic():
        current = {p.post: p for p in VillagePost.select().where(VillagePost.village == village)}
        changes = []
        for post, helper in chosen.items():
            row = current.get(post)
            before = row.helper_id if row else None
            after = helper.id if helper else None
            if before == after:
                continue
            changes.append((post, before, after))
            if row and helper:
                row.helper = helper
                row.save()
            elif row:
                row.delete_instance()
            else:
                VillagePost.create(village=village, post=post, helper=helper)
        if changes:
            record(actor, "update", village, changes=changes)
    return changes
