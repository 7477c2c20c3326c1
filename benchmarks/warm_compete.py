"""Does the server's start-of-day warm-up (liushou/jobs.py: the day's job, then each township's
home and report counted in a thread of the server) slow the pages served beside it?

    .venv/bin/python benchmarks/warm_compete.py --db URL_OR_COPY --password PW [--prefix t10]
        [--only "report (village),persons (grid)"] [--seconds 8] [--requests 400]

Starts the real server (`python app.py`) on the database, logs in, and while the warm-up runs
(/admin/warm-up, benchmarks/_warm.py) measures the pages of run.PAGES (--only) round after
round, `seconds` each, 16 connections as run.py; then once more after it is over. Prints p50,
p95 and req/s of each page during (all rounds together) and after. Logins are audited: give it
a copy of a SQLite database.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import HOST, env_for, free_port, login, mark_checked_today, resolved, wait_up  # noqa: E402
from _warm import OVER, wait_warmed, warm_up_state  # noqa: E402
from run import PAGES, as_user, first_child, first_person, hammer, start  # noqa: E402


def _summary(latencies, seconds):
    if len(latencies) < 2:
        return "no timings"
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    return f"{len(latencies) / seconds:7.0f} req/s  p50 {q[49]:6.1f}  p95 {q[94]:6.1f} ms"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--password")
    ap.add_argument("--prefix", default="")
    ap.add_argument("--only", default="report (village),persons (grid),home (village)")
    ap.add_argument("--seconds", type=float, default=8, help="per page and round")
    ap.add_argument("--requests", type=int, default=400, help="at most, per page and round")
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--checked-today", action="store_true")
    args = ap.parse_args()
    db = resolved(args.db)
    import tempfile

    work = tempfile.mkdtemp(prefix="liushou-warm-")
    if args.checked_today and mark_checked_today(db):
        print("today's category recheck marked done")
    port = free_port()
    app = start(
        [sys.executable, "app.py", "--host", HOST, "--port", str(port)]
        + ["--threads", str(args.threads)],
        env_for(db, work),
    )
    wanted = args.only.split(",")
    try:
        wait_up(port, app, "/login")
        person = first_person(db, args.prefix + "cun01")
        child = first_child(db, args.prefix + "cun01")
        cookies = {}

        def cookie(label, user):
            user = as_user(label, user, args.prefix)
            if user not in cookies:
                cookies[user] = login(port, user, args.password)
            return cookies[user]

        admin = cookie("home (admin)", "admin")
        pages = [
            (label, cookie(label, user), path.format(person=person, child=child))
            for label, user, path in PAGES
            if user and any(w in label for w in wanted)
        ]
        during = {label: ([], [0.0]) for label, _c, _p in pages}
        rounds, started = 0, time.monotonic()
        while warm_up_state(port, admin) not in OVER:
            rounds += 1
            for label, c, path in pages:
                lat, _errors, took = hammer(
                    port, path, c, args.requests, args.concurrency, args.seconds
                )
                during[label][0].extend(lat)
                during[label][1][0] += took
        state, _waited = wait_warmed(port, admin)
        print(
            f"warm-up {state} {time.monotonic() - started:.0f} s after the first login; "
            f"{rounds} rounds measured during it"
        )
        for label, c, path in pages:
            hammer(port, path, c, 1, 1, 60)  # its first request after the warm-up: not timed
            lat, _errors, took = hammer(
                port, path, c, args.requests, args.concurrency, args.seconds
            )
            lat_d, (took_d,) = during[label]
            print(f"{label:<20} during: {_summary(lat_d, took_d or 1)}")
            print(f"{'':<20} after:  {_summary(lat, took)}")
    finally:
        app.terminate()
        app.wait(timeout=20)


if __name__ == "__main__":
    main()
