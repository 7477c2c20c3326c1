"""Cross-checks (比对核实): another office's roster against the register. Plain values in and
out: the service reads the workbook and the register and writes what this module finds."""

import dataclasses
import re
from dataclasses import dataclass
from datetime import date

from . import idcard
from .categories import age_on
from .cells import ROSTER_COLUMNS, parse_date, parse_id_number, parse_text
from .sheet_rows import find_header

KINDS = {
    "dibao": "低保名单",
    "tekun": "特困名单",
    "disability": "残疾人名单",
    "school": "学校学生名单",
}
# a: in the roster, not recorded as such; b: recorded, not in the roster; c: in the roster, not
# in the register at all; d: the same ID with another name or birth date; x: a roster line that
# cannot be compared (its ID is missing or wrong); e: a registered person without an ID number
# whose name and birth date are the roster line's (never matched on the name alone).
CATEGORIES = {
    "a": "名单中有、登记中未记录",
    "b": "登记中有记录、名单中没有",
    "c": "名单中有、登记册中没有此人",
    "d": "同一身份证号，姓名或出生日期不一致",
    "x": "无法比对（身份证号缺失或有误）",
    "e": "登记缺身份证号（同名同出生日期）",
}
# What "recorded as such" means, by roster kind: the field it sets when applied.
FIELDS = {"dibao": "dibao", "tekun": "tekun", "disability": "disability", "school": "school"}
# The 残疾人证号 is the ID number followed by the kind and the grade (one digit each).
CERT_KINDS = {"1": "视力", "2": "听力", "3": "言语", "4": "肢体", "5": "智力", "6": "精神"}
CERT_KINDS["7"] = "多重"
CERT_GRADES = {"1": "一级", "2": "二级", "3": "三级", "4": "四级"}
_GRADE_WORDS = {"1": "一级", "2": "二级", "3": "三级", "4": "四级", "一": "一级", "二": "二级"}
_GRADE_WORDS.update({"三": "三级", "四": "四级"})
NO_HEADER = "没有找到表头：名单中需要有“姓名”和“身份证号”（或“证件号码”“公民身份号码”）两列"


@dataclass(frozen=True)
class Line:
    """One roster line as read: its sheet row number and the values the comparison uses."""

    number: int
    name: str
    id_number: str = ""  # normalised; "" when missing or invalid
    birth_date: date | None = None  # from the roster's own birth-date column, if any
    id_birth: date | None = None  # from the ID number
    disability_kind: str = ""
    disability_grade: str = ""
    school: str = ""
    grade: str = ""
    problem: str = ""  # why the line cannot be compared


@dataclass(frozen=True)
class Registered:
    """A registered (not voided) person as the comparison sees him."""

    id: int
    name: str
    id_number: str
    birth_date: date
    household_id: int
    village_id: int
    grid_id: int | None
    dibao: bool = False
    tekun: bool = False
    disability_kind: str = ""
    disability_grade: str = ""
    school: str = ""
    grade: str = ""
    in_scope: bool = True  # inside the uploader's area: only those count as "recorded"
    exited: bool = False


@dataclass
class Finding:
    category: str
    line: Line | None
    person: Registered | None
    field: str = ""  # what applying changes: name, dibao, tekun, disability, school, ""
    old: str = ""
    new: str = ""
    note: str = ""
    values: dict = dataclasses.field(default_factory=dict)  # what applying writes (field -> value)


def read_roster(rows, today):
    """(lines, None) from a roster's rows, or ([], message) when its header is not found."""
    index, columns = find_header(rows, ROSTER_COLUMNS, ("name", "id_number"))
    if index is None:
        return [], NO_HEADER
    lines, seen = [], {}
    for number, cells in enumerate(rows[index + 1 :], start=index + 2):
        raw = {key: cells[col] if col < len(cells) else None for col, key in columns.items()}
        if all(v in (None, "") or not str(v).strip() for v in raw.values()):
            continue
        line = _line(number, raw, today)
        if line.id_number:
            first = seen.setdefault(line.id_number, number)
            if first != number:
                line = _replace(line, id_number="", problem=f"与第 {first} 行的身份证号重复")
        lines.append(line)
    return lines, None


