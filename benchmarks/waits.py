"""Item 2 of issue 17: does any write wait behind the daily recheck?

    .venv/bin/python benchmarks/waits.py [--persons 100000] [--db FILE] [--clients 4]

Builds a demo database (or copies --db), starts the real server (whose start-of-day job runs
first; we wait for it), then runs the next day's job in this process, as the server would at
midnight: every person's categories re-derived and every visit state brought up to the day.
Meanwhile `clients` village cadres log in and record visits through the server, again and
again. Reports how long each of the job's transactions held the write lock (max, p99), the
job's duration, and the cadres' login and visit-save latencies while it ran, and any answer that
was not a redirect (a 503 系统繁忙 or a 500).
"""

import argparse
import http.client
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import HOST, ROOT, TOKEN, build_demo, env_for, free_port, login, wait_up  # noqa: E402

sys.path.insert(0, str(ROOT))


def cadre(port, username, stop, out):
    """Log in, then record a visit to each of the first persons of the worklist, until told."""
    c = http.client.HTTPConnection(HOST, port, timeout=120)
    while not stop.is_set():
        t = time.perf_counter()
        cookie = login(port, username)
        out.append(("login", time.perf_counter() - t, 303))
        c.request("GET", "/visits/due", headers={"Cookie": cookie})
        r = c.getresponse()
        page = r.read().decode()
        cookie = (r.getheader("Set-Cookie") or cookie).split(";")[0]
        for path in re.findall(r'href="(/persons/\d+/visits/new)[^"]*"', page)[:5]:
            if stop.is_set():
                break
            c.request("GET", path, headers={"Cookie": cookie})
            r = c.getresponse()
            form = r.read().decode()
            cookie = (r.getheader("Set-Cookie") or cookie).split(";")[0]
            helper = re.search(r'name="helpers" value="(\d+)" checked', form)
            person = re.search(r'name="persons" value="(\d+)" checked', form)
            body = urllib.parse.urlencode(
                {
                    "csrf_token": TOKEN.search(form).group(1),
                    "persons": person.group(1),
                    "helpers": helper.group(1) if helper else "",
                    "visited_on": time.strftime("%Y-%m-%d"),
                    "method": "上门",
                    "life": "生活正常",
                }
            )
            t = time.perf_counter()
            c.request(
                "POST",
                path,
                body,
                {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
            )
            r = c.getresponse()
            r.read()
            out.append(("visit", time.perf_counter() - t, r.status))


def run_job(db):
    """The next day's job in this process; returns (seconds, [lock hold of each transaction])."""
    from liushou import clock, create_app, jobs
    from liushou.db import database

    holds, began = [], {}
    begin, commit = database.obj.begin, database.obj.commit

    def timed_begin(lock_type=None):
        begin(lock_type)
        began["at"] = time.perf_counter()

    def timed_commit():
        commit()
        holds.append(time.perf_counter() - began.pop("at"))

    database.obj.begin, database.obj.commit = timed_begin, timed_commit
    app = create_app({"DATABASE": str(db)})
    with app.app_context():
        t = time.perf_counter()
        jobs.run_daily(clock.today() + timedelta(days=1))
        return time.perf_counter() - t, holds


def quantiles(values):
    if len(values) < 2:
        return values[0] if values else 0, values[0] if values else 0
    q = statistics.quantiles(values, n=100)
    return q[94], q[98]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--persons", type=int, default=100000)
    ap.add_argument("--db", help="copy this database instead of building a demo")
    ap.add_argument("--clients", type=int, default=4)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="liushou-waits-"))
    db = work / "waits.sqlite3"
    env = env_for(db, work)
    if args.db:
        shutil.copy(args.db, db)
    else:
        print(f"demo of {args.persons} persons built in {build_demo(env, args.persons):.1f} s")
    port = free_port()
    log = open(work / "server.log", "w+")
    server = subprocess.Popen(
        [sys.executable, "app.py", "--host", HOST, "--port", str(port), "--threads", "8"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    try:
        wait_up(port, server, "/login")
        deadline = time.time() + 1800
        while "daily recheck" not in (work / "server.log").read_text() and time.time() < deadline:
            time.sleep(1)  # the server's own start-of-day job first
        stop, out = threading.Event(), []
        users = [f"cun{i:02d}" for i in range(1, 4)]
        clients = [
            threading.Thread(target=cadre, args=(port, users[i % 3], stop, out))
            for i in range(args.clients)
        ]
        for t in clients:
            t.start()
        took, holds = run_job(db)
        stop.set()
        for t in clients:
            t.join(timeout=300)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        log.seek(0)
        server_log = log.read()
    p95, p99 = quantiles(holds)
    print(
        f"job: {took:.1f} s, {len(holds)} transactions, write lock held max {max(holds) * 1000:.0f}"
        f" ms, p99 {p99 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms"
    )
    for action in ("login", "visit"):
        times = [s for a, s, _ in out if a == action]
        if times:
            p95, p99 = quantiles(times)
            print(
                f"{action}: {len(times)} while the job ran, max {max(times) * 1000:.0f} ms,"
                f" p99 {p99 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms"
            )
    bad = [o for o in out if o[2] != 303]
    print(f"answers other than a redirect: {len(bad)} {bad[:5]}")
    print(f"'database is locked' in the server log: {'database is locked' in server_log}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
