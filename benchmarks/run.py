"""Measure liushou's pages under concurrent load beside a bare Flask+waitress page, same run.

    .venv/bin/python benchmarks/run.py [--persons 2000] [--db FILE] [--requests 200]
                                       [--concurrency 16] [--threads 8] [--seconds 60]
                                       [--password PW] [--only "persons,worklist"]
                                       [--db postgresql://… --prefix t05]
                                       [--warm-up-timeout 1800] [--during-warm-up]

Builds a demo database (unless --db is given), starts `python app.py` and benchmarks/bare_app.py
on free loopback ports, logs in through the form (keeping the session cookie), waits until the
server's start-of-day round (the day's job and its figure warm-up, read as the admin on
/admin/warm-up: benchmarks/_warm.py) is over unless --during-warm-up, then requests each
URL of PAGES with `concurrency` keep-alive clients. The bare page is measured before and after the
app's pages and the ratio is taken to the mean of both, so drift in the machine shows. Loopback
only; at most `requests` per URL and `seconds` for the whole load phase; stops by itself.
Prints a table and writes JSON to benchmarks/out/.
"""

import argparse
import gzip
import http.client
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    HOST,
    ROOT,
    add_server_args,
    free_port,
    login,
    prepare_database,
    query,
    server_script,
    wait_up,
)
from _warm import wait_warmed, warm_up_login  # noqa: E402

# (label, demo user or None, URL). Later issues add their pages here.
PAGES = [
    ("login", None, "/login"),
    ("home (admin)", "admin", "/"),
    ("home (village)", "cun01", "/"),
    ("helpers", "cun01", "/helpers"),
    ("worklist", "cun01", "/visits/due"),
    ("persons list", "cun01", "/persons"),
    ("search zs", "admin", "/persons?q=zs"),
    ("person page", "cun01", "/persons/{person}"),
    ("person page (child)", "cun01", "/persons/{child}"),  # each read writes its audit row
    ("needs", "admin", "/needs"),
    ("report year", "admin", "/reports?period=year"),
    ("audit log", "admin", "/admin/audit"),
    ("places", "admin", "/admin/places"),
    ("home (township)", "xiangzhen", "/"),
    ("persons (township)", "xiangzhen", "/persons"),
    ("report (village)", "cun01", "/reports"),
    ("report (township)", "xiangzhen", "/reports"),
    ("home (grid)", "wangge01", "/"),
    ("worklist (grid)", "wangge01", "/visits/due"),
    ("persons (grid)", "wangge01", "/persons"),
]

# On a county's instance (--prefix) these pages are the county admin's, not a township's.
COUNTY_ADMIN = "xian"
COUNTY_PAGES = ("audit log",)


def as_user(label, user, prefix):
    """The user who asks for page `label`: the demo user, or a county township's own."""
    if not user or not prefix:
        return user
    return COUNTY_ADMIN if label in COUNTY_PAGES else prefix + user


def first_person(db, username="cun01"):
    """The first active person of `username`'s village: "{person}" in a URL of PAGES."""
    rows = query(
        db,
        "SELECT p.id FROM person p JOIN app_user u ON u.village_id = p.village_id"
        " WHERE u.username = ? AND p.voided_at IS NULL AND p.exited_on IS NULL"
        " ORDER BY p.id LIMIT 1",
        (username,),
    )
    return rows[0][0] if rows else 1


def first_child(db, username="cun01"):
    """The first active child of `username`'s village: "{child}" in a URL of PAGES."""
    rows = query(
        db,
        "SELECT p.id FROM person p JOIN app_user u ON u.village_id = p.village_id"
        " WHERE u.username = ? AND p.voided_at IS NULL AND p.exited_on IS NULL"
        " AND p.groups LIKE ? ORDER BY p.id LIMIT 1",
        (username, "%儿童%"),  # a parameter: psycopg reads a literal % as a placeholder
    )
    return rows[0][0] if rows else 1


