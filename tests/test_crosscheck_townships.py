"""Cross-checks on a county's instance: a roster uploaded township-wide, and its lines matched
to nobody, belong to the uploader's township; the other townships' users neither list, open nor
answer them. A township's database loaded into the county brings its cross-checks as its own;
an older county database gets the township filled in by the migration."""

import sqlite3

import pytest

from liushou.db import database
from liushou.migrations import LATEST, migrate
from liushou.models import AuditLog, Household, Person, Village
from liushou.models.crosscheck import Crosscheck, CrosscheckRow
from liushou.models.places import Township
from tests._helpers import _fresh
from tests.conftest import post
from tests.shared.county import NOW, _insert, _load, make_county, migrated_file
from tests.shared.crosscheck import (  # noqa: F401
    DIBAO_ROWS,
    check_id,
    idn,
    person,
    register,
    roster,
    rows_of,
    upload,
)

__all__ = ["register"]  # the fixture, used by name

HEADER = ["姓名", "身份证号", "出生日期"]


@pytest.fixture
def county(places, users, register):
    return make_county(places)


def test_township_upload_and_its_unmatched_lines_are_the_uploaders_township(login_as, county):
    t1 = login_as("t1cadre")
    cid = check_id(upload(t1, roster(HEADER, DIBAO_ROWS)))
    assert Crosscheck.get_by_id(cid).township_id == county["T1"].id
    missing = rows_of(cid, category="c")[0]
    assert (missing.village_id, missing.township_id) == (None, county["T1"].id)
    page = t1.get(f"/crosscheck/{cid}").get_data(as_text=True)
    assert "漏登娃" in page and "错号人" in page
    # The other township's person is not matched: the line is one the register lacks.
    other = rows_of(cid, name="外村人")
    assert [(r.category, r.person_id, r.township_id) for r in other] == [
        ("c", None, county["T1"].id)
    ]

    t2 = login_as("t2admin")
    assert "低保名单.xlsx" not in t2.get("/crosscheck").get_data(as_text=True)
    assert t2.get(f"/crosscheck/{cid}").status_code == 404
    assert t2.get(f"/crosscheck/{cid}/print.pdf").status_code == 404
    before = AuditLog.select().count()
    assert t2.get(f"/crosscheck/missing/{missing.id}/register").status_code == 404
    assert post(t2, f"/crosscheck/missing/{missing.id}/register", {"name": "x"}).status_code == 404
    assert post(t2, f"/crosscheck/rows/{missing.id}/dismiss", {"reason": "x"}).status_code == 404
    assert post(t2, f"/crosscheck/{cid}/void", {"void_reason": "x"}).status_code == 404
    assert CrosscheckRow.get_by_id(missing.id).status == "open"
    assert Crosscheck.get_by_id(cid).voided_at is None
    assert AuditLog.select().count() == before


def test_township_upload_never_matches_another_townships_person(login_as, county, places, register):
    """A T2 person with the roster line's ID number, and one registered without an ID number
    under the line's name and birth date: neither is matched by T1's upload, nothing of theirs
    is written, and T1's findings are not T2's to see."""
    no_id = person(places, "V02", "无号人", None, birth_date="1970-05-05", sex="男")
    others = {register["other"].id, no_id.id}
    before = {p.id: (p.name, p.household.dibao) for p in Person.select() if p.id in others}
    t1 = login_as("t1cadre")
    lines = [DIBAO_ROWS[3], ["无号人", idn("19700505", "017"), None]]
    cid = check_id(upload(t1, roster(HEADER, lines)))
    rows = [r for r in rows_of(cid) if r.name in ("外村人", "无号人")]
    assert sorted((r.name, r.category) for r in rows) == [("外村人", "c"), ("无号人", "c")]
    assert not rows_of(cid, person=register["other"].id) and not rows_of(cid, person=no_id.id)
    assert {(r.person_id, r.household_id, r.village_id) for r in rows} == {(None, None, None)}
    assert {r.township_id for r in rows} == {county["T1"].id}
    after = {p.id: (p.name, Household.get_by_id(p.household_id).dibao) for p in Person.select()}
    assert {k: after[k] for k in others} == before
    t2 = login_as("t2admin")
    assert t2.get(f"/crosscheck/{cid}").status_code == 404
    for row in rows:
        assert post(t2, f"/crosscheck/rows/{row.id}/dismiss", {"reason": "x"}).status_code == 404


def test_county_wide_upload_gives_each_township_its_own_findings(login_as, county, register):
    """An upload by a township-level user of no township (one who sees every township; county
    roles do not compare rosters) matches every township's persons; each finding is its
    person's township's (seen there, not in the other), the lines matched to nobody stay with
    the users of every township."""
    cid = check_id(upload(login_as("township"), roster(HEADER, DIBAO_ROWS)))
    assert Crosscheck.get_by_id(cid).township_id is None
    other = rows_of(cid, name="外村人", category="a")[0]
    assert (other.person_id, other.township_id) == (register["other"].id, county["T2"].id)
    mine = rows_of(cid, name="张小明", category="a")[0]
    assert mine.township_id == county["T1"].id
    missing = rows_of(cid, category="c")[0]
    assert (missing.village_id, missing.township_id) == (None, None)
    t2_page = login_as("t2admin").get(f"/crosscheck/{cid}").get_data(as_text=True)
    assert "外村人" in t2_page and "张小明" not in t2_page and "漏登娃" not in t2_page
    t1_page = login_as("t1cadre").get(f"/crosscheck/{cid}").get_data(as_text=True)
    assert "张小明" in t1_page and "外村人" not in t1_page and "漏登娃" not in t1_page
    county_page = login_as("township").get(f"/crosscheck/{cid}").get_data(as_text=True)
    assert "漏登娃" in county_page and "外村人" in county_page


