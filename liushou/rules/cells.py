"""Reading spreadsheet cells as offices type them: dates, ID numbers, phones, header names."""

import re
from datetime import date, datetime, timedelta

from .text import clean, halfwidth

# Our column -> the header names villages use for it (matched after removing spaces/brackets).
COLUMNS = {
    "name": ("姓名", "名字", "儿童姓名", "老人姓名", "妇女姓名"),
    "sex": ("性别",),
    "ethnicity": ("民族",),
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "身份证", "证件号码"),
    "birth_date": ("出生日期", "出生年月", "出生年月日", "生日"),
    "phone": ("联系电话", "电话", "手机", "手机号", "手机号码", "联系方式"),
    "address": ("家庭住址", "住址", "现住址", "家庭地址", "居住地址"),
    "village": ("村", "村(社区)", "所属村", "村社区", "村名", "行政村"),
    "grid": ("组", "村民小组", "网格", "所属网格", "组别"),
    "category": ("类别", "人员类别", "对象类别", "类型"),
    "guardian_name": ("监护人", "监护人姓名", "委托照护人", "照护人"),
    "guardian_phone": ("监护人电话", "监护人联系电话", "照护人电话"),
    "guardian_relation": ("监护人关系", "与监护人关系", "监护人与儿童关系", "关系"),
    "father_name": ("父亲", "父亲姓名"),
    "father_workplace": ("父亲务工地点", "父亲务工地", "父亲外出务工地点"),
    "father_phone": ("父亲电话", "父亲联系电话"),
    "mother_name": ("母亲", "母亲姓名"),
    "mother_workplace": ("母亲务工地点", "母亲务工地", "母亲外出务工地点"),
    "mother_phone": ("母亲电话", "母亲联系电话"),
    "children_away": ("子女去向", "子女外出情况", "子女务工地点"),
    "school": ("学校", "就读学校"),
    "grade": ("年级", "班级"),
    "notes": ("备注", "说明"),
}
LABELS = {key: names[0] for key, names in COLUMNS.items()}
_STRIP = re.compile(r"[\s()（）\[\]【】:：*＊]")
_LOOKUP = {_STRIP.sub("", halfwidth(n)): key for key, names in COLUMNS.items() for n in names}


def match_header(text):
    """Our column key for a header cell, or None."""
    return _LOOKUP.get(_STRIP.sub("", halfwidth(str(text or ""))))


def find_header_row(rows, max_scan=15):
    """(index, {column index: key}) of the first row that names at least 3 known columns
    including 姓名: title rows and merged cells above the header are skipped."""
    for index, row in enumerate(rows[:max_scan]):
        mapping = {}
        for col, cell in enumerate(row):
            key = match_header(cell)
            if key and key not in mapping.values():
                mapping[col] = key
        if len(mapping) >= 3 and "name" in mapping.values():
            return index, mapping
    return None, {}


_EXCEL_EPOCH = date(1899, 12, 30)


def parse_date(value):
    """(date or None, problem or None). Accepts Excel dates and serials, 1950.3, 1950年3月,
    19500301, 1950-3-1, 1950/03/01; a year and month alone mean the 1st of that month."""
    if value is None or value == "":
        return None, None
    if isinstance(value, datetime):
        return value.date(), None
    if isinstance(value, date):
        return value, None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = int(value)
        if 19000101 <= number <= 21001231:  # typed as 19500301
            return parse_date(str(number))
        if 1 <= number < 80000:  # an Excel serial the workbook did not format as a date
            return _EXCEL_EPOCH + timedelta(days=number), None
        return None, f"无法识别的日期：{value}"
    text = halfwidth(str(value)).strip()
    m = re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text)
    if not m:
        m = re.fullmatch(
            r"(\d{4})\s*[.\-/年]\s*(\d{1,2})\s*(?:[.\-/月]\s*(\d{1,2})\s*日?|月)?", text
        )
    if not m:
        return None, f"无法识别的日期：{text}"
    year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3) or 1)
    try:
        return date(year, month, day), None
    except ValueError:
        return None, f"日期不存在：{text}"


def parse_id_number(value):
    """(text, problem or None): numbers and lowercase x are accepted; an ID that Excel stored
    as a number has lost its last digits (15 significant digits) and is reported."""
    if value is None or value == "":
        return "", None
    if isinstance(value, float) or isinstance(value, int) and not isinstance(value, bool):
        digits = str(int(value)) if float(value).is_integer() else str(value)
        if len(digits) == 18 and (isinstance(value, float) or digits.endswith("000")):
            return digits, "身份证号被 Excel 存成了数字，末几位已丢失，请把该列设为文本后重新录入"
        return digits, None
    text = re.sub(r"\s", "", halfwidth(str(value))).upper()
    text = text.lstrip("'")
    if re.fullmatch(r"\d\.\d+E\+17", text):
        return text, "身份证号被 Excel 存成了科学计数法，末几位已丢失，请把该列设为文本后重新录入"
    return text, None


def parse_text(value, max_length=200):
    """A cell as clean text: numbers without a trailing .0, spaces collapsed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean(halfwidth(str(value)), max_length)


# Other offices' rosters (低保/特困 lists, the disabled persons' list, a school's pupil list)
# compared against the register (比对核实): the import's names plus the headers those lists use.
ROSTER_COLUMNS = {
    **COLUMNS,
    "name": (
        *COLUMNS["name"],
        "学生姓名",
        "残疾人姓名",
        "成员姓名",
        "保障对象姓名",
        "救助对象姓名",
        "供养对象姓名",
    ),
    "id_number": (*COLUMNS["id_number"], "身份证件号码", "残疾人证号", "学籍身份证号"),
    "disability_kind": ("残疾类别", "残疾类型", "残疾种类"),
    "disability_grade": ("残疾等级", "残疾级别"),
    "school": (*COLUMNS["school"], "所在学校", "学校名称"),
    "grade": (*COLUMNS["grade"], "所在年级", "年级班级"),
}
