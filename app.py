"""Entry point: `flask --app app ...` calls `create_app`; `python app.py` serves the app with
waitress.

Nothing is built at import: multiprocessing's spawned PDF workers import this file again (as
__mp_main__) when the server was started as `python app.py`, and they need no app.

`python app.py` listens first and does everything else afterwards, in the background: the
printing checks (WeasyPrint loaded in a child interpreter, never in the server), the daily job
(in a child process, see liushou/jobs.py) and the nightly backup's first look. The PDF worker
pool starts on the first print (liushou/printing/pool.py).
"""

import argparse
import ctypes
import signal
import threading
import time

# glibc's malloc: at most two arenas (instead of eight per core: each of waitress's threads
# would otherwise keep its own free memory), and large blocks always given back to the system
# when freed (a fixed mmap threshold: the default one rises, up to 32 MB, with the largest block
# freed, after which blocks that size stay in an arena).
M_ARENA_MAX, M_MMAP_THRESHOLD = -8, -3
ARENAS, MMAP_THRESHOLD = 2, 256 * 1024
DAILY_JOB_DELAY = 5  # seconds after listening: the first pages go first
NIGHTLY_FIRST_LOOK = 60
TRIM_EVERY = 2  # seconds; memory freed by the last requests is returned while idle


def create_app():
    """The application (the factory `flask --app app` finds)."""
    from liushou import create_app as build

    return build()


def lean_malloc():
    """Tune glibc's malloc for a long-lived threaded server (before any thread starts);
    returns malloc_trim, or None where the C library is not glibc."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(M_ARENA_MAX, ARENAS)
        libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
        return libc.malloc_trim
    except (OSError, AttributeError):
        return None


class Quiet:
    """The WSGI app, counting requests in flight: when none has run for a moment, the memory
    the last ones freed is handed back to the system (malloc_trim), so the idle server stays
    small after a burst of large pages."""

    def __init__(self, app, trim):
        self.app, self.trim = app, trim
        self.lock = threading.Lock()
        self.active = self.served = 0
        self.trimmed = None
        self.last = time.monotonic()

    def __call__(self, environ, start_response):
        with self.lock:
            self.active += 1
        try:
            return self.app(environ, start_response)
        finally:
            with self.lock:
                self.active -= 1
                self.served += 1
                self.last = time.monotonic()

    def trim_when_idle(self, rounds=None):
        """Every TRIM_EVERY seconds: trim when requests were served since the last trim, or the
        start-of-day round ended since (`rounds()`: its end; the warm-up's counting frees tens
        of MB with no request after it), and none is in flight."""
        while True:
            time.sleep(TRIM_EVERY)
            with self.lock:
                idle = self.active == 0 and time.monotonic() - self.last >= TRIM_EVERY / 2
                work = (self.served, rounds() if rounds is not None else None)
            if idle and work != self.trimmed:
                self.trim(0)
                self.trimmed = work


def background(target, name):
    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    return thread


def main():
    trim = lean_malloc()
    from waitress import create_server

    from liushou import jobs
    from liushou.backup import start_nightly
    from liushou.backup_pg import is_postgres
    from liushou.printing import pool

    parser = argparse.ArgumentParser(description="Serve liushou with waitress")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    app = create_app()

    def stop(signum, frame):
        """SIGTERM / SIGINT: end the PDF worker processes and the daily job's process first
        (they would otherwise outlive the server, re-parented to PID 1), then leave waitress's
        loop, which ends on SystemExit."""
        pool.stop()
        jobs.stop()
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    wsgi = app
    if trim is not None:
        wsgi = Quiet(app, trim)
        background(
            lambda: wsgi.trim_when_idle(lambda: jobs.warm_up_status()["finished"]),
            "malloc-trim",
        )
    server = create_server(
        wsgi, host=args.host, port=args.port, threads=args.threads, ident="liushou"
    )
    print(f"liushou serving on http://{args.host}:{args.port}/", flush=True)

    def checks():
        from liushou.printing import doctor

        for ok, message in doctor.checks():
            if not ok:
                print(f"警告：{message}", flush=True)

    background(checks, "printing-checks")
    if not is_postgres(app.config["DATABASE"]):  # PostgreSQL: pg_dump on a timer (README)
        start_nightly(
            app.config["DATABASE"],
            app.config["BACKUP_DIR"],
            files_dir=app.config["FILES_DIR"],
            delay=NIGHTLY_FIRST_LOOK,
        )
    jobs.start_daily(app.config["DATABASE"], delay=DAILY_JOB_DELAY)
    server.run()


if __name__ == "__main__":
    main()
