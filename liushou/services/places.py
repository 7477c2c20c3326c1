"""Villages and grids: created and renamed by an admin; never deleted, only deactivated."""

import re

from ..db import database
from ..models import Grid, Village
from ..models.places import VILLAGE_KINDS
from ..rules.text import clean, halfwidth
from . import ValidationError, diff
from .audit import record

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


def save_village(actor, values, village=None):
    """Create a village (village=None) or update one."""
    errors = {}
    data = {
        "code": _code(values, errors, Village, village),
        "name": clean(values.get("name"), 64),
        "kind": values.get("kind") or "村",
        "sort_order": _sort(values, errors),
        "active": bool(values.get("active", True)),
    }
    if not data["name"]:
        errors["name"] = "请填写名称"
    if data["kind"] not in VILLAGE_KINDS:
        errors["kind"] = "请选择村或社区"
    if errors:
        raise ValidationError(errors)
    return _save(actor, Village, village, data)


def save_grid(actor, values, grid=None):
    """Create a grid in a village or update one."""
    errors = {}
    village = Village.get_or_none(Village.id == (values.get("village") or 0))
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
    with database.atomic():
        if obj is None:
            obj = model.create(**data)
            record(actor, "create", obj, changes=[(k, None, v) for k, v in data.items()])
        else:
            changes = diff(obj, data)
            if changes:
                for k, v in data.items():
                    setattr(obj, k, v)
                obj.save()
                record(actor, "update", obj, changes=changes)
    return obj
