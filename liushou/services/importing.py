"""Importing a village's existing ledger: a preview that writes nothing, then one transaction.

An import merges. For a person already registered, his stored values are the base and only the
sheet's non-blank cells are laid over them; the result goes through the registration's own
validation and category rules. The plan lists every change it would make; confirming re-plans
inside the transaction and refuses when the plan is not the one that was previewed."""

import hashlib
import json
from dataclasses import dataclass, field

from .. import clock
from ..db import database
from ..models import Grid
from ..models.persons import Person
from ..rules import idcard
from ..rules.categories import GROUPS
from ..rules.cells import LABELS, find_header_row, match_header, parse_date, parse_id_number
from . import ValidationError, importing_review
from .audit import record
from .households import save_away, save_household
from .importing_cells import cell_text, form_values, person_overlay
from .importing_homes import plan_away, plan_household
from .person_facts import derive
from .persons import save_person, validate

# Person fields compared and shown; the derived ones (groups, pinyin) are reported separately.
SHOWN = (
    "name sex ethnicity id_number birth_date phone relation_to_head health disability_kind "
    "disability_grade risk_level notes school grade boarding father_status mother_status "
    "difficulty_kinds carer_name carer_relation carer_phone carer_id_number carer_address "
    "carer_capable carer_disqualifiers agreement_signed_on husband_away_since training_need "
    "employment_need living_arrangement self_care chronic_illnesses children_away "
    "children_away_since supporters"
).split()
ERROR_LABELS = {
    "name": "姓名",
    "sex": "性别",
    "id_number": "身份证号",
    "birth_date": "出生日期",
    "phone": "联系电话",
    "carer_name": "监护人",
    "carer_phone": "监护人电话",
    "carer_relation": "监护人关系",
    "carer_id_number": "照护人身份证号",
    "difficulty_kinds": "困境类型",
}
STALE = (
    "预览之后，登记信息已有变动（有人修改了表中的人员、户或外出务工人员），未导入任何数据。"
    "下面是按最新信息重新生成的预览，请核对后再确认导入。"
)


@dataclass
class RowPlan:
    number: int  # the spreadsheet's row number
    cells: list
    action: str = "new"  # new | update | same | skip | error
    name: str = ""
    errors: list = field(default_factory=list)  # [(column label, message)]
    warnings: list = field(default_factory=list)
    person: object = None  # the registered person this row updates
    values: dict = field(default_factory=dict)  # what save_person will get (stored + cells)
    # [(whose, field, old, new)]: whose is "" for the person, "户" for his household, or the
    # family member away ("父亲" ...).
    changes: list = field(default_factory=list)
    groups: tuple = None  # (before, after) when the row changes the person's categories
    household: object = None  # the registered household the person is (or will be) in
    household_values: dict = None  # merged values for save_household when it changes
    new_household: tuple = None  # (key, values) when the row creates a household
    new_household_key: tuple = None  # the planned household the row joins
    away: list = field(default_factory=list)  # [(FamilyAway or None, merged values)]


@dataclass
class Plan:
    header_row: int
    columns: dict  # column index -> our key
    unknown: dict  # column index -> header text nobody recognised
    rows: list
    fingerprint: str = ""

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
    state = _State(village, scope, today)
    out = []
    for offset, cells in enumerate(rows[index + 1 :], start=index + 2):
        if all(c in (None, "") or (isinstance(c, str) and not c.strip()) for c in cells):
            continue
        row = RowPlan(number=offset, cells=list(cells))
        raw = {key: cells[col] if col < len(cells) else None for col, key in columns.items()}
        _row(row, raw, state)
        out.append(row)
    the_plan = Plan(index + 1, columns, unknown, out)
    the_plan.fingerprint = fingerprint(the_plan)
    return the_plan


class _State:
    """What earlier rows of the same sheet have planned: IDs seen, households and family
    members away to create or change (so two rows never create or change one twice)."""

    def __init__(self, village, scope, today):
        self.village, self.scope, self.today = village, scope, today
        self.grids = {g.name: g for g in Grid.select().where(Grid.village == village)}
        self.seen_ids = {}
        self.persons = {}  # person id -> the first row about him
        self.new_households = {}  # key -> row number
        self.household_edits = {}  # household id -> (row number, {field: new value})
        self.away = {}  # (household key, relation, name) -> (row number, merged values)


