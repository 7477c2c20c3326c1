"""Small helpers several test modules share (fixtures built on them live in conftest.py, those
of one area in tests/shared/)."""

import importlib.util
import io
import tracemalloc
import zipfile
from contextlib import contextmanager
from datetime import datetime

from openpyxl import Workbook
from pypdf import PdfReader

from liushou import clock, create_app, fixtures
from liushou.db import database
from liushou.scope import Scope
from liushou.services import SYSTEM
from liushou.services.persons import save_person
from tests.pg_cluster import empty_database

ALL = Scope(everything=True)
AWAY = {"father_status": "外出务工", "mother_status": "外出务工"}

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def add_child(household, name):
    """A left-behind boy born 2015-01-01 in `household` (both parents working away)."""
    return save_person(
        SYSTEM,
        ALL,
        {"household": household.id, "name": name, "birth_date": "2015-01-01", "sex": "男", **AWAY},
    )


@contextmanager
def at(y, m, d, hh=9, mm=0):
    """Within the block the clock reads that day and time (09:00 unless told)."""
    with clock.freeze(datetime(y, m, d, hh, mm)):
        yield


def text(client, url, **kw):
    """The page at `url`, which must be served with 200."""
    response = client.get(url, **kw)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def xlsx(rows):
    """A workbook made by openpyxl with `rows` on its first sheet, as bytes."""
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def hand_made(cells, dimension=None, parts=None, overrides=""):
    """A minimal .xlsx written by hand: `cells` is the raw XML inside <sheetData>; `parts`
    adds or replaces parts, `overrides` adds <Override> entries to the content types."""
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    files = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{CT}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{CT}.worksheet+xml"/>'
            f"{overrides}</Types>"
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{RELS}"><Relationship Id="rId1" '
            f'Type="{DOC}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{MAIN}" xmlns:r="{DOC}"><sheets>'
            '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{RELS}"><Relationship Id="rId1" '
            f'Type="{DOC}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": (
            f'<worksheet xmlns="{MAIN}">{dim}<sheetData>{cells}</sheetData></worksheet>'
        ),
        **(parts or {}),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in files.items():
            archive.writestr(name, body)
    return out.getvalue()


def ledger(name):
    """The bytes of a sample ledger in fixtures/ledgers/ (see make_ledgers.py for what is in it)."""
    return fixtures.path(f"ledgers/{name}.xlsx").read_bytes()


def _script():
    spec = importlib.util.spec_from_file_location(
        "make_ledgers", fixtures.path("ledgers/make_ledgers.py")
    )
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    return script


def ledger_bytes(rows=None):
    """The messy ledger, or one shaped like it (title rows, merged cells, header on row 3) with
    other `rows` under the header (tests/test_access_probe.py uploads one)."""
    if rows is None:
        return ledger("messy")
    return _script().fixed(_script().messy(rows))


def peak_of(fn):
    """(result or exception, peak bytes Python allocated while fn ran)."""
    tracemalloc.start()
    try:
        try:
            result = fn()
        except Exception as e:  # noqa: BLE001 - returned for the caller to check
            result = e
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _pdf(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.mimetype == "application/pdf"
    return PdfReader(io.BytesIO(response.get_data()))


def _text(reader):
    """All text, without the line breaks narrow table cells put inside words."""
    return "".join("".join(page.extract_text().split()) for page in reader.pages)


def _fresh(tmp_path, name="old.sqlite3"):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE": empty_database(tmp_path, name),
            "SECRET_KEY": "t",
            "MIGRATE_ON_START": False,
        }
    )
    database.connect(reuse_if_open=True)
    return app


# A declared dimension of 16384 columns by 20019 rows in a file under 2 KB.
BOMB = hand_made(
    '<row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c></row>'
    '<row r="20019"><c r="A20019"><v>1</v></c></row>',
    "A1:XFD20019",
)
