"""A county of townships and old single-township files to load into it (tests/test_townships.py,
tests/test_county_load.py and the county tests built on them)."""

import json
import sqlite3

import pytest

from liushou.backup_restore import _bound
from liushou.db import database
from liushou.migrations import migrate
from liushou.models import (
    User,
    Village,
)
from liushou.scope import Scope
from liushou.services import SYSTEM
from tests.conftest import PASSWORD


def make_county(places, extra=None):
    """Townships T1 (village V01) and T2 (village V02) and the COUNTY_USERS accounts (and
    `extra`: {username: (role, township code)})."""
    from liushou.services.accounts import create_user
    from liushou.services.places import save_township

    towns = {
        code: save_township(SYSTEM, {"code": code, "name": name})
        for code, name in (("T1", "甲镇"), ("T2", "乙镇"))
    }
    Village.update(township=towns["T1"].id).where(Village.code == "V01").execute()
    Village.update(township=towns["T2"].id).where(Village.code == "V02").execute()
    for name, (role, town) in {**COUNTY_USERS, **(extra or {})}.items():
        if User.select().where(User.username == name).exists():
            continue
        create_user(
            SYSTEM,
            {
                "username": name,
                "display_name": name,
                "role": role,
                "township": towns[town].id if town else None,
            },
            PASSWORD,
        )
    return towns


def _visit(person, helper_village, places, name):
    from liushou.services.helpers import save_helper
    from liushou.services.visits import record_visit

    everything = Scope(everything=True)
    helper = save_helper(
        SYSTEM, everything, {"name": name, "kind": "村干部", "village": places[helper_village].id}
    )
    return record_visit(
        SYSTEM,
        everything,
        [person],
        {"visited_on": "2026-01-05", "method": "上门", "helpers": [helper.id], "life": "好"},
    )


@pytest.fixture
def county(app, places, users):
    towns = make_county(places)
    home1, kid1 = _household_with_child(places, "V01", "甲户主", "甲镇儿童")
    home2, kid2 = _household_with_child(places, "V02", "乙户主", "乙镇儿童")
    return {
        "towns": towns,
        "T1": (home1, kid1, _visit(kid1, "V01", places, "甲干部")),
        "T2": (home2, kid2, _visit(kid2, "V02", places, "乙干部")),
    }


NOW = "2025-03-01 08:00:00"


def _load(runner, path, code, *extra):
    result = runner.invoke(args=["county-load", str(path), "--township", code, *extra])
    database.connect(reuse_if_open=True)
    return result


def _table_counts():
    return {
        t: database.execute_sql(f'SELECT count(*) FROM "{t}"').fetchone()[0]
        for t in ("township", "village", "app_user", "person", "audit_log", "county_load")
    }


def migrated_file(path, target=None):
    """A SQLite file at `path` migrated (to the step `target`, else to the latest), as a
    township's file is before the county loads it."""
    with _bound(path):
        with database.connection_context():
            migrate(target=target)
    return path


def _insert(con, table, **values):
    """A row of an old schema: every NOT NULL column without a value gets a plain one."""
    for _cid, name, kind, notnull, _default, pk in con.execute(f'PRAGMA table_info("{table}")'):
        if notnull and not pk and name not in values:
            kind = kind.upper()
            values[name] = NOW if "DATE" in kind else 0 if "INT" in kind else ""
    names = ", ".join(f'"{n}"' for n in values)
    marks = ", ".join("?" for _ in values)
    return con.execute(
        f'INSERT INTO "{table}" ({names}) VALUES ({marks})', list(values.values())
    ).lastrowid


@pytest.fixture
def old_file(tmp_path, app):
    """A township still on schema version OLD_VERSION, with a few rows; village V01 and user
    admin as the demo has them (they clash in a county that holds the demo)."""
    path = tmp_path / "old.sqlite3"
    migrated_file(path, OLD_VERSION)
    con = sqlite3.connect(path)
    with con:
        v = _insert(con, "village", code="V01", name="老河村", kind="村", sort_order=1, active=1)
        g = _insert(con, "grid", village_id=v, code="LH-1", name="一组", active=1)
        u = _insert(con, "app_user", username="admin", display_name="老管理员", role="admin")
        h = _insert(con, "household", village_id=v, grid_id=g, head_name="老户主")
        p = _insert(
            con,
            "person",
            household_id=h,
            village_id=v,
            grid_id=g,
            name="老人甲",
            sex="男",
            id_number="620102195001010011",
            birth_date="1950-01-01",
            groups="留守老人",
            group_reasons="{}",
            risk_level="低",
            ethnicity="汉族",
        )
        visit = _insert(
            con, "visit", village_id=v, grid_id=g, visited_on="2025-02-01", method="上门"
        )
        _insert(con, "visit_person", visit_id=visit, person_id=p)
        _insert(
            con,
            "audit_log",
            user_id=u,
            username="admin",
            action="create",
            object_type="person",
            object_id=p,
            object_label="老人甲",
            changes=json.dumps([["household", None, h], ["village", None, v]]),
        )
        _insert(con, "setting", key="township_name", value='"老河乡"', valid_from="2025-01-01")
    con.close()
    assert _source(path, "PRAGMA user_version") == [(OLD_VERSION,)]
    return path


# (role, township code) of the accounts a county's instance adds to the suite's users.
COUNTY_USERS = {
    "t1admin": ("admin", "T1"),
    "t1cadre": ("township", "T1"),
    "t1leader": ("leader", "T1"),
    "t2admin": ("admin", "T2"),
    "countyadmin": ("county_admin", None),
    "countyleader": ("county_leader", None),
}


def _household_with_child(places, village, head, child):
    from liushou.services.households import save_household
    from liushou.services.persons import save_person

    everything = Scope(everything=True)
    home = save_household(
        SYSTEM,
        everything,
        {"village": places[village].id, "grid": places[f"{village}-G1"].id, "head_name": head},
    )
    person = save_person(
        SYSTEM,
        everything,
        {
            "household": home.id,
            "name": child,
            "birth_date": "2016-04-01",
            "sex": "女",
            "father_status": "外出务工",
            "mother_status": "外出务工",
        },
    )
    return home, person


# The old schema version a township might still run (registry, pairing and visits exist).
OLD_VERSION = 5


def _source(path, sql, *args):
    con = sqlite3.connect(path)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()
