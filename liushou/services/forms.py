"""Reading raw form values (strings, as browsers and spreadsheets send them) into typed values."""

from datetime import date

from .. import clock
from ..rules.cells import parse_date
from ..rules.text import clean, normalize_phone, phone_problem


class Reader:
    """Collects typed values and Chinese error messages keyed by field name."""

    def __init__(self, values):
        self.values = values or {}
        self.errors = {}

    def raw(self, name):
        value = self.values.get(name)
        return value if value is not None else ""

    def text(self, name, max_length=100, required_msg=None):
        value = clean(self.raw(name), max_length)
        if required_msg and not value:
            self.errors[name] = required_msg
        return value

    def choice(self, name, options, required_msg=None, default=""):
        value = clean(self.raw(name))
        if not value:
            if required_msg:
                self.errors[name] = required_msg
            return default
        if value not in options:
            self.errors[name] = f"请从列表中选择（{'、'.join(options)}）"
            return default
        return value

    def many(self, name, options):
        raw = self.values.get(name)
        items = raw if isinstance(raw, (list, tuple)) else ([raw] if raw else [])
        bad = [i for i in items if i not in options]
        if bad:
            self.errors[name] = f"无效的选项：{'、'.join(map(str, bad))}"
        return ",".join(o for o in options if o in items)

    def flag(self, name):
        return str(self.raw(name)).strip() in ("1", "true", "on", "是", "True")

    def tristate(self, name):
        """'1' -> True, '0' -> False, anything else -> None (not checked yet)."""
        value = str(self.raw(name)).strip()
        return True if value == "1" else False if value == "0" else None

    def date(self, name, *, required_msg=None, not_future=False, today=None):
        value = self.raw(name)
        if isinstance(value, date):
            parsed, problem = value, None
        else:
            parsed, problem = parse_date(str(value).strip())
        if problem:
            self.errors[name] = problem.replace("无法识别的日期", "日期格式不对（如 2015-03-07）")
        elif parsed is None and required_msg:
            self.errors[name] = required_msg
        elif parsed and not_future and parsed > (today or clock.today()):
            self.errors[name] = "日期不能晚于今天"
        return parsed

    def phone(self, name):
        value = normalize_phone(self.raw(name))
        problem = phone_problem(value)
        if problem:
            self.errors[name] = problem
        return value


# Whole numbers past this are no row's id nor any count a form holds: PostgreSQL's INTEGER
# columns (and SQLite past 64 bits) would fail on them instead of finding nothing.
INT_LIMIT = 2**31 - 1


def to_int(value, default=0):
    """An id or number from a form field; `default` when it is missing, not a whole number, or
    past any integer column's range (a search for it would be an engine's error, not a miss)."""
    if isinstance(value, bool):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return default
    return number if -INT_LIMIT <= number <= INT_LIMIT else default


def bad_id(value):
    """Is this form value something other than nothing or a whole number in range (an id that
    cannot name any row: the field gets a message, not a silent "none chosen")?"""
    return value not in (None, "") and to_int(value, None) is None