def _replace(line, **changes):
    return Line(**{**line.__dict__, **changes})


def _line(number, raw, today):
    name = parse_text(raw.get("name"), 64)
    text, problem = parse_id_number(raw.get("id_number"))
    kind = _kind(parse_text(raw.get("disability_kind"), 20))
    grade = _grade(parse_text(raw.get("disability_grade"), 20))
    if not problem and len(text) == 20 and text[:17].isdigit():
        # A 残疾人证号: the ID, then one digit each for the kind and the grade.
        kind = kind or CERT_KINDS.get(text[18], "")
        grade = grade or CERT_GRADES.get(text[19], "")
        text = text[:18]
    birth, _ = parse_date(raw.get("birth_date"))
    values = dict(
        number=number,
        name=name,
        birth_date=birth,
        disability_kind=kind,
        disability_grade=grade,
        school=parse_text(raw.get("school"), 64),
        grade=parse_text(raw.get("grade"), 16),
    )
    if not name:
        return Line(**values, problem="名单此行没有姓名")
    if problem:
        return Line(**values, problem=problem)
    if not text:
        return Line(**values, problem="名单此行没有身份证号，无法比对")
    info, problem = idcard.parse(text, today)
    if problem:
        return Line(**values, problem=problem)
    return Line(**values, id_number=info.number, id_birth=info.birth_date)


def _kind(text):
    """A 残疾类别 cell ("肢体残疾", "肢体", "4") as one of the register's kinds, or ""."""
    text = text.replace("残疾", "").strip()
    if text in CERT_KINDS:
        return CERT_KINDS[text]
    return next((k for k in CERT_KINDS.values() if k and k in text), "")


def _grade(text):
    """A 残疾等级 cell ("二级", "2", "贰级") as 一级…四级, or ""."""
    text = text.replace("贰", "二").replace("叁", "三").replace("肆", "四").replace("壹", "一")
    m = re.search(r"[1-4一二三四]", text)
    return _GRADE_WORDS[m.group(0)] if m else ""


def _plain_name(name):
    return re.sub(r"[\s·•.]", "", name or "")


def _same_name(a, b):
    return _plain_name(a) == _plain_name(b)


def _no_id(line, person):
    """Category e: the register has him without an ID number; applying records the roster's."""
    note = "登记缺身份证号：名单上同名、同出生日期的人有身份证号，应用后记录到登记中"
    return Finding("e", line, person, "id_number", "", "", note, {"id_number": line.id_number})


def _birth_disagrees(line, person):
    """The roster's own birth date against the register's (a 1st of the month may be a month
    written alone: then the year and month are compared)."""
    given = line.birth_date
    if given is None:
        return False
    if given.day == 1:
        return (given.year, given.month) != (person.birth_date.year, person.birth_date.month)
    return given != person.birth_date


def compare(kind, lines, persons, today, school_name=""):
    """Findings of one roster against the register.

    `persons`: every registered (not voided) person; `in_scope` marks those of the uploader's
    area (only they are listed as "recorded but not in the roster"). `school_name`: for a
    school's list without a 学校 column, the school it is."""
    by_id = {p.id_number: p for p in persons if p.id_number}
    without_id = {}
    for p in persons:
        if not p.id_number:
            without_id.setdefault((_plain_name(p.name), p.birth_date), []).append(p)
    found, out = set(), []
    schools = {line.school for line in lines if line.school} or {school_name} - {""}
    for line in lines:
        if line.problem:
            out.append(Finding("x", line, None, note=line.problem))
            continue
        person = by_id.get(line.id_number)
        if person is None:
            # Registered without an ID number: the same name and the ID's birth date, and
            # only one such person (two namesakes born the same day are left to a person).
            same = without_id.get((_plain_name(line.name), line.id_birth), [])
            if len(same) != 1 or same[0].id in found:
                out.append(_missing(line, today))
                continue
            person = same[0]
            out.append(_no_id(line, person))
        found.add(person.id)
        out.extend(_disagreements(line, person))
        a = _not_recorded(kind, line, person, school_name)
        if a is not None:
            out.append(a)
    out.extend(_not_listed(kind, persons, found, schools))
    return out


