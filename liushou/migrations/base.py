# ruff: noqa: E501 - frozen SQL, one statement per line
"""What every step uses: the registry of numbered steps and the runner of a step's SQL, with
its frozen translation for PostgreSQL (see the package's docstring)."""

import re

from ..db import database

STEPS = {}


def step(number):
    """Register a migration function under its number."""

    def wrap(fn):
        assert number not in STEPS, f"migration step {number} defined twice"
        STEPS[number] = fn
        return fn

    return wrap


# Columns that are BooleanField in the models: INTEGER 0/1 on SQLite, BOOLEAN on PostgreSQL.
# Frozen: a new flag column in a later step writes its own PostgreSQL DDL.
PG_BOOLEAN_COLUMNS = (
    "active|must_change_password|dibao|tekun|monitored|attended|primary|overridden|boarding|"
    "carer_capable|children_away|needs_review"
)
_PG_RULES = (
    (re.compile(r'"id" INTEGER NOT NULL PRIMARY KEY'), '"id" SERIAL NOT NULL PRIMARY KEY'),
    (re.compile(r"\bDATETIME\b"), "TIMESTAMP"),
    (
        re.compile(rf'"({PG_BOOLEAN_COLUMNS})" INTEGER( NOT NULL)? DEFAULT 0'),
        r'"\1" BOOLEAN\2 DEFAULT FALSE',
    ),
    (re.compile(rf'"({PG_BOOLEAN_COLUMNS})" INTEGER'), r'"\1" BOOLEAN'),
    # Pinyin is searched by prefix ranges (>= low AND < high): byte order keeps the index usable.
    (
        re.compile(r'"(name_initials|name_pinyin)" VARCHAR\((\d+)\)'),
        r'"\1" VARCHAR(\2) COLLATE "C"',
    ),
    # A CHECK that counts the columns set: booleans are not numbers on PostgreSQL.
    (re.compile(r'\(("\w+") IS NOT NULL\)(?= \+|\) = 1)'), r"(\1 IS NOT NULL)::int"),
)


def pg_types(sql):
    """The PostgreSQL form of a step's SQLite DDL (types only; frozen)."""
    for pattern, replacement in _PG_RULES:
        sql = pattern.sub(replacement, sql)
    return sql


def _script(sql, postgres=None):
    if database.is_postgres:  # psycopg reads % as a placeholder even without parameters
        sql = (pg_types(sql) if postgres is None else postgres).replace("%", "%%")
    for statement in sql.split(";\n"):
        if statement.strip():
            database.execute_sql(statement)


# PostgreSQL: a trigger function that refuses the change with its argument as the message; as
# an integrity error (restrict_violation), like SQLite's RAISE(ABORT) in a trigger.
_PG_REFUSE = """
CREATE FUNCTION "refuse_change"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'restrict_violation'; END $$;
"""
