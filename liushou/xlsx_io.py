"""Reading workbooks safely and writing them: size, zip-bomb and encryption checks, formulas
neutralised in exports. No Flask in here."""

import io
import zipfile
from xml.parsers import expat

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20000
# The template has 23 columns; a village's own sheet may carry a few more (序号, 户主, ...).
MAX_COLUMNS = 60
# Bounded by cells, not rows: the reader never builds more than this many, padding included.
MAX_CELLS = 800_000
MAX_UNZIPPED = 200 * 1024 * 1024
MAX_RATIO = 200  # uncompressed / compressed, per member
# openpyxl builds every part but the sheets whole in memory (tens of bytes per byte of XML):
# styles, workbook, relationships, properties, charts... are small in any real ledger.
MAX_PART = 2 * 1024 * 1024
# Shared strings are all held in memory too; a full 20,000-row ledger needs about 10 MB.
MAX_STRINGS = 16 * 1024 * 1024
# The sheet is streamed a row at a time, but each row is built whole: no row may hold more XML
# elements than its cells need (a cell is <c> with <v>, or <is><t>, a few rich-text runs).
MAX_ROW_ELEMENTS = 8 * MAX_COLUMNS
MAX_ELEMENTS = 4 * MAX_CELLS
# Outside the rows: columns, merged cells (a ledger may merge one per household), views...
MAX_OTHER_ELEMENTS = 100_000
UNREADABLE = "文件已损坏或格式不对，无法读取：请在 Excel 中打开并“另存为 .xlsx”后再导入"


class WorkbookError(Exception):
    """A file that cannot be imported; the message is for the user, in Chinese."""


def read_rows(data, max_rows=MAX_ROWS):
    """The first sheet's rows as lists of cell values (formulas as their cached values).

    Only the first MAX_COLUMNS columns are read; a sheet that declares more is refused before a
    row is built, and at most MAX_CELLS cells are ever built. Any failure while reading becomes
    a WorkbookError with a message for the user."""
    from openpyxl import load_workbook  # imported where used: the server starts without it

    _check_container(data)
    try:
        _check_parts(data)
    except WorkbookError:
        raise
    except Exception as e:
        raise WorkbookError(UNREADABLE) from e
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds for damaged files
        raise WorkbookError(UNREADABLE) from e
    try:
        return _sheet_rows(book.worksheets[0], max_rows)
    except WorkbookError:
        raise
    except Exception as e:  # e.g. <c r="A1"><v>abc</v></c>: a non-number in a number cell
        raise WorkbookError(UNREADABLE) from e
    finally:
        book.close()


def _check_container(data):
    if len(data) > MAX_BYTES:
        raise WorkbookError(f"文件超过 {MAX_BYTES // 1024 // 1024} MB，请拆分后再导入")
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise WorkbookError(
            "文件已加密，或是旧版 .xls 格式：请在 Excel 中取消密码并“另存为 .xlsx”后再导入"
        )
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise WorkbookError("这不是 Excel 工作簿（.xlsx）文件")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = 0
            for info in archive.infolist():
                total += info.file_size
                ratio = info.file_size / info.compress_size if info.compress_size else 0
                if ratio > MAX_RATIO and info.file_size > 1024 * 1024:
                    raise WorkbookError("文件内容异常（压缩比过大），已拒绝导入")
            if total > MAX_UNZIPPED:
                raise WorkbookError("文件解压后过大，已拒绝导入")
            if "xl/workbook.xml" not in archive.namelist():
                raise WorkbookError("这不是 Excel 工作簿（.xlsx）文件")
    except zipfile.BadZipFile as e:
        raise WorkbookError("文件已损坏，无法读取") from e


def _check_parts(data):
    """Refuse, before openpyxl builds anything, a part it would hold whole that is larger than
    any real ledger's, and a first sheet whose rows carry more XML than their cells need."""
    from openpyxl.packaging.relationship import get_rels_path
    from openpyxl.reader.excel import ExcelReader, _find_workbook_part
    from openpyxl.xml.constants import ARC_CONTENT_TYPES, SHARED_STRINGS

    reader = ExcelReader(io.BytesIO(data), read_only=True, keep_links=False)
    sizes = {info.filename: info.file_size for info in reader.archive.infolist()}
    too_big = WorkbookError("文件内容异常（部件过大），已拒绝导入")
    if sizes.get(ARC_CONTENT_TYPES, 0) > MAX_PART:
        raise too_big
    reader.read_manifest()
    part = _find_workbook_part(reader.package).PartName[1:]
    if sizes.get(part, 0) > MAX_PART or sizes.get(get_rels_path(part), 0) > MAX_PART:
        raise too_big
    reader.read_workbook()  # the workbook part and its relationships only
    sheets = [
        rel.target
        for _, rel in reader.parser.find_sheets()
        if "chartsheet" not in rel.Type and rel.target in sizes
    ]
    strings = reader.package.find(SHARED_STRINGS)
    strings = strings.PartName[1:] if strings is not None else None
    for name, size in sizes.items():
        if name == strings:
            limit = MAX_STRINGS
        elif name in sheets or name.startswith("xl/media/"):
            continue  # streamed (the first sheet; the others are never read) or never parsed
        else:
            limit = MAX_PART
        if size > limit:
            raise too_big
    if sheets:
        with reader.archive.open(sheets[0]) as stream:
            _scan_sheet(stream)


