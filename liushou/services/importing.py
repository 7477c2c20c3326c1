"""Importing a village's existing ledger: a preview that writes nothing, then one transaction."""

import re
from dataclasses import dataclass, field

from .. import clock
from ..db import database
from ..models import Grid
from ..models.households import FamilyAway, Household
from ..models.persons import Person
from ..rules import idcard
from ..rules.categories import GROUPS
from ..rules.cells import (
    LABELS,
    find_header_row,
    match_header,
    parse_date,
    parse_id_number,
    parse_text,
)
from . import ValidationError
from .audit import record
from .households import save_away, save_household
from .persons import save_person, validate

PERSON_FIELDS = ("name", "sex", "ethnicity", "phone", "school", "grade", "notes")


@dataclass
class RowPlan:
    number: int  # the spreadsheet's row number
    cells: list
    action: str = "new"  # new | update | skip | error
    name: str = ""
    errors: list = field(default_factory=list)  # [(column label, message)]
    warnings: list = field(default_factory=list)
    values: dict = field(default_factory=dict)
    person: object = None


@dataclass
class Plan:
    header_row: int
    columns: dict  # column index -> our key
    unknown: dict  # column index -> header text nobody recognised
    rows: list

    def count(self, action):
        return sum(1 for r in self.rows if r.action == action)


def plan(rows, village, scope, mapping=None, today=None):
    """What importing these rows into `village` would do, row by row; nothing is written."""
    today = today or clock.today()
    index, columns = find_header_row(rows)
    if index is None:
        raise ValidationError(
            {"file": "没有找到表头：表中需要有“姓名”列，以及“性别”“身份证号”等列"}
        )
    header = rows[index]
    unknown = {
        i: str(h).strip()
        for i, h in enumerate(header)
        if h not in (None, "") and i not in columns and match_header(h) is None
    }
    for col, key in (mapping or {}).items():
        if key in LABELS:
            columns[col] = key
            unknown.pop(col, None)
        elif key == "":
            unknown.pop(col, None)
    grids = {g.name: g for g in Grid.select().where(Grid.village == village)}
    seen_ids = {}
    out = []
    for offset, cells in enumerate(rows[index + 1 :], start=index + 2):
        if all(c in (None, "") or (isinstance(c, str) and not c.strip()) for c in cells):
            continue
        row = RowPlan(number=offset, cells=list(cells))
        raw = {key: cells[col] if col < len(cells) else None for col, key in columns.items()}
        _row(row, raw, village, grids, scope, seen_ids, today)
        out.append(row)
    return Plan(index + 1, columns, unknown, out)


def _row(row, raw, village, grids, scope, seen_ids, today):
    values = {k: parse_text(raw.get(k)) for k in PERSON_FIELDS}
    row.name = values["name"]
    number, problem = parse_id_number(raw.get("id_number"))
    if problem:
        row.errors.append((LABELS["id_number"], problem))
    values["id_number"] = number
    birth, problem = parse_date(raw.get("birth_date"))
    if problem:
        row.errors.append((LABELS["birth_date"], problem))
    info, _ = idcard.parse(number, today) if number else (None, None)
    if (
        info
        and birth
        and (birth.year, birth.month) == (info.birth_date.year, info.birth_date.month)
    ):
        birth = None  # 出生年月 such as 2015.3 agrees with the ID, which has the day too
    values["birth_date"] = birth or ""
    if values["sex"] and values["sex"] not in ("男", "女"):
        values["sex"] = {"男性": "男", "女性": "女"}.get(values["sex"], values["sex"])
    _category(row, raw, values)
    values["carer_name"] = parse_text(raw.get("guardian_name"))
    values["carer_phone"] = parse_text(raw.get("guardian_phone"))
    values["carer_relation"] = parse_text(raw.get("guardian_relation"))
    if raw.get("children_away"):
        values["supporters"] = parse_text(raw.get("children_away"))
        values["children_away"] = "1"
    grid_name = parse_text(raw.get("grid"))
    grid = grids.get(grid_name) or next(
        (g for n, g in grids.items() if grid_name and grid_name in n), None
    )
    if grid_name and grid is None:
        row.warnings.append((LABELS["grid"], f"本村没有叫“{grid_name}”的网格，将不分网格"))
    if not scope.allows_grid(village.id, grid.id if grid else None):
        row.errors.append((LABELS["grid"], "不在您负责的网格内"))
    row.values = {
        "person": values,
        "grid": grid,
        "address": parse_text(raw.get("address"), 128),
        "away": _away(raw),
    }
    typed, errors = validate(values, today)
    labels = {
        "name": "姓名",
        "sex": "性别",
        "id_number": "身份证号",
        "birth_date": "出生日期",
        "phone": "联系电话",
        "carer_phone": "监护人电话",
    }
    for key, message in errors.items():
        if key == "id_number" and any(c == LABELS["id_number"] for c, _ in row.errors):
            continue
        if key == "birth_date" and row.errors and message.startswith("请填写"):
            continue  # the ID or date error above already says what is wrong
        row.errors.append((labels.get(key, LABELS.get(key, key)), message))
    if not row.name:
        row.action = "skip"
        row.warnings.append(("姓名", "没有姓名，跳过此行"))
        return
    if not typed.get("id_number") and typed.get("birth_date"):
        # Without an ID number the same name and birth date in the same village is the same person.
        same = Person.get_or_none(
            (Person.village == village)
            & (Person.name == row.name)
            & (Person.birth_date == typed["birth_date"])
        )
        if same is not None and scope.allows_grid(same.village_id, same.grid_id):
            row.person, row.action = same, "update"
    if typed.get("id_number"):
        first = seen_ids.setdefault(typed["id_number"], row.number)
        if first != row.number:
            row.errors.append((LABELS["id_number"], f"与第 {first} 行的身份证号重复"))
        existing = Person.get_or_none(Person.id_number == typed["id_number"])
        if existing is not None:
            if existing.village_id != village.id or not scope.allows_grid(
                existing.village_id, existing.grid_id
            ):
                row.errors.append(
                    (LABELS["id_number"], "此人已在其他村（网格）登记，请联系乡镇核实")
                )
            else:
                row.person = existing
                row.action = "update"
    if row.errors:
        row.action = "error"


