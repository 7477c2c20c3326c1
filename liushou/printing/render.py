"""Template → HTML → PDF, with nothing of a web request or an audit in it.

Fonts come from fontconfig (Debian's fonts-noto-cjk), never from @font-face: the .ttc file's
first face is the Japanese one. HarfBuzz's subsetter (libharfbuzz-subset0) makes writing fast.
WeasyPrint is imported inside the functions that need it: they run in the PDF worker
processes, and the server process never has to load Pango.
"""

import ctypes
import ctypes.util
import functools
import gc
import html as html_escape
import io
import threading
from pathlib import Path

from flask import current_app
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, NameObject

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


class _Deferred(bytes):
    """Stands for a font file WeasyPrint has not copied (see `_lean_fonts`)."""


_deferring = threading.local()


def _lean_fonts():
    """Keep WeasyPrint from copying each whole font file into memory.

    For every face a document uses, WeasyPrint 70 copies the face's whole file into a bytes
    object (Noto Sans CJK: 20 MB a weight, and reading it brings the whole mapped file into
    memory too), though it subsets from HarfBuzz's own face and then replaces the copy with
    the subset. Here the copy is deferred until something needs it: the file is read only
    when the face is not subset (a full-font print, a variable or colour font) or subsetting
    failed. The PDF is byte for byte the same; a worker's peak memory is about 100 MB lower.
    """
    from weasyprint.pdf import fonts  # worker-side only (see the module docstring)

    if getattr(fonts, "_liushou_lean", False):
        return
    read, init, clean = fonts.get_hb_object_data, fonts.Font.__init__, fonts.Font.clean

    def data(hb_object, ot_color=None, glyph=None):
        if ot_color is None and getattr(_deferring, "on", False):
            return _Deferred()
        return read(hb_object, ot_color, glyph)

    def lean_init(self, *args, **kwargs):
        _deferring.on = True
        try:
            init(self, *args, **kwargs)
        finally:
            _deferring.on = False

    def lean_clean(self, to_unicode, hinting):
        if getattr(_deferring, "no_fonts", False):
            return  # a chunk whose pages will use the glyph page's fonts (see `join`)
        if isinstance(self.file_content, _Deferred) and (
            not to_unicode or "fvar" in self.tables or self.png or self.svg or self.colr
        ):
            self.file_content = read(self.hb_face)
        clean(self, to_unicode, hinting)
        if isinstance(self.file_content, _Deferred):  # subsetting failed: embed it whole
            self.file_content = read(self.hb_face)
            clean(self, to_unicode, hinting)

    fonts.get_hb_object_data = data
    fonts.Font.__init__ = lean_init
    fonts.Font.clean = lean_clean
    fonts._liushou_lean = True


def pdf(html_text, base, fonts=True):
    """PDF bytes of one HTML document (or one chunk of a long printout).

    `fonts=False`: the font files are left empty (no subsetting, nothing embedded), for a
    chunk that `join` gives the glyph page's fonts; its PDF is unusable alone.
    """
    from weasyprint import HTML  # worker-side only (see the module docstring)

    _lean_fonts()
    _deferring.no_fonts = not fonts
    try:
        data = HTML(string=html_text, base_url=base, url_fetcher=local_fetcher()).write_pdf()
    finally:
        _deferring.no_fonts = False
    gc.collect()  # the laid-out boxes hold cycles: free them before the next chunk
    _trim()
    return data


@functools.cache
def _malloc_trim():
    try:
        return ctypes.CDLL(ctypes.util.find_library("c")).malloc_trim
    except (OSError, AttributeError, TypeError):  # no C library found, or not glibc
        return None


def _trim():
    """Give freed heap back to the system (glibc keeps it otherwise), so that a worker's
    next chunk starts from the same footprint as its first."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


class NotShared(Exception):
    """The chunks cannot share the glyph page's fonts: lay them out again with their own."""