def wait_for_warm_up(args, port, cookies):
    """Before the bare/page phases: the server's start-of-day round over (its admin's view).
    Returns {"state", "waited"} for the JSON."""
    if args.during_warm_up:
        return {"state": "not waited for", "waited": 0}
    admin = COUNTY_ADMIN if args.prefix else "admin"  # who reads /admin/warm-up there
    if admin not in cookies:
        cookies[admin] = warm_up_login(port, args.prefix, args.password)
    state, waited = wait_warmed(port, cookies[admin], args.warm_up_timeout)
    return {"state": state, "waited": round(waited, 1)}


def page_size(port, path, cookie):
    """(status, bytes as sent with gzip, bytes decoded) of one request."""
    c = http.client.HTTPConnection(HOST, port, timeout=600)
    c.request(
        "GET", path, headers={"Accept-Encoding": "gzip", **({"Cookie": cookie} if cookie else {})}
    )
    r = c.getresponse()
    body = r.read()
    raw = gzip.decompress(body) if r.getheader("Content-Encoding") == "gzip" else body
    c.close()
    return r.status, len(body), len(raw)


def hammer(port, path, cookie, total, concurrency, seconds):
    """Up to `total` GETs over `concurrency` keep-alive connections for at most `seconds`."""
    latencies, errors, lock = [], [], threading.Lock()
    counter = iter(range(total))
    deadline = time.time() + seconds
    headers = {"Accept-Encoding": "gzip"}
    if cookie:
        headers["Cookie"] = cookie

    def worker():
        conn = http.client.HTTPConnection(HOST, port, timeout=120)
        for _ in counter:  # shared iterator: the threads together issue `total` requests
            if time.time() > deadline:
                break
            t = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                r = conn.getresponse()
                r.read()
                outcome = None if r.status == 200 else f"HTTP {r.status}"
            except (OSError, http.client.HTTPException) as e:
                outcome = type(e).__name__
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=120)
            ms = (time.perf_counter() - t) * 1000
            with lock:
                if outcome is None:
                    latencies.append(ms)
                else:
                    errors.append(outcome)
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors, time.perf_counter() - start


def stats(latencies, errors, elapsed):
    out = {"requests": len(latencies), "errors": len(errors), "seconds": round(elapsed, 2)}
    if errors:
        out["first_error"] = errors[0]
    if len(latencies) >= 2:
        q = statistics.quantiles(latencies, n=100, method="inclusive")
        out.update(rps=len(latencies) / elapsed, p50=q[49], p95=q[94], p99=q[98])
    return out