def _category(row, raw, values):
    """Categories are derived by rule: turn the ledger's 类别 into the facts the rule needs."""
    text = parse_text(raw.get("category"))
    father, mother = (
        parse_text(raw.get("father_workplace")),
        parse_text(raw.get("mother_workplace")),
    )
    if father:
        values["father_status"] = "外出务工"
    if mother:
        values["mother_status"] = "外出务工"
    if not text:
        return
    named = [g for g in GROUPS if g in text or g.replace("留守", "") == text]
    if not named:
        row.warnings.append(("类别", f"不认识的类别“{text}”，将按规则自动判定"))
    if "留守儿童" in named:
        missing = [
            who
            for who, key in (("父亲", "father_status"), ("母亲", "mother_status"))
            if not values.get(key)
        ]
        for key in ("father_status", "mother_status"):
            values.setdefault(key, "外出务工")
        if len(missing) == 2:
            row.warnings.append(("类别", "未填父母务工地点，按类别推定父母均外出务工，请核实"))
        elif missing:
            row.warnings.append(("类别", f"未填{missing[0]}情况，按类别推定外出务工，请核实"))
    if "留守老人" in named:
        values["children_away"] = "1"
    if "留守妇女" in named:
        row.warnings.append(("类别", "请在人员页补填丈夫外出时间，之后才能认定为留守妇女"))
    if "困境儿童" in named:
        values["difficulty_kinds"] = ["其他"]


def _away(raw):
    out = []
    for prefix, relation in (("father", "父亲"), ("mother", "母亲")):
        place = parse_text(raw.get(f"{prefix}_workplace"))
        name = parse_text(raw.get(f"{prefix}_name"))
        if place or name:
            match = re.match(r"^(.+?(?:省|自治区|市))(.*)$", place)
            province, city = (match.group(1), match.group(2)) if match else (place, "")
            out.append(
                {
                    "name": name or relation,
                    "relation": relation,
                    "province": province[:32],
                    "city": city[:32],
                    "phone": parse_text(raw.get(f"{prefix}_phone")),
                }
            )
    return out


def apply(actor, scope, village, the_plan, filename="", today=None):
    """Import the plan's valid rows in one transaction; returns {"new": n, "update": n}."""
    done = {"new": 0, "update": 0}
    with database.atomic():
        households = {}
        for row in the_plan.rows:
            if row.action not in ("new", "update"):
                continue
            values = dict(row.values["person"])
            grid = row.values["grid"]
            if row.action == "update":
                values["household"] = row.person.household_id
                save_person(actor, scope, values, row.person, today=today)
            else:
                key = (
                    grid.id if grid else None,
                    row.values["address"] or values.get("carer_name") or row.name,
                )
                household = households.get(key) or _find_household(
                    village, grid, row.values["address"]
                )
                if household is None:
                    household = save_household(
                        actor,
                        scope,
                        {
                            "village": village.id,
                            "grid": grid.id if grid else "",
                            "address": row.values["address"],
                            "head_name": values.get("carer_name") or row.name,
                            "phone": values.get("carer_phone") or values.get("phone") or "",
                        },
                    )
                households[key] = household
                values["household"] = household.id
                save_person(actor, scope, values, today=today)
                for away in row.values["away"]:
                    if (
                        not FamilyAway.select()
                        .where(
                            (FamilyAway.household == household) & (FamilyAway.name == away["name"])
                        )
                        .exists()
                    ):
                        try:
                            save_away(actor, household, away)
                        except ValidationError:
                            pass  # a bad phone of a parent does not stop the person's import
            done[row.action] += 1
        record(
            actor,
            "import",
            village,
            label=f"导入 {filename} 到 {village.name}",
            changes=[
                ("new", None, done["new"]),
                ("update", None, done["update"]),
                ("skipped", None, len(the_plan.rows) - done["new"] - done["update"]),
            ],
        )
    return done


def _find_household(village, grid, address):
    if not address:
        return None
    query = Household.select().where(
        (Household.village == village) & (Household.address == address)
    )
    if grid is not None:
        query = query.where(Household.grid == grid)
    return query.first()
