"""`python app.py`, measured: the same server (waitress, its threads, the PDF workers) with hooks
that say where each request's time goes. For benchmarks only (load.py --profile starts it).

    LIUSHOU_PROFILE=out.txt .venv/bin/python benchmarks/serve_profiled.py --port 8080

Per action (the request's method and path pattern), server side:
- queue: from waitress handing the request to its task queue to a thread taking it (requests
  waiting for a free waitress thread), and the queue's length when it was added;
- app: wall time inside the WSGI app, and its thread's CPU time (the rest is waiting: for the
  GIL, for SQLite's lock, for a PDF worker);
- sql: statements and their wall time; begin: time spent in BEGIN (IMMEDIATE: the write lock);
- page cache hits/misses, figure_cache computes (and their seconds), pages not kept (stale
  figures);
- a sampling profiler (every 5 ms) of the waitress threads: the innermost frames of liushou
  code and the innermost frame of all, per action, so "waiting on" shows by name.
The report is written to $LIUSHOU_PROFILE at exit (SIGTERM) and every 30 s.
"""

import atexit
import collections
import os
import re
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = os.environ.get("LIUSHOU_PROFILE", "profile.txt")
SAMPLE_EVERY = 0.005

_lock = threading.Lock()
_stats = collections.defaultdict(lambda: collections.defaultdict(float))
_samples = collections.defaultdict(collections.Counter)
_local = threading.local()
_active = {}  # thread id -> action
_started = time.time()


def action_of(method, path):
    path = re.sub(r"/\d+", "/N", path.split("?", 1)[0])
    return f"{method} {path}"


def add(action, **values):
    with _lock:
        row = _stats[action]
        row["n"] += values.pop("n", 0)
        for k, v in values.items():
            row[k] += v
            row[k + "_max"] = max(row[k + "_max"], v)


def _scope_kind(scope):
    if getattr(scope, "everything", False) or getattr(scope, "township_ids", None):
        return "township"
    if getattr(scope, "helper_ids", None) is not None:
        return "helper"
    return "grid" if getattr(scope, "grid_ids", None) else "village"


def install():
    import waitress.task
    from waitress.task import ThreadedTaskDispatcher, WSGITask

    from liushou import db, figure_cache, page_cache

    add_task = ThreadedTaskDispatcher.add_task

    def add_task_timed(self, task):
        task._queued_at = time.perf_counter()  # the channel: it makes the WSGITask later
        task._queue_len = len(self.queue)
        return add_task(self, task)

    ThreadedTaskDispatcher.add_task = add_task_timed
    execute = WSGITask.execute

    def execute_timed(self):
        now = time.perf_counter()
        _local.queued = now - getattr(self.channel, "_queued_at", now)
        _local.queue_len = getattr(self.channel, "_queue_len", 0)
        return execute(self)

    WSGITask.execute = execute_timed
    assert waitress.task.WSGITask.execute is execute_timed

    sql = db.Database.execute_sql

    def execute_sql(self, query, params=None):
        t = time.perf_counter()
        try:
            return sql(self, query, params)
        finally:
            if getattr(_local, "on", False):
                _local.sql_n += 1
                _local.sql_s += time.perf_counter() - t

    db.Database.execute_sql = execute_sql
    begin = db.Database.begin

    def begin_timed(self, lock_type=None):
        t = time.perf_counter()
        try:
            return begin(self, lock_type)
        finally:
            if getattr(_local, "on", False):
                _local.begin_s += time.perf_counter() - t
                _local.begins += 1

    db.Database.begin = begin_timed
    lookup = page_cache._lookup

    def lookup_noted(key):
        body = lookup(key)
        if getattr(_local, "on", False):
            _local.hit += body is not None
            _local.miss += body is None
        return body

    page_cache._lookup = lookup_noted
    compute = figure_cache._compute

    def compute_timed(key, *args, **kwargs):
        t = time.perf_counter()
        try:
            return compute(key, *args, **kwargs)
        finally:
            dt = time.perf_counter() - t
            if getattr(_local, "on", False):
                _local.fig_n += 1
                _local.fig_s += dt
                # Which figures a request counted, and for what scope (township/village/grid).
                add(f"(figure count {key[1]} {_scope_kind(key[2])})", n=1, s=dt)
            else:
                add(f"(figure recount {key[1]})", n=1, s=dt)

    figure_cache._compute = compute_timed
    patched = figure_cache._patched

    def patched_timed(key, *args, **kwargs):
        t = time.perf_counter()
        entry = patched(key, *args, **kwargs)
        # A kept list patched for the persons of the visits since (None: counted again).
        outcome = "patch" if entry is not None else "patch refused"
        add(f"(figure {outcome} {key[1]} {_scope_kind(key[2])})", n=1, s=time.perf_counter() - t)
        return entry

    figure_cache._patched = patched_timed


