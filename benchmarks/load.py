"""Bounded load: simulated users mixing logins, lists, searches, person pages, visit entries and
prints against the real server on loopback; stops by itself.

    .venv/bin/python benchmarks/load.py [--users 50] [--seconds 300] [--persons 3000]
    .venv/bin/python benchmarks/load.py --db /tmp/copy.sqlite3 --password PW   # a copy: it writes
    .venv/bin/python benchmarks/load.py --db postgresql://… --prefix t01,t02    # a county's

Reports requests, errors (any non-2xx/3xx, any "database is locked"), p50/p95/p99 per action.
"""

import argparse
import http.client
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    HOST,
    PASSWORD,
    ROOT,
    add_server_args,
    free_port,
    prepare_database,
    server_script,
    wait_up,
)
from _warm import wait_warmed, warm_up_login  # noqa: E402

USERS = (
    ["admin", "xiangzhen", "lingdao"]
    + [f"cun0{i}" for i in range(1, 4)]
    + [f"wangge0{i}" for i in range(1, 4)]
)


class Client:
    def __init__(self, port, username):
        self.port, self.username, self.cookie = port, username, ""
        self.conn = http.client.HTTPConnection(HOST, port, timeout=60)

    def request(self, method, path, form=None):
        headers = {"Accept-Encoding": "gzip"}
        if self.cookie:
            headers["Cookie"] = self.cookie
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.conn.request(method, path, body, headers)
            r = self.conn.getresponse()
            data = r.read()
        except OSError:
            self.conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
            raise
        if r.getheader("Set-Cookie"):
            self.cookie = r.getheader("Set-Cookie").split(";")[0]
        self.location = r.getheader("Location") or ""
        return r.status, data

    def token(self, path="/"):
        import gzip

        status, data = self.request("GET", path)
        try:
            data = gzip.decompress(data)
        except OSError:
            pass
        match = re.search(rb'name="csrf_token" value="([^"]+)"', data)
        return match.group(1).decode() if match else "", data.decode("utf-8", "replace")


def print_job(client, timed, job, started, results, refresh=2.0, limit=120):
    """A print handed to a background job (the workers were busy): the user's page refreshes
    itself every `refresh` seconds until the PDF is ready, then he downloads it. Records each
    refresh ("print pdf progress"), the download, and the whole wait ("print pdf queued")."""
    import gzip

    ok = False
    for _ in range(int(limit / refresh)):
        time.sleep(refresh)
        t = time.perf_counter()
        try:
            status, data = client.request("GET", job)
        except OSError as e:
            results.append(("print pdf progress", (time.perf_counter() - t) * 1000, False, str(e)))
            break
        results.append(
            ("print pdf progress", (time.perf_counter() - t) * 1000, status < 400, status)
        )
        if status >= 400:
            break
        try:
            data = gzip.decompress(data)
        except OSError:
            pass
        if "下载 PDF".encode() in data:
            ok = timed("print pdf download", "GET", job + ".pdf")
            break
    results.append(("print pdf queued", (time.perf_counter() - started) * 1000, ok, "job"))


