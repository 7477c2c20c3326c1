"""Long printouts as background jobs: the user sees a page that refreshes itself with the
progress (no JavaScript needed) and downloads the PDF when it is ready."""

import secrets
import threading
import time
from pathlib import Path

from .printing import pool, render, worker

_JOBS = {}
_LOCK = threading.Lock()
KEEP_SECONDS = 3600
CHUNK_TIMEOUT = 1800  # seconds one chunk may wait and take in the worker pool
# Unfinished jobs one user may have at once: each holds its pages in the workers' queue and a
# thread of the server; one user asking again and again must not queue without end. An office
# account is often shared by a few people printing at once, and under load (the workers yield
# the CPU to pages) a job takes a while: room for two each of three people.
PER_USER = 6
BUSY = "您已有 {n} 份打印正在后台生成，请等它们完成后再打印。"


class Busy(Exception):
    """The user already has PER_USER unfinished jobs: nothing was queued."""


def _unfinished(user_id):
    return sum(1 for j in _JOBS.values() if j["user"] == user_id and not (j["path"] or j["error"]))


def check(user_id):
    """Raise Busy when the user may start no further job now (checked again by `start`)."""
    with _LOCK:
        if _unfinished(user_id) >= PER_USER:
            raise Busy(BUSY.format(n=PER_USER))


def start(user_id, label, htmls, base, folder, scope=None):
    """Queue the chunks on the PDF worker pool; returns the job id at once. `scope`: the
    user's area when he asked (see `get`)."""
    job_id = secrets.token_hex(8)
    job = {
        "user": user_id,
        "scope": scope,
        "label": label,
        "total": len(htmls),
        "done": 0,
        "error": "",
        "path": None,
        "started": time.time(),
    }
    with _LOCK:
        _forget_old()
        if _unfinished(user_id) >= PER_USER:
            raise Busy(BUSY.format(n=PER_USER))
        _JOBS[job_id] = job
    pool.job_started()
    try:
        work = pool.Job(htmls, base)  # glyph page, layers and chunks queued on the pool
    except BaseException:
        pool.job_ended()
        with _LOCK:
            job["error"] = "生成失败"  # not left counted among his unfinished jobs
        raise

    def collect():
        nonlocal work
        try:
            try:
                pdf = work.pdf(_collect(job, work.chunks), CHUNK_TIMEOUT)
            except render.NotShared:  # each chunk with its own fonts, then (see render.join)
                with _LOCK:
                    job["done"] = 0
                work = work.unshared()
                pdf = work.pdf(_collect(job, work.chunks), CHUNK_TIMEOUT)
            path = Path(folder) / f"{job_id}.pdf"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(pdf)
            with _LOCK:
                job["path"] = str(path)
        except Exception as e:  # the page shows it; nothing else depends on the job
            with _LOCK:
                job["error"] = f"生成失败：{e}"
        finally:
            pool.job_ended()
            del work
            worker.trim_heap()  # the chunks and their join, freed: back to the system now

    threading.Thread(target=collect, name=f"print-{job_id}", daemon=True).start()
    release_reads()
    return job_id


def release_reads():
    """The printout's rows are read and its HTML is built: the memory the reads left behind
    goes back to the system before the chunks come back to be joined, so the server's peak
    while printing is the larger of the two, not their sum (issue 17 item 5: 1,000 cards at
    100,000 persons). SQLite's page cache of this connection (up to db.PRAGMAS' cache_size:
    a township's reads fill it) is emptied, then the freed heap is trimmed (glibc)."""
    from .db import database

    try:
        if getattr(database, "dialect", "") == "sqlite" and not database.is_closed():
            database.connection().execute("PRAGMA shrink_memory")
    except Exception:  # noqa: BLE001 - memory only: the print goes on
        pass
    worker.trim_heap()


def _collect(job, futures):
    """The chunks' PDFs in order, counting each one done for the progress page."""
    parts = []
    for future in futures:
        parts.append(future.result(timeout=CHUNK_TIMEOUT))
        with _LOCK:
            job["done"] += 1
    return parts


def get(job_id, user_id, scope=None):
    """A copy of the job if it is this user's and his area (`scope`) is still the one he had
    when he asked, else None: a user moved to another village, given another role or grid,
    no longer gets the PDF of persons his area no longer holds."""
    with _LOCK:
        job = _JOBS.get(job_id)
        if not job or job["user"] != user_id or job["scope"] != scope:
            return None
        return dict(job)


def _forget_old():
    now = time.time()
    for key in [k for k, j in _JOBS.items() if now - j["started"] > KEEP_SECONDS]:
        path = _JOBS[key].get("path")
        if path:
            Path(path).unlink(missing_ok=True)
        del _JOBS[key]
