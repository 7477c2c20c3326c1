"""Printouts: templates/print/*.html rendered to PDF by WeasyPrint, or shown as an HTML preview.

Fonts come from fontconfig (Debian's fonts-noto-cjk), never from @font-face: the .ttc file's
first face is the Japanese one. HarfBuzz's subsetter (libharfbuzz-subset0) makes writing fast.
"""
import ctypes.util
import io
import threading
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

from flask import Response, current_app, g, render_template

from . import settings
from .services.audit import record

CJK_FAMILY = "Noto Sans CJK SC"
# Card batches are laid out in chunks of this many A4 sheets (10 cards each), two at a time.
CARD_SHEETS_PER_CHUNK = 10


def render_html(template, **context):
    """The printout's HTML, with the footer's township, user and time."""
    context.setdefault("printed_at", datetime.now())
    context.setdefault("printed_by", g.user.display_name if g.get("user") else "系统")
    context.setdefault("township", settings.get("township_name"))
    return render_template(f"print/{template}", **context)


def local_fetcher():
    """Resources come from files and data: URLs only: a printout never reaches the network."""
    from weasyprint.urls import URLFetcher
    return URLFetcher(allowed_protocols={"file", "data"})


_POOL = None
_POOL_LOCK = threading.Lock()


def _pool():
    """Two long-lived worker processes for PDF layout: WeasyPrint holds the GIL, and in the
    server's own process one print would stall every other user's page."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor
            _POOL = ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn"))
            import atexit
            atexit.register(_POOL.shutdown, wait=True, cancel_futures=True)
        return _POOL


def html_to_pdf(html):
    base = Path(current_app.static_folder).as_uri() + "/"
    if current_app.config.get("PDF_IN_PROCESS"):
        return _render_chunk(html, base)
    try:
        return _pool().submit(_render_chunk, html, base).result(timeout=600)
    except Exception as e:  # a broken pool (worker killed): start afresh next time
        from concurrent.futures.process import BrokenProcessPool
        if isinstance(e, BrokenProcessPool):
            global _POOL
            _POOL = None
        raise


def _render_chunk(html, base):
    """Worker: one chunk of a long printout to PDF bytes (runs in a separate process)."""
    from weasyprint import HTML
    return HTML(string=html, base_url=base, url_fetcher=local_fetcher()).write_pdf()


def chunks_to_pdf(htmls):
    """Render independent HTML chunks in worker processes and join the PDFs in order.

    Layout is CPU-bound and WeasyPrint holds the GIL, so long batches (hundreds of cards) use
    the second core this way, and each process only holds its own chunk's boxes in memory.
    """
    if len(htmls) == 1:
        return html_to_pdf(htmls[0])
    from pypdf import PdfWriter
    base = Path(current_app.static_folder).as_uri() + "/"
    parts = list(_pool().map(_render_chunk, htmls, [base] * len(htmls)))
    writer = PdfWriter()
    for part in parts:
        writer.append(io.BytesIO(part))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def respond(template, filename, *, preview, actor, obj=None, label="", object_type="",
            chunks=None, **context):
    """The PDF (or the HTML preview) of a printout; every print is audited.

    `chunks`: for long batches, a list of context overrides rendered separately (in parallel)
    and joined; the preview shows them all in one page.
    """
    if chunks and not preview and len(chunks) > 1:
        record(actor, "print", obj, object_type=object_type or None,
               label=label or (str(obj) if obj is not None else filename))
        pdf = chunks_to_pdf([render_html(template, preview=False, **{**context, **c}) for c in chunks])
        return _pdf_response(pdf, filename)
    if chunks:
        merged = {}
        for c in chunks:
            for k, v in c.items():
                merged[k] = merged.get(k, []) + list(v)
        context.update(merged)
    html = render_html(template, preview=preview, **context)
    record(actor, "print", obj, object_type=object_type or None,
           label=label or (str(obj) if obj is not None else filename))
    if preview:
        response = Response(html, mimetype="text/html")
        # The sheet carries its own <style>; allow it here only, scripts stay forbidden.
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "script-src 'none'; frame-ancestors 'none'")
        return response
    return _pdf_response(html_to_pdf(html), filename)


def _pdf_response(pdf, filename):
    from urllib.parse import quote
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(filename)}"
    return response


def doctor():
    """[(ok, message)] about what printing needs on this machine."""
    checks = []
    fc_list = shutil.which("fc-list")
    families = ""
    if fc_list:
        families = subprocess.run([fc_list, ":lang=zh-cn", "family"], capture_output=True,
                                  text=True, timeout=20).stdout
    cjk = CJK_FAMILY in families
    checks.append((cjk, f"中文字体 {CJK_FAMILY}" + ("已安装" if cjk else
                   " 未找到：请安装 fonts-noto-cjk（apt-get install fonts-noto-cjk），否则打印的中文会缺字")))
    subset = ctypes.util.find_library("harfbuzz-subset") is not None
    checks.append((subset, "HarfBuzz 字体子集库" + ("已安装" if subset else
                   " 未找到：请安装 libharfbuzz-subset0，否则生成 PDF 会慢 10–40 倍")))
    try:
        import weasyprint  # noqa: F401
        checks.append((True, f"WeasyPrint {weasyprint.__version__}"))
    except OSError as e:  # Pango missing
        checks.append((False, f"WeasyPrint 无法加载（缺少 Pango？）：{e}"))
    return checks
