"""Issue 15/17: how long each report takes, per scope, in-process, on a given database.

    .venv/bin/python benchmarks/reports.py --db /tmp/copy-of-100k.sqlite3 [--month 2026-10]

Times the report queries (indicators.report, summary.summary, summary_months.trend) for the township
and for one village, then the /reports and /reports/summary pages through the test client
(logged in as the demo's township user and first village cadre). Each figure is the first,
cold call in this process (no cache of any kind). The database is migrated on opening: use a
copy of an office database.
"""

import argparse
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from liushou import clock, create_app  # noqa: E402
from liushou.db import database  # noqa: E402
from liushou.models import User, Village  # noqa: E402
from liushou.queries import indicators, summary, summary_months  # noqa: E402
from liushou.rules.dates import month_before, month_end, month_start  # noqa: E402
from liushou.scope import Scope  # noqa: E402


def timed(label, fn):
    started = time.perf_counter()
    fn()
    seconds = time.perf_counter() - started
    print(f"{label:<48} {seconds * 1000:>9.0f} ms", flush=True)
    return seconds


def _ok(response):
    assert response.status_code == 200, response.status_code


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--month", help="YYYY-MM (default: last month)")
    parser.add_argument("--pages", action="store_true", help="also the pages (logs in)")
    args = parser.parse_args()
    app = create_app({"DATABASE": args.db, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False})
    with app.app_context():
        database.connect(reuse_if_open=True)
        start = (
            date.fromisoformat(args.month + "-01")
            if args.month
            else month_before(month_start(clock.today()))
        )
        end = month_end(start)
        village = Village.select().order_by(Village.sort_order, Village.code).first()
        scopes = [("township", Scope(everything=True), None)]
        scopes.append((f"village {village.code}", Scope(village_ids=frozenset([village.id])), None))
        for name, scope, vid in scopes:
            timed(f"{name}: report()", lambda s=scope, v=vid: indicators.report(s, start, end, v))
            timed(f"{name}: summary()", lambda s=scope, v=vid: summary.summary(s, start, end, v))
            timed(f"{name}: trend(12)", lambda s=scope, v=vid: summary_months.trend(s, end, 12, v))
        if args.pages:
            query = f"period=month&year={start.year}&n={start.month}"
            for role in ("township", "village"):
                user = User.select().where(User.role == role).order_by(User.id).first()
                client = app.test_client()
                with client.session_transaction() as session:
                    session["uid"], session["sv"] = user.id, user.session_version
                    session["seen"] = int(time.time())
                for path in ("/reports", "/reports/summary"):
                    label = f"{role} ({user.username}): {path}"
                    timed(label, lambda c=client, p=path: _ok(c.get(f"{p}?{query}")))
        database.close()


if __name__ == "__main__":
    main()
