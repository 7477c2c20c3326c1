"""The PDF worker processes: a long-lived pool of two, started on the first print.

WeasyPrint's layout is CPU-bound and holds the GIL: in the server's own process one print would
stall every other user's page, so PDFs are laid out in worker processes ("spawn": a fresh
interpreter, no copy of the server's threads and sockets). A pool broken by a dead worker is
replaced on the next print. `stop()` ends the workers at once; the serving entry point calls it
from its SIGTERM/SIGINT handlers, and it runs at exit, so no worker outlives the server.
"""

import atexit
import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager

from . import render, worker

WORKERS = 2
TIMEOUT = 600  # seconds one blocking print may take
# Prints in the workers' hands at once (requests waiting for their PDF, each holding one of
# the server's threads, and background jobs) beyond which a request's print is handed to a
# background job (print_jobs) instead of waiting: the server's threads stay free for pages
# however many people print, and a print that waits waits behind at most WAITING - 1 others.
WAITING = 3

_executor = None
_stopped = False
_lock = threading.Lock()
_in_flight = [0]  # prints in the workers' hands: waited for by a request, or a job's
_flight_lock = threading.Lock()


class Stopped(RuntimeError):
    """The server is stopping: no new print is started."""


def _current():
    global _executor
    with _lock:
        if _stopped:
            raise Stopped("服务器正在停止，请稍后再打印")
        if _executor is None:
            # The workers import only liushou.printing.worker (and WeasyPrint): the functions
            # and the initializer they are given live there, and `liushou` itself loads the
            # application lazily. (A server started as `python app.py` has them import
            # app.py too, as __mp_main__; app.py builds its app under its main guard only.)
            _executor = ProcessPoolExecutor(
                max_workers=WORKERS,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=worker.start,
            )
        return _executor


def _discard(executor):
    """Forget a broken pool so that the next print starts a fresh one."""
    global _executor
    with _lock:
        if _executor is executor:
            _executor = None
    executor.shutdown(wait=False, cancel_futures=True)


def call(fn, *args):
    """A Future of `fn(*args)` run in a worker; `fn` must be a function of `worker`."""
    executor = _current()
    try:
        future = executor.submit(fn, *args)
    except BrokenProcessPool:  # a worker died since the last print: start afresh once
        _discard(executor)
        executor = _current()
        future = executor.submit(fn, *args)

    def forget_if_broken(done):
        if not done.cancelled() and isinstance(done.exception(), BrokenProcessPool):
            _discard(executor)

    future.add_done_callback(forget_if_broken)
    return future


def pdf(html_text, base, timeout=TIMEOUT):
    """PDF bytes of one HTML document, laid out in a worker."""
    return call(worker.pdf, html_text, base).result(timeout=timeout)


class Job:
    """A printout in chunks (see render.Batch) on its way through the workers: the glyph page
    and the layer document first (they run beside the first chunks), then the chunks.
    `chunks` are the Futures of the chunks, in order, for a progress display."""

    def __init__(self, htmls, base):
        self.batch, self.base = render.Batch(htmls), base
        shared = self.batch.shared
        self.glyphs = call(worker.pdf, self.batch.glyph_html, base) if shared else None
        layer_html = self.batch.layer_html
        self.layers = call(worker.pdf, layer_html, base, False) if layer_html else None
        self.chunks = [call(worker.layout, h, base, not shared) for h in self.batch.htmls]

    def pdf(self, parts, timeout=TIMEOUT):
        """One PDF of the chunks' results `parts` (see render.join)."""
        glyphs = self.glyphs.result(timeout=timeout) if self.glyphs else None
        layers = self.layers.result(timeout=timeout) if self.layers else None
        return render.join(parts, glyphs, layers, self.batch)

    def unshared(self):
        """A job for the same chunks, each with its own fonts: the fallback of NotShared."""
        job = Job.__new__(Job)
        job.batch, job.base, job.glyphs = self.batch, self.base, None
        layer_html = self.batch.layer_html
        job.layers = call(worker.pdf, layer_html, self.base) if layer_html else None
        job.chunks = [call(worker.layout, h, self.base) for h in self.batch.htmls]
        return job


@contextmanager
def waiting_slot():
    """Yields True when this request may wait for its print (fewer than WAITING prints are in
    the workers' hands), counting it among them for the block; False when it should hand the
    print to a background job."""
    with _flight_lock:
        admitted = _in_flight[0] < WAITING
        if admitted:
            _in_flight[0] += 1
    try:
        yield admitted
    finally:
        if admitted:
            with _flight_lock:
                _in_flight[0] -= 1


def job_started():
    """A background print job's chunks go to the workers (print_jobs): counted in flight."""
    with _flight_lock:
        _in_flight[0] += 1


def job_ended():
    with _flight_lock:
        _in_flight[0] -= 1


def joined(htmls, base, timeout=TIMEOUT):
    """One PDF of a printout laid out in chunks side by side, with one subset of each font
    for all of it and each layer laid out once (see render.join)."""
    job = Job(htmls, base)
    try:
        return job.pdf([f.result(timeout=timeout) for f in job.chunks], timeout)
    except render.NotShared:
        job = job.unshared()
        return job.pdf([f.result(timeout=timeout) for f in job.chunks], timeout)


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