def glyph_html(htmls):
    """A one-page document that writes every character of `htmls`, regular and bold.

    Laid out by WeasyPrint like any chunk, its font subsets hold every glyph the chunks use:
    WeasyPrint keeps each glyph's id when it subsets (a glyph is addressed by its id in the
    page's text) and names a face after its description, not its content, so the chunks'
    pages can all share this document's fonts (see `join`). The characters are taken from
    the whole markup (tags and style included): a small superset of the text, which also
    covers the footer written in the style sheet.
    """
    chars = set("&<>\"'")
    for text in htmls:
        chars.update(text)
    chars -= set("\r\n\t")
    # Characters common to all scripts (digits, spaces, punctuation) take the script of the
    # text before them, and the font may give them another glyph in Chinese text than in
    # Latin text: write each of them both in a row and after a Chinese character.
    line = "".join(sorted(chars))
    line += "".join("字" + c for c in sorted(chars) if ord(c) < 0x2E80)
    line = html_escape.escape(line)
    return (
        '<!doctype html><html lang="zh-CN" style="font-family:'
        f"'{CJK_FAMILY}',sans-serif;word-break:break-all\"><body>"
        f"<p>{line}</p><p><b>{line}</b></p></body></html>"
    )


def _glyph_ids(font):
    """The glyph ids a Type0 font dictionary of WeasyPrint's declares widths for."""
    ids = set()
    widths = font["/DescendantFonts"][0].get_object().get("/W") or []
    for i in range(0, len(widths) - 1, 2):
        start, values = int(widths[i]), widths[i + 1]
        ids.update(range(start, start + len(values)))
    return ids


def _shared_resources(readers, glyphs):
    """The one resource dictionary every page can use, as {category: {name: object}}, or
    None when the chunks cannot share one (then `join` keeps each chunk's own)."""
    fonts = {name: ref for name, ref in glyphs.pages[0]["/Resources"].get("/Font", {}).items()}
    covered = {name: _glyph_ids(ref.get_object()) for name, ref in fonts.items()}
    shared = {"/Font": fonts}
    for reader in readers:
        refs = {getattr(page.raw_get("/Resources"), "idnum", None) for page in reader.pages}
        if len(refs) != 1 or None in refs:
            return None  # WeasyPrint gives all pages of a document one resource dictionary
        for category, entries in reader.pages[0]["/Resources"].items():
            entries = entries.get_object()
            if not isinstance(entries, DictionaryObject):
                shared.setdefault(category, entries)
                continue
            if category == "/Font":
                for name, ref in entries.items():
                    if name not in covered or not _glyph_ids(ref.get_object()) <= covered[name]:
                        return None  # a glyph or a face the glyph page lacks
                continue
            if category in ("/Pattern", "/Shading") and entries:
                return None  # named per document: not comparable across chunks
            target = shared.setdefault(category, {})
            for name, ref in entries.items():
                # Images are named after their content, graphic states after their values.
                target.setdefault(name, ref)
    return shared


def pdf_joined(htmls, base):
    """`pool.joined` in this process (debugging, profiling)."""
    if len(htmls) == 1:
        return pdf(htmls[0], base)
    glyphs = pdf(glyph_html(htmls), base)
    try:
        return join([pdf(h, base, fonts=False) for h in htmls], glyphs)
    except NotShared:
        return join([pdf(h, base) for h in htmls])


def join(parts, glyphs=None):
    """Chunk PDFs (bytes) joined in order into one PDF.

    With `glyphs` (the PDF of `glyph_html` over the chunks, which were written with
    `fonts=False`), every page shares one resource dictionary: one subset of each font face
    for the whole printout, and each image once. NotShared if a chunk uses a face or a glyph
    the glyph page lacks (never seen: it would take a character drawn another way in a
    chunk than on the glyph page).
    """
    if len(parts) == 1:
        return parts[0]
    writer = PdfWriter()
    if glyphs is None:
        for part in parts:
            writer.append(io.BytesIO(part))
    else:
        readers = [PdfReader(io.BytesIO(part)) for part in parts]
        shared = _shared_resources(readers, PdfReader(io.BytesIO(glyphs)))
        if shared is None:
            raise NotShared()
        resources = DictionaryObject()
        for category, entries in shared.items():
            if isinstance(entries, dict):
                entries = DictionaryObject(
                    {NameObject(name): ref.clone(writer) for name, ref in entries.items()}
                )
            else:
                entries = entries.clone(writer)
            resources[NameObject(category)] = entries
        resources_ref = writer._add_object(resources)
        for reader in readers:
            for page in reader.pages:
                added = writer.add_page(page, excluded_keys=("/Resources",))
                added[NameObject("/Resources")] = resources_ref
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
