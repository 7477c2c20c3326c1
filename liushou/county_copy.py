"""Copying a township file's rows into the county's database with new ids: the tables in the
order they are copied (parents first), rows written in chunks, and the loader that maps every
foreign key and every id kept in a plain column or in JSON/text (audit rows, review proposals,
call-list targets, attachments' owners, users' ids in *_by columns) to the county's."""

import json

from peewee import (
    CharField,
    ForeignKeyField,
    IntegerField,
)

from .county_source import LoadError
from .db import database
from .models import (
    ALL_MODELS,
    Activity,
    Attachment,
    AuditLog,
    CheckUp,
    CountyLoad,
    Emergency,
    EmergencyCall,
    FamilyAway,
    Helper,
    MonthRates,
    PeriodFigures,
    Person,
    ReviewItem,
    Setting,
    Township,
    User,
    Visit,
)

# Plain integer columns that hold a user's id.
USER_ID_COLUMNS = frozenset(
    [
        "created_by",
        "voided_by",
        "collected_by",
        "checked_by",
        "decided_by",
        "corrected_by",
        "uploaded_by",
        "user_id",
    ]
)


# Attachment.owner_kind -> the model its owner_id names ("agreement" is the person's).
OWNER_MODELS = {"person": "person", "agreement": "person", "visit": "visit"}
OWNER_MODELS.update(activity="activity", emergency="emergency")


# EmergencyCall.target prefixes that carry an id ("away-12", "helper-3").
CALL_TARGETS = {"away-": "family_away", "helper-": "helper"}


def holds_user(f):
    """Is this field a plain integer column holding a user's id (not a name: checked_by of a
    check-up is the doctor's name)?"""
    return isinstance(f, IntegerField) and f.column_name in USER_ID_COLUMNS


def load_order():
    """The copied tables, parents first: after the tables their foreign keys name, and after
    those whose ids they keep in plain columns (users' ids in *_by columns, a check-up's
    activity, an attachment's owner, a call's target); the audit log last (its object ids name
    rows of every table). The file's settings become the township's own (dated rows kept). Not
    copied: the township itself, the load records, the township-wide trend rates and closed
    periods' figures (derived; the county's own job counts its own)."""
    skip = (Township, CountyLoad, AuditLog, MonthRates, PeriodFigures)
    models = [m for m in ALL_MODELS if m not in skip]
    extra = {CheckUp: {Activity}, EmergencyCall: {FamilyAway, Helper}}
    extra[Attachment] = {Person, Visit, Activity, Emergency}

    def parents(model):
        out = {f.rel_model for f in model._meta.refs if f.rel_model is not model}
        if any(holds_user(f) for f in model._meta.sorted_fields):
            out.add(User)
        return (out | extra.get(model, set())) - set(skip)

    order, done = [], set()

    def visit(model):
        if model not in done:
            done.add(model)
            for parent in sorted(parents(model), key=models.index):
                visit(parent)
            order.append(model)

    for model in models:
        visit(model)
    return [*order, AuditLog]


def id_ranges(ids):
    """[[first, last], ...] of a set of ids (a load's ids are mostly one run per table)."""
    out = []
    for i in sorted(ids):
        if out and out[-1][1] == i - 1:
            out[-1][1] = i
        else:
            out.append([i, i])
    return out


def in_ranges(column, ranges):
    cond = None
    for lo, hi in ranges:
        part = column.between(lo, hi)
        cond = part if cond is None else (cond | part)
    return cond


