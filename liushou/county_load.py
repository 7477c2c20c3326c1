"""Load a township's SQLite database into a county's database (SQLite or PostgreSQL) as one
township: `flask county-load FILE --township CODE`.

The file is never touched: a private copy is checked and migrated to the latest schema, then
every table is copied in one transaction with new ids. Every foreign key and every id kept in a
plain column or in JSON/text (audit rows, review proposals, call-list targets, attachments'
owners, users' ids in *_by columns) is mapped from the file's id to the county's. No Flask in
here: cli_county.py calls `load()`.
"""

import getpass
import hashlib
import json
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from peewee import (
    CharField,
    DataError,
    ForeignKeyField,
    IntegerField,
    IntegrityError,
    OperationalError,
)

from . import backup as backups
from . import clock
from .backup_files import _digest as _file_digest
from .backup_files import stored
from .backup_restore import _check_schema as check_schema
from .backup_restore import _migrate as migrate_copy
from .db import database, is_locked
from .migrations import LATEST
from .models import (
    ALL_MODELS,
    Activity,
    AgreementEvent,
    Attachment,
    AuditLog,
    CheckUp,
    CountyLoad,
    Crosscheck,
    CrosscheckRow,
    Emergency,
    EmergencyCall,
    FamilyAway,
    Grid,
    GroupEvent,
    Helper,
    MonthRates,
    Organisation,
    Person,
    ReviewItem,
    Setting,
    SiteEvent,
    TierEvent,
    Township,
    User,
    Village,
    Visit,
)
from .models.accounts import COUNTY_ROLES
from .rules.text import mask_id_number
from .services import SYSTEM
from .services.audit import record
from .services.visit_tiers import keep_duty_dates

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
# Append-only tables (triggers refuse updates and deletes): --replace lifts the triggers for its
# own deletes only, inside its transaction.
APPEND_ONLY = (AuditLog, GroupEvent, TierEvent, SiteEvent, AgreementEvent)
# Audit actions that enter nothing (a read, a login): they do not stop a --replace.
READ_ACTIONS = frozenset(["login", "login_failed", "logout", "view", "print", "export"])
# Attachment.owner_kind -> the model its owner_id names ("agreement" is the person's).
OWNER_MODELS = {"person": "person", "agreement": "person", "visit": "visit"}
OWNER_MODELS.update(activity="activity", emergency="emergency")
# EmergencyCall.target prefixes that carry an id ("away-12", "helper-3").
CALL_TARGETS = {"away-": "family_away", "helper-": "helper"}


def _holds_user(f):
    """Is this field a plain integer column holding a user's id (not a name: checked_by of a
    check-up is the doctor's name)?"""
    return isinstance(f, IntegerField) and f.column_name in USER_ID_COLUMNS


class LoadError(Exception):
    """A refusal, with a message for the user in Chinese; nothing was written."""


def _load_order():
    """The copied tables, parents first: after the tables their foreign keys name, and after
    those whose ids they keep in plain columns (users' ids in *_by columns, a check-up's
    activity, an attachment's owner, a call's target); the audit log last (its object ids name
    rows of every table). The file's settings become the township's own (dated rows kept). Not
    copied: the township itself, the load records, the township-wide trend rates (derived; the
    county's own job counts its own)."""
    skip = (Township, CountyLoad, AuditLog, MonthRates)
    models = [m for m in ALL_MODELS if m not in skip]
    extra = {CheckUp: {Activity}, EmergencyCall: {FamilyAway, Helper}}
    extra[Attachment] = {Person, Visit, Activity, Emergency}

    def parents(model):
        out = {f.rel_model for f in model._meta.refs if f.rel_model is not model}
        if any(_holds_user(f) for f in model._meta.sorted_fields):
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