def cpu_seconds(pid):
    """User + system CPU seconds the process `pid` has used so far (Linux's /proc), or None."""
    import os

    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start(cmd, env=None):
    return subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def table(results, bare_rps):
    lines = [
        f"{'page':<20}{'KB gz':>7}{'KB':>6}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}"
        f"{'p99 ms':>9}{'n':>6}{'err':>5}{'x bare':>8}{'cpu ms':>8}"
    ]
    for label, s in results.items():
        size = f"{s['gzip_bytes'] / 1024:7.1f}{s['bytes'] / 1024:6.1f}"
        if "rps" not in s:
            lines.append(
                f"{label:<20}{size}  no timings: {s['requests']} ok, {s['errors']} errors "
                f"({s.get('first_error', 'time budget used up')})"
            )
            continue
        ratio = s["rps"] / bare_rps if bare_rps else float("nan")
        lines.append(
            f"{label:<20}{size}{s['rps']:8.0f}{s['p50']:9.1f}{s['p95']:9.1f}"
            f"{s['p99']:9.1f}{s['requests']:6d}{s['errors']:5d}{ratio:8.2f}"
            + (f"{s['cpu_ms']:8.2f}" if s.get("cpu_ms") is not None else "")
        )
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--persons", type=int, default=2000, help="demo size when building a database")
    ap.add_argument(
        "--db",
        help="use this database: a SQLite file (a copy is wiser: logins are audited) or a "
        "postgresql:// URL (benchmarks/_pg.py starts a cluster)",
    )
    ap.add_argument("--requests", type=int, default=200, help="at most this many per URL")
    ap.add_argument("--concurrency", type=int, default=16, help="keep-alive client connections")
    ap.add_argument("--threads", type=int, default=8, help="waitress threads of both servers")
    ap.add_argument("--seconds", type=float, default=60, help="time budget of the load phase")
    ap.add_argument("--password", help="the demo users' password (default: the benchmarks' own)")
    ap.add_argument("--only", help="measure only the pages whose label contains one of these (a,b)")
    ap.add_argument(
        "--prefix",
        default="",
        help="the demo users' prefix: a township added by `demo --township T05` names them "
        "t05admin, t05cun01 … (county_scale.py)",
    )
    ap.add_argument(
        "--keep", action="store_true", help="keep the temporary folder (database, instance)"
    )
    add_server_args(
        ap, "measure at once, while the server's start-of-day warm-up may still be counting"
    )
    args = ap.parse_args()
    wanted = args.only.split(",") if args.only else None
    pages = [p for p in PAGES if not wanted or any(w in p[0] for w in wanted)]

    work = Path(tempfile.mkdtemp(prefix="liushou-bench-"))
    db, env, took = prepare_database(args, work, "bench.sqlite3", args.persons)
    if took is not None:
        print(f"demo database with {args.persons} persons built in {took:.1f} s")
    server = server_script(args, env)
    app_port, bare_port = free_port(), free_port()
    app = start(
        [
            sys.executable,
            server,
            "--host",
            HOST,
            "--port",
            str(app_port),
            "--threads",
            str(args.threads),
        ],
        env,
    )
    bare = start(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "bare_app.py"),
            str(bare_port),
            "--threads",
            str(args.threads),
        ]
    )
    try:
        wait_up(app_port, app, "/login")
        wait_up(bare_port, bare)
        cookies = {}
        warm_up = wait_for_warm_up(args, app_port, cookies)
        # Every URL, and the bare page twice, gets an equal share of the time budget.
        runs = [("bare page (before)", bare_port, None, "/")]
        pids = {app_port: app.pid, bare_port: bare.pid}
        person = first_person(db, args.prefix + "cun01")
        child = first_child(db, args.prefix + "cun01")
        for label, user, path in pages:
            path = path.format(person=person, child=child)
            user = as_user(label, user, args.prefix)
            if user and user not in cookies:
                cookies[user] = login(app_port, user, args.password)
            runs.append((label, app_port, cookies.get(user), path))
        runs.append(("bare page (after)", bare_port, None, "/"))
        share = args.seconds / len(runs)
        results = {}
        for label, port, cookie, path in runs:
            t = time.perf_counter()
            # The first request of a page may count its figures (figure_cache): not timed.
            status, sent, raw = page_size(port, path, cookie)
            print(f"{label}: first request {time.perf_counter() - t:.2f} s", flush=True)
            if status != 200:
                print(f"warning: {label} {path} answers HTTP {status}", file=sys.stderr)
            cpu = cpu_seconds(pids[port])
            s = stats(*hammer(port, path, cookie, args.requests, args.concurrency, share))
            if cpu is not None and s["requests"]:
                # The server's own CPU per request (its threads and SQLite's, the GIL's
                # handoffs included): what the page costs the machine, apart from the clients.
                s["cpu_ms"] = (cpu_seconds(pids[port]) - cpu) * 1000 / s["requests"]
            results[label] = {"url": path, "bytes": raw, "gzip_bytes": sent, **s}
        bare_rps = statistics.mean(
            results[k].get("rps", 0) for k in ("bare page (before)", "bare page (after)")
        )
        for s in results.values():
            s["ratio_to_bare"] = s["rps"] / bare_rps if bare_rps and "rps" in s else None
        print(
            f"\n{args.concurrency} connections, {args.threads} server threads, "
            f"up to {args.requests} requests or {share:.1f} s per URL\n"
        )
        print(table(results, bare_rps))
        out = ROOT / "benchmarks" / "out"
        out.mkdir(exist_ok=True)
        path = out / f"pages-{time.strftime('%Y%m%d-%H%M%S')}.json"
        path.write_text(
            json.dumps(
                {"args": vars(args), "warm_up": warm_up, "bare_rps": bare_rps, "results": results},
                indent=2,
            )
        )
        print(f"\nwritten {path.relative_to(ROOT)}")
    finally:
        for p in (app, bare):
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        if args.keep:
            print(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
