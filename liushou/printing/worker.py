"""What runs in a PDF worker process: HTML to PDF bytes with WeasyPrint.

This module imports nothing of the application (no Flask, no peewee, no settings) and WeasyPrint
only inside the functions: the pool's spawned workers import just this file and WeasyPrint
(`liushou/__init__.py` loads the application lazily for the same reason), and the server process
imports it without ever loading Pango.

Fonts come from fontconfig (Debian's fonts-noto-cjk), never from @font-face: the .ttc file's
first face is the Japanese one. HarfBuzz's subsetter (libharfbuzz-subset0) makes writing fast.
"""

import ctypes
import ctypes.util
import functools
import gc
import os
import signal
import sys
import threading

# A card (or any block) that draws a shared layer carries id="<LAYER_ID_PREFIX><key>.<n>":
# its border box is where the layer's page is drawn (see render.join).
LAYER_ID_PREFIX = "layer-"


# How much lower a worker's CPU priority is than the server's: a PDF takes what the pages leave.
PRIORITY = 10


def start():
    """Worker initializer. Ctrl-C in a terminal reaches the whole process group; the server
    decides when its workers end (see pool.stop), so they do not die half-way on their own.
    The worker runs at a lower CPU priority (nice + PRIORITY): on a quiet machine a PDF is as
    quick as before, but while many people use the server its pages go first and a print waits
    (a long one becomes a background print job with its progress page)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        os.nice(PRIORITY)
    except OSError:  # not allowed here: print at the server's priority
        pass


def niceness():
    """This process's nice value (tests: the workers yield to the server)."""
    return os.nice(0)


def imported(name):
    """Whether module `name` is loaded in this process (tests: a worker stays lean)."""
    return name in sys.modules


def local_fetcher():
    """Resources come from files and data: URLs only: a printout never reaches the network."""
    from weasyprint.urls import URLFetcher

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
    from weasyprint.pdf import fonts

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
            return  # a chunk whose pages will use the glyph page's fonts (see render.join)
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


def layout(html_text, base, fonts=True):
    """(PDF bytes, layer places) of one HTML document (or one chunk of a long printout).

    `fonts=False`: the font files are left empty (no subsetting, nothing embedded), for a
    chunk that render.join gives the glyph page's fonts; its PDF is unusable alone.
    Layer places: for each page, [(layer key, x, y)] in PDF points from the page's top-left
    corner, one per element whose id is LAYER_ID_PREFIX + key + "." + a number.
    """
    from weasyprint import HTML

    _lean_fonts()
    _deferring.no_fonts = not fonts
    try:
        document = HTML(string=html_text, base_url=base, url_fetcher=local_fetcher()).render()
        places = [
            [
                (name[len(LAYER_ID_PREFIX) :].rsplit(".", 1)[0], box[0] * 0.75, box[1] * 0.75)
                for name, box in page.anchors.items()
                if name.startswith(LAYER_ID_PREFIX)
            ]
            for page in document.pages
        ]
        data = document.write_pdf()
    finally:
        _deferring.no_fonts = False
    del document
    gc.collect()  # the laid-out boxes hold cycles: free them before the next chunk
    trim_heap()
    return data, places


def pdf(html_text, base, fonts=True):
    """PDF bytes of one HTML document (see `layout`)."""
    return layout(html_text, base, fonts)[0]


@functools.cache
def _malloc_trim():
    try:
        return ctypes.CDLL(ctypes.util.find_library("c")).malloc_trim
    except (OSError, AttributeError, TypeError):  # no C library found, or not glibc
        return None


def trim_heap():
    """Give freed heap back to the system (glibc keeps it otherwise), so that a worker's
    next chunk starts from the same footprint as its first."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