class Loader:
    def __init__(self, source, township, report):
        self.source = source
        self.township = township
        self.report = report
        self.maps = {}  # table -> {old id: new id}
        self.models = {m._meta.table_name: m for m in ALL_MODELS}

    def map_id(self, table, old, where):
        """The county's id for the file's `old` id of `table`; None (and noted) if the file
        has no such row."""
        if old is None or old == "":
            return None
        try:
            return self.maps[table][int(old)]
        except (KeyError, ValueError, TypeError):
            self.report.unmapped.setdefault(where, []).append(old)
            return None

    def fk(self, model, column, old):
        """A foreign key's new id; a dangling one in the file is a refusal."""
        f = model._meta.columns[column]
        new = self.maps[f.rel_model._meta.table_name].get(old)
        if new is None:
            raise LoadError(
                f"文件中 {model._meta.table_name}.{column} 指向不存在的记录（{old}），没有载入"
            )
        return new

    def changes(self, model, text):
        """An audit row's [[field, before, after]] with the ids of foreign-key fields mapped."""
        if not text or model is None:
            return text
        try:
            rows = json.loads(text)
        except ValueError:
            return text
        if not isinstance(rows, list):
            return text
        out = []
        for row in rows:
            if isinstance(row, list) and len(row) == 3 and isinstance(row[0], str):
                name = row[0]
                target = self._target(model, name)
                if target:
                    row = [name, *(self._mapped(target, v, name) for v in row[1:])]
            out.append(row)
        return json.dumps(out, ensure_ascii=False)

    def _target(self, model, name):
        f = model._meta.fields.get(name) or model._meta.columns.get(name)
        if isinstance(f, ForeignKeyField):
            return f.rel_model._meta.table_name
        if holds_user(f):
            return "app_user"
        if model is CheckUp and name == "activity":
            return "activity"
        if model is User and name == "grids":
            return "grid"
        return None

    def _mapped(self, table, value, name):
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return self.map_id(table, value, f"audit_log.changes.{name}")
        if isinstance(value, list):
            return [self._mapped(table, v, name) for v in value]
        return value

    def value(self, model, column, old, row):
        """The value the county row gets for the file's `old` value of `column`."""
        meta = model._meta
        f = meta.columns[column]
        table = meta.table_name
        if isinstance(f, ForeignKeyField):
            return None if old is None else self.fk(model, column, old)
        if old is None:
            return None
        if holds_user(f):
            return self.map_id("app_user", old, f"{table}.{column}")
        if model is CheckUp and column == "activity":
            return self.map_id("activity", old, "checkup.activity")
        if model is Attachment and column == "owner_id":
            owner = OWNER_MODELS.get(row["owner_kind"])
            return self.map_id(owner, old, "attachment.owner_id") if owner else old
        if model is AuditLog and column == "object_id":
            target = self.models.get(row["object_type"])
            if target is None or target in (Setting, Township, CountyLoad):
                return old if target is None else None
            return self.map_id(row["object_type"], old, "audit_log.object_id")
        if model is AuditLog and column == "changes":
            return self.changes(self.models.get(row["object_type"]), old)
        if model is ReviewItem and column == "payload":
            return self.payload(old)
        if model is EmergencyCall and column == "target":
            for prefix, target in CALL_TARGETS.items():
                if old.startswith(prefix) and old[len(prefix) :].isdigit():
                    new = self.map_id(target, old[len(prefix) :], "emergency_call.target")
                    return f"{prefix}{new}" if new else old
        return f.python_value(old)

    def payload(self, text):
        """A review proposal's {"values": form values, "changes": [...]}: the household the
        form names and the ids in its changes mapped."""
        try:
            data = json.loads(text or "{}")
        except ValueError:
            return text
        values = data.get("values")
        if isinstance(values, dict) and values.get("household") not in (None, ""):
            values["household"] = self._same_kind(
                values["household"],
                self.map_id("household", values["household"], "review_item.payload"),
            )
        part = data.get("import")
        if isinstance(part, dict):
            self._import_part(part)
        if isinstance(data.get("changes"), list):
            data["changes"] = json.loads(self.changes(Person, json.dumps(data["changes"])))
        return json.dumps(data, ensure_ascii=False, default=str)

    @staticmethod
    def _same_kind(old, new):
        """A mapped id written as the old one was (a form's text, or a number)."""
        if new is None or isinstance(old, int):
            return new
        return str(new)

    def _import_part(self, part):
        """An import row's proposal (services/importing_review.py): the new household's village
        and grid, the family-away rows it updates."""
        where = "review_item.payload.import"
        home = part.get("new_household")
        if isinstance(home, dict):
            for key, table in (("village", "village"), ("grid", "grid")):
                if home.get(key) not in (None, ""):
                    home[key] = self._same_kind(home[key], self.map_id(table, home[key], where))
        for line in part.get("away") or []:
            if isinstance(line, list) and line and line[0] not in (None, ""):
                line[0] = self._same_kind(line[0], self.map_id("family_away", line[0], where))

    def copy_table(self, model, fix=None):
        """Insert every row of the file's table with new ids, in chunks of up to CHUNK rows (one
        multi-row INSERT each, ids taken beforehand: see `_new_ids`); returns the rows copied."""
        meta = model._meta
        table = meta.table_name
        cur = self.source.execute(f'SELECT * FROM "{table}" ORDER BY "id"')
        names = [d[0] for d in cur.description]
        columns = [c for c in names if c != "id" and c in meta.columns]
        fields = [meta.primary_key, *(meta.columns[c] for c in columns)]
        size = max(1, min(CHUNK, MAX_PARAMS // len(fields)))
        mapping = self.maps.setdefault(table, {})
        count = 0
        while batch := cur.fetchmany(size):
            rows = []
            for values, new_id in zip(batch, _new_ids(model, len(batch)), strict=True):
                row = dict(zip(names, values, strict=True))
                if fix:
                    fix(row)
                out = [new_id]
                for column, field_ in zip(columns, fields[1:], strict=True):
                    value = self.value(model, column, row[column], row)
                    _check_length(table, row["id"], field_, value)
                    out.append(value)
                # Mapped before the insert: a later row of the same chunk may name this one.
                mapping[row["id"]] = new_id
                rows.append(out)
            model.insert_many(rows, fields=fields).execute()
            count += len(rows)
        return count


# Rows per INSERT, and the bound parameters one may carry (SQLite allows 32,766, PostgreSQL
# 65,535): a table of 60 columns goes 500 rows at a time.
CHUNK = 1000


MAX_PARAMS = 30000


def _new_ids(model, n):
    """`n` new ids for `model`'s rows. PostgreSQL: taken from the table's sequence (no one else
    can get them, whatever else writes meanwhile). SQLite: after the largest id, which no one
    else can take before the load commits (its transaction holds the write lock from BEGIN)."""
    table = model._meta.table_name
    if database.is_postgres:
        cursor = database.execute_sql(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            (f'"{table}"', n),
        )
        return [r[0] for r in cursor.fetchall()]
    (last,) = database.execute_sql(f'SELECT max("id") FROM "{table}"').fetchone()
    return list(range((last or 0) + 1, (last or 0) + 1 + n))


def _check_length(table, row_id, field_, value):
    """A text longer than its column allows (SQLite keeps it, PostgreSQL's VARCHAR refuses it)
    is refused with where it is, on both engines alike."""
    limit = getattr(field_, "max_length", None) if isinstance(field_, CharField) else None
    if limit and isinstance(value, str) and len(value) > limit:
        raise LoadError(
            f"文件中 {table} 表第 {row_id} 行的 {field_.column_name} 有 {len(value)} 个字符，"
            f"超过 {limit} 个字符的上限，没有载入；请在乡镇的系统中改短后再导出"
        )
