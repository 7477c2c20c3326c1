"""Issue 17: the CPU seconds of /reports' figures (views/reports.screen_figures) counted cold.

    .venv/bin/python benchmarks/report_screen.py --db /tmp/copy-of-100k.sqlite3 [--village V01]
        [--out figures.txt]

In a fresh process, nothing cached: the township's (or one village's) report, area figures,
open month's trend and completeness for the current month, timed with time.process_time()
beside wall time, with the number of SQL statements. The clock is frozen for the run, so two
runs of different code on the same database can be compared: `--out` writes the figures (all
but the cut-off and "as of" times, which follow the run's clock) to a file to diff. The closed
months' trend rates are read from the month_rates table (the start-of-day job keeps them; run
`services.month_rates.keep_closed_months()` once on a copy where it has not). The database is
migrated on opening: use a copy of an office database.
"""

import argparse
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from liushou import clock, create_app  # noqa: E402
from liushou.db import database  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--village", help="a village code (default: the whole township)")
    parser.add_argument("--out", help="write the figures here (to compare two runs)")
    args = parser.parse_args()
    app = create_app({"DATABASE": args.db, "SECRET_KEY": "bench"})
    with app.app_context(), clock.freeze(clock.now()):
        database.connect(reuse_if_open=True)
        from werkzeug.datastructures import MultiDict

        from liushou.models import Village
        from liushou.scope import Scope
        from liushou.views import reports

        today = clock.today()
        start, end, label = reports.period(MultiDict(), today)
        vid = Village.get(Village.code == args.village).id if args.village else None
        statements = [0]
        database.obj.query_hooks = [lambda event: statements.__setitem__(0, statements[0] + 1)]
        cpu, wall = time.process_time(), time.perf_counter()
        data = reports.screen_figures(Scope(everything=True), start, end, vid, today)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        print(
            f"{label} {args.village or 'township'}: {cpu:.2f} s CPU, {wall:.2f} s wall, "
            f"{statements[0]} SQL statements"
        )
        if args.out:
            report = sorted((k, v) for k, v in data["r"].items() if k not in ("cutoff", "as_of"))
            figures = sorted((k, repr(v)) for k, v in vars(data["f"]).items())
            text = repr((report, figures, data["trend"], data["completeness"]))
            Path(args.out).write_text(re.sub(r" at 0x[0-9a-f]+", "", text))


if __name__ == "__main__":
    main()
