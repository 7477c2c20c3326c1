"""Item 1 of issue 17: how long `flask --app app demo --persons N --seed S` takes, and whether
the township it builds holds together at that size.

    .venv/bin/python benchmarks/demo_scale.py [--persons 100000] [--seed 7] [--keep]

Builds into a temporary folder through the real command (a subprocess), then checks every
person's ID number (18 characters, check digit, a Gansu region code, the birth date and sex it
encodes agree with the person's) and that all are unique, and reports villages, grids,
households by registered size, persons by group, visits and pairings.
"""

import argparse
import collections
import shutil
import sqlite3
import sys
import tempfile
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, build_demo, env_for  # noqa: E402

sys.path.insert(0, str(ROOT))
from liushou.rules import idcard  # noqa: E402


def check(db):
    con = sqlite3.connect(db)
    q = lambda sql: con.execute(sql).fetchall()  # noqa: E731
    today = date.today()
    problems, numbers = [], set()
    for number, born, sex in q("SELECT id_number, birth_date, sex FROM person"):
        info, problem = idcard.parse(number, today)
        if problem or not number.startswith("62"):
            problems.append((number, problem or "region"))
        elif info.birth_date.isoformat() != born or info.sex != sex:
            problems.append((number, "birth date or sex disagree"))
        numbers.add(number)
    persons = q("SELECT count(*) FROM person")[0][0]
    sizes = collections.Counter(
        n for (n,) in q("SELECT count(*) FROM person GROUP BY household_id")
    )
    groups = collections.Counter()
    for (g,) in q("SELECT groups FROM person WHERE exited_on IS NULL"):
        for name in g.split(",") if g else ["（无类别）"]:
            groups[name] += 1
    print(f"persons {persons}, IDs unique {len(numbers) == persons}, ID problems {len(problems)}")
    if problems:
        print("  first problems:", problems[:5])
    for table in ("village", "grid", "household", "family_away", "pairing", "visit", "audit_log"):
        print(f"{table:<12}{q(f'SELECT count(*) FROM {table}')[0][0]:>10}")
    print("registered persons per household:", dict(sorted(sizes.items())))
    print("active persons by group:", dict(groups.most_common()))
    per_village = [n for (n,) in q("SELECT count(*) FROM person GROUP BY village_id")]
    print(f"persons per village: {min(per_village)}–{max(per_village)}")
    return not problems and len(numbers) == persons


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--persons", type=int, default=100000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", action="store_true", help="keep the database and print its path")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="liushou-demo-"))
    db = work / "demo.sqlite3"
    try:
        took = build_demo(env_for(db, work), args.persons, args.seed)
        print(f"demo --persons {args.persons} --seed {args.seed}: {took:.1f} s")
        ok = check(db)
    finally:
        if args.keep:
            print("database:", db)
        else:
            shutil.rmtree(work, ignore_errors=True)
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
