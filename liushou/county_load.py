"""Load a township's SQLite database into a county's database (SQLite or PostgreSQL) as one
township: `flask county-load FILE --township CODE`.

The file is never touched: a private copy is checked and migrated to the latest schema, then
every table is copied in one transaction with new ids. Every foreign key and every id kept in a
plain column or in JSON/text (audit rows, review proposals, call-list targets, attachments'
owners, users' ids in *_by columns) is mapped from the file's id to the county's. No Flask in
here: cli_county.py calls `load()`. The file is read by county_source.py, its rows copied and
their ids mapped by county_copy.py, an earlier load of the township removed by
county_replace.py.
"""

import getpass
import json
import shutil
import sqlite3
import tempfile
from pathlib import Path

from peewee import (
    DataError,
    IntegrityError,
    OperationalError,
)

from .backup_files import sha256_of, stored
from .county_copy import Loader, id_ranges, in_ranges, load_order
from .county_replace import remove_load
from .county_source import LoadError, Report, prepare
from .db import database, is_locked
from .models import (
    Attachment,
    CountyLoad,
    Crosscheck,
    CrosscheckRow,
    Grid,
    Helper,
    MonthRates,
    Organisation,
    PeriodFigures,
    Person,
    Setting,
    Township,
    User,
    Village,
)
from .models.accounts import COUNTY_ROLES
from .queries import summary_kept
from .rules.text import mask_id_number
from .services import SYSTEM
from .services.audit import record
from .services.visit_tiers import keep_duty_dates


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
            remove_load(previous, township)
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
    # The kept trend rates of closed months and closed periods' figures (derived) no longer
    # hold for the county, the township or its replaced villages: the next start-of-day job
    # counts them again.
    MonthRates.delete().execute()
    PeriodFigures.delete().execute()
    summary_kept.forget()

    loader = Loader(source, township, report)
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
    for model in load_order():
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
        ranges = id_ranges(loader.maps.get(model._meta.table_name, {}).values())
        if ranges:  # id ranges: a township's findings may be more than SQLite's parameters
            model.update(township=township).where(in_ranges(model.id, ranges)).execute()

    # The loaded persons' last day of each duty, counted anew from the visits and check-ins
    # just copied (the file's own kept dates say the same; counted, not trusted).
    persons = id_ranges(loader.maps.get("person", {}).values())
    if persons:
        keep_duty_dates(
            where="(" + " OR ".join(f"{{col}} BETWEEN {lo} AND {hi}" for lo, hi in persons) + ")",
            villages=list(loader.maps["village"].values()),
        )
    row_ids = {t: id_ranges(m.values()) for t, m in loader.maps.items() if m}
    # The check: the county now holds, under the new ids, as many rows as the file has.
    for model in load_order():
        table = model._meta.table_name
        source_rows, _ = report.counts[table]
        ranges = row_ids.get(table, [])
        present = 0
        if ranges:
            base = model.with_voided() if hasattr(model, "with_voided") else model.select()
            present = base.where(in_ranges(model.id, ranges)).count()
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


def _copy_files(copy_from, copy_to, report):
    """Copy the township's stored files (photos, scans: named by their sha256, so nothing to
    map) that its attachments name into the county's store; returns how many were new."""
    ranges = report.record.id_ranges.get("attachment", [])
    if not copy_to or not ranges:
        return 0
    wanted = set()
    for model_row in Attachment.with_voided().where(in_ranges(Attachment.id, ranges)):
        wanted.update(h for h in (model_row.sha256, model_row.thumb_sha256) if h)
    have = stored(copy_to)
    copied = 0
    for digest, src in stored(copy_from).items():
        if digest in wanted and digest not in have:
            # Only a plain file whose bytes are the digest it is named by: a link (or any
            # other content) named as a digest could carry a file of this server into the store.
            if src.is_symlink() or sha256_of(src) != digest:
                report.files_refused.append(digest)
                continue
            target = Path(copy_to) / digest[:2] / digest[2:]
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, target)
            copied += 1
    return copied


__all__ = ["LoadError", "load"]
