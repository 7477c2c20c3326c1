"""Item 7 of issue 17: cold start to the first page, and the idle server's memory.

    .venv/bin/python benchmarks/cold.py --db /tmp/copy.sqlite3 --password PW [--runs 3]

Each run starts the real server (`python app.py`, its own process group) on the database and
times, from the moment the process is started (and the server's CPU seconds by then, all its
threads: the work each first page waited for, less dependent on the machine's load):
- the first 200 of the login page (polled every 20 ms);
- the first 200 of a logged-in home page: the login form posted as soon as the login page
  answers, then GET / (one per user in --users, one after the other; each user's own time).
Then the memory of the server and of every process below it (VmRSS from /proc/PID/status):
idle after start (once the server's start-of-day round, the day's job and the warm-up of the
figures, has ended as /admin/warm-up shows it to the admin: benchmarks/_warm.py, then `--idle`
seconds; the warm-up's counting and the day's job's process are not idle memory) and after a
few pages (each user's person list, a search, a person page and the worklist, then idle
again). VmHWM (peak) too. The load average (/proc/loadavg, 1 minute) is printed beside every
figure.

`--checked-today` first marks today's category recheck done on the copy (a database built
today: _common.mark_checked_today); otherwise the day's job runs in a child process beside
every run.

Logins are audited and the start-of-day job may write: give it a copy of a database.
The server's page cache of the database file is the machine's: a run right after another finds
the file in memory (a "warm" cold start); the first run after a copy may also.
"""

import argparse
import gzip
import http.client
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    HOST,
    PASSWORD,
    ROOT,
    TOKEN,
    env_for,
    free_port,
    mark_checked_today,
)
from _warm import wait_warmed, warm_up_login  # noqa: E402


def loadavg():
    return float(Path("/proc/loadavg").read_text().split()[0])


def tree(pid):
    """pid and every process below it."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                children = Path(f"/proc/{p}/task/{task}/children").read_text().split()
                todo.extend(int(c) for c in children)
        except OSError:
            pass
    return out


def cpu_seconds(pid):
    """User + system CPU seconds of a live process (all its threads) so far: the work a first
    page waited for, whatever the machine's load (its wall time grows with the load)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory(pid):
    """[(pid, name, VmRSS kB, VmHWM kB)] of the server and the processes below it."""
    rows = []
    for p in tree(pid):
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        rss, hwm = (int(fields.get(key, "0 kB").split()[0]) for key in ("VmRSS", "VmHWM"))
        rows.append((p, fields["Name"].strip(), rss, hwm))
    return rows


class Client:
    def __init__(self, port):
        self.conn = http.client.HTTPConnection(HOST, port, timeout=120)
        self.cookie = ""

    def get(self, path, form=None):
        headers = {"Accept-Encoding": "gzip"}
        if self.cookie:
            headers["Cookie"] = self.cookie
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request("POST" if form is not None else "GET", path, body, headers)
        r = self.conn.getresponse()
        data = r.read()
        if r.getheader("Content-Encoding") == "gzip":
            data = gzip.decompress(data)
        if r.getheader("Set-Cookie"):
            self.cookie = r.getheader("Set-Cookie").split(";")[0]
        return r.status, data.decode("utf-8", "replace")


def first_login_page(port, proc, started, limit=120):
    while time.perf_counter() - started < limit:
        if proc.poll() is not None:
            raise SystemExit("server exited early")
        try:
            c = http.client.HTTPConnection(HOST, port, timeout=limit)
            c.request("GET", "/login")
            r = c.getresponse()
            r.read()
            if r.status == 200:
                return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.02)
    raise SystemExit("server did not answer /login")


def log_in(port, username, password):
    client = Client(port)
    _, html = client.get("/login")
    token = TOKEN.search(html).group(1)
    status, _ = client.get(
        "/login", {"username": username, "password": password, "csrf_token": token}
    )
    if status != 303:
        raise SystemExit(f"login as {username} failed: HTTP {status}")
    return client


def show_memory(label, pid):
    rows = memory(pid)
    total = sum(r[2] for r in rows)
    parts = ", ".join(
        f"{name} {pid_} {rss / 1024:.0f} MB (peak {hwm / 1024:.0f})"
        for pid_, name, rss, hwm in rows
    )
    print(
        f"  RSS {label}: {total / 1024:.1f} MB in {len(rows)} process(es): {parts}"
        f"  [load {loadavg():.2f}]"
    )
    return total


def one_run(args, env, work):
    port = free_port()
    log = open(work / f"server-{port}.log", "w+")
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "app.py", "--host", HOST, "--port", str(port), "--threads", "8"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    try:
        t_login = first_login_page(port, proc, started)
        print(
            f"  first 200 of /login: {t_login:.2f} s, server CPU {cpu_seconds(proc.pid):.2f} s"
            f"  [load {loadavg():.2f}]"
        )
        clients = {}
        for username in args.users:
            client = log_in(port, username, args.password)
            status, _ = client.get("/")
            t_home = time.perf_counter() - started
            print(
                f"  first 200 of home as {username}: {t_home:.2f} s (HTTP {status}), server "
                f"CPU {cpu_seconds(proc.pid):.2f} s  [load {loadavg():.2f}]"
            )
            clients[username] = client
        state, _waited = wait_warmed(port, warm_up_login(port, "", args.password))
        print(
            f"  start-of-day round {state} {time.perf_counter() - started:.1f} s after the "
            f"start  [load {loadavg():.2f}]"
        )
        time.sleep(args.idle)
        after_start = show_memory(
            f"idle {args.idle:.0f} s after the start-of-day warm-up ended", proc.pid
        )
        for username, client in clients.items():
            _, html = client.get("/persons")
            ids = re.findall(r'href="/persons/(\d+)"', html)
            for path in [
                "/persons?page=2",
                "/persons?q=" + urllib.parse.quote("王"),
                "/visits/due",
                "/",
            ] + [f"/persons/{i}" for i in ids[:3]]:
                status, _ = client.get(path)
                if status != 200:
                    print(f"  {username} {path}: HTTP {status}")
        time.sleep(args.idle)
        after_pages = show_memory(f"idle {args.idle:.0f} s after a few pages", proc.pid)
        return t_login, after_start, after_pages
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        log.seek(0)
        text = log.read().strip()
        if text:
            print("  server log: " + " | ".join(text.splitlines()[:6]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", required=True, help="a copy of a database (logins are audited)")
    ap.add_argument("--instance", help="instance folder (secret key, backups); default beside --db")
    ap.add_argument("--password", default=PASSWORD, help="the demo users' password")
    ap.add_argument("--users", nargs="+", default=["cun01", "xiangzhen"])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--idle", type=float, default=5.0, help="seconds idle before reading RSS")
    ap.add_argument(
        "--checked-today",
        action="store_true",
        help="mark today's category recheck done first (a database built today)",
    )
    args = ap.parse_args()
    db = Path(args.db).resolve()
    work = Path(tempfile.mkdtemp(prefix="liushou-cold-"))
    env = env_for(db, work)
    env["LIUSHOU_INSTANCE"] = str(
        Path(args.instance).resolve() if args.instance else db.parent / "instance"
    )
    if args.checked_today and mark_checked_today(db):
        print("today's category recheck marked done on the copy")
    for run in range(1, args.runs + 1):
        print(f"run {run} [load {loadavg():.2f}]")
        one_run(args, env, work)


if __name__ == "__main__":
    main()
