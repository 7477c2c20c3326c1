"""What the benchmarks share: the demo password, loopback ports, building a demo database,
waiting for a server, and logging in through the real form."""

import http.client
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench12345"
HOST = "127.0.0.1"  # loopback only, never anything else
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def is_postgres(db):
    """Is `db` (a --db value) a postgresql:// URL rather than a SQLite file?"""
    return str(db).startswith(("postgresql://", "postgres://"))


def resolved(db):
    """A --db value as the server is given it: a URL as it is, a file as an absolute path."""
    return str(db) if is_postgres(db) else str(Path(db).resolve())


def query(db, sql, params=()):
    """Rows of one read on `db`, a SQLite file or a PostgreSQL URL, through its own DB-API
    connection (qmark placeholders: `?`, rewritten for psycopg)."""
    if is_postgres(db):
        import psycopg

        with psycopg.connect(str(db)) as con:
            return con.execute(sql.replace("?", "%s"), params).fetchall()
    import sqlite3

    con = sqlite3.connect(db)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def mark_checked_today(db):
    """Record today's start-of-day category recheck as done on `db`, through the app's own
    database layer (as the job itself records it), unless it is. For a database built today
    (the demo derives every category as of today): otherwise a county's server spends its first
    hour rechecking a million persons beside the benchmark, and every batch it commits moves the
    data generation, so no page stays cached. Returns True if it wrote the row."""
    sys.path.insert(0, str(ROOT))
    from liushou import clock
    from liushou.db import database
    from liushou.services.categories_follow import checked, mark_checked

    database.init(resolved(db))
    try:
        with database.connection_context():
            today = clock.today()
            if checked(today):
                return False
            mark_checked(today)
            return True
    finally:
        database.init(None)


def env_for(db, work):
    """The environment of a server or `flask` command on database `db`, instance in `work`."""
    return {
        **os.environ,
        "LIUSHOU_DATABASE": str(db),
        "LIUSHOU_INSTANCE": str(Path(work) / "instance"),
    }


def build_demo(env, persons, seed=None):
    """`flask --app app demo --persons N` into env's database; returns the seconds it took."""
    cmd = [sys.executable, "-m", "flask", "--app", "app", "demo", "--persons", str(persons)]
    cmd += ["--password", PASSWORD] + (["--seed", str(seed)] if seed is not None else [])
    started = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_up(port, proc, path="/"):
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit("server exited early")
        try:
            c = http.client.HTTPConnection(HOST, port, timeout=2)
            c.request("GET", path)
            c.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("server did not start")


def login(port, username, password=None):
    """A session cookie for `username`, logged in through the real form with its CSRF token."""
    # A county's server counts its figures when it starts (reads only): a login may wait.
    c = http.client.HTTPConnection(HOST, port, timeout=120)
    c.request("GET", "/login")
    r = c.getresponse()
    html = r.read().decode()
    cookie = r.getheader("Set-Cookie").split(";")[0]
    token = TOKEN.search(html).group(1)
    body = urllib.parse.urlencode(
        {"username": username, "password": password or PASSWORD, "csrf_token": token}
    )
    c.request(
        "POST",
        "/login",
        body,
        {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
    )
    r = c.getresponse()
    r.read()
    if r.status != 303:
        raise SystemExit(f"login as {username} failed: HTTP {r.status}")
    return r.getheader("Set-Cookie").split(";")[0]
