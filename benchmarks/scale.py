"""The named queries at township-and-beyond scale: 100k persons, 1M visits.

    .venv/bin/python benchmarks/scale.py [--persons 100000] [--visits 1000000]

Builds the rows with bulk SQL (the services would take an hour), then times, for a village
cadre's scope and for the whole township: the worklist page query, the overdue count, pairing
coverage, visits done vs due this month, persons by group, the home figures, the person search.
"""

import argparse
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def build(db, persons, visits, seed=1):
    from liushou import create_app
    from liushou.db import database
    from liushou.rules.pinyin import keys

    app = create_app({"DATABASE": db, "SECRET_KEY": "scale"})
    rng = random.Random(seed)
    today = date.today()
    with app.app_context():
        database.connect(reuse_if_open=True)
        sql = database.execute_sql
        with database.atomic():
            for v in range(1, 31):
                sql(
                    "INSERT INTO village (code, name, kind, sort_order, active, created_at) "
                    "VALUES (?, ?, '村', ?, 1, ?)",
                    (f"V{v:02d}", f"村{v}", v, today),
                )
                for gi in range(1, 6):
                    sql(
                        "INSERT INTO grid (village_id, code, name, sort_order, active, "
                        "created_at) VALUES (?, ?, ?, ?, 1, ?)",
                        (v, f"V{v:02d}-G{gi}", f"{gi}组", gi, today),
                    )
                sql(
                    "INSERT INTO helper (name, kind, unit, position, phone, village_id, active, "
                    "notes, created_at) "
                    "VALUES (?, '村干部', '', '', '', ?, 1, '', ?)",
                    (f"干部{v}", v, today),
                )
        names = ["张三", "李四", "王五", "赵六", "单声", "曾国", "刘洋", "陈静"]
        name_keys = {n: keys(n) for n in names}
        groups = ["留守儿童", "留守老人", "留守妇女", "", "留守儿童,困境儿童"]
        t = time.time()
        with database.atomic():
            for i in range(1, persons + 1):
                village = rng.randint(1, 30)
                grid = (village - 1) * 5 + rng.randint(1, 5)
                if i % 3 == 1:
                    sql(
                        "INSERT INTO household (village_id, grid_id, address, head_name, phone, "
                        "phone2, economic_sources, "
                        "dibao, tekun, monitored, notes, created_at, updated_at) VALUES (?, ?, "
                        "'', '户主', '', '', '', 0, 0, 0, '', ?, ?)",
                        (village, grid, today, today),
                    )
                household = (i + 2) // 3
                name = rng.choice(names) + str(i)
                initials, full = name_keys[name[:2]]
                sql(
                    "INSERT INTO person (household_id, village_id, grid_id, name, name_initials, "
                    "name_pinyin, sex, ethnicity, "
                    "birth_date, phone, relation_to_head, health, disability_kind, "
                    "disability_grade, risk_level, notes, school, "
                    "grade, boarding, father_status, mother_status, difficulty_kinds, carer_name, "
                    "carer_relation, carer_phone, "
                    "carer_id_number, carer_address, carer_disqualifiers, training_need, "
                    "employment_need, living_arrangement, "
                    "self_care, chronic_illnesses, children_away, supporters, groups, "
                    "group_reasons, needs_review, review_note, "
                    "exit_reason, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, '男', '汉族', ?, "
                    "'', '', '', '', '', '低', '', "
                    "'', '', 0, '', '', '', '', '', '', '', '', '', '', '', '', '', '', 0, '', ?, "
                    "'{}', 0, '', '', ?, ?)",
                    (
                        household,
                        village,
                        grid,
                        name,
                        initials,
                        full,
                        today - timedelta(days=rng.randint(1000, 30000)),
                        rng.choice(groups),
                        today,
                        today,
                    ),
                )
                sql(
                    'INSERT INTO pairing (helper_id, person_id, "primary", started_on, end_reason, '
                    "created_at) "
                    "VALUES (?, ?, 1, ?, '', ?)",
                    (village, i, today - timedelta(days=400), today),
                )
                sql(
                    "INSERT INTO visit_state (person_id, tier, tier_reason, override, "
                    "override_reason, last_visit_on, "
                    "last_summary, due_on, refreshed_on) VALUES (?, 'general', '', '', '', ?, '', "
                    "?, ?)",
                    (
                        i,
                        today - timedelta(days=rng.randint(0, 120)),
                        today + timedelta(days=rng.randint(-30, 90)),
                        today,
                    ),
                )
        with database.atomic():
            for j in range(1, visits + 1):
                person = rng.randint(1, persons)
                village = (person % 30) + 1
                sql(
                    "INSERT INTO visit (village_id, grid_id, visited_on, method, life, health, "
                    "mind, safety, study, needs, created_at) "
                    "VALUES (?, NULL, ?, '上门', '良好', '', '', '', '', '', ?)",
                    (village, today - timedelta(days=rng.randint(0, 365)), today),
                )
                sql("INSERT INTO visit_person (visit_id, person_id) VALUES (?, ?)", (j, person))
        # The visits above are written directly: each person's last day of each duty from them.
        from liushou.services.visit_tiers import keep_duty_dates

        with database.atomic():
            keep_duty_dates()
        sql("ANALYZE")
        print(f"built {persons} persons, {visits} visits in {time.time() - t:.0f} s")
        database.close()


def measure(db):
    from liushou import create_app, indicators
    from liushou.db import database
    from liushou.models import Village
    from liushou.models.persons import Person
    from liushou.models.visits import worklist_query
    from liushou.queries import visits as queries
    from liushou.scope import Scope

    app = create_app({"DATABASE": db, "SECRET_KEY": "scale"})
    today = date.today()
    with app.app_context():
        database.connect(reuse_if_open=True)
        village = Scope(village_ids=frozenset([1]))
        town = Scope(everything=True)
        cases = [
            (
                "worklist page, village",
                lambda: list(village.filter(worklist_query(today, 7, [1]), Person).limit(40)),
            ),
            (
                "overdue count, village",
                lambda: village.filter(worklist_query(today, 0), Person).count(),
            ),
            (
                "overdue count, township",
                lambda: town.filter(worklist_query(today, 0), Person).count(),
            ),
            ("coverage by village, township", lambda: queries.coverage_by_village(town)),
            (
                "visits done/due this month, township",
                lambda: queries.visits_in_month(town, today.replace(day=1)),
            ),
            (
                "persons by village and group, township",
                lambda: indicators.persons_by_village_and_group(town),
            ),
            ("visits per month (12), township", lambda: indicators.visits_per_month(town)),
            (
                "search 'zs', township, page",
                lambda: list(Person.search(Person.select(), "zs").limit(30)),
            ),
            (
                "search '张三1', township, page",
                lambda: list(Person.search(Person.select(), "张三1").limit(30)),
            ),
        ]
        print(f"{'query':<42}{'ms (best of 3)':>16}")
        for label, fn in cases:
            best = min(_timed(fn) for _ in range(3))
            print(f"{label:<42}{best * 1000:>16.1f}")
        del Village


def _timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=100000)
    ap.add_argument("--visits", type=int, default=1000000)
    ap.add_argument("--db")
    args = ap.parse_args()
    db = args.db or str(Path(tempfile.mkdtemp(prefix="liushou-scale-")) / "scale.sqlite3")
    if not args.db:
        build(db, args.persons, args.visits)
    measure(db)
