"""Numbered schema migrations, tracked in PRAGMA user_version (SQLite) or the one-row table
schema_version (PostgreSQL).

Each step is frozen SQL: never edit a released step, add a new one. A step runs in one transaction
together with the version bump, so a crash leaves the database at the previous version.

A step's SQL is written for SQLite; `_script(sqlite, postgres=...)` gives PostgreSQL its own text
where they differ (triggers, date and JSON functions). Left out, PostgreSQL runs the SQLite text
through `pg_types` (serial ids, TIMESTAMP, BOOLEAN flags): that translation is frozen like the
steps.

The steps live in modules by era (steps_01_10.py, …), each registered with @step(n) from
base.py; a new step goes at the end of the last era's module.
"""

from ..db import database
from . import steps_01_10, steps_11_20, steps_21_30, steps_31_40  # noqa: F401 - importing registers the steps
from .base import PG_BOOLEAN_COLUMNS, STEPS, pg_types, step

__all__ = [
    "LATEST",
    "PG_BOOLEAN_COLUMNS",
    "STEPS",
    "current_version",
    "migrate",
    "pg_types",
    "step",
]

LATEST = max(STEPS)


def current_version():
    if database.is_postgres:
        if not database.execute_sql("SELECT to_regclass('schema_version')").fetchone()[0]:
            return 0
        return database.execute_sql('SELECT "version" FROM "schema_version"').fetchone()[0]
    return database.execute_sql("PRAGMA user_version").fetchone()[0]


def _set_version(number):
    if database.is_postgres:
        database.execute_sql(
            'CREATE TABLE IF NOT EXISTS "schema_version" ("version" INTEGER NOT NULL)'
        )
        database.execute_sql('DELETE FROM "schema_version"')
        database.execute_sql('INSERT INTO "schema_version" ("version") VALUES (%s)', (int(number),))
    else:
        database.execute_sql(f"PRAGMA user_version = {int(number)}")


def migrate(target=None):
    """Apply pending steps up to `target` (default: latest); returns the list applied."""
    target = LATEST if target is None else target
    applied = []
    version = current_version()
    if version > LATEST:
        raise RuntimeError(f"数据库版本 {version} 比本程序支持的 {LATEST} 新，请升级程序。")
    for number in range(version + 1, target + 1):
        with database.atomic():
            STEPS[number]()
            _set_version(number)
        applied.append(number)
    return applied