@dataclass
class Report:
    """What a load did, for the command's output."""

    township: object = None
    record: object = None
    counts: dict = field(default_factory=dict)  # table -> (source rows, loaded rows)
    renamed: list = field(default_factory=list)  # (what, old, new)
    settings: list = field(default_factory=list)  # (key, value, valid_from): the township's own
    unmapped: dict = field(default_factory=dict)  # "table.column" -> ids cleared
    replaced: object = None  # the earlier load it replaced
    files_copied: int = 0
    files_refused: list = field(default_factory=list)  # digests named by a link or other bytes


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def prepare(path, folder):
    """A checked copy of the township file at `path`, migrated to the latest schema, in
    `folder`; returns (copy, the file's schema version). The file itself is only read."""
    path = Path(path)
    if not path.is_file():
        raise LoadError(f"找不到文件 {path}")
    copy = Path(folder) / "township.sqlite3"
    shutil.copyfile(path, copy)
    wal = Path(f"{path}-wal")
    if wal.is_file():  # committed writes not yet in the main file
        shutil.copyfile(wal, f"{copy}-wal")
    try:
        with open(copy, "rb") as fh:
            is_sqlite = fh.read(16) == backups.SQLITE_HEADER
        if is_sqlite:
            con = sqlite3.connect(copy)
            try:  # folds the -wal in: the copy is one self-contained file
                con.execute("PRAGMA journal_mode=DELETE").fetchone()
            finally:
                con.close()
        version = backups.check(copy, label=path.name)
        migrate_copy(copy)
        check_schema(copy, path.name)
    except sqlite3.DatabaseError as e:
        raise LoadError(f"{path.name} 已损坏，无法打开（{e}），没有载入") from e
    except backups.BackupError as e:
        message = str(e).replace("不能用来恢复", "不能载入").replace("没有恢复", "没有载入")
        message = message.replace("再恢复", "再载入，没有载入")
        raise LoadError(message) from e
    return copy, version


def _ranges(ids):
    """[[first, last], ...] of a set of ids (a load's ids are mostly one run per table)."""
    out = []
    for i in sorted(ids):
        if out and out[-1][1] == i - 1:
            out[-1][1] = i
        else:
            out.append([i, i])
    return out


def _in_ranges(column, ranges):
    cond = None
    for lo, hi in ranges:
        part = column.between(lo, hi)
        cond = part if cond is None else (cond | part)
    return cond


class _Loader:
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
        if _holds_user(f):
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
        if _holds_user(f):
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


def _rename(existing, old, prefix, limit):
    new = f"{prefix}{old}"[:limit]
    return None if new in existing else new


def _existing_text(model, column):
    return {r[0] for r in model.select(column).tuples()}


def load(path, code, name=None, replace=False, by=None, files_from=None, files_to=None):
    """Load the township file at `path` into the bound county database as township `code`;
    returns a Report. Raises LoadError (nothing written) on any refusal."""
    code = (code or "").strip()
    if not code:
        raise LoadError("请用 --township 给出乡镇代码")
    if len(code) > 32:
        raise LoadError("乡镇代码不能超过 32 个字符")
    path = Path(path)
    digest = sha256_of(path) if path.is_file() else ""
    with tempfile.TemporaryDirectory(prefix="liushou-load-") as folder:
        copy, version = prepare(path, folder)
        source = sqlite3.connect(copy)
        # The file is read only from here on, and its own views and triggers may call no
        # function of ours (a crafted file's schema is not trusted).
        source.execute("PRAGMA trusted_schema=OFF")
        source.execute("PRAGMA query_only=ON")
        try:
            file_settings = source.execute(
                'SELECT "key", "value", "valid_from" FROM "setting" ORDER BY "id"'
            ).fetchall()
            report = Report(settings=[tuple(s) for s in file_settings])
            database.connect(reuse_if_open=True)
            try:
                with database.atomic():
                    _load(source, path, digest, version, code, name, replace, by, report)
            except IntegrityError as e:
                raise LoadError(f"写入县库时违反了数据约束（{e}），全部撤销，没有载入") from e
            except DataError as e:
                raise LoadError(f"文件中有县库不能存的值（{e}），全部撤销，没有载入") from e
            except OperationalError as e:
                if not is_locked(e):
                    raise
                # Another load (or a long write) holds the county database: one at a time.
                raise LoadError(
                    "县库正被另一个载入或写入占用，全部撤销，没有载入；请等它结束后再试"
                ) from e
        finally:
            source.close()
    if files_from:
        report.files_copied = _copy_files(files_from, files_to, report)
    return report