def _missing(line, today):
    age = age_on(line.id_birth, today)
    hint = "可能是漏登的儿童" if age < 18 else "可能是漏登的老人" if age >= 60 else ""
    note = f"{age} 岁" + (f"，{hint}" if hint else "")
    return Finding("c", line, None, note=note)


def _disagreements(line, person):
    out = []
    if not _same_name(line.name, person.name):
        out.append(
            Finding(
                "d",
                line,
                person,
                "name",
                person.name,
                line.name,
                "姓名不一致：应用后登记改为名单上的姓名",
                {"name": line.name},
            )
        )
    if _birth_disagrees(line, person):
        out.append(
            Finding(
                "d",
                line,
                person,
                "",
                f"{person.birth_date:%Y-%m-%d}",
                f"{line.birth_date:%Y-%m-%d}",
                "名单上的出生日期与身份证号不符（登记按身份证号），请告知名单提供单位核实",
            )
        )
    return out


def _not_recorded(kind, line, person, school_name):
    """Category a for a person the roster lists, when the register does not say the same."""
    if kind in ("dibao", "tekun"):
        if getattr(person, kind):
            return None
        label = KINDS[kind][:2]
        return Finding("a", line, person, kind, "否", "是", f"户未标记{label}", {kind: True})
    if kind == "disability":
        recorded = person.disability_kind + person.disability_grade
        listed = line.disability_kind + line.disability_grade
        if person.disability_kind and line.disability_kind in ("", person.disability_kind):
            if line.disability_grade in ("", person.disability_grade):
                return None
        values = {}
        if line.disability_kind or person.disability_kind:
            values = {
                "disability_kind": line.disability_kind or person.disability_kind,
                "disability_grade": line.disability_grade or person.disability_grade,
            }
        note = "登记未记录残疾" if not person.disability_kind else "残疾类别或等级与登记不同"
        if not values:
            note += "；名单未写残疾类别，请到人员页填写"
        return Finding("a", line, person, "disability", recorded, listed or "残疾", note, values)
    school = line.school or school_name
    if not school or person.school == school:
        return None
    values = {"school": school}
    if line.grade:
        values["grade"] = line.grade
    note = "登记未填学校" if not person.school else "登记的学校不同"
    return Finding("a", line, person, "school", person.school, school, note, values)


def _not_listed(kind, persons, found, schools):
    """Category b: persons of the uploader's area recorded as such whom the roster leaves out.
    For a household flag, one finding per household (a roster may list only its head)."""
    out, households = [], set()
    for p in persons:
        if not p.in_scope or p.exited or p.id in found:
            continue
        if kind in ("dibao", "tekun"):
            if getattr(p, kind) and p.household_id not in households:
                households.add(p.household_id)
                out.append((p.household_id, p))
        elif kind == "disability" and p.disability_kind:
            out.append((p.id, p))
        elif kind == "school" and p.school and p.school in schools:
            out.append((p.id, p))
    if kind in ("dibao", "tekun"):
        listed = {p.household_id for p in persons if p.id in found}
        out = [(h, p) for h, p in out if h not in listed]
    label = KINDS[kind][:-2]
    result = []
    for _, p in out:
        if kind in ("dibao", "tekun"):
            values, old = {kind: False}, "是"
            note = f"户标记了{label}，名单中没有此户的人：应用后取消户的{label}标记"
        elif kind == "disability":
            values = {"disability_kind": "", "disability_grade": ""}
            old = p.disability_kind + p.disability_grade
            note = "登记有残疾，名单中没有：应用后清除登记的残疾类别和等级"
        else:
            values, old = {"school": "", "grade": ""}, p.school
            note = "登记在此校，学生名单中没有：应用后清除登记的学校和年级"
        result.append(Finding("b", None, p, FIELDS[kind], old, "", note, values))
    return result
