"""Findings of the final hostile review (issue #13): workbooks whose parts openpyxl builds whole
in memory, or whose sheet rows carry far more XML than cells, are refused before it reads them."""

import io
import random

import pytest

from liushou import xlsx_io
from liushou.xlsx_io import WorkbookError, read_rows
from tests._helpers import CT, MAIN, hand_made, peak_of
from tests.conftest import post
from tests.shared.town import wang_xiaoming

NAME_ROW = '<row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c></row>'
SST_TYPE = f'<Override PartName="/xl/sharedStrings.xml" ContentType="{CT}.sharedStrings+xml"/>'


def workbook_with(sheet=NAME_ROW, parts=None, overrides=""):
    """A minimal .xlsx by hand: `sheet` inside <sheetData> (or a whole sheet part in `parts`)."""
    return hand_made(sheet, "A1:B1", parts, overrides)


def noise(template, size, seed=1):
    """Repetitive XML with a little randomness: compresses well, but under the ratio check."""
    rnd, parts, total = random.Random(seed), [], 0
    while total < size:
        part = template(rnd)
        parts.append(part)
        total += len(part)
    return "".join(parts)


def styles_bomb(size):
    xfs = noise(lambda r: f'<xf numFmtId="{r.randrange(50)}" fontId="0"/>', size)
    return workbook_with(
        parts={"xl/styles.xml": f'<styleSheet xmlns="{MAIN}"><cellXfs>{xfs}</cellXfs></styleSheet>'}
    )


def strings_bomb(size):
    items = noise(lambda r: f"<si><t>{r.randrange(36**2):x}</t></si>", size)
    return workbook_with(
        parts={"xl/sharedStrings.xml": f'<sst xmlns="{MAIN}">{items}</sst>'}, overrides=SST_TYPE
    )


def wide_row_bomb(size):
    cells = noise(lambda r: f'<c r="B1"><v>{r.randrange(99)}</v></c>', size)
    return workbook_with(
        sheet=f'<row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c>{cells}</row>'
    )


def rich_cell_bomb(size):
    runs = noise(lambda r: f"<r><t>{r.randrange(99)}</t></r>", size)
    return workbook_with(sheet=f'<row r="1"><c r="A1" t="inlineStr"><is>{runs}</is></c></row>')


def outside_rows_bomb(size):
    rnd = random.Random(2)
    tags = [f"a{rnd.randrange(99)}" for _ in range(size // 40)]
    nested = "".join(f"<{t}>" for t in tags) + "".join(f"</{t}>" for t in reversed(tags))
    return workbook_with(sheet=NAME_ROW + nested)


BOMBS = {
    "styles": (styles_bomb, "部件过大"),
    "shared strings": (strings_bomb, "部件过大"),
    "a row of a million cells": (wide_row_bomb, "一行的内容过多"),
    "one cell of a million runs": (rich_cell_bomb, "一行的内容过多"),
    "deep XML outside the rows": (outside_rows_bomb, "表格以外的内容过多"),
}
MB = 1024 * 1024


@pytest.mark.parametrize("kind", BOMBS)
def test_parts_read_whole_and_bloated_rows_are_refused_cheaply(kind):
    make, message = BOMBS[kind]
    data = make(20 * MB)
    assert len(data) < 3 * MB  # each fits the import's upload limit (most the 1 MB form limit)
    result, peak = peak_of(lambda: read_rows(data))
    assert isinstance(result, WorkbookError) and message in str(result), result
    assert peak < 50 * MB  # before: 0.3 to 1.1 GB, and 13 to 43 s


def test_a_real_ledgers_parts_stay_under_the_limits():
    """A ledger with a shared-strings part and styles of an ordinary size is read as before."""
    rows = "".join(
        f'<row r="{i}"><c r="A{i}" t="s"><v>{i % 50}</v></c><c r="B{i}" s="1"><v>{i}</v></c></row>'
        for i in range(2, 2002)
    )
    strings = "".join(f"<si><t>张{i}</t></si>" for i in range(50))
    data = workbook_with(
        sheet=NAME_ROW + rows,
        parts={
            "xl/sharedStrings.xml": f'<sst xmlns="{MAIN}">{strings}</sst>',
            "xl/styles.xml": (
                f'<styleSheet xmlns="{MAIN}"><cellXfs count="2"><xf numFmtId="0"/>'
                '<xf numFmtId="1"/></cellXfs></styleSheet>'
            ),
        },
        overrides=SST_TYPE,
    )
    rows = read_rows(data)
    assert len(rows) == 2001 and rows[1][:2] == ["张2", 2]


def test_a_sheet_declaring_a_dtd_is_unreadable():
    entity = '<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">]>'
    sheet = f'{entity}<worksheet xmlns="{MAIN}"><sheetData>{NAME_ROW}</sheetData></worksheet>'
    with pytest.raises(WorkbookError) as caught:
        read_rows(workbook_with(parts={"xl/worksheets/sheet1.xml": sheet}))
    assert str(caught.value) == xlsx_io.UNREADABLE


@pytest.mark.parametrize(
    "url, extra",
    [("/import", "village"), ("/admin/users/bulk", None), ("/admin/places/bulk", None)],
)
def test_upload_pages_answer_the_styles_bomb_with_the_message(login_as, places, url, extra):
    client = login_as("cun1" if url == "/import" else "admin")
    data = styles_bomb(4 * MB)
    assert len(data) < 1024 * 1024 - 4096  # under the ordinary form limit of the admin pages
    form = {"file": (io.BytesIO(data), "bomb.xlsx")}
    if extra:
        form[extra] = places["V01"].id
    response = post(client, url, form)
    assert response.status_code == 422
    assert "部件过大" in response.get_data(as_text=True)


def test_two_registrations_of_one_id_number_at_once_give_one_person_and_a_message(
    app, places, users, monkeypatch
):
    """The second of two simultaneous registrations passes the duplicate check before the first
    is written: the unique index refuses it, and the cadre gets the message by the field, not a
    500 (the other registration is made between the check and the write)."""
    from liushou.models.persons import Person
    from liushou.scope import Scope
    from liushou.services import SYSTEM, ValidationError
    from liushou.services import persons as person_service
    from liushou.services.households import save_household

    everything = Scope(everything=True)
    household = save_household(
        SYSTEM,
        everything,
        {"village": places["V01"].id, "grid": places["V01-G1"].id, "head_name": "王建国"},
    )
    values = wang_xiaoming(household)
    real = person_service.household_facts
    raced = []

    def meanwhile(*args, **kwargs):
        if not raced:  # another cadre's registration lands after our duplicate check
            raced.append(True)
            person_service.save_person(SYSTEM, everything, dict(values))
        return real(*args, **kwargs)

    monkeypatch.setattr(person_service, "household_facts", meanwhile)
    with pytest.raises(ValidationError) as caught:
        person_service.save_person(SYSTEM, everything, dict(values))
    assert "已被登记" in caught.value.errors["id_number"]
    assert Person.select().where(Person.id_number == values["id_number"]).count() == 1
