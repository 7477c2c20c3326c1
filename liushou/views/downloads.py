"""File downloads the views share: an .xlsx workbook as an attachment with a Chinese filename."""

from urllib.parse import quote

from flask import Response

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(data, filename):
    """The workbook bytes as a download named `filename` (UTF-8, RFC 5987)."""
    response = Response(data, mimetype=XLSX)
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response
