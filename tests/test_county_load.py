"""`flask county-load FILE --township CODE`: a township's SQLite database loaded into the county's
(SQLite, or PostgreSQL with LIUSHOU_TEST_POSTGRES=1) as one township, ids mapped, in one
transaction."""

import hashlib
import json
import sqlite3

import pytest

from liushou import create_app, settings
from liushou.db import database
from liushou.models import (
    AuditLog,
    CountyLoad,
    GroupEvent,
    Household,
    Person,
    ReviewItem,
    Setting,
    Township,
    User,
    Village,
    VisitPerson,
)
from liushou.services import Actor
from liushou.services.audit import record
from tests.conftest import PASSWORD
from tests.pg_cluster import POSTGRES
from tests.shared import county
from tests.shared.county import (
    OLD_VERSION,
    _insert,
    _load,
    _source,
    _table_counts,
)

old_file = county.old_file  # the shared fixture


@pytest.fixture(scope="module")
def township_file(request, tmp_path_factory):
    """The demo township as a SQLite file (on PostgreSQL runs demo_db is a database: build one)."""
    if not POSTGRES:
        return request.getfixturevalue("demo_db")
    path = tmp_path_factory.mktemp("township") / "demo.sqlite3"
    app = create_app(
        {
            "TESTING": True,
            "DATABASE": str(path),
            "FILES_DIR": str(path.parent / "files"),  # the demo's photos, as demo_db keeps them
            "SECRET_KEY": "t",
        }
    )
    result = app.test_cli_runner().invoke(args=["demo", "--seed", "7", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    database.close()
    database.init(None)
    return path


def _digest(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def test_demo_loads_with_every_id_mapped(app, runner, township_file):
    before = _digest(township_file)
    result = _load(runner, township_file, "T01")
    assert result.exit_code == 0, result.output
    assert "已载入乡镇 T01（杨柳镇）" in result.output
    assert "各表行数一致" in result.output
    assert _digest(township_file) == before  # the file is only read

    # Counts per table equal the file's (settings: the township's own, listed).
    load = CountyLoad.get()
    for table, (source, loaded) in load.count_map.items():
        (in_file,) = _source(township_file, f'SELECT count(*) FROM "{table}"')[0]
        (in_county,) = database.execute_sql(f'SELECT count(*) FROM "{table}"').fetchone()
        if table == "audit_log":
            in_county -= 1  # the load's own audit row
        assert source == loaded == in_file == in_county, table
    assert "township_name" in result.output and "该乡镇自己的设置" in result.output
    assert ["township_name", '"杨柳镇"'] == json.loads(load.settings)[0][:2]
    assert load.sha256 == before and load.township.code == "T01"

    town = Township.get(Township.code == "T01")
    # The file's settings are the township's own, dated as in the file; the county's stay.
    assert settings.get("township_name", township=town) == "杨柳镇"
    assert settings.get("township_name", township=settings.INSTANCE) == ""
    file_settings = _source(township_file, 'SELECT "key", "valid_from" FROM "setting"')
    mine = Setting.select().where(Setting.township == town)
    assert sorted((s.key, str(s.valid_from)) for s in mine) == sorted(file_settings)
    assert Village.select().where(Village.township == town).count() == 10
    assert User.select().where(User.township != town).count() == 0

    # One person: his household, village, visits, audit rows and history under the new ids.
    old_id, number, name, old_hh = _source(
        township_file,
        "SELECT p.id, p.id_number, p.name, p.household_id FROM person p "
        "WHERE p.id_number IS NOT NULL AND EXISTS (SELECT 1 FROM visit_person v "
        "WHERE v.person_id = p.id) ORDER BY p.id DESC LIMIT 1",
    )[0]
    person = Person.get(Person.id_number == number)
    assert person.name == name
    (head, village_code) = _source(
        township_file,
        "SELECT h.head_name, v.code FROM household h JOIN village v ON v.id = h.village_id "
        "WHERE h.id = ?",
        old_hh,
    )[0]
    assert person.household.head_name == head
    assert person.village.code == village_code and person.village.township_id == town.id
    visits = _source(
        township_file,
        "SELECT v.visited_on, v.method FROM visit v JOIN visit_person vp ON vp.visit_id = v.id "
        "WHERE vp.person_id = ? ORDER BY 1, 2",
        old_id,
    )
    mine = sorted(
        (str(link.visit.visited_on), link.visit.method)
        for link in VisitPerson.select().where(VisitPerson.person == person)
    )
    assert mine == [tuple(v) for v in visits] and mine
    for link in VisitPerson.select().where(VisitPerson.person == person):
        assert link.visit.village_id == person.village_id
    audits = _source(
        township_file,
        "SELECT action, object_label FROM audit_log WHERE object_type = 'person' "
        "AND object_id = ? ORDER BY id",
        old_id,
    )
    rows = list(
        AuditLog.select()
        .where((AuditLog.object_type == "person") & (AuditLog.object_id == person.id))
        .order_by(AuditLog.id)
    )
    assert [(r.action, r.object_label) for r in rows] == [tuple(a) for a in audits] and rows
    created = next(r for r in rows if r.action == "create")
    fields = {c[0]: c[2] for c in created.change_list}
    assert fields["household"] == person.household_id
    assert fields["village"] == person.village_id
    history = _source(
        township_file,
        'SELECT group_name, "on", event FROM group_event WHERE person_id = ? ORDER BY id',
        old_id,
    )
    mine = [
        (e.group_name, str(e.on), e.event)
        for e in GroupEvent.select().where(GroupEvent.person == person).order_by(GroupEvent.id)
    ]
    assert mine == [tuple(h) for h in history] and mine

    # Review proposals name their household by the new id, in the row and in the payload.
    items = list(ReviewItem.select())
    assert items
    for item in items:
        household = item.values.get("household")
        if household is not None:
            assert int(household) == item.household_id
        assert Household.get_by_id(item.household_id).village.township_id == town.id


def test_old_schema_file_loads_beside_the_demo(app, runner, township_file, old_file):
    assert _load(runner, township_file, "T01").exit_code == 0
    before = _digest(old_file)
    result = _load(runner, old_file, "T02")
    assert result.exit_code == 0, result.output
    assert f"数据库版本 {OLD_VERSION}" in result.output
    assert _digest(old_file) == before
    # Its village code and username clash with the demo's: prefixed, and said so.
    assert "村（社区）代码 V01 与县库重复，已改为 T02-V01" in result.output
    assert "登录名 admin 与县库重复，已改为 T02_admin" in result.output

    t1, t2 = Township.get(Township.code == "T01"), Township.get(Township.code == "T02")
    assert t2.name == "老河乡"
    mine = list(Village.select().where(Village.township == t2))
    assert [v.code for v in mine] == ["T02-V01"]
    assert Village.get(Village.code == "V01").township_id == t1.id
    person = Person.get(Person.id_number == "620102195001010011")
    assert person.village_id == mine[0].id and person.household.village_id == mine[0].id
    assert [link.visit.village_id for link in person.visit_links] == [mine[0].id]
    admin = User.get(User.username == "T02_admin")
    assert admin.township_id == t2.id
    assert User.get(User.username == "admin").township_id == t1.id
    audit = AuditLog.get((AuditLog.object_type == "person") & (AuditLog.object_id == person.id))
    assert audit.user_id == admin.id
    assert dict((c[0], c[2]) for c in audit.change_list) == {
        "household": person.household_id,
        "village": person.village_id,
    }


def test_second_load_is_refused_and_writes_nothing(app, runner, old_file):
    assert _load(runner, old_file, "T02").exit_code == 0
    counts = _table_counts()
    result = _load(runner, old_file, "T02")
    assert result.exit_code != 0
    assert "已于" in result.output and "载入过" in result.output and "--replace" in result.output
    assert _table_counts() == counts


def test_replace_reloads_until_someone_enters_data(app, runner, old_file):
    assert _load(runner, old_file, "T02").exit_code == 0
    counts = _table_counts()
    result = _load(runner, old_file, "T02", "--replace")
    assert result.exit_code == 0, result.output
    assert "已替换" in result.output
    after = _table_counts()
    assert after["county_load"] == 2 and after["audit_log"] == counts["audit_log"] + 1
    assert {k: v for k, v in after.items() if k not in ("county_load", "audit_log")} == {
        k: v for k, v in counts.items() if k not in ("county_load", "audit_log")
    }
    first, second = CountyLoad.select().order_by(CountyLoad.id)
    assert first.replaced_at is not None and second.replaced_at is None

    # A county user changes one of the township's persons: a replace would lose it.
    person = Person.get(Person.id_number == "620102195001010011")
    person.phone = "13900000000"
    person.save()
    cadre = User.get(User.username == "admin")
    record(Actor(cadre), "update", person, changes=[("phone", "", "13900000000")])
    counts = _table_counts()
    result = _load(runner, old_file, "T02", "--replace")
    assert result.exit_code != 0
    assert "不能替换" in result.output
    assert _table_counts() == counts
    assert Person.get_by_id(person.id).phone == "13900000000"


def _broken(old_file, path):
    data = bytearray(old_file.read_bytes())
    page = 4096
    data[page : page * 3] = b"\xa5" * (page * 2)  # the tables' pages overwritten
    path.write_bytes(bytes(data))


def _not_a_database(old_file, path):
    path.write_text("not a database")


def _another_programs(old_file, path):
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t (x)")
    con.close()


@pytest.mark.parametrize(
    "make, name, said",
    [
        (_broken, "broken.sqlite3", ("已损坏", "broken.sqlite3")),
        (_not_a_database, "notes.sqlite3", ("不是 SQLite 数据库文件",)),
        (_another_programs, "other.sqlite3", ("不是本系统",)),
    ],
    ids=["corrupt", "not a database", "another program's"],
)
def test_corrupt_or_foreign_file_is_refused(app, runner, old_file, tmp_path, make, name, said):
    path = tmp_path / name
    make(old_file, path)
    counts = _table_counts()
    result = _load(runner, path, "T03")
    assert result.exit_code != 0
    assert all(words in result.output for words in said), result.output
    assert _table_counts() == counts


def test_import_proposal_ids_and_attachment_files_are_mapped(app, runner, township_file, tmp_path):
    """An import row's proposal (its new household's village and grid, the family-away rows it
    updates, the household it joins) names the county's ids; --files copies the stored files
    of the township's attachments (the demo's photos)."""
    import shutil

    from liushou.backup_files import stored
    from liushou.models import Attachment, FamilyAway, Grid

    path = tmp_path / "township.sqlite3"
    shutil.copyfile(township_file, path)
    con = sqlite3.connect(path)
    with con:
        away_id, household_id, village_id, grid_id = con.execute(
            "SELECT a.id, h.id, h.village_id, h.grid_id FROM family_away a "
            "JOIN household h ON h.id = a.household_id ORDER BY a.id DESC LIMIT 1"
        ).fetchone()
        payload = {
            "values": {"household": str(household_id), "name": "导入儿童"},
            "changes": [],
            "import": {
                "new_household": {"village": village_id, "grid": str(grid_id), "head_name": "新"},
                "away": [[away_id, {"relation": "父亲"}], [None, {"relation": "母亲"}]],
                "shown": [],
                "since": "2025-03-01T08:00:00",
            },
        }
        (author,) = con.execute("SELECT id FROM app_user ORDER BY id LIMIT 1").fetchone()
        _insert(
            con,
            "review_item",
            kind="register",
            village_id=village_id,
            household_id=household_id,
            author_id=author,
            payload=json.dumps(payload, ensure_ascii=False),
            status="pending",
        )
        (in_file,) = con.execute("SELECT count(*) FROM attachment").fetchone()
    assert in_file, "the demo has photos"
    files = township_file.parent / "files"
    assert stored(files)

    result = _load(runner, path, "T09", "--files", str(files))
    assert result.exit_code == 0, result.output
    item = ReviewItem.select().order_by(ReviewItem.id.desc()).first()
    part = item.data["import"]
    town = Township.get(Township.code == "T09")
    village = Village.get_by_id(part["new_household"]["village"])
    assert village.township_id == town.id
    assert Grid.get_by_id(int(part["new_household"]["grid"])).village_id == village.id
    assert isinstance(part["new_household"]["grid"], str)  # written as the form had it
    away = FamilyAway.get_by_id(part["away"][0][0])
    assert away.household.village.township_id == town.id and part["away"][1][0] is None
    household = Household.get_by_id(int(item.values["household"]))
    assert household.id == item.household_id

    # The attachments' files are in the county's store, under the same names.
    county_files = stored(app.config["FILES_DIR"])
    wanted = {h for a in Attachment.with_voided() for h in (a.sha256, a.thumb_sha256) if h}
    assert wanted and wanted <= set(county_files)
    assert f"复制了 {len(wanted)} 个文件" in result.output


def test_rows_copied_in_chunks_keep_every_link(app, runner, old_file, monkeypatch):
    """Chunks of two rows (a load copies up to a thousand per INSERT): every household's
    persons and every visit's links still name the right rows, beside the county's own."""
    from liushou import county_copy

    monkeypatch.setattr(county_copy, "CHUNK", 2)
    con = sqlite3.connect(old_file)
    with con:
        (v,) = con.execute('SELECT "id" FROM "village"').fetchone()
        for i in range(5):
            h = _insert(con, "household", village_id=v, head_name=f"户主{i}")
            for j in range(i % 3 + 1):
                _insert(
                    con,
                    "person",
                    household_id=h,
                    village_id=v,
                    name=f"户主{i}家{j}",
                    sex="女",
                    birth_date="1950-01-01",
                    groups="",
                    group_reasons="{}",
                    risk_level="低",
                    ethnicity="汉族",
                )
    con.close()
    result = _load(runner, old_file, "T02")
    assert result.exit_code == 0, result.output
    in_file = _source(
        old_file,
        "SELECT p.name, h.head_name FROM person p JOIN household h ON h.id = p.household_id",
    )
    loaded = [(p.name, p.household.head_name) for p in Person.select()]
    assert sorted(loaded) == sorted(tuple(r) for r in in_file) and len(loaded) == 10
    assert "各表行数一致" in result.output