def user_loop(port, username, deadline, results, rng, password=PASSWORD):
    client = Client(port, username)

    def timed(action, method, path, form=None):
        t = time.perf_counter()
        try:
            status, data = client.request(method, path, form)
            ok = status < 400 and b"database is locked" not in data
        except OSError as e:
            status, ok = str(e), False
        results.append((action, (time.perf_counter() - t) * 1000, ok, status))
        return ok

    token, _ = client.token("/login")
    timed(
        "login", "POST", "/login", {"username": username, "password": password, "csrf_token": token}
    )
    token, html = client.token("/persons")
    person_ids = [int(i) for i in re.findall(r'href="/persons/(\d+)"', html)] or [1]
    while time.time() < deadline:
        roll = rng.random()
        if roll < 0.25:
            timed("person list", "GET", f"/persons?page={rng.randint(1, 3)}")
        elif roll < 0.40:
            timed(
                "search",
                "GET",
                "/persons?q=" + urllib.parse.quote(rng.choice(["w", "zh", "l", "王", "李", "ys"])),
            )
        elif roll < 0.60:
            timed("person page", "GET", f"/persons/{rng.choice(person_ids)}")
        elif roll < 0.72:
            timed("worklist", "GET", "/visits/due")
        elif roll < 0.80:
            timed("home", "GET", "/")
        elif roll < 0.92 and not username.endswith("lingdao"):
            pid = rng.choice(person_ids)
            token, page = client.token(f"/persons/{pid}/visits/new")
            helpers = re.findall(r'name="helpers" value="(\d+)"', page)[:1]
            timed(
                "visit entry",
                "POST",
                f"/persons/{pid}/visits/new",
                {
                    "csrf_token": token,
                    "persons": [pid],
                    "visited_on": time.strftime("%Y-%m-%d"),
                    "method": "电话",
                    "helpers": helpers,
                    "life": "负载测试",
                },
            )
        elif roll < 0.95:
            timed("print preview", "GET", f"/persons/{rng.choice(person_ids)}/archive.html")
        else:
            started = time.perf_counter()
            timed("print pdf", "GET", f"/persons/{rng.choice(person_ids)}/archive.pdf")
            if client.location.startswith("/print/jobs/"):
                print_job(client, timed, client.location, started, results)
        time.sleep(rng.uniform(0.2, 1.0))  # a person reads before the next tap


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--seconds", type=int, default=300)
    ap.add_argument("--persons", type=int, default=3000)
    ap.add_argument("--db", help="use this database (a copy: logins and visits are written)")
    ap.add_argument("--password", default=PASSWORD, help="the demo users' password")
    ap.add_argument(
        "--prefix",
        default="",
        help="the demo users' prefix (t05: t05cun01 …); several (t01,t02) spread the users",
    )
    ap.add_argument("--threads", type=int, default=8, help="the server's waitress threads")
    add_server_args(ap, "start the users at once, while the server's warm-up may still be counting")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="liushou-load-"))
    db, env, _ = prepare_database(args, work, "load.sqlite3", args.persons)
    users = [p + u for p in args.prefix.split(",") for u in USERS]
    server = [server_script(args, env)]
    port = free_port()
    log = open(work / "server.log", "w+")
    # Its own process group, so the PDF worker processes stop with it.
    proc = subprocess.Popen(
        [sys.executable, *server, "--host", "127.0.0.1", "--port", str(port)]
        + ["--threads", str(args.threads)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    try:
        wait_up(port, proc, "/login")
        if not args.during_warm_up:  # pages timed beside the warm-up measure the warm-up
            cookie = warm_up_login(port, args.prefix.split(",")[0], args.password)
            wait_warmed(port, cookie, args.warm_up_timeout)
        deadline = time.time() + args.seconds
        results = []
        threads = [
            threading.Thread(
                target=user_loop,
                args=(
                    port,
                    users[i % len(users)],
                    deadline,
                    results,
                    random.Random(i),
                    args.password,
                ),
            )
            for i in range(args.users)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=args.seconds + 120)
    finally:
        import signal

        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
        log.seek(0)
        stderr = log.read()
    errors = [r for r in results if not r[2]]
    print(
        f"{args.users} users, {args.seconds} s: {len(results)} requests, {len(errors)} errors, "
        f"'database is locked' in server log: {'database is locked' in stderr}"
    )
    by_action = {}
    for action, ms, _ok, _ in results:
        by_action.setdefault(action, []).append(ms)
    print(f"{'action':<16}{'n':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for action, values in sorted(by_action.items()):
        q = statistics.quantiles(values, n=100) if len(values) > 1 else values * 99
        print(f"{action:<16}{len(values):>7}{q[49]:>9.0f}{q[94]:>9.0f}{q[98]:>9.0f}")
    all_ms = [r[1] for r in results]
    q = statistics.quantiles(all_ms, n=100)
    print(f"{'all':<16}{len(all_ms):>7}{q[49]:>9.0f}{q[94]:>9.0f}{q[98]:>9.0f}")
    # Issue 17 item 6: PDFs apart (also a queued print's progress pages and its download).
    pages = [r[1] for r in results if not r[0].startswith("print pdf")]
    q = statistics.quantiles(pages, n=100)
    print(f"{'pages (no PDF)':<16}{len(pages):>7}{q[49]:>9.0f}{q[94]:>9.0f}{q[98]:>9.0f}")
    if errors:
        print("first errors:", errors[:5])
        raise SystemExit(1)


if __name__ == "__main__":
    main()
