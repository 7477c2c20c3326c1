"""Small helpers several test modules share (fixtures built on them live in conftest.py)."""

import io
import zipfile

from openpyxl import Workbook

from liushou.scope import Scope
from liushou.services import SYSTEM
from liushou.services.persons import save_person

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