def _township_name(name, settings):
    if name:
        return name
    for key, value, _on in reversed(settings):
        if key == "township_name":
            try:
                return str(json.loads(value))
            except ValueError:
                return value
    return None


def _load(source, path, digest, version, code, name, replace, by, report):
    township = Township.get_or_none(Township.code == code)
    previous = None
    if township is not None:
        previous = (
            CountyLoad.select()
            .where((CountyLoad.township == township) & CountyLoad.replaced_at.is_null())
            .order_by(CountyLoad.id.desc())
            .first()
        )
        if not replace:
            if previous is not None:
                raise LoadError(
                    f"乡镇 {code}（{township.name}）已于 "
                    f"{previous.loaded_at:%Y-%m-%d %H:%M} 载入过；"
                    "要用新文件替换，请加 --replace"
                )
            raise LoadError(
                f"县库中已有乡镇代码 {code}（{township.name}）；要载入到它名下，请加 --replace"
            )
        if previous is not None:
            _remove(previous, township)
            report.replaced = previous
        if name:
            township.name = name
            township.save()
    else:
        label = _township_name(name, report.settings)
        if not label:
            raise LoadError("文件中没有乡镇名称（township_name 设置），请用 --name 给出")
        township = Township.create(code=code, name=label[:64])
    report.township = township
    # The kept trend rates of closed months (derived) no longer hold for the county, the
    # township or its replaced villages: the next start-of-day job counts them again.
    MonthRates.delete().execute()

    loader = _Loader(source, township, report)
    usernames = _existing_text(User, User.username)
    village_codes = _existing_text(Village, Village.code)
    grid_codes = _existing_text(Grid, Grid.code)
    id_numbers = {
        r[0]
        for r in Person.select(Person.id_number).where(Person.id_number.is_null(False)).tuples()
    }

    clashes = [
        r[0]
        for r in source.execute('SELECT "id_number" FROM "person" WHERE "id_number" IS NOT NULL')
        if r[0] in id_numbers
    ]
    if clashes:
        shown = "、".join(mask_id_number(n) for n in clashes[:5])
        raise LoadError(
            f"文件中有 {len(clashes)} 人的身份证号已在县库中登记"
            f"（{shown}{' 等' if len(clashes) > 5 else ''}），"
            "同一人不能登记在两个乡镇；请先核实，没有载入"
        )

    def fix_village(row):
        row["township_id"] = None  # set below: the township being loaded
        if row["code"] in village_codes:
            new = _rename(village_codes, row["code"], f"{code}-", 32)
            if new is None:
                raise LoadError(f"村（社区）代码 {row['code']} 与县库重复，无法改名，没有载入")
            report.renamed.append(("村（社区）代码", row["code"], new))
            row["code"] = new
        village_codes.add(row["code"])

    def fix_grid(row):
        if row["code"] in grid_codes:
            new = _rename(grid_codes, row["code"], f"{code}-", 32)
            if new is None:
                raise LoadError(f"网格代码 {row['code']} 与县库重复，无法改名，没有载入")
            report.renamed.append(("网格代码", row["code"], new))
            row["code"] = new
        grid_codes.add(row["code"])

    def fix_user(row):
        row["township_id"] = None
        if row.get("role") in COUNTY_ROLES:  # a township's file gives no one the whole county
            raise LoadError(
                f"文件中的账号 {row['username']} 是县级角色，乡镇的数据库不能带入县级账号，没有载入"
            )
        if row["username"] in usernames:
            new = _rename(usernames, row["username"], f"{code}_", 64)
            if new is None:
                raise LoadError(f"登录名 {row['username']} 与县库重复，无法改名，没有载入")
            report.renamed.append(("登录名", row["username"], new))
            row["username"] = new
        usernames.add(row["username"])

    def fix_township(row):
        row["township_id"] = None  # set below: the township being loaded

    fixes = {Village: fix_village, Grid: fix_grid, User: fix_user}
    fixes.update({Setting: fix_township, Helper: fix_township, Organisation: fix_township})
    fixes.update({Crosscheck: fix_township, CrosscheckRow: fix_township})
    for model in _load_order():
        table = model._meta.table_name
        loaded = loader.copy_table(model, fixes.get(model))
        (source_rows,) = source.execute(f'SELECT count(*) FROM "{table}"').fetchone()
        report.counts[table] = (source_rows, loaded)
    # The township's villages and users: the ids just made.
    Village.update(township=township).where(
        Village.id.in_(list(loader.maps["village"].values()))
    ).execute()
    User.update(township=township).where(
        User.id.in_(list(loader.maps["app_user"].values()))
    ).execute()
    # Its settings are its own; its helpers and organisations of no village are its.
    Setting.update(township=township).where(
        Setting.id.in_(list(loader.maps["setting"].values()) or [0])
    ).execute()
    for model in (Helper, Organisation):
        ids = list(loader.maps[model._meta.table_name].values())
        base = model.update(township=township)
        base.where(model.id.in_(ids or [0]) & model.village.is_null()).execute()
    # Its cross-checks and their findings, all of them (a township-wide upload is its own).
    for model in (Crosscheck, CrosscheckRow):
        ranges = _ranges(loader.maps.get(model._meta.table_name, {}).values())
        if ranges:  # id ranges: a township's findings may be more than SQLite's parameters
            model.update(township=township).where(_in_ranges(model.id, ranges)).execute()

    # The loaded persons' last day of each duty, counted anew from the visits and check-ins
    # just copied (the file's own kept dates say the same; counted, not trusted).
    persons = _ranges(loader.maps.get("person", {}).values())
    if persons:
        keep_duty_dates(
            where="(" + " OR ".join(f"{{col}} BETWEEN {lo} AND {hi}" for lo, hi in persons) + ")",
            villages=list(loader.maps["village"].values()),
        )
    row_ids = {t: _ranges(m.values()) for t, m in loader.maps.items() if m}
    # The check: the county now holds, under the new ids, as many rows as the file has.
    for model in _load_order():
        table = model._meta.table_name
        source_rows, _ = report.counts[table]
        ranges = row_ids.get(table, [])
        present = 0
        if ranges:
            base = model.with_voided() if hasattr(model, "with_voided") else model.select()
            present = base.where(_in_ranges(model.id, ranges)).count()
        report.counts[table] = (source_rows, present)
        if present != source_rows:
            raise LoadError(
                f"表 {table} 的行数不一致（文件 {source_rows} 行，载入 {present} 行），"
                "全部撤销，没有载入"
            )
    township_rows = Village.select().where(Village.township == township).count()
    if township_rows != report.counts["village"][0]:
        raise LoadError("载入后的村（社区）数与文件不一致，全部撤销，没有载入")

    report.record = CountyLoad.create(
        township=township,
        file_name=path.name[:255],
        sha256=digest,
        schema_version=version,
        counts=json.dumps(report.counts),
        row_ids=json.dumps(row_ids),
        settings=json.dumps(report.settings, ensure_ascii=False, default=str),
        renamed=json.dumps(report.renamed, ensure_ascii=False),
        loaded_by=(by or _os_user())[:64],
    )
    record(
        SYSTEM,
        "import",
        report.record,
        label=f"载入乡镇 {code}（{township.name}）数据库 {path.name}",
        changes=[
            ("sha256", None, digest),
            ("rows", None, sum(c[1] for c in report.counts.values())),
        ],
    )


