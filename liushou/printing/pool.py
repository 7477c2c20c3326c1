"""The PDF worker processes: a long-lived pool of two, started on the first print.

WeasyPrint's layout is CPU-bound and holds the GIL: in the server's own process one print would
stall every other user's page, so PDFs are laid out in worker processes ("spawn": a fresh
interpreter, no copy of the server's threads and sockets). A pool broken by a dead worker is
replaced on the next print. `stop()` ends the workers at once; the serving entry point calls it
from its SIGTERM/SIGINT handlers, and it runs at exit, so no worker outlives the server.
"""

import atexit
import multiprocessing
import signal
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from . import render

WORKERS = 2
TIMEOUT = 600  # seconds one blocking print may take

_executor = None
_stopped = False
_lock = threading.Lock()


class Stopped(RuntimeError):
    """The server is stopping: no new print is started."""


def _ignore_interrupts():
    """Worker initializer: Ctrl-C in a terminal reaches the whole process group; the server
    decides when its workers end (see stop), so they do not die half-way on their own."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _current():
    global _executor
    with _lock:
        if _stopped:
            raise Stopped("服务器正在停止，请稍后再打印")
        if _executor is None:
            _executor = ProcessPoolExecutor(
                max_workers=WORKERS,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_ignore_interrupts,
            )
        return _executor


def _discard(executor):
    """Forget a broken pool so that the next print starts a fresh one."""
    global _executor
    with _lock:
        if _executor is executor:
            _executor = None
    executor.shutdown(wait=False, cancel_futures=True)


def submit(html_text, base, fonts=True):
    """Lay one HTML document out as PDF in a worker; a Future of the PDF bytes.

    `fonts=False`: a chunk for `render.join` with a glyph page (see render.pdf)."""
    executor = _current()
    try:
        future = executor.submit(render.pdf, html_text, base, fonts)
    except BrokenProcessPool:  # a worker died since the last print: start afresh once
        _discard(executor)
        executor = _current()
        future = executor.submit(render.pdf, html_text, base, fonts)

    def forget_if_broken(done):
        if not done.cancelled() and isinstance(done.exception(), BrokenProcessPool):
            _discard(executor)

    future.add_done_callback(forget_if_broken)
    return future


def pdf(html_text, base, timeout=TIMEOUT):
    """PDF bytes of one HTML document, laid out in a worker."""
    return submit(html_text, base).result(timeout=timeout)


def pdfs(htmls, base, timeout=TIMEOUT, fonts=True):
    """PDF bytes of several independent documents, in order, laid out side by side."""
    futures = [submit(h, base, fonts) for h in htmls]
    return [f.result(timeout=timeout) for f in futures]


def submit_glyphs(htmls, base):
    """A Future of the PDF of `render.glyph_html(htmls)` (None for a single document): the
    fonts that chunks joined by `render.join` share."""
    if len(htmls) < 2:
        return None
    return submit(render.glyph_html(htmls), base)


def joined(htmls, base, timeout=TIMEOUT):
    """One PDF of a long printout laid out in chunks side by side, with one subset of each
    font for all of it (see render.join)."""
    if len(htmls) == 1:
        return pdf(htmls[0], base, timeout)
    glyphs = submit_glyphs(htmls, base)  # first: it runs beside the first chunk
    parts = pdfs(htmls, base, timeout, fonts=False)
    try:
        return render.join(parts, glyphs.result(timeout=timeout))
    except render.NotShared:
        return render.join(pdfs(htmls, base, timeout))


def stop():
    """End the worker processes now (running prints are abandoned); no pool starts after this."""
    global _executor, _stopped
    with _lock:
        executor, _executor, _stopped = _executor, None, True
    if executor is None:
        return
    terminate = getattr(executor, "terminate_workers", None)  # Python 3.14+
    if terminate is not None:
        terminate()
        return
    # Before 3.14 the executor offers no public way to end busy workers; its process table is
    # the only handle on them.
    processes = list((getattr(executor, "_processes", None) or {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=5)
        if process.is_alive():
            process.kill()
            process.join(timeout=5)


atexit.register(stop)
