"""Issue 18 item 6: a county's database, townships added one after another by
`flask --app app demo --township CODE --name NAME --persons N`, timed per township, then every
ID number checked county-wide.

    .venv/bin/python benchmarks/_pg.py start /work/pgcounty          # prints the URL
    URL=$(.venv/bin/python benchmarks/_pg.py url /work/pgcounty)
    .venv/bin/python benchmarks/county_scale.py --db "$URL" --townships 10 --persons 100000 \\
        [--seed 7] [--instance FOLDER] [--check-only]

Townships T01, T02 … (users t01admin, t01xiangzhen, t01cun01, t01wangge01 …; the county's
xian and xianlingdao come with the first), each built with seed + its number; a township
already in the database is skipped, so a stopped build goes on where it stopped. The demo
users' password is the benchmarks' own (bench12345). Then: persons per township, ID numbers
valid (18 characters, check digit, birth date and sex agreeing with the person's) and unique
across the county, users per township, rows of the big tables, and (PostgreSQL) the
database's size.
"""

import argparse
import collections
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import PASSWORD, ROOT, env_for, is_postgres, query, resolved  # noqa: E402

sys.path.insert(0, str(ROOT))
from liushou import clock  # noqa: E402
from liushou.rules import idcard  # noqa: E402

NAMES = [
    "杨柳镇",
    "白杨镇",
    "河湾乡",
    "石门镇",
    "柳沟乡",
    "青山镇",
    "新庄乡",
    "红柳镇",
    "东川镇",
    "南河乡",
]


def township_name(i):
    return NAMES[i - 1] if i <= len(NAMES) else f"第{i}乡"


def build(db, work, townships, persons, seed):
    env = env_for(db, work)
    have = {code for (code,) in query(db, "SELECT code FROM township")} if _migrated(db) else set()
    total = 0.0
    for i in range(1, townships + 1):
        code = f"T{i:02d}"
        if code in have:
            print(f"{code} already there: skipped", flush=True)
            continue
        cmd = [sys.executable, "-m", "flask", "--app", "app", "demo", "--township", code]
        cmd += ["--name", township_name(i), "--persons", str(persons)]
        cmd += ["--seed", str(seed + i), "--password", PASSWORD]
        started = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        took = time.perf_counter() - started
        total += took
        print(
            f"{code} {township_name(i)}: {persons} persons in {took:.1f} s "
            f"({time.strftime('%H:%M:%S')}, load {_load()})",
            flush=True,
        )
    print(f"built in {total:.1f} s")


def _migrated(db):
    try:
        query(db, "SELECT 1 FROM township LIMIT 1")
        return True
    except Exception:  # noqa: BLE001 - an empty database has no tables yet
        return False


def _load():
    return Path("/proc/loadavg").read_text().split()[0]


def check(db):
    today = clock.today()
    problems, seen, duplicates = [], set(), 0
    rows = query(
        db,
        "SELECT p.id_number, p.birth_date, p.sex, v.township_id FROM person p"
        " JOIN village v ON v.id = p.village_id",
    )
    per_township = collections.Counter()
    for number, born, sex, township in rows:
        per_township[township] += 1
        info, problem = idcard.parse(number, today)
        if problem:
            problems.append((number, problem))
        elif info.birth_date.isoformat() != str(born) or info.sex != sex:
            problems.append((number, "birth date or sex disagree"))
        if number in seen:
            duplicates += 1
        seen.add(number)
    names = dict(query(db, "SELECT id, code || ' ' || name FROM township"))
    print(f"persons {len(rows)}, ID problems {len(problems)}, duplicate IDs {duplicates}")
    if problems:
        print("  first problems:", problems[:5])
    users = dict(query(db, "SELECT COALESCE(township_id, 0), count(*) FROM app_user GROUP BY 1"))
    regions = dict(
        query(
            db,
            "SELECT v.township_id, count(DISTINCT substr(p.id_number, 1, 4)) FROM person p"
            " JOIN village v ON v.id = p.village_id GROUP BY 1",
        )
    )
    for tid, name in sorted(names.items()):
        print(
            f"  {name}: {per_township[tid]} persons, ID prefixes {regions.get(tid, 0)}, "
            f"township-level users {users.get(tid, 0)}"
        )
    print(f"  users of no township (village-bound or county): {users.get(0, 0)}")
    for table in ("village", "grid", "household", "pairing", "visit", "checkin", "audit_log"):
        print(f"{table:<12}{query(db, f'SELECT count(*) FROM {table}')[0][0]:>12}")
    if is_postgres(db):
        size = query(db, "SELECT pg_size_pretty(pg_database_size(current_database()))")[0][0]
        print(f"database size {size}")
    return not problems and not duplicates


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", required=True, help="a postgresql:// URL (or a SQLite file)")
    ap.add_argument("--townships", type=int, default=10)
    ap.add_argument("--persons", type=int, default=100000, help="persons per township")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--instance", help="the instance folder (photos); default: a temporary one")
    ap.add_argument("--check-only", action="store_true")
    args = ap.parse_args()
    db = resolved(args.db)
    work = Path(args.instance) if args.instance else Path(tempfile.mkdtemp(prefix="county-"))
    if not args.check_only:
        build(db, work, args.townships, args.persons, args.seed)
    started = time.perf_counter()
    ok = check(db)
    print(f"checked in {time.perf_counter() - started:.1f} s")
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
