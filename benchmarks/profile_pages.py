"""In-process cost of pages: mean ms and SQL statements per request, without a server.

    .venv/bin/python benchmarks/profile_pages.py --db /tmp/copy.sqlite3 [--n 20] [--cprofile LABEL]
    .venv/bin/python benchmarks/profile_pages.py --db postgresql://… --prefix t05

Logs in through the form with Flask's test client (logins are audited: use a copy), requests
each page of run.PAGES (plus the grid user's) `n` times after one warm-up and prints mean ms
and statements. `--cprofile LABEL` prints the top functions of that page instead.

`--wsgi` calls the app's WSGI callable directly instead (an environ built once by werkzeug's
EnvironBuilder, Accept-Encoding gzip, the session cookie of the form login), `n` calls per
round, best of `--rounds`, and benchmarks/bare_app.py's page called the same way: µs per
request without the test client's own cost; with `--cprofile`, the profile of that loop.
"""

import argparse
import cProfile
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import PASSWORD, TOKEN, resolved  # noqa: E402
from run import PAGES, as_user, first_child, first_person  # noqa: E402


def _closed_periods():
    """The report of the last closed quarter and of last year (kept once closed:
    models/month_rates.PeriodFigures), for the township user and the county's admin."""
    from datetime import date

    today = date.today()
    q = (today.month - 1) // 3 or 4
    year = today.year if q < 4 or today.month > 3 else today.year - 1
    quarter = f"/reports?period=quarter&year={year}&n={q}"
    last_year = f"/reports?period=year&year={today.year - 1}"
    return [
        ("report closed quarter (township)", "xiangzhen", quarter),
        ("report last year (admin)", "admin", last_year),
    ]


EXTRA = [("worklist (admin)", "admin", "/visits/due"), *_closed_periods()]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--cprofile", help="label of the page to profile")
    ap.add_argument("--top", default=40, help="--cprofile: how many functions, or a name to match")
    ap.add_argument("--sql", help="label of the page whose SQL statements to print")
    ap.add_argument("--only", help="measure only the pages whose label contains this")
    ap.add_argument("--password", help="the demo users' password (default: the benchmarks' own)")
    ap.add_argument("--prefix", default="", help="the demo users' prefix (t05: t05cun01 …)")
    ap.add_argument("--wsgi", action="store_true", help="a bare WSGI call loop (see above)")
    ap.add_argument("--sort", default="tottime", help="--wsgi --cprofile: pstats sort key")
    ap.add_argument("--rounds", type=int, default=7, help="--wsgi: best of this many rounds")
    ap.add_argument(
        "--drawn",
        action="store_true",
        help="--wsgi: forget every kept page before each call (what a page costs when drawn)",
    )
    ap.add_argument(
        "--threads",
        type=int,
        default=1,
        help="--wsgi: this many threads calling at once (each its own connection, as waitress's)",
    )
    ap.add_argument(
        "--cold",
        action="store_true",
        help="time only each page's first request (a fresh process: no figures kept) and print "
        "its slowest statements",
    )
    ap.add_argument(
        "--no-audit-reads",
        action="store_true",
        help="--wsgi: a child's page writes no audit row (what the row costs; benchmark only)",
    )
    args = ap.parse_args()
    db = resolved(args.db)
    os.environ["LIUSHOU_DATABASE"] = db
    os.environ.setdefault("LIUSHOU_INSTANCE", tempfile.mkdtemp(prefix="liushou-prof-"))
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from liushou import create_app
    from liushou.db import database

    app = create_app({"DATABASE": db, "SECRET_KEY": "profile"})
    if args.no_audit_reads:
        _skip_audited_reads()
    statements, shown = [0], []

    def hook(event):
        statements[0] += 1
        shown.append(event.sql)

    database.obj.query_hooks = [hook]
    timed = []
    if args.cold:
        # Each statement's own time (psycopg and sqlite3 run it in execute): the slowest show
        # what a cold page waits for. Figures counted in figure_cache's recount thread show too.
        engine = type(database.obj)
        plain = engine.execute_sql

        def execute_sql(self, sql, params=None):
            t = time.perf_counter()
            try:
                return plain(self, sql, params)
            finally:
                timed.append((time.perf_counter() - t, sql, params))

        engine.execute_sql = execute_sql
    clients = {}

    def client(user):
        if user not in clients:
            c = app.test_client()
            if user:
                html = c.get("/login").get_data(as_text=True)
                token = TOKEN.search(html).group(1)
                r = c.post(
                    "/login",
                    data={
                        "username": user,
                        "password": args.password or PASSWORD,
                        "csrf_token": token,
                    },
                )
                assert r.status_code == 303, (user, r.status_code)
            clients[user] = c
        return clients[user]

    person = first_person(db, args.prefix + "cun01")
    child = first_child(db, args.prefix + "cun01")
    if args.wsgi:
        import bare_app

        wanted = args.only.split(",") if args.only else None
        if not args.cprofile or args.cprofile == "bare":
            bare = _caller(bare_app.app, "/", "")
            if args.cprofile:
                return _profile(bare, args.n, args.top, args.sort)
            us, cpu = _best(bare, args.n, args.rounds, args.threads)
            print(f"{'bare page':<22}{us:8.0f} µs{'':>8}{cpu:8.0f} µs CPU")
        for label, user, url in PAGES + EXTRA:
            if args.cprofile and label != args.cprofile:
                continue
            if not args.cprofile and wanted and not any(w in label for w in wanted):
                continue
            user = as_user(label, user, args.prefix)
            c = client(user)
            name = app.config["SESSION_COOKIE_NAME"]
            cookie = c.get_cookie(name) if user else None
            cookie = f"{name}={cookie.value}" if cookie else ""
            call = _caller(app, url.format(person=person, child=child), cookie)
            if args.drawn:
                from liushou import page_cache

                call = _forgetting(call, page_cache.clear)
            if args.cprofile:
                return _profile(call, args.n, args.top, args.sort)
            statements[0] = 0
            us, cpu = _best(call, args.n, args.rounds, args.threads)
            per = statements[0] / (args.n * args.rounds * args.threads)
            print(f"{label:<22}{us:8.0f} µs{per:7.1f} SQL{cpu:8.0f} µs CPU")
        return
    for label, user, url in PAGES + EXTRA:
        url = url.format(person=person, child=child)
        user = as_user(label, user, args.prefix)
        if args.cprofile and label != args.cprofile or args.sql and label != args.sql:
            continue
        if args.only and args.only not in label:
            continue
        c = client(user)
        if args.cold:
            del timed[:]
            t = time.perf_counter()
            r = c.get(url)
            took = time.perf_counter() - t
            print(
                f"{label:<22}{took:9.2f} s{len(timed):6d} SQL"
                f"  {sum(x[0] for x in timed):8.2f} s in SQL"
            )
            shapes = {}  # the same statement with other values (each month of a trend …)
            for seconds, sql, _params in timed:
                n, total = shapes.get(sql, (0, 0))
                shapes[sql] = (n + 1, total + seconds)
            for sql, (n, seconds) in sorted(shapes.items(), key=lambda x: -x[1][1])[:10]:
                print(f"    {seconds:8.2f} s {n:4d}×  {sql[:400]}")
            continue
        r = c.get(url)
        assert r.status_code == 200, (label, r.status_code)
        if args.cprofile:
            prof = cProfile.Profile()
            prof.enable()
            for _ in range(args.n):
                c.get(url)
            prof.disable()
            pstats.Stats(prof).sort_stats("cumulative").print_stats(
                int(args.top) if str(args.top).isdigit() else args.top
            )
            return
        if args.sql:
            del shown[:]
            c.get(url)
            print("\n".join(shown))
            return
        statements[0] = 0
        t = time.perf_counter()
        for _ in range(args.n):
            c.get(url)
        ms = (time.perf_counter() - t) * 1000 / args.n
        print(f"{label:<22}{ms:8.1f} ms{statements[0] / args.n:7.1f} SQL  {len(r.data):7d} B")


