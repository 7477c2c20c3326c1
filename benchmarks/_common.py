"""What the benchmarks share: the demo password, loopback ports, building a demo database,
the options and setup of a measured server (run.py, load.py), waiting for a server, and logging
in through the real form."""

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


def add_server_args(ap, during_warm_up_help):
    """The options of a measured server run.py and load.py share: --checked-today, --profile,
    --warm-up-timeout and --during-warm-up (`during_warm_up_help` says what starts at once)."""
    ap.add_argument(
        "--checked-today",
        action="store_true",
        help="mark today's category recheck done first (a database built today: see "
        "_common.mark_checked_today)",
    )
    ap.add_argument(
        "--warm-up-timeout",
        type=float,
        default=1800,
        help="wait at most this many seconds for the server's start-of-day warm-up",
    )
    ap.add_argument("--during-warm-up", action="store_true", help=during_warm_up_help)
    ap.add_argument(
        "--profile",
        metavar="FILE",
        help="serve through benchmarks/serve_profiled.py and write its report to FILE",
    )


def prepare_database(args, work, name, persons):
    """(database, environment, seconds the demo took to build or None) of a measured server:
    --db as the server is given it (today's recheck marked done first with --checked-today),
    or a demo of `persons` built as `name` in the folder `work`."""
    db = resolved(args.db) if args.db else str(Path(work) / name)
    env = env_for(db, work)
    took = None if args.db else build_demo(env, persons)
    if args.db and args.checked_today and mark_checked_today(db):
        print("today's category recheck marked done")
    return db, env, took


def server_script(args, env):
    """The server to start: app.py, or with --profile benchmarks/serve_profiled.py writing its
    report where `env` (changed here) tells it."""
    if not args.profile:
        return "app.py"
    env["LIUSHOU_PROFILE"] = str(Path(args.profile).resolve())
    return "benchmarks/serve_profiled.py"


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