def _row(row, raw, state):
    overlay = person_overlay(row, raw)
    row.name = overlay.get("name", "")
    number, problem = parse_id_number(raw.get("id_number"))
    if problem:
        row.errors.append((LABELS["id_number"], problem))
    birth, problem = parse_date(raw.get("birth_date"))
    if problem:
        row.errors.append((LABELS["birth_date"], problem))
    info, _ = idcard.parse(number, state.today) if number else (None, None)
    if (
        info
        and birth
        and (birth.year, birth.month) == (info.birth_date.year, info.birth_date.month)
    ):
        birth = None  # 出生年月 such as 2015.3 agrees with the ID, which has the day too
    if number:
        overlay["id_number"] = number
    if birth:
        overlay["birth_date"] = birth
    if not row.name:
        row.action = "skip"
        row.warnings.append(("姓名", "没有姓名，跳过此行"))
        return
    _match(row, info, birth, state)
    base = _person_base(row.person)
    values = {**base, **overlay}
    _category(row, raw, values)
    grid = _grid(row, raw, state)
    typed, errors = validate(values, state.today)
    for key, message in errors.items():
        if key == "id_number" and any(c == LABELS["id_number"] for c, _ in row.errors):
            continue
        if key == "birth_date" and row.errors and message.startswith("请填写"):
            continue  # the ID or date error above already says what is wrong
        row.errors.append((ERROR_LABELS.get(key, LABELS.get(key, key)), message))
    if (
        "id_number" in overlay
        and typed.get("id_number")
        and not any(c == LABELS["id_number"] for c, _ in row.errors)
    ):
        first = state.seen_ids.setdefault(typed["id_number"], row.number)
        if first != row.number:
            row.errors.append((LABELS["id_number"], f"与第 {first} 行的身份证号重复"))
    row.values = values
    if row.errors:
        row.action = "error"
        return
    plan_household(row, raw, grid, typed, state)
    plan_away(row, raw, state)
    if row.errors:
        row.action = "error"
        return
    _person_changes(row, typed, state.today)
    if row.person is not None:
        row.action = "update" if row.changes or row.groups else "same"


def _match(row, info, birth, state):
    """The registered person this row is about: by ID number, else by name and birth date."""
    village, scope = state.village, state.scope
    if info is not None:
        existing = Person.get_or_none(Person.id_number == info.number)
        if existing is None:
            return
        if existing.voided_at is not None:
            row.errors.append((LABELS["id_number"], "此身份证号的登记已作废，请在人员页核实"))
        elif existing.village_id != village.id or not scope.allows_grid(
            existing.village_id, existing.grid_id
        ):
            row.errors.append((LABELS["id_number"], "此人已在其他村（网格）登记，请联系乡镇核实"))
        else:
            row.person = existing
    elif birth is not None and not row.errors:
        # Without an ID number the same name and birth date in the same village is the same person.
        same = Person.get_or_none(
            (Person.village == village)
            & (Person.name == row.name)
            & (Person.birth_date == birth)
            & Person.voided_at.is_null()
        )
        if same is not None and scope.allows_grid(same.village_id, same.grid_id):
            row.person = same
    if row.person is not None:
        # Two rows about one person would each start from his stored values: the later would
        # undo the earlier.
        first = state.persons.setdefault(row.person.id, row.number)
        if first != row.number:
            row.errors.append(("姓名", f"与第 {first} 行是同一人，请合并为一行"))


def _person_base(person):
    if person is None:
        return {}
    base = form_values(person)
    for name in ("difficulty_kinds", "carer_disqualifiers"):
        base[name] = [k for k in (person.__data__.get(name) or "").split(",") if k]
    return base


def _category(row, raw, values):
    """Categories are derived by rule: turn the ledger's 类别 into the facts the rule needs,
    never overriding a fact already stored."""
    text = cell_text(raw.get("category"))
    for prefix, key in (("father", "father_status"), ("mother", "mother_status")):
        if cell_text(raw.get(f"{prefix}_workplace")):
            values[key] = "外出务工"
    if not text:
        return
    named = [g for g in GROUPS if g in text or g.replace("留守", "") == text]
    if not named:
        row.warnings.append(("类别", f"不认识的类别“{text}”，将按规则自动判定"))
    if "留守儿童" in named:
        missing = [
            (who, key)
            for who, key in (("父亲", "father_status"), ("母亲", "mother_status"))
            if not values.get(key)
        ]
        for _, key in missing:
            values[key] = "外出务工"
        if len(missing) == 2:
            row.warnings.append(("类别", "未填父母务工地点，按类别推定父母均外出务工，请核实"))
        elif missing:
            row.warnings.append(("类别", f"未填{missing[0][0]}情况，按类别推定外出务工，请核实"))
    if "留守老人" in named:
        values["children_away"] = "1"
    if "留守妇女" in named and not values.get("husband_away_since"):
        row.warnings.append(("类别", "请在人员页补填丈夫外出时间，之后才能认定为留守妇女"))
    if "困境儿童" in named and not values.get("difficulty_kinds"):
        values["difficulty_kinds"] = ["其他"]


