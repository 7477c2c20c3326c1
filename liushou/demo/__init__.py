"""A believable demo township, the same for the same seed.

The data it is made of (names, villages, helpers, activities, needs by group …) lives in the
top-level fixtures/ folder; this package only decides who is where: `registry` makes households
and persons, `care` helpers, pairings and visits, `records` needs, benefits, activities,
`orgs` associations and teams, `recent` the last weeks (open emergencies, a suggestion, a
roster compared, photos), `review` the changes waiting for the township."""

import random
import secrets

from .. import clock, settings
from ..db import PRAGMAS, database
from ..models.accounts import ROLES
from ..services import SYSTEM
from ..services.accounts import create_user
from ..services.completeness import backfill as backfill_completeness
from ..services.places import save_grid, save_village
from ..services.settings import update_settings
from . import vocab
from .bulk import Rows, foreign_keys_checked_after, indexes_after
from .care import build_care
from .dates import entered_on_their_day
from .orgs import build_orgs
from .recent import build_recent
from .records import build_records
from .registry import build_registry
from .review import build_review

BUILD_CACHE_KB = 256 * 1024


def build(persons=300, seed=1, password=None):
    """Create villages, grids, users of every role, persons, helpers and their records."""
    rng = random.Random(seed)
    password = password or (secrets.token_urlsafe(6) + "a1")
    today = clock.today()
    town = vocab.township()
    people = vocab.People(rng)
    villages, grids, users = [], [], []
    with foreign_keys_checked_after(), database.atomic(), indexes_after():
        update_settings(SYSTEM, town["settings"])
        count = rng.randint(*town["villages"])
        if persons >= town["county_persons"]:
            count = town["county_villages"]
        for i, row in enumerate(vocab.villages()[:count], start=1):
            v = save_village(
                SYSTEM,
                {"code": f"V{i:02d}", "name": row["name"], "kind": row["kind"], "sort_order": i},
            )
            villages.append(v)
            names = vocab.grid_names(row["kind"])
            for j, name in enumerate(names[: rng.randint(*town["grids"])], start=1):
                grids.append(
                    save_grid(
                        SYSTEM,
                        {"village": v.id, "code": f"V{i:02d}-G{j}", "name": name, "sort_order": j},
                    )
                )

        def add(username, role, village=None, grid_list=()):
            sex = rng.choice("男女")
            create_user(
                SYSTEM,
                {
                    "username": username,
                    "role": role,
                    "display_name": people.name(sex, people.born(today, 28, 55)),
                    "village": village.id if village else None,
                    "grids": [g.id for g in grid_list],
                    "phone": f"139{rng.randint(10000000, 99999999)}",
                },
                password,
            )
            users.append((username, ROLES[role]))

        add("admin", "admin")
        add("xiangzhen", "township")
        add("lingdao", "leader")
        for v in villages[:3]:
            add(f"cun{v.code[1:]}", "village", v)
            vgrids = [g for g in grids if g.village_id == v.id]
            add(f"wangge{v.code[1:]}", "grid", v, vgrids[:1])
        # Settings are read once from here on; rows are written in bulk after validation, into
        # indexes that outgrow the everyday page cache at county scale.
        if not database.is_postgres:
            database.pragma("cache_size", -BUILD_CACHE_KB)
        with settings.held():
            rows = Rows()
            made = build_registry(rng, people, villages, grids, persons, today, rows)
            build_care(rng, villages, grids, people, today, rows)
            build_records(rng, villages, today)
            build_orgs(rng, villages, today)
            entered_on_their_day()
            backfill_completeness(today)  # rows were written in bulk, past the services
        if not database.is_postgres:
            database.pragma("cache_size", PRAGMAS["cache_size"])
        build_recent(rng, people, today)
        build_review(rng, people, today)
    return {
        "villages": len(villages),
        "grids": len(grids),
        "users": users,
        "password": password,
        "persons": made,
    }
