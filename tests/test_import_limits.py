"""The import reader is bounded by cells: hostile workbooks are refused with a clear message,
cheaply, by the reader and through /import."""

import io

import pytest

from liushou import xlsx_io
from liushou.xlsx_io import WorkbookError, read_rows
from tests._helpers import BOMB, hand_made, peak_of
from tests.conftest import post

HEADER = '<row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c></row>'
BAD_NUMBER = hand_made('<row r="1"><c r="A1"><v>abc</v></c></row>', "A1:A1")


def test_the_declared_dimension_bomb_is_refused_cheaply():
    assert len(BOMB) < 2048
    result, peak = peak_of(lambda: read_rows(BOMB))
    assert isinstance(result, WorkbookError), result
    assert "16384 列" in str(result) and "导入模板" in str(result)
    assert peak < 50 * 1024 * 1024, f"{peak / 1048576:.0f} MB"


def test_a_sheet_without_a_dimension_is_read_only_as_wide_as_allowed():
    far = '<row r="2"><c r="B2"><v>7</v></c><c r="XFD2"><v>9</v></c></row>'
    result, peak = peak_of(lambda: read_rows(hand_made(HEADER + far)))
    assert not isinstance(result, Exception), result
    assert result[0][0] == "姓名" and result[1][1] == 7
    assert max(len(r) for r in result) <= xlsx_io.MAX_COLUMNS
    assert peak < 50 * 1024 * 1024


def test_cells_are_capped_not_only_rows():
    wide = xlsx_io.MAX_COLUMNS
    last = xlsx_io.MAX_ROWS
    from openpyxl.utils import get_column_letter

    book = hand_made(
        HEADER + f'<row r="{last}"><c r="A{last}"><v>1</v></c></row>',
        f"A1:{get_column_letter(wide)}{last}",
    )
    result, peak = peak_of(lambda: read_rows(book))
    assert isinstance(result, WorkbookError) and "单元格超过" in str(result), result
    assert peak < 50 * 1024 * 1024


@pytest.mark.parametrize(
    "cells",
    [
        '<row r="1"><c r="A1"><v>abc</v></c></row>',  # a non-number in a number cell
        '<row r="1"><c r="A1" t="s"><v>5</v></c></row>',  # a shared string that is not there
        '<row r="1"><c r="A1" t="d"><v>not a date</v></c></row>',
        '<row r="x"><c r="??"><v>1</v></c></row>',
    ],
)
def test_any_error_while_reading_is_one_clear_message(cells):
    with pytest.raises(WorkbookError) as caught:
        read_rows(hand_made(cells, "A1:A1"))
    assert str(caught.value) == xlsx_io.UNREADABLE


@pytest.mark.parametrize(
    "data, message", [(BOMB, "16384 列"), (BAD_NUMBER, "文件已损坏或格式不对")]
)
def test_import_page_answers_hostile_workbooks_with_the_message(login_as, places, data, message):
    client = login_as("cun1")
    response = post(
        client,
        "/import",
        {"village": places["V01"].id, "file": (io.BytesIO(data), "台账.xlsx")},
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
