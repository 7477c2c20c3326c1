"""1,000 contact cards: wall time and peak memory, split into where the time goes.

    .venv/bin/python benchmarks/cards.py [--cards 1000] [--persons 3000]

Builds a demo database, takes the first N households that get a card, and renders their
sheets the way /print/cards.pdf does (same template, same card data), timing card data + QR,
HTML, WeasyPrint layout and PDF writing separately. Peak RSS from getrusage.
"""

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cards", type=int, default=1000)
    ap.add_argument("--persons", type=int, default=3000)
    ap.add_argument("--db")
    ap.add_argument("--mode", choices=("both", "single", "chunked"), default="both")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="liushou-cards-"))
    db = args.db or str(work / "cards.sqlite3")
    os.environ["LIUSHOU_INSTANCE"] = str(work / "instance")
    if not args.db:
        t = time.time()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "flask",
                "--app",
                "app",
                "demo",
                "--persons",
                str(args.persons),
                "--password",
                "bench12345",
            ],
            cwd=ROOT,
            check=True,
            env={**os.environ, "LIUSHOU_DATABASE": db},
            stdout=subprocess.DEVNULL,
        )
        print(f"demo with {args.persons} persons: {time.time() - t:.1f} s")
    from flask import g
    from weasyprint import HTML

    from liushou import create_app
    from liushou.cards import cards_for, sheets, township_numbers
    from liushou.models.households import Household
    from liushou.models.persons import Person
    from liushou.views import print_response as printing

    app = create_app({"DATABASE": db, "SECRET_KEY": "bench"})
    with app.test_request_context():
        g.user = None
        households = list(
            Household.select()
            .where(
                Household.id.in_(
                    Person.active().select(Person.household).where(Person.groups != "")
                )
            )
            .limit(args.cards)
        )
    if args.mode != "chunked":
        single(app, households, g, HTML, printing, cards_for, sheets, township_numbers)
    if args.mode != "single":
        chunked(app, households, g, printing, cards_for, sheets, township_numbers)


def single(app, households, g, HTML, printing, cards_for, sheets, township_numbers):
    with app.test_request_context():
        g.user = None
        t0 = time.perf_counter()
        cards = cards_for(households)
        t1 = time.perf_counter()
        from liushou.printing.render import local_fetcher

        html = printing.html("cards.html", sheets=sheets(cards), numbers=township_numbers())
        t2 = time.perf_counter()
        document = HTML(
            string=html, base_url=str(ROOT / "static") + "/", url_fetcher=local_fetcher()
        ).render()
        t3 = time.perf_counter()
        pdf = document.write_pdf()
        t4 = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"one process: {len(cards)} cards, {len(document.pages)} pages, PDF {len(pdf) / 1e6:.2f} MB"
    )
    print(
        f"  card data + QR {t1 - t0:.2f} s | HTML {t2 - t1:.2f} s | layout {t3 - t2:.2f} s | "
        f"write {t4 - t3:.2f} s | total {t4 - t0:.2f} s | peak RSS {peak:.0f} MB"
    )


def chunked(app, households, g, printing, cards_for, sheets, township_numbers):
    """What /print/cards.pdf does: chunks of 25 sheets in two worker processes."""
    with app.test_request_context():
        g.user = None
        t0 = time.perf_counter()
        cards = cards_for(households)
        all_sheets = sheets(cards)
        from liushou.cards import SHEETS_PER_CHUNK as size

        htmls = [
            printing.html("cards.html", sheets=all_sheets[i : i + size], numbers=township_numbers())
            for i in range(0, len(all_sheets), size)
        ]
        pdf = printing.pdf(htmls)
        t1 = time.perf_counter()
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    parent = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"chunked, 2 workers: {len(htmls)} chunks, PDF {len(pdf) / 1e6:.2f} MB, "
        f"total {t1 - t0:.2f} s, "
        f"peak RSS: server process {parent:.0f} MB, largest worker {children:.0f} MB"
    )


if __name__ == "__main__":
    main()
