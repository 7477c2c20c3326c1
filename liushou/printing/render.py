"""Template → HTML → PDF, with nothing of a web request or an audit in it.

Fonts come from fontconfig (Debian's fonts-noto-cjk), never from @font-face: the .ttc file's
first face is the Japanese one. HarfBuzz's subsetter (libharfbuzz-subset0) makes writing fast.
WeasyPrint is imported inside the functions that need it: they run in the PDF worker
processes, and the server process never has to load Pango.
"""

import io
from pathlib import Path

from flask import current_app
from pypdf import PdfWriter

from .. import clock, settings

CJK_FAMILY = "Noto Sans CJK SC"


def html(template, *, printed_by="系统", printed_at=None, township=None, **context):
    """The HTML of templates/print/<template>, with the footer's township, user and time.

    Needs the application (its templates and settings), not a request.
    """
    context["printed_by"] = printed_by
    context["printed_at"] = printed_at or clock.now()
    context["township"] = settings.get("township_name") if township is None else township
    return current_app.jinja_env.get_template(f"print/{template}").render(context)


def base_url(static_folder):
    """The base URL the printouts' relative links (CSS, images) resolve against."""
    return Path(static_folder).as_uri() + "/"


def local_fetcher():
    """Resources come from files and data: URLs only: a printout never reaches the network."""
    from weasyprint.urls import URLFetcher  # worker-side only (see the module docstring)

    return URLFetcher(allowed_protocols={"file", "data"})


def pdf(html_text, base):
    """PDF bytes of one HTML document (or one chunk of a long printout)."""
    from weasyprint import HTML  # worker-side only (see the module docstring)

    return HTML(string=html_text, base_url=base, url_fetcher=local_fetcher()).write_pdf()


def join(parts):
    """Chunk PDFs (bytes) joined in order into one PDF."""
    if len(parts) == 1:
        return parts[0]
    writer = PdfWriter()
    for part in parts:
        writer.append(io.BytesIO(part))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