def _os_user():
    try:
        return getpass.getuser()
    except Exception:  # no login name (a container): say so
        return "命令行"


def _remove(previous, township):
    """Delete the rows of the township's previous load, in reverse dependency order; refused if
    anything was entered for the township on the county since (nothing a user entered is
    lost)."""
    ranges = previous.id_ranges
    users = set()
    for lo, hi in ranges.get("app_user", []):
        users.update(range(lo, hi + 1))
    last_audit = max((hi for _lo, hi in ranges.get("audit_log", [])), default=0)
    since = AuditLog.select().where(
        (AuditLog.id > last_audit)
        & AuditLog.action.not_in(list(READ_ACTIONS))
        & (AuditLog.object_type != CountyLoad._meta.table_name)
    )
    for row in since.iterator():
        touched = row.user_id in users
        if not touched and row.object_id is not None:
            touched = any(lo <= row.object_id <= hi for lo, hi in ranges.get(row.object_type, []))
        if touched:
            raise LoadError(
                f"乡镇 {township.code} 载入后，县库中已有人录入或修改了它的数据"
                f"（{row.at:%Y-%m-%d %H:%M} "
                f"{row.username} {row.action_label} {row.object_label}）；为免丢失，不能替换"
            )
    lifted = _lift_triggers()
    try:
        for model in reversed(_load_order()):
            table = model._meta.table_name
            for lo, hi in ranges.get(table, []):
                try:
                    with database.atomic():
                        model.delete().where(model.id.between(lo, hi)).execute()
                except IntegrityError as e:
                    raise LoadError(
                        f"县库中有新录入的记录引用乡镇 {township.code} 的 {table} 数据；"
                        "为免丢失，不能替换"
                    ) from e
    finally:
        _restore_triggers(lifted)
    previous.replaced_at = clock.now()
    previous.save()


