"""Reading workbooks safely and writing them: size, zip-bomb and encryption checks, formulas
neutralised in exports. No Flask in here."""

import io
import zipfile

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20000
# The template has 23 columns; a village's own sheet may carry a few more (序号, 户主, ...).
MAX_COLUMNS = 60
# Bounded by cells, not rows: the reader never builds more than this many, padding included.
MAX_CELLS = 800_000
MAX_UNZIPPED = 200 * 1024 * 1024
MAX_RATIO = 200  # uncompressed / compressed, per member
UNREADABLE = "文件已损坏或格式不对，无法读取：请在 Excel 中打开并“另存为 .xlsx”后再导入"


class WorkbookError(Exception):
    """A file that cannot be imported; the message is for the user, in Chinese."""


def read_rows(data, max_rows=MAX_ROWS):
    """The first sheet's rows as lists of cell values (formulas as their cached values).

    Only the first MAX_COLUMNS columns are read; a sheet that declares more is refused before a
    row is built, and at most MAX_CELLS cells are ever built. Any failure while reading becomes
    a WorkbookError with a message for the user."""
    _check_container(data)
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
