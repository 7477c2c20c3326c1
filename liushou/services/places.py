"""Villages and grids: created and renamed by an admin; never deleted, only deactivated."""

import re

from peewee import IntegrityError, fn

from ..db import database
from ..models import Grid, Village
from ..models.places import VILLAGE_KINDS, Township
from ..rules.sheet_rows import cell_text, find_header
from ..rules.text import clean, halfwidth
from . import ValidationError
from .audit import record
from .changes import apply_changes
from .forms import to_int

_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


def _code(values, errors, model, current=None):
    code = halfwidth(values.get("code") or "").strip()
    if not code:
        errors["code"] = "请填写编码"
    elif not _CODE.match(code):
        errors["code"] = "编码只能用字母、数字、- 和 _，不超过 32 位"
    else:
        q = model.select().where(model.code == code)
        if current is not None:
            q = q.where(model.id != current.id)
        if q.exists():
            errors["code"] = "该编码已被使用"
    return code


def _sort(values, errors):
    raw = halfwidth(str(values.get("sort_order") or "0")).strip()
    if not raw.lstrip("-").isdigit():
        errors["sort_order"] = "排序须为整数"
        return 0
    return int(raw)


def _own_township(scope):
    """The one township an admin's scope is bound to, or None."""
    own = sorted(scope.township_ids) if scope is not None and scope.township_ids else []
    return own[0] if len(own) == 1 else None


def _village_township(values, village, scope, errors):
    """The township id a village belongs to. On a county's instance (township rows exist) every
    village has one: a township admin's own; a county admin's choice. None otherwise."""
    if not Township.select().exists():
        return None
    own = _own_township(scope)
    if own is not None:
        return own
    raw = values.get("township")
    if raw in (None, "") and village is not None:
        return village.township_id
    township = None
    if raw not in (None, ""):
        township = Township.get_or_none(Township.id == to_int(raw))
    if township is None:
        errors["township"] = "请选择所属乡镇（街道）"
        return None
    return township.id


def save_village(actor, values, village=None, scope=None):
    """Create a village (village=None) or update one."""
    errors = {}
    data = {
        "code": _code(values, errors, Village, village),
        "name": clean(values.get("name"), 64),
        "kind": values.get("kind") or "村",
        "sort_order": _sort(values, errors),
        "active": bool(values.get("active", True)),
    }
    township = _village_township(values, village, scope, errors)
    if township is not None or (village is not None and village.township_id is not None):
        data["township"] = township
    if not data["name"]:
        errors["name"] = "请填写名称"
    if data["kind"] not in VILLAGE_KINDS:
        errors["kind"] = "请选择村或社区"
    if errors:
        raise ValidationError(errors)
    return _save(actor, Village, village, data)


def save_township(actor, values, township=None):
    """Create a township (乡镇/街道) of a county's instance (township=None) or update one."""
    errors = {}
    data = {
        "code": _code(values, errors, Township, township),
        "name": clean(values.get("name"), 64),
        "sort_order": _sort(values, errors),
        "active": bool(values.get("active", True)),
    }
    if not data["name"]:
        errors["name"] = "请填写名称"
    elif (
        Township.select()
        .where((Township.name == data["name"]) & (Township.id != (township.id if township else 0)))
        .exists()
    ):
        errors["name"] = "已有同名的乡镇（街道）"
    if errors:
        raise ValidationError(errors)
    return _save(actor, Township, township, data)


def save_grid(actor, values, grid=None, scope=None):
    """Create a grid in a village (of the admin's area, if `scope`) or update one."""
    errors = {}
    villages = Village.select() if scope is None else scope.query(Village)
    village = villages.where(Village.id == to_int(values.get("village"))).first()
    data = {
        "village": village.id if village else None,
        "code": _code(values, errors, Grid, grid),
        "name": clean(values.get("name"), 64),
        "sort_order": _sort(values, errors),
        "active": bool(values.get("active", True)),
    }
    if village is None:
        errors["village"] = "请选择所属村（社区）"
    if not data["name"]:
        errors["name"] = "请填写名称"
    if errors:
        raise ValidationError(errors)
    return _save(actor, Grid, grid, data)


def _save(actor, model, obj, data):
    """Write the row and its audit entry; a code another admin took meanwhile (the unique index
    keeps the first: the check above saw it free) is the same message as one taken before."""
    try:
        # A savepoint inside an outer transaction: the failed insert is undone, not the
        # transaction (PostgreSQL refuses every later statement of an aborted one).
        with database.atomic():
            if obj is None:
                obj = model.create(**data)
                record(actor, "create", obj, changes=[(k, None, v) for k, v in data.items()])
            else:
                apply_changes(actor, obj, data)
    except IntegrityError as e:
        taken = model.select().where(model.code == data["code"])
        if obj is not None:
            taken = taken.where(model.id != obj.id)
        if taken.exists():
            raise ValidationError({"code": "该编码已被使用"}) from e
        raise
    return obj


# Villages and grids from a sheet: our key -> the header names offices use.
PLACE_COLUMNS = {
    "village": ("村（社区）", "村", "社区", "村名", "村社区", "行政村", "所属村"),
    "grid": ("网格", "组", "村民小组", "网格名称", "所属网格"),
    "sort_order": ("排序", "序号", "顺序"),
}


def _villages(scope):
    return Village.select() if scope is None else scope.query(Village)


