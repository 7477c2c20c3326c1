"""Rows the demo writes in bulk, after the same validation a registration goes through.

A county's demo (100,000 persons, a million visits) would take most of an hour through the
services one row at a time; here each row gets its id at once (the demo fills an empty
database), its values converted by the model's own fields, and rows go to SQLite in batches."""

import json
from contextlib import contextmanager
from operator import itemgetter

from peewee import (
    AutoField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from .. import clock
from ..db import database, reset_sequences
from ..models.audit import AuditLog
from ..services import SYSTEM

BATCH = 50000
# The tables of millions of rows at county scale, only written (never read) while building.
BIG = ("visit", "visit_person", "visit_helper", "checkin", "audit_log")
AUDITED = ("at", "user_id", "username", "ip", "action", "object_type", "object_id")
AUDITED += ("object_label", "changes")
# Fields whose Python values sqlite3 stores just as peewee would (str, int, bool, date,
# datetime, None): handed over as they are.
PLAIN = (
    AutoField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)


class Rows:
    """Pending rows by model, flushed with executemany every BATCH rows of a model."""

    def __init__(self):
        self.pending = {}  # model -> rows, in the order models first appear (parents first)
        self.next_id = {}
        self.shapes = {}  # model -> the field names of its rows given as tuples (`put`)
        self.shape(AuditLog, *AUDITED)

    def add(self, model, **values):
        """Queue one row; returns its id."""
        values["id"] = row_id = self._next(model)
        rows = self.pending.setdefault(model, [])
        rows.append(values)
        if len(rows) >= BATCH:
            self.flush()  # every model, parents first: a row's foreign keys exist before it
        return row_id

    def shape(self, model, *names):
        """Rows of `model` will come to `put` as tuples of these fields' values (plain values,
        stored as they are; the other fields take their defaults)."""
        fields = model._meta.fields
        if any(type(fields[n]) not in PLAIN for n in names):
            raise TypeError(f"{model.__name__}: put takes plain fields only")
        self.shapes[model] = names

    def put(self, model, *values):
        """Queue one row given as a tuple in the order `shape` named; returns its id. (The
        millions of visits: no dict a row.)"""
        try:
            row_id = self.next_id[model]
        except KeyError:
            row_id = self._next(model)
        self.next_id[model] = row_id + 1
        try:
            rows = self.pending[model]
        except KeyError:
            rows = self.pending[model] = []
        rows.append((row_id, *values))
        if len(rows) >= BATCH:
            self.flush()
        return row_id

    def _next(self, model):
        """The next id of `model` (counted from the table after a flush)."""
        if model not in self.next_id:
            last = model.with_voided if hasattr(model, "with_voided") else model.select
            top = last(model.id).order_by(model.id.desc()).scalar()
            self.next_id[model] = (top or 0) + 1
        row_id = self.next_id[model]
        self.next_id[model] += 1
        return row_id

    def audit(self, action, model, row_id, label, changes, actor=SYSTEM, at=None):
        """An audit row as services.audit.record writes it, by the system (or `actor`, at the
        moment `at` of a row dated in the past)."""
        self.put(
            AuditLog,
            at or clock.now(),
            actor.user_id,
            actor.username,
            actor.ip or "",
            action,
            model._meta.table_name,
            row_id,
            (label or "")[:128],
            json.dumps(changes, ensure_ascii=False, default=str) if changes else "",
        )

    def flush(self):
        """Write every pending row. Call it before writing through a service, whose rows then
        take the next ids (the ids are counted afresh after a flush)."""
        written = []
        for model, rows in self.pending.items():
            if rows:
                self._write(model, rows)
                self.pending[model] = []
                written.append(model)
        reset_sequences(written)  # PostgreSQL: a service's insert takes an id past these
        self.next_id.clear()

    def _write(self, model, rows):
        if model in self.shapes:
            return self._write_tuples(model, rows)
        fields = model._meta.sorted_fields
        columns = ", ".join(f'"{f.column_name}"' for f in fields)
        marks = ", ".join(database.param for _ in fields)
        sql = f'INSERT INTO "{model._meta.table_name}" ({columns}) VALUES ({marks})'
        # Each row's values in column order, its missing ones the fields' defaults (taken once
        # a batch); only fields whose Python values sqlite3 would not store as peewee does
        # are converted by the field.
        defaults = {f.name: _default(f)() for f in fields}
        values = itemgetter(*(f.name for f in fields))
        convert = [(i, f.db_value) for i, f in enumerate(fields) if type(f) not in PLAIN]
        if convert:
            params = []
            for row in rows:
                row = list(values({**defaults, **row}))
                for i, db_value in convert:
                    row[i] = db_value(row[i])
                params.append(row)
        else:
            params = [values({**defaults, **row}) for row in rows]
        with database.atomic():
            database.cursor().executemany(sql, params)

    def _write_tuples(self, model, rows):
        names = ("id", *self.shapes[model])
        fields = model._meta.fields
        rest = [f for f in model._meta.sorted_fields if f.name not in names]
        columns = [fields[n].column_name for n in names] + [f.column_name for f in rest]
        listed = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join(database.param for _ in columns)
        sql = f'INSERT INTO "{model._meta.table_name}" ({listed}) VALUES ({marks})'
        if rest:
            defaults = tuple(
                _default(f)() if type(f) in PLAIN else f.db_value(_default(f)()) for f in rest
            )
            rows = [row + defaults for row in rows]
        with database.atomic():
            database.cursor().executemany(sql, rows)


def _default(field):
    if callable(field.default):
        return field.default
    return lambda: field.default


@contextmanager
def indexes_after(tables=BIG):
    """Drop the tables' secondary indexes and build them again at the end: one index built over
    all rows is many times quicker than one kept up row by row (inside the caller's
    transaction, so a failure leaves them as they were)."""
    if not tables:
        yield
        return
    names = ", ".join(database.param for _ in tables)
    if database.is_postgres:  # the primary keys' indexes belong to their constraints: kept
        listed = (
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            f"AND indexname NOT LIKE '%%\\_pkey' AND tablename IN ({names})"
        )
    else:
        listed = (
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({names})"
        )
    saved = database.execute_sql(listed, tables).fetchall()
    for name, _ in saved:
        database.execute_sql(f'DROP INDEX "{name}"')
    yield
    for _, sql in saved:
        database.execute_sql(sql)


@contextmanager
def foreign_keys_checked_after():
    """Foreign keys checked once over all rows at the end instead of row by row; any broken
    one stops the build. (SQLite changes the setting only outside a transaction.) PostgreSQL
    checks each row as it comes: the rows are written parents first."""
    if database.is_postgres:
        yield
        return
    database.pragma("foreign_keys", 0)
    try:
        yield
        broken = database.execute_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"demo rows with a missing parent: {broken[:5]}")
    finally:
        database.pragma("foreign_keys", 1)