def _grid(row, raw, state):
    """The grid the row names (None when blank or unknown)."""
    name = cell_text(raw.get("grid"))
    if not name:
        return None
    grid = state.grids.get(name) or next((g for n, g in state.grids.items() if name in n), None)
    if grid is None:
        keep = "将保留已登记的网格" if row.person else "将不分网格"
        row.warnings.append((LABELS["grid"], f"本村没有叫“{name}”的网格，{keep}"))
    return grid


def _person_changes(row, typed, today):
    person = row.person
    stored = person.__data__ if person else {}
    mine = []
    for name in SHOWN:
        new = typed.get(name)
        old = stored.get(name)
        if person is None:
            if new not in (None, "", False):
                mine.append(("", name, None, new))
        elif old != new:
            mine.append(("", name, old, new))
    row.changes[:0] = mine  # the person's own fields first, then his household's
    data = dict(typed, exited_on=person.exited_on if person else None)
    groups, _ = derive(data, today)
    before = person.groups if person else ""
    if groups != before:
        row.groups = (before, groups)


def fingerprint(the_plan):
    """A digest of everything the plan would write and of every stored row it reads, so that
    confirming applies exactly what was previewed."""
    parts = []
    for r in the_plan.rows:
        parts.append(
            [
                r.number,
                r.action,
                r.person.__data__ if r.person else None,
                r.household.__data__ if r.household else None,
                r.values,
                r.changes,
                r.groups,
                r.new_household,
                [(a.__data__ if a else None, v) for a, v in r.away],
            ]
        )
    text = json.dumps(parts, default=str, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def confirm(actor, scope, village, rows, fingerprint_, mapping=None, filename="", today=None):
    """Plan again and apply, in one transaction, only when the plan is the one previewed
    (same fingerprint); otherwise ValidationError and nothing written. Returns (plan, done)."""
    with database.atomic("IMMEDIATE"):
        the_plan = plan(rows, village, scope, mapping, today)
        if not fingerprint_ or fingerprint_ != the_plan.fingerprint:
            raise ValidationError({"plan": STALE})
        done = apply(actor, scope, village, the_plan, filename, today)
    return the_plan, done


def apply(actor, scope, village, the_plan, filename="", today=None):
    """Write the plan's new and changed rows in one transaction; returns {"new": n, "update": n}
    (and "waiting": n when rows were stored for review instead).
    A row that fails at this point undoes the whole import (ValidationError naming the row)."""
    done, waiting = {"new": 0, "update": 0}, 0
    with database.atomic():
        created, planned = {}, {}
        for row in the_plan.rows:
            if row.action not in ("new", "update"):
                continue
            if row.new_household is not None:
                planned[row.new_household[0]] = row.new_household[1]
            try:
                if importing_review.waits(actor, row, today or clock.today()):
                    # 审核报送: the row waits whole; nothing of it is written now.
                    groups = row.groups[1] if row.groups else ""
                    importing_review.propose_row(actor, village, row, planned, groups)
                    waiting += 1
                    continue
                _apply_row(actor, scope, row, created, today)
            except ValidationError as e:
                message = "；".join(e.errors.values())
                raise ValidationError(
                    {"file": f"第 {row.number} 行未能导入（{message}），本次导入已全部撤销"}
                ) from e
            done[row.action] += 1
        record(
            actor,
            "import",
            village,
            label=f"导入 {filename} 到 {village.name}",
            changes=[
                ("new", None, done["new"]),
                ("update", None, done["update"]),
                ("unchanged", None, the_plan.count("same")),
                ("waiting", None, waiting),
                (
                    "skipped",
                    None,
                    len(the_plan.rows) - done["new"] - done["update"] - waiting,
                ),
            ],
        )
    if waiting:
        done["waiting"] = waiting  # rows stored for the township's review (审核报送)
    return done


def _apply_row(actor, scope, row, created, today):
    household = row.household
    if row.household_values is not None:
        household = save_household(actor, scope, row.household_values, household, today=today)
    if row.new_household is not None:
        key, values = row.new_household
        created[key] = save_household(actor, scope, values, today=today)
    if household is None:
        household = created[row.new_household_key]
    # The family away first: the person's parents' status follows the household's records.
    for away, values in row.away:
        save_away(actor, household, values, away, today=today)
    person = Person.get_by_id(row.person.id) if row.person is not None else None
    save_person(actor, scope, dict(row.values, household=household.id), person, today=today)