def _lift_triggers():
    """Lift the append-only tables' delete triggers for this transaction; returns what to put
    back."""
    tables = [m._meta.table_name for m in APPEND_ONLY]
    if database.is_postgres:
        for t in tables:
            database.execute_sql(f'ALTER TABLE "{t}" DISABLE TRIGGER USER')
        return tables
    marks = ", ".join("?" for _ in tables)
    rows = database.execute_sql(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ({marks})",
        tables,
    ).fetchall()
    for trigger, _sql in rows:
        database.execute_sql(f'DROP TRIGGER "{trigger}"')
    return rows


def _restore_triggers(lifted):
    if database.is_postgres:
        for t in lifted:
            database.execute_sql(f'ALTER TABLE "{t}" ENABLE TRIGGER USER')
        return
    for _name, sql in lifted:
        database.execute_sql(sql)


def _copy_files(copy_from, copy_to, report):
    """Copy the township's stored files (photos, scans: named by their sha256, so nothing to
    map) that its attachments name into the county's store; returns how many were new."""
    ranges = report.record.id_ranges.get("attachment", [])
    if not copy_to or not ranges:
        return 0
    wanted = set()
    for model_row in Attachment.with_voided().where(_in_ranges(Attachment.id, ranges)):
        wanted.update(h for h in (model_row.sha256, model_row.thumb_sha256) if h)
    have = stored(copy_to)
    copied = 0
    for digest, src in stored(copy_from).items():
        if digest in wanted and digest not in have:
            # Only a plain file whose bytes are the digest it is named by: a link (or any
            # other content) named as a digest could carry a file of this server into the store.
            if src.is_symlink() or _file_digest(src) != digest:
                report.files_refused.append(digest)
                continue
            target = Path(copy_to) / digest[:2] / digest[2:]
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, target)
            copied += 1
    return copied


__all__ = ["LATEST", "LoadError", "Report", "load", "prepare"]
