"""Accounts in bulk: many accounts from a sheet or pasted lines, previewed row by row, then
created all or nothing with a one-time password each (for printed slips)."""

import re

from peewee import IntegrityError

from ..db import database
from ..models import ROLES, Grid, User, Village
from ..models.accounts import HELPER_ROLES
from ..models.helpers import Helper
from ..rules.sheet_rows import cell_text, find_header
from ..rules.text import clean
from . import ValidationError
from .accounts import _create, _validate
from .passwords import one_time_password

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
    written. Without a header row the columns are 姓名, 登录名, 角色, 村/网格, 电话."""
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
    try:
        with database.atomic("IMMEDIATE"):
            for row in planned:
                password = one_time_password()
                try:
                    data, grids, helper = _validate(
                        row["values"], creating=True, password=password, scope=scope
                    )
                except ValidationError as e:  # changed since the check (another admin)
                    problems = "，".join(e.errors.values())
                    raise ValidationError({"rows": f"第 {row['number']} 行：{problems}"}) from e
                out.append((_create(actor, data, grids, password, helper), password))
    except IntegrityError as e:
        # PostgreSQL: another admin created one of these names after the check (SQLite's
        # IMMEDIATE transaction keeps other writers out); nothing of the sheet was written.
        taken = User.select(User.username).where(
            User.username.in_([r["values"].get("username") for r in planned])
        )
        names = "、".join(u.username for u in taken[:5])
        if not names:
            raise
        raise ValidationError({"rows": f"登录名 {names} 已被使用，整张表没有创建"}) from e
    return out
