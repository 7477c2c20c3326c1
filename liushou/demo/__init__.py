"""A believable demo township, the same for the same seed.

The data it is made of (names, villages, helpers, activities, needs by group …) lives in the
top-level fixtures/ folder; this package only decides who is where: `registry` makes households
and persons, `care` helpers, pairings and visits, `records` needs, benefits, activities,
`orgs` associations and teams, `recent` the last weeks (open emergencies, a suggestion, a
roster compared, photos), `review` the changes waiting for the township."""

import random
import secrets
from contextlib import ExitStack

from .. import clock, settings
from ..db import PRAGMAS, database
from ..models import User, Village
from ..models.accounts import ROLES
from ..models.places import Township
from ..services import SYSTEM, ValidationError
from ..services.accounts import create_user
from ..services.completeness import backfill as backfill_completeness
from ..services.places import save_grid, save_township, save_village
from ..services.settings import update_settings
from . import vocab
from .area import WHOLE, Area, reading_settings_of
from .bulk import BIG, Rows, foreign_keys_checked_after, indexes_after
from .care import build_care
from .dates import ENTERED, entered_on_their_day
from .orgs import build_orgs
from .recent import build_recent
from .records import build_records
from .registry import build_registry
from .review import build_review

BUILD_CACHE_KB = 256 * 1024
# A county's own accounts, made with its first demo township.
COUNTY_USERS = (("xian", "county_admin"), ("xianlingdao", "county_leader"))


def build(persons=300, seed=1, password=None, township=None):
    """Create villages, grids, users of every role, persons, helpers and their records: the
    whole instance's, or (`township` = (code, name)) one more township of a county's instance
    with its own users, and the county's admin and leader if it has none yet."""
    rng = random.Random(seed)
    password = password or (secrets.token_urlsafe(6) + "a1")
    today = clock.today()
    town = vocab.township()
    villages, grids, users = [], [], []
    # A township added to a county keeps the big tables' indexes: dropping them would lock the
    # other townships out of those tables for the whole build (PostgreSQL) and build them again
    # over every township's rows; its rows go to the indexes' far end (new ids), cheaply.
    big = BIG if township is None else ()
    with ExitStack() as stack, foreign_keys_checked_after(), database.atomic(), indexes_after(big):
        area, town_settings = WHOLE, town["settings"]
        if township is not None:
            area, town_settings = _add_township(*township, town)
        stack.enter_context(reading_settings_of(area))
        people = vocab.People(rng, area.regions(None))
        floors = _floors(area)
        update_settings(SYSTEM, town_settings, township=area.township)
        count = rng.randint(*town["villages"])
        if persons >= town["county_persons"]:
            count = town["county_villages"]
        for i, row in enumerate(vocab.villages()[:count], start=1):
            v = save_village(
                SYSTEM,
                {
                    "code": area.village_code(i),
                    "name": row["name"],
                    "kind": row["kind"],
                    "sort_order": i,
                    "township": area.township_id,
                },
            )
            villages.append(v)
            names = vocab.grid_names(row["kind"])
            for j, name in enumerate(names[: rng.randint(*town["grids"])], start=1):
                grids.append(
                    save_grid(
                        SYSTEM,
                        {"village": v.id, "code": f"{v.code}-G{j}", "name": name, "sort_order": j},
                    )
                )

        def add(username, role, village=None, grid_list=(), township=area.township_id):
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
                    "township": township,
                },
                password,
            )
            users.append((username, ROLES[role]))

        add(area.username("admin"), "admin")
        add(area.username("xiangzhen"), "township")
        add(area.username("lingdao"), "leader")
        for v in villages[:3]:
            add(area.username("cun", v), "village", v)
            vgrids = [g for g in grids if g.village_id == v.id]
            add(area.username("wangge", v), "grid", v, vgrids[:1])
        if township is not None:
            for username, role in COUNTY_USERS:
                if not User.select().where(User.username == username).exists():
                    add(username, role, township=None)
        # Settings are read once from here on; rows are written in bulk after validation, into
        # indexes that outgrow the everyday page cache at county scale.
        if not database.is_postgres:
            database.pragma("cache_size", -BUILD_CACHE_KB)
        with settings.held():
            rows = Rows()
            made = build_registry(rng, people, villages, grids, persons, today, rows)
            build_care(rng, villages, grids, people, today, rows, area)
            build_records(rng, villages, today, area)
            build_orgs(rng, villages, today, town_settings["township_name"])
            entered_on_their_day(floors)
            # rows were written in bulk, past the services
            backfill_completeness(today, area.township_id)
        if not database.is_postgres:
            database.pragma("cache_size", PRAGMAS["cache_size"])
        build_recent(rng, people, today, area)
        build_review(rng, people, today, area)
    return {
        "villages": len(villages),
        "grids": len(grids),
        "users": users,
        "password": password,
        "persons": made,
    }


def _add_township(code, name, town):
    """A county's next township (refused on a township's own instance, whose villages belong to
    none); returns its Area and its settings (its name in the fixtures' texts)."""
    if Village.select().where(Village.township.is_null()).exists():
        raise ValidationError(
            {"township": "这是单个乡镇的数据库（已有不属于任何乡镇的村），不能再加演示乡镇"}
        )
    index = Township.select().count()
    township = save_township(SYSTEM, {"code": code, "name": name})
    own = town["settings"]["township_name"]
    values = {
        k: v.replace(own, name) if isinstance(v, str) else v for k, v in town["settings"].items()
    }
    return Area(township, index), values


def _floors(area):
    """The highest id of each table whose entry moments the demo sets (dates.py), before this
    build: a township added to a county leaves the other townships' rows alone."""
    if area.township is None:
        return None
    return {
        table: database.execute_sql(f'SELECT COALESCE(MAX("id"), 0) FROM "{table}"').fetchone()[0]
        for table, _, _ in ENTERED
    }