def _skip_audited_reads():
    """The person page's audited read left out (this process only): the child's page minus its
    audit row, to measure what the row costs."""
    from liushou.views import persons

    plain = persons.record

    def record(actor, action, *args, **kwargs):
        return None if action == "view" else plain(actor, action, *args, **kwargs)

    persons.record = record


def _caller(wsgi_app, url, cookie):
    """A function making one GET of `url` through `wsgi_app` (asserting a 200)."""
    from werkzeug.test import EnvironBuilder

    headers = {"Accept-Encoding": "gzip"}
    if cookie:
        headers["Cookie"] = cookie
    environ = EnvironBuilder(path=url, headers=headers).get_environ()

    def call():
        status = []
        body = wsgi_app(dict(environ), lambda s, h, exc_info=None: status.append(s))
        for _ in body:
            pass
        if hasattr(body, "close"):
            body.close()
        assert status[0].startswith("200"), (url, status)

    call()
    return call


def _forgetting(call, clear):
    def drawn():
        clear()
        call()

    return drawn


def _best(call, n, rounds, threads=1):
    """µs per call (wall time over all calls) and the process's CPU µs per call in the same
    round, best of `rounds` rounds of `n` calls, made by `threads` threads at once (n each)."""
    import threading

    from liushou.db import database

    def loop():
        try:
            for _ in range(n):
                call()
        finally:
            if threads > 1:
                database.close()

    best = float("inf")
    for _ in range(rounds):
        workers = [threading.Thread(target=loop) for _ in range(threads - 1)]
        t, cpu = time.perf_counter(), time.process_time()
        for w in workers:
            w.start()
        for _ in range(n):
            call()
        for w in workers:
            w.join()
        took = (time.perf_counter() - t) / (n * threads)
        if took < best:
            best, best_cpu = took, (time.process_time() - cpu) / (n * threads)
    return best * 1e6, best_cpu * 1e6


def _profile(call, n, top, sort="tottime"):
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(n):
        call()
    prof.disable()
    pstats.Stats(prof).sort_stats(sort).print_stats(int(top) if str(top).isdigit() else top)


if __name__ == "__main__":
    main()
