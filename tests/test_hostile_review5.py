"""Hostile review of a county's instance (issue 18): a township's users reaching another
township's rows, and `county-load` fed hostile files."""

import hashlib
import re
import sqlite3

from liushou.backup_files import stored
from liushou.db import database
from liushou.models import Township, User, Village
from liushou.models.crosscheck import Crosscheck
from tests.conftest import client_as
from tests.shared.county import (  # noqa: F401
    _insert,
    _load,
    county,  # noqa: F401
    migrated_file,
    old_file,
)
from tests.shared.crosscheck import roster, upload


def test_a_county_role_account_in_a_township_file_is_refused(app, runner, old_file):  # noqa: F811
    """A township's file with a county_admin account must not give anyone the whole county."""
    con = sqlite3.connect(old_file)
    with con:
        _insert(con, "app_user", username="sneaky", display_name="县", role="county_admin")
    con.close()
    result = _load(runner, old_file, "T07")
    assert result.exit_code != 0 and "县级" in result.output, result.output
    assert not User.select().where(User.username == "sneaky").exists()
    assert not Township.select().where(Township.code == "T07").exists()


def test_files_folder_symlink_is_not_copied_into_the_county_store(app, runner, tmp_path):
    """--files copies a file only if its content is the sha256 it is named by: a link named as a
    digest that points at a file of the county's server stays out of the store."""
    secret = tmp_path / "server_secret.txt"
    secret.write_text("the county server's private file")
    digest = hashlib.sha256(b"pretend photo").hexdigest()
    files = tmp_path / "town_files"
    (files / digest[:2]).mkdir(parents=True)
    (files / digest[:2] / digest[2:]).symlink_to(secret)
    path = tmp_path / "town.sqlite3"
    migrated_file(path)
    con = sqlite3.connect(path)
    with con:
        v = _insert(con, "village", code="Q01", name="甲村", kind="村", sort_order=1, active=1)
        h = _insert(con, "household", village_id=v, head_name="户主")
        p = _insert(con, "person", household_id=h, village_id=v, name="人", sex="男")
        _insert(con, "attachment", owner_kind="person", owner_id=p, sha256=digest)
        _insert(con, "setting", key="township_name", value='"丁镇"', valid_from="2025-01-01")
    con.close()
    result = _load(runner, path, "T08", "--files", str(files))
    assert result.exit_code == 0, result.output
    assert digest not in stored(app.config["FILES_DIR"])
    assert "没有复制" in result.output


def test_another_townships_crosscheck_upload_is_not_seen(app, county, places):  # noqa: F811
    """A township-wide roster comparison of T2 (no village) is T2's: T1's users neither list
    nor open it."""
    t2 = client_as(app, "t2admin")
    data = roster(["姓名", "身份证号"], [["乙镇儿童", ""]])
    response = upload(t2, data, name="乙镇低保名单.xlsx")
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    cid = int(re.search(r"/crosscheck/(\d+)", response.location).group(1))
    assert Crosscheck.get_by_id(cid).village_id is None
    for name in ("t1admin", "t1cadre"):
        t1 = client_as(app, name)
        assert "乙镇低保名单" not in t1.get("/crosscheck").get_data(as_text=True), name
        assert t1.get(f"/crosscheck/{cid}").status_code == 404, name


def _counts():
    return [m.select().count() for m in (Township, User, Village)]


def test_a_lying_schema_version_is_refused_and_writes_nothing(app, runner, old_file):  # noqa: F811
    from liushou.migrations import LATEST

    before = _counts()
    for version in (LATEST, LATEST + 5):
        con = sqlite3.connect(old_file)
        con.execute(f"PRAGMA user_version = {version}")
        con.close()
        result = _load(runner, old_file, "T06")
        assert result.exit_code != 0 and "没有载入" in result.output, result.output
        assert "恢复" not in result.output  # a load, not a restore
        assert _counts() == before


def test_extra_tables_views_and_triggers_of_a_file_stay_out(app, runner, old_file):  # noqa: F811
    """A file's own table, view and trigger (one that would write elsewhere as rows change) are
    neither copied nor fired in the county's database."""
    con = sqlite3.connect(old_file)
    with con:
        con.execute('CREATE TABLE "stolen" (x TEXT)')
        con.execute('CREATE VIEW "peek" AS SELECT * FROM "app_user"')
        con.execute(
            'CREATE TRIGGER "spy" AFTER UPDATE ON "person" BEGIN '
            'INSERT INTO "stolen" VALUES (new."name"); END'
        )
    con.close()
    result = _load(runner, old_file, "T05")
    assert result.exit_code == 0, result.output
    names = {
        r[0]
        for r in database.execute_sql(
            "SELECT name FROM sqlite_master"
            if not database.is_postgres
            else "SELECT tablename FROM pg_tables UNION SELECT viewname FROM pg_views"
        ).fetchall()
    }
    assert not names & {"stolen", "peek", "spy"}