class Measured:
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        action = action_of(environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""))
        ident = threading.get_ident()
        _active[ident] = action
        _local.on = True
        _local.sql_n = _local.hit = _local.miss = _local.fig_n = _local.begins = 0
        _local.sql_s = _local.begin_s = _local.fig_s = 0.0
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            body = self.app(environ, start_response)
            # waitress writes the body after the app returns: join it here, so it is counted
            body = [b"".join(body)] if isinstance(body, list) else body
            return body
        finally:
            _local.on = False
            _active.pop(ident, None)
            add(
                action,
                n=1,
                app_s=time.perf_counter() - wall,
                cpu_s=time.thread_time() - cpu,
                queue_s=getattr(_local, "queued", 0.0),
                queue_len=getattr(_local, "queue_len", 0),
                sql_n=_local.sql_n,
                sql_s=_local.sql_s,
                begin_s=_local.begin_s,
                begins=_local.begins,
                hit=_local.hit,
                miss=_local.miss,
                fig_n=_local.fig_n,
                fig_s=_local.fig_s,
            )


def sampler():
    me = threading.get_ident()
    while True:
        time.sleep(SAMPLE_EVERY)
        frames = sys._current_frames()
        for ident, action in list(_active.items()):
            frame = frames.get(ident)
            if frame is None or ident == me:
                continue
            inner = f"{Path(frame.f_code.co_filename).name}:{frame.f_code.co_name}"
            ours = []
            f = frame
            while f is not None and len(ours) < 3:
                if "/liushou/" in f.f_code.co_filename:
                    ours.append(f"{Path(f.f_code.co_filename).stem}.{f.f_code.co_name}")
                f = f.f_back
            with _lock:
                _samples[action][(" < ".join(ours), inner)] += 1


def report():
    with _lock:
        stats = {k: dict(v) for k, v in _stats.items()}
        samples = {k: v.most_common(8) for k, v in _samples.items()}
    lines = [f"{time.time() - _started:.0f} s of serving; per action, means in ms (max)"]
    head = "action n app cpu queue(qlen) sql_n sql begin(n) hit/miss fig_n fig_ms"
    lines.append(head)
    for action, r in sorted(stats.items(), key=lambda kv: -kv[1].get("app_s", kv[1].get("s", 0))):
        n = r["n"] or 1
        if "app_s" not in r:
            lines.append(f"{action} n={r['n']:.0f} mean {r['s'] / n * 1000:.0f} ms")
            continue

        def ms(k, r=r, n=n):
            return f"{r[k] / n * 1000:.1f}({r[k + '_max'] * 1000:.0f})"

        lines.append(
            f"{action} n={r['n']:.0f} app {ms('app_s')} cpu {ms('cpu_s')} queue {ms('queue_s')}"
            f" qlen {r['queue_len'] / n:.1f}({r['queue_len_max']:.0f}) sql {r['sql_n'] / n:.1f}"
            f" {ms('sql_s')} begin {ms('begin_s')} x{r['begins']:.0f} hit/miss"
            f" {r['hit']:.0f}/{r['miss']:.0f} fig {r['fig_n']:.0f} {ms('fig_s')}"
            f" total app s {r['app_s']:.1f} cpu s {r['cpu_s']:.1f}"
        )
    lines.append("\nsamples (every 5 ms) per action: liushou frames < ... | innermost frame")
    for action, top in sorted(samples.items()):
        total = sum(_samples[action].values())
        lines.append(f"{action} ({total})")
        for (ours, inner), count in top:
            lines.append(f"  {count / total:5.1%} {ours} | {inner}")
    Path(OUT).write_text("\n".join(lines) + "\n")


def every(seconds):
    while True:
        time.sleep(seconds)
        report()


def main():
    import waitress

    import app

    install()
    create_server = waitress.create_server

    def create_measured(wsgi, **kwargs):
        return create_server(Measured(wsgi), **kwargs)

    waitress.create_server = create_measured
    atexit.register(report)
    for target in (sampler, lambda: every(30)):
        threading.Thread(target=target, daemon=True).start()
    try:
        app.main()
    finally:
        report()


if __name__ == "__main__":
    main()