def test_township_user_answers_and_voids_his_townships_upload(login_as, county):
    t1 = login_as("t1cadre")
    cid = check_id(upload(t1, roster(HEADER, DIBAO_ROWS)))
    wrong = rows_of(cid, category="x")[0]
    response = post(t1, f"/crosscheck/rows/{wrong.id}/dismiss", {"reason": "号码抄错"})
    assert response.status_code == 303
    assert CrosscheckRow.get_by_id(wrong.id).status == "dismissed"
    response = post(t1, f"/crosscheck/{cid}/void", {"void_reason": "传错了文件"})
    assert response.status_code == 303
    assert Crosscheck.with_voided().where(Crosscheck.id == cid).get().voided_at is not None


def test_village_upload_is_its_villages_township_and_counties_see_every_one(login_as, county):
    cun2 = login_as("cun2")
    cid = check_id(upload(cun2, roster(HEADER, DIBAO_ROWS)))
    assert Crosscheck.get_by_id(cid).township_id == county["T2"].id
    missing = rows_of(cid, category="c")[0]
    assert missing.township_id == county["T2"].id
    assert login_as("t1cadre").get(f"/crosscheck/{cid}").status_code == 404
    assert login_as("t2admin").get(f"/crosscheck/{cid}").status_code == 200
    # A township user of no township (the instance's own) still sees every upload.
    assert login_as("township").get(f"/crosscheck/{cid}").status_code == 200


def test_single_township_instance_is_unchanged(login_as, register):
    township = login_as("township")
    cid = check_id(upload(township, roster(HEADER, DIBAO_ROWS)))
    assert Crosscheck.get_by_id(cid).township_id is None
    assert {r.township_id for r in rows_of(cid)} == {None}
    assert "低保名单.xlsx" in login_as("cun1").get("/crosscheck").get_data(as_text=True)


def _raw(table, row_id, **values):
    """A row written as an older program would (SQL, every NOT NULL column filled)."""
    for column in database.get_columns(table):
        if column.null or column.primary_key or column.name in values:
            continue
        kind = column.data_type.lower()
        values[column.name] = (
            True
            if kind.startswith("bool")
            else NOW
            if "date" in kind or "time" in kind
            else 0
            if "int" in kind
            else ""
        )
    values["id"] = row_id
    names = ", ".join(f'"{n}"' for n in values)
    marks = ", ".join(database.param for _ in values)
    database.execute_sql(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', list(values.values()))
    return row_id


def test_migration_fills_in_the_township_from_uploader_and_village(tmp_path):
    """Step 29 on a county database of step 28: an upload's township from its village or its
    uploader, a finding's from its village or its upload."""
    _fresh(tmp_path)
    migrate(target=28)
    with database.atomic():
        t1 = _raw("township", 1, code="T1", name="甲镇")
        t2 = _raw("township", 2, code="T2", name="乙镇")
        v1 = _raw("village", 1, code="V1", name="一村", township_id=t1)
        v2 = _raw("village", 2, code="V2", name="二村", township_id=t2)
        cadre = _raw("app_user", 1, username="a", role="township", township_id=t1)
        cun = _raw("app_user", 2, username="b", role="village", village_id=v2)
        _raw("app_user", 3, username="c", role="village", village_id=v1)
        wide = _raw("crosscheck", 1, kind="dibao", created_by=cadre)
        by_cun = _raw("crosscheck", 2, kind="dibao", created_by=cun)
        own = _raw("crosscheck", 3, kind="dibao", village_id=v1, created_by=None)
        nobody = _raw("crosscheck", 4, kind="dibao", created_by=None)
        lost = _raw("crosscheck_row", 1, crosscheck_id=wide, category="c", name="甲")
        matched = _raw(
            "crosscheck_row", 2, crosscheck_id=wide, village_id=v2, category="a", name="乙"
        )
        cun_row = _raw("crosscheck_row", 3, crosscheck_id=by_cun, category="c", name="丙")
        orphan = _raw("crosscheck_row", 4, crosscheck_id=nobody, category="c", name="丁")
    assert migrate() == list(range(29, LATEST + 1))
    towns = dict(database.execute_sql('SELECT "id", "township_id" FROM "crosscheck"'))
    rows = dict(database.execute_sql('SELECT "id", "township_id" FROM "crosscheck_row"'))
    assert towns == {wide: t1, by_cun: t2, own: t1, nobody: None}
    assert rows == {lost: t1, matched: t2, cun_row: t2, orphan: None}


def test_county_load_makes_the_files_cross_checks_the_townships(app, runner, tmp_path):
    path = tmp_path / "town.sqlite3"
    migrated_file(path)
    con = sqlite3.connect(path)
    with con:
        v = _insert(con, "village", code="LH", name="老河村", kind="村", sort_order=1, active=1)
        _insert(con, "setting", key="township_name", value='"老河乡"', valid_from="2025-01-01")
        wide = _insert(con, "crosscheck", kind="dibao")
        _insert(con, "crosscheck_row", crosscheck_id=wide, category="c", name="甲")
        _insert(con, "crosscheck_row", crosscheck_id=wide, village_id=v, category="b", name="乙")
    con.close()
    result = _load(runner, path, "LH")
    assert result.exit_code == 0, result.output
    town = Township.get(Township.code == "LH")
    assert [c.township_id for c in Crosscheck.select()] == [town.id]
    assert {r.township_id for r in CrosscheckRow.select()} == {town.id}
    assert Village.get(Village.code == "LH").township_id == town.id
