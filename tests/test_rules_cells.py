"""Reading cells as village offices type them."""

from datetime import date, datetime

import pytest

from liushou.rules.cells import (
    find_header_row,
    match_header,
    parse_date,
    parse_id_number,
    parse_text,
)


@pytest.mark.parametrize(
    "raw, expected",
    [
        (datetime(1950, 3, 1, 0, 0), date(1950, 3, 1)),
        (date(2010, 2, 28), date(2010, 2, 28)),
        ("1950.3", date(1950, 3, 1)),
        ("1950.03.15", date(1950, 3, 15)),
        ("1950年3月", date(1950, 3, 1)),
        ("1950年3月5日", date(1950, 3, 5)),
        ("19500301", date(1950, 3, 1)),
        (19500301, date(1950, 3, 1)),
        ("1950-3-1", date(1950, 3, 1)),
        ("1950/03/01", date(1950, 3, 1)),
        ("１９５０．３", date(1950, 3, 1)),
        (18323, date(1950, 3, 1)),  # an Excel serial without date formatting
        (" 2012-02-29 ", date(2012, 2, 29)),
    ],
)
def test_dates(raw, expected):
    assert parse_date(raw) == (expected, None)


@pytest.mark.parametrize("raw", ["2011-02-29", "1950.13", "三月", "1950-3-1-2"])
def test_bad_dates(raw):
    value, problem = parse_date(raw)
    assert value is None and problem


def test_empty_date():
    assert parse_date(None) == (None, None) and parse_date("") == (None, None)


def test_id_numbers():
    assert parse_id_number("11010519491231002x") == ("11010519491231002X", None)
    assert parse_id_number(" 1101 0519 4912 3100 2X ") == ("11010519491231002X", None)
    assert parse_id_number("１１０１０５１９４９１２３１００２Ｘ") == ("11010519491231002X", None)
    assert parse_id_number("'110105194912310021") == ("110105194912310021", None)
    text, problem = parse_id_number(1.10105194912310e17)
    assert "存成了数字" in problem
    text, problem = parse_id_number(110105194912310000)
    assert "存成了数字" in problem
    assert "科学计数法" in parse_id_number("1.10105E+17")[1]


def test_headers_with_synonyms():
    assert match_header(" 公民身份号码 ") == "id_number"
    assert match_header("村（社区）") == "village"
    assert match_header("联系电话*") == "phone"
    assert match_header("不认识的列") is None


def test_header_row_below_titles():
    rows = [
        ["杨家湾村留守儿童信息台账", None, None, None],
        ["填报单位：杨家湾村", None, None, "2026年11月"],
        [None, None, None, None],
        ["序号", "姓名", "性别", "身份证号码", "出生年月", "备注"],
        [1, "张三", "男", "110105201503070016", "2015.3", ""],
    ]
    index, mapping = find_header_row(rows)
    assert index == 3
    assert mapping == {1: "name", 2: "sex", 3: "id_number", 4: "birth_date", 5: "notes"}


def test_text_cells():
    assert parse_text(13912345678.0) == "13912345678"
    assert parse_text("  张\u3000三 ") == "张 三"
    assert parse_text(None) == ""
