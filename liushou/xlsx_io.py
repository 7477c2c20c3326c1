"""Reading workbooks safely and writing them: size, zip-bomb and encryption checks, formulas
neutralised in exports. No Flask in here."""
import io
import zipfile

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20000
MAX_UNZIPPED = 200 * 1024 * 1024
MAX_RATIO = 200  # uncompressed / compressed, per member


class WorkbookError(Exception):
    """A file that cannot be imported; the message is for the user, in Chinese."""


def read_rows(data, max_rows=MAX_ROWS):
    """The first sheet's rows as lists of cell values (formulas as their cached values)."""
    if len(data) > MAX_BYTES:
        raise WorkbookError(f"文件超过 {MAX_BYTES // 1024 // 1024} MB，请拆分后再导入")
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise WorkbookError("文件已加密，或是旧版 .xls 格式：请在 Excel 中取消密码并“另存为 .xlsx”后再导入")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise WorkbookError("这不是 Excel 工作簿（.xlsx）文件")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = 0
            for info in archive.infolist():
                total += info.file_size
                if info.compress_size and info.file_size / info.compress_size > MAX_RATIO and info.file_size > 1024 * 1024:
                    raise WorkbookError("文件内容异常（压缩比过大），已拒绝导入")
            if total > MAX_UNZIPPED:
                raise WorkbookError("文件解压后过大，已拒绝导入")
            if "xl/workbook.xml" not in archive.namelist():
                raise WorkbookError("这不是 Excel 工作簿（.xlsx）文件")
    except zipfile.BadZipFile:
        raise WorkbookError("文件已损坏，无法读取")
    from openpyxl import load_workbook
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for damaged files
        raise WorkbookError("文件已损坏或格式不对，无法读取")
    try:
        sheet = book.worksheets[0]
        rows = []
        for row in sheet.iter_rows(values_only=True):
            if len(rows) >= max_rows + 20:  # header and title rows come on top of the data
                raise WorkbookError(f"超过 {max_rows} 行，请拆分后再导入")
            rows.append(list(row))
    finally:
        book.close()
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
        sheet.column_dimensions[sheet.cell(row=2, column=i).column_letter].width = max(8, len(str(name)) * 2 + 2)
    if notes:
        extra = book.create_sheet("说明")
        for line in notes:
            extra.append([line])
        extra.column_dimensions["A"].width = 100
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
