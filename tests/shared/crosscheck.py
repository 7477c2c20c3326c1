"""Rosters of outside lists and the register they are checked against (tests/test_crosscheck*.py,
tests/test_review_gaps.py, tests/test_hostile_review5.py)."""

import io
import re

import pytest
from openpyxl import Workbook

from liushou.models.crosscheck import CrosscheckRow
from liushou.rules.idcard import check_digit
from liushou.services import SYSTEM
from liushou.services.households import save_household
from liushou.services.persons import save_person
from tests._helpers import ALL as EVERYTHING
from tests.conftest import post


def idn(birth, seq="001"):
    """A valid ID number of Lanzhou's 620102 born on `birth` (YYYYMMDD); odd seq = male."""
    first = f"620102{birth}{seq}"
    return first + check_digit(first)


def roster(header, rows, title="2026年低保对象名单"):
    """A roster as offices send them: a title row, then the header, then the lines."""
    book = Workbook()
    sheet = book.active
    sheet.append([title])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def person(places, village, name, id_number, **extra):
    household_values = {
        "village": places[village].id,
        "grid": places[f"{village}-G1"].id,
        "head_name": name + "户主",
    }
    household_values.update(extra.pop("household", {}))
    home = save_household(SYSTEM, EVERYTHING, household_values)
    return save_person(
        SYSTEM, EVERYTHING, {"household": home.id, "name": name, "id_number": id_number, **extra}
    )


@pytest.fixture
def register(places):
    """Four persons of V01 and one of V02."""
    return {
        "listed": person(places, "V01", "张小明", idn("20150307", "011")),
        "dibao_gone": person(
            places, "V01", "李奶奶", idn("19500101", "022"), household={"dibao": "1"}
        ),
        "renamed": person(places, "V01", "王二丫", idn("20160405", "022")),
        "disabled": person(places, "V01", "赵大爷", idn("19540202", "013"), disability_kind="肢体"),
        "other": person(places, "V02", "外村人", idn("19600303", "015")),
    }


def upload(client, data, kind="dibao", name="低保名单.xlsx", **extra):
    return post(client, "/crosscheck", {"kind": kind, "file": (io.BytesIO(data), name), **extra})


def check_id(response):
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return int(re.search(r"/crosscheck/(\d+)", response.location).group(1))


def rows_of(cid, **where):
    query = CrosscheckRow.select().where(CrosscheckRow.crosscheck == cid)
    for key, value in where.items():
        query = query.where(getattr(CrosscheckRow, key) == value)
    return list(query.order_by(CrosscheckRow.id))


DIBAO_ROWS = [
    ["张小明", idn("20150307", "011"), None],  # a: household not marked 低保
    ["王三丫", idn("20160405", "022"), "2016-04-05"],  # d: another name, same ID
    ["漏登娃", idn("20180808", "031"), None],  # c: not registered, 7 years old
    ["外村人", idn("19600303", "015"), "1961-01-01"],  # a in V02 + d (birth date)
    ["错号人", "620102201801010000", None],  # x: check digit wrong
]