def _scan_sheet(stream):
    """Count the first sheet's XML elements as they stream past, without building them."""
    counts = {"all": 0, "row": 0, "other": 0}
    depth = {"row": None, "now": 0}

    def start(name, _attrs):
        depth["now"] += 1
        counts["all"] += 1
        if counts["all"] > MAX_ELEMENTS:
            raise WorkbookError(f"单元格超过 {MAX_CELLS} 个，请拆分后再导入")
        if depth["row"] is not None:
            counts["row"] += 1
            if counts["row"] > MAX_ROW_ELEMENTS:
                raise WorkbookError("文件内容异常（一行的内容过多），已拒绝导入")
        elif name.rpartition(":")[2] == "row":
            depth["row"], counts["row"] = depth["now"], 0
        else:
            counts["other"] += 1
            if counts["other"] > MAX_OTHER_ELEMENTS:
                raise WorkbookError("文件内容异常（表格以外的内容过多），已拒绝导入")

    def end(_name):
        if depth["row"] == depth["now"]:
            depth["row"] = None
        depth["now"] -= 1

    def doctype(*_args):
        raise WorkbookError(UNREADABLE)  # a sheet never declares a DTD (entity expansion)

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = doctype
    parser.ParseFile(stream)


def _sheet_rows(sheet, max_rows):
    declared = sheet.max_column  # from the sheet's <dimension>; None when it has none
    if declared and declared > MAX_COLUMNS:
        raise WorkbookError(
            f"工作表声明了 {declared} 列，超过导入允许的 {MAX_COLUMNS} 列："
            "请只把需要导入的列复制到导入模板（或新建的工作表）后再导入"
        )
    limit = max_rows + 20  # header and title rows come on top of the data
    rows, cells = [], 0
    # max_col: never pad a row wider than that; max_row: stop parsing past the limit.
    width = min(declared or MAX_COLUMNS, MAX_COLUMNS)
    for row in sheet.iter_rows(max_col=width, max_row=limit + 1, values_only=True):
        if len(rows) >= limit:
            raise WorkbookError(f"超过 {max_rows} 行，请拆分后再导入")
        cells += len(row)
        if cells > MAX_CELLS:
            raise WorkbookError(f"单元格超过 {MAX_CELLS} 个，请拆分后再导入")
        rows.append(list(row))
    while rows and all(v in (None, "") for v in rows[-1]):
        rows.pop()
    return rows


def safe_cell(value):
    """Text that a spreadsheet would run as a formula (= + - @, tab, CR) gets a leading quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def workbook(title, header, rows, sheet_name="台账", notes=None):
    """An .xlsx: a merged title row, the header, one row per record; bytes."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = sheet_name
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(len(header), 1))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append(header)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
    for i, name in enumerate(header, start=1):
        sheet.column_dimensions[sheet.cell(row=2, column=i).column_letter].width = max(
            8, len(str(name)) * 2 + 2
        )
    if notes:
        extra = book.create_sheet("说明")
        for line in notes:
            extra.append([line])
        extra.column_dimensions["A"].width = 100
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def sheet_workbook(title, lines, bands, header, rows, formats, footer, sheet_name="汇总"):
    """A landscape A4 report sheet: a merged title row, info lines, a two-row header (merged
    bands over the column headings), bordered rows with number formats, and signing lines.

    `rows` are [(label, [values])]; `formats` one openpyxl number format (or None) per value
    column; `bands` [(band, span)] over the value columns; a None value is left empty."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side

    width = len(header) + 1
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    middle = Alignment(horizontal="center", vertical="center", wrap_text=True)
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_name
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    for line in lines:
        sheet.append([safe_cell(line)])
        row = sheet.max_row
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
    top = sheet.max_row + 1
    sheet.cell(row=top, column=1, value="村（社区）")
    sheet.merge_cells(start_row=top, start_column=1, end_row=top + 1, end_column=1)
    column = 2
    for band, span in bands:
        sheet.cell(row=top, column=column, value=band)
        if span > 1:
            sheet.merge_cells(
                start_row=top, start_column=column, end_row=top, end_column=column + span - 1
            )
        column += span
    for i, name in enumerate(header, start=2):
        sheet.cell(row=top + 1, column=i, value=name)
    for label, values in rows:
        sheet.append([safe_cell(label)] + [safe_cell(v) if v is not None else None for v in values])
    last = sheet.max_row
    for row in sheet.iter_rows(min_row=top, max_row=last, max_col=width):
        for cell in row:
            cell.border = box
            if cell.row <= top + 1:
                cell.font, cell.alignment = Font(bold=True), middle
            elif cell.column > 1 and formats[cell.column - 2]:
                cell.number_format = formats[cell.column - 2]
    sheet.column_dimensions["A"].width = 12
    for i in range(2, width + 1):
        sheet.column_dimensions[sheet.cell(row=top + 1, column=i).column_letter].width = 9
    sheet.row_dimensions[top + 1].height = 45
    sheet.append([])
    for line in footer:
        sheet.append([safe_cell(line)])
        row = sheet.max_row
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"{top}:{top + 1}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
