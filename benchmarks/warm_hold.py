"""Issue 17 item 3: the start-of-day warm-up serves the township's report for long, not a minute.

    .venv/bin/python benchmarks/warm_hold.py --db /tmp/copy.sqlite3 --password PW \
        [--user xiangzhen] [--rerun-job] [--during-job] [--until 180] [--every 15] [--root CHECKOUT]

Starts the real server (`python app.py` of --root, default this checkout) on the database and
waits for the start-of-day job (in its child process) to be recorded as done. With
--rerun-job, today's "job done" row is removed first (give it a copy!), so the child really
rechecks every person and commits its batches beside the server. Then it logs in as --user and
times GET /reports (the township report of the current month) and GET / every --every seconds
until --until seconds after the server started. A warm page answers in milliseconds, a
recounted one in seconds (the township's report at 100,000 persons: about 4 s). With
--during-job it logs in at once and times the same pages every --every seconds while the job
runs too (lines marked "job"): each batch the child commits moves the shared counter, so a page
read after one is recounted.

Logins are audited and the job writes: give it a copy of a database.
"""

import argparse
import http.client
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import HOST, ROOT, env_for, free_port, login, query, wait_up  # noqa: E402


def loadavg():
    return float(Path("/proc/loadavg").read_text().split()[0])


def timed_get(port, cookie, path):
    """(status, seconds) of one GET with the session `cookie` (a dict: {"cookie": value}),
    kept as the server renews it (the idle limit counts from the last renewal: a cookie never
    renewed is logged out after 30 minutes, however often it is used)."""
    c = http.client.HTTPConnection(HOST, port, timeout=300)
    started = time.perf_counter()
    c.request("GET", path, headers={"Cookie": cookie["cookie"], "Accept-Encoding": "gzip"})
    r = c.getresponse()
    r.read()
    took = time.perf_counter() - started
    if r.getheader("Set-Cookie"):
        cookie["cookie"] = r.getheader("Set-Cookie").split(";")[0]
    return r.status, took


def sample(port, cookie, started, mark=""):
    """Time /reports and / once, print them (marked `mark`); returns the seconds since
    `started` at which the sample began."""
    at = time.monotonic() - started
    status, report = timed_get(port, cookie, "/reports")
    _, home = timed_get(port, cookie, "/")
    print(
        f"t={at:6.1f} s  /reports {status} {report * 1000:8.1f} ms   "
        f"/ {home * 1000:7.1f} ms   load {loadavg():.1f}{'   ' + mark if mark else ''}",
        flush=True,
    )
    return at


def job_done(db):
    rows = query(
        db,
        "SELECT value FROM setting WHERE key = 'categories_checked_on' ORDER BY valid_from DESC, "
        "id DESC LIMIT 1",
    )
    return bool(rows) and rows[0][0].strip('"') == time.strftime("%Y-%m-%d")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--user", default="xiangzhen")
    parser.add_argument("--rerun-job", action="store_true")
    parser.add_argument("--during-job", action="store_true")
    parser.add_argument("--until", type=float, default=180.0)
    parser.add_argument("--every", type=float, default=15.0)
    parser.add_argument("--root", default=str(ROOT))
    args = parser.parse_args()
    db = str(Path(args.db).resolve())
    if args.rerun_job:
        import sqlite3

        con = sqlite3.connect(db)
        with con:
            con.execute(
                "DELETE FROM setting WHERE key = 'categories_checked_on' AND valid_from = ?",
                (time.strftime("%Y-%m-%d"),),
            )
        con.close()
    work = tempfile.mkdtemp(prefix="warm-hold-")
    port = free_port()
    env = env_for(db, work)
    proc = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port)],
        cwd=args.root,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
    )
    started = time.monotonic()
    try:
        wait_up(port, proc, "/login")
        print(f"up after {time.monotonic() - started:.1f} s, load {loadavg():.1f}", flush=True)
        cookie = {"cookie": login(port, args.user, args.password)} if args.during_job else None
        sampled = time.monotonic()
        while not job_done(db):
            if proc.poll() is not None:
                raise SystemExit("server exited")
            if cookie and time.monotonic() - sampled >= args.every:
                sample(port, cookie, started, "job")
                sampled = time.monotonic()
            time.sleep(1)
        print(f"day's job done at {time.monotonic() - started:.1f} s", flush=True)
        cookie = cookie or {"cookie": login(port, args.user, args.password)}
        while True:
            at = sample(port, cookie, started)
            if at >= args.until:
                break
            time.sleep(args.every)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)  # the instance: its first nightly backup too


if __name__ == "__main__":
    main()
