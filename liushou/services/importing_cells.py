"""An import row's cells as the values they would write: only non-blank cells, text never cut
(a cell longer than its field is a row error), stored rows as the raw values of their forms."""

import re

from ..rules.cells import LABELS, parse_text
from ..rules.text import normalize_phone, phone_problem

# Sheet column -> person field it writes.
PERSON_CELLS = {
    "name": "name",
    "sex": "sex",
    "ethnicity": "ethnicity",
    "phone": "phone",
    "school": "school",
    "grade": "grade",
    "notes": "notes",
    "guardian_name": "carer_name",
    "guardian_phone": "carer_phone",
    "guardian_relation": "carer_relation",
    "children_away": "supporters",
}
# The longest text a column may hold: the length of the field it is stored in.
LIMITS = {
    "name": 64,
    "ethnicity": 16,
    "address": 128,
    "guardian_name": 64,
    "guardian_relation": 16,
    "father_name": 64,
    "mother_name": 64,
    "children_away": 200,
    "school": 64,
    "grade": 16,
    "notes": 1000,
}
PLACE_LIMIT = 32  # province and city of a family member away, each


def cell_text(value):
    """A cell as clean text, whole (never shortened)."""
    return parse_text(value, None)


def too_long(label, text, limit):
    return (label, f"超过 {limit} 个字（现有 {len(text)} 个字），请删减后再导入")


def person_overlay(row, raw):
    """{person field: raw value} for the row's non-blank person cells; a cell longer than its
    field adds a row error."""
    overlay = {}
    for column, name in PERSON_CELLS.items():
        text = cell_text(raw.get(column))
        if not text:
            continue
        limit = LIMITS.get(column)
        if limit and len(text) > limit:
            row.errors.append(too_long(LABELS[column], text, limit))
        overlay[name] = text
    if overlay.get("sex") in ("男性", "女性"):
        overlay["sex"] = overlay["sex"][0]
    if "supporters" in overlay:
        overlay["children_away"] = "1"
    address = cell_text(raw.get("address"))
    if len(address) > LIMITS["address"]:
        row.errors.append(too_long(LABELS["address"], address, LIMITS["address"]))
    return overlay


def away_entries(raw):
    """[(entry, problems)] for the father and mother columns: an entry holds the relation and
    the non-blank cells (the workplace cell gives province and city together)."""
    out = []
    for prefix, relation in (("father", "父亲"), ("mother", "母亲")):
        name = cell_text(raw.get(f"{prefix}_name"))
        place = cell_text(raw.get(f"{prefix}_workplace"))
        phone = normalize_phone(cell_text(raw.get(f"{prefix}_phone")))
        if not (name or place or phone):
            continue
        entry, problems = {"relation": relation}, []
        if name:
            entry["name"] = name
            if len(name) > LIMITS[f"{prefix}_name"]:
                problems.append(too_long(LABELS[f"{prefix}_name"], name, LIMITS[f"{prefix}_name"]))
        if place:
            match = re.match(r"^(.+?(?:省|自治区|市))(.*)$", place)
            province, city = (match.group(1), match.group(2)) if match else (place, "")
            entry["province"], entry["city"] = province, city
            if len(province) > PLACE_LIMIT or len(city) > PLACE_LIMIT:
                problems.append(
                    (
                        LABELS[f"{prefix}_workplace"],
                        f"省、市名称各不能超过 {PLACE_LIMIT} 个字，请删减后再导入",
                    )
                )
        if phone:
            entry["phone"] = phone
            problem = phone_problem(phone)
            if problem:
                problems.append((LABELS[f"{prefix}_phone"], problem))
        out.append((entry, problems))
    return out


def form_values(obj):
    """A stored row as the raw values its edit form would post (flags as "1"/"0", nothing as
    ""): the base an import lays its cells over."""
    out = {}
    for name, value in obj.__data__.items():
        if value is True:
            out[name] = "1"
        elif value is False:
            out[name] = "0"
        elif value is None:
            out[name] = ""
        else:
            out[name] = value
    return out