def place_rows(rows, scope=None):
    """What creating villages and grids from these rows would do: [{number, village, grid,
    sort_order, action, errors}]; action is new_village | new_grid | exists | error. Without
    a header row the columns are taken as 村（社区）, 网格, 排序. Names are looked up among the
    villages of `scope` (an admin's township) when given."""
    index, columns = find_header(rows, PLACE_COLUMNS, ("village",))
    if index is None:
        index, columns = -1, {0: "village", 1: "grid", 2: "sort_order"}
    villages = {v.name: v for v in _villages(scope)}
    grids = {(g.village_id, g.name) for g in Grid.select()}
    seen_villages, seen_grids, out = set(), set(), []
    for number, cells in enumerate(rows[index + 1 :], start=index + 2):
        raw = {
            key: cell_text(cells[col]) if col < len(cells) else "" for col, key in columns.items()
        }
        if not any(raw.values()):
            continue
        row = {
            "number": number,
            "village": clean(raw.get("village"), 64),
            "grid": clean(raw.get("grid"), 64),
            "sort_order": raw.get("sort_order", ""),
            "errors": [],
        }
        if not row["village"]:
            row["errors"].append("缺少村（社区）名称")
        if row["sort_order"] and not row["sort_order"].lstrip("-").isdigit():
            row["errors"].append("排序须为整数")
        village = villages.get(row["village"])
        first = row["village"] not in seen_villages
        if row["errors"]:
            row["action"] = "error"
        elif row["grid"]:
            pair = (row["village"], row["grid"])
            known = pair in seen_grids or (
                village is not None and (village.id, row["grid"]) in grids
            )
            row["action"] = "exists" if known else "new_grid"
            seen_grids.add(pair)
        else:
            row["action"] = "exists" if village or not first else "new_village"
        row["new_village"] = row["action"] != "error" and village is None and first
        if row["action"] != "error":
            seen_villages.add(row["village"])
        out.append(row)
    return out


def create_places(actor, rows, scope=None):
    """Create the villages and grids the rows name, all or nothing; returns (villages, grids)
    created. Any row with an error refuses the whole sheet. On a county's instance the new
    villages are the acting township admin's township's (a county admin adds them one by one,
    choosing the township)."""
    planned = place_rows(rows, scope)
    if not planned:
        raise ValidationError({"rows": "没有可导入的行：请粘贴或上传 村（社区）/网格/排序 表"})
    bad = [r for r in planned if r["action"] == "error"]
    if bad:
        raise ValidationError(
            {"rows": "；".join(f"第 {r['number']} 行：{'，'.join(r['errors'])}" for r in bad[:10])}
        )
    township = _own_township(scope)
    if township is None and any(r["new_village"] for r in planned):
        if Township.select().exists():
            raise ValidationError(
                {"rows": "县级系统中，新的村（社区）请在“新增村（社区）”页逐个添加并选择乡镇"}
            )
    try:
        return _create_planned(actor, planned, scope, township)
    except ValidationError as e:
        if "code" not in e.errors:
            raise
        # Another admin took the code picked for a new village or grid meanwhile (PostgreSQL:
        # both read it free). The sheet's form has no code field: say so above the rows.
        raise ValidationError({"rows": CODE_RACE}) from e


CODE_RACE = (
    "另一位管理员刚刚也新增了村（社区）或网格，自动编号发生冲突，本次没有导入任何内容："
    "请重新预览后再确认导入"
)


def _create_planned(actor, planned, scope, township):
    made_villages, made_grids = 0, 0
    # IMMEDIATE: the codes are read and written in one go; a deferred transaction that reads
    # first cannot wait for another writer and fails at once with "database is locked".
    with database.atomic("IMMEDIATE"):
        villages = {v.name: v for v in _villages(scope)}
        next_sort = (Village.select(fn.MAX(Village.sort_order)).scalar() or 0) + 1
        for row in planned:
            village = villages.get(row["village"])
            if village is None:
                sort = (
                    int(row["sort_order"]) if row["sort_order"] and not row["grid"] else next_sort
                )
                village = _save(
                    actor,
                    Village,
                    None,
                    {
                        "code": _free_code(Village, "V"),
                        "name": row["village"],
                        "kind": "社区" if row["village"].endswith("社区") else "村",
                        "sort_order": sort,
                        "active": True,
                        **({"township": township} if township is not None else {}),
                    },
                )
                villages[village.name] = village
                next_sort = max(next_sort, sort) + 1
                made_villages += 1
            if row["action"] == "new_grid":
                _add_grid(actor, village, row["grid"], row["sort_order"])
                made_grids += 1
    return made_villages, made_grids


def _add_grid(actor, village, name, sort_order=""):
    if Grid.select().where((Grid.village == village) & (Grid.name == name)).exists():
        return None
    if sort_order:
        sort = int(sort_order)
    else:
        last = Grid.select(fn.MAX(Grid.sort_order)).where(Grid.village == village).scalar()
        sort = (last or 0) + 1
    return _save(
        actor,
        Grid,
        None,
        {
            "village": village.id,
            "code": _free_code(Grid, f"{village.code}-G"),
            "name": name,
            "sort_order": sort,
            "active": True,
        },
    )


def _free_code(model, prefix):
    """The first unused code prefix01, prefix02, …"""
    taken = {m.code for m in model.select(model.code).where(model.code.startswith(prefix))}
    n = 1
    while f"{prefix}{n:02d}" in taken:
        n += 1
    return f"{prefix}{n:02d}"


def save_village_with_grids(actor, values, grid_names, scope=None):
    """A new village and its grids (one name a line) in one go; the grids' codes follow the
    village's. A blank code gets the next free V01, V02 …"""
    names = []
    for line in (grid_names or "").splitlines():
        name = clean(line, 64)
        if name and name not in names:
            names.append(name)
    values = dict(values)
    if not halfwidth(values.get("code") or "").strip():
        values["code"] = _free_code(Village, "V")
    with database.atomic("IMMEDIATE"):
        village = save_village(actor, values, scope=scope)
        for name in names:
            _add_grid(actor, village, name)
    return village
