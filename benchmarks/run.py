"""Measure liushou's pages under concurrent load beside a bare Flask+waitress page, same run.

    .venv/bin/python benchmarks/run.py [--persons 2000] [--db FILE] [--requests 300]
                                       [--concurrency 16] [--threads 8]

Builds a demo database (unless --db is given), starts `python app.py` and benchmarks/bare_app.py
on free loopback ports, logs in through the form, then requests each URL of PAGES with
`concurrency` keep-alive clients. Loopback only; bounded in requests and time; stops by itself.
Prints a table and writes JSON to benchmarks/out/.
"""
import argparse
import http.client
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench12345"
# (label, user, URL). Later issues add their pages here.
PAGES = [
    ("login", None, "/login"),
    ("home (admin)", "admin", "/"),
    ("home (village)", "cun01", "/"),
    ("helpers", "cun01", "/helpers"),
    ("worklist", "cun01", "/visits/due"),
    ("persons list", "cun01", "/persons"),
    ("search zs", "admin", "/persons?q=zs"),
    ("person page", "cun01", "/persons/1"),
    ("needs", "admin", "/needs"),
    ("report year", "admin", "/reports?period=year"),
    ("audit log", "admin", "/admin/audit"),
    ("places", "admin", "/admin/places"),
]
TIME_LIMIT = 240  # seconds for the whole load phase


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(port, proc, path="/"):
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit("server exited early")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", path)
            c.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("server did not start")


def login(port, username):
    """A session cookie for `username`, logged in through the real form."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", "/login")
    r = c.getresponse()
    html = r.read().decode()
    cookie = r.getheader("Set-Cookie").split(";")[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    body = urllib.parse.urlencode({"username": username, "password": PASSWORD, "csrf_token": token})
    c.request("POST", "/login", body, {"Cookie": cookie,
                                        "Content-Type": "application/x-www-form-urlencoded"})
    r = c.getresponse()
    r.read()
    assert r.status == 303, f"login {username}: {r.status}"
    return r.getheader("Set-Cookie").split(";")[0]


def hammer(port, path, cookie, total, concurrency, deadline):
    """Issue `total` GETs over `concurrency` keep-alive connections; latencies in ms."""
    latencies, errors, lock = [], [], threading.Lock()
    counter = iter(range(total))

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Accept-Encoding": "gzip"}
        if cookie:
            headers["Cookie"] = cookie
        for _ in counter:
            if time.time() > deadline:
                break
            t = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                r = conn.getresponse()
                r.read()
                ok = r.status == 200
            except OSError as e:
                ok, conn = False, http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                r = e
            ms = (time.perf_counter() - t) * 1000
            with lock:
                (latencies if ok else errors).append(ms if ok else str(getattr(r, "status", r)))

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    return latencies, errors, elapsed


def stats(latencies, errors, elapsed):
    if not latencies:
        return {"requests": 0, "errors": len(errors)}
    q = statistics.quantiles(latencies, n=100)
    return {"requests": len(latencies), "errors": len(errors), "rps": len(latencies) / elapsed,
            "p50": q[49], "p95": q[94], "p99": q[98]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=2000)
    ap.add_argument("--db")
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--threads", type=int, default=8)
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="liushou-bench-"))
    db = Path(args.db) if args.db else work / "bench.sqlite3"
    env = {**os.environ, "LIUSHOU_DATABASE": str(db), "LIUSHOU_INSTANCE": str(work / "instance")}
    if not args.db:
        t = time.time()
        subprocess.run([sys.executable, "-m", "flask", "--app", "app", "demo", "--persons",
                        str(args.persons), "--password", PASSWORD], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        print(f"demo database with {args.persons} persons built in {time.time() - t:.1f} s")
    app_port, bare_port = free_port(), free_port()
    procs = [
        subprocess.Popen([sys.executable, "app.py", "--host", "127.0.0.1", "--port", str(app_port),
                          "--threads", str(args.threads)], cwd=ROOT, env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
        subprocess.Popen([sys.executable, str(ROOT / "benchmarks" / "bare_app.py"), str(bare_port)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
    ]
    try:
        wait_up(app_port, procs[0], "/login")
        wait_up(bare_port, procs[1])
        deadline = time.time() + TIME_LIMIT
        results = {}
        bare = stats(*hammer(bare_port, "/", None, args.requests, args.concurrency, deadline))
        results["bare flask page"] = bare
        cookies = {}
        for label, user, path in PAGES:
            if user and user not in cookies:
                cookies[user] = login(app_port, user)
            results[label] = stats(*hammer(app_port, path, cookies.get(user), args.requests,
                                           args.concurrency, deadline))
        print(f"\n{'page':<22}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}{'vs bare':>9}")
        for label, s in results.items():
            if not s.get("requests"):
                print(f"{label:<22} no successful requests, {s['errors']} errors")
                continue
            ratio = s["rps"] / bare["rps"] if bare.get("rps") else 0
            print(f"{label:<22}{s['rps']:8.0f}{s['p50']:9.1f}{s['p95']:9.1f}{s['p99']:9.1f}"
                  f"{s['errors']:8d}{ratio:9.2f}")
        out = ROOT / "benchmarks" / "out"
        out.mkdir(exist_ok=True)
        path = out / f"pages-{time.strftime('%Y%m%d-%H%M%S')}.json"
        path.write_text(json.dumps({"args": vars(args), "results": results}, indent=2))
        print(f"\nwritten {path}")
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


if __name__ == "__main__":
    main()
