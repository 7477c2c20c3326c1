"""The demo township: plausible for its seed (grades by age, adult carers, activities, needs and
helpers by the groups they serve, valid unique IDs), the same for the same seed, and made from
every file of fixtures/ (a missing one is named)."""

import re
import shutil

import pytest

from liushou import clock, create_app, fixtures
from liushou.db import database
from liushou.demo import build
from liushou.fixtures import FixtureError
from liushou.migrations import migrate
from liushou.models.care import Need
from liushou.models.helpers import Helper
from liushou.models.persons import Person
from liushou.models.records import Activity, Attendance
from liushou.models.visits import Pairing, Visit, VisitPerson
from liushou.rules import idcard
from liushou.rules.categories import age_on

CHILD_GROUPS = {"留守儿童", "困境儿童"}
# A grade as a number: 小班 -2, 中班 -1, 大班 0, 1年级 … 6年级, 七年级 7 … 九年级 9, 高一 10 … 12.
KINDERGARTEN = {"小班": -2, "中班": -1, "大班": 0}
CHINESE = {"七": 7, "八": 8, "九": 9, "一": 10, "二": 11, "三": 12}


def _level(grade):
    if grade in KINDERGARTEN:
        return KINDERGARTEN[grade]
    if m := re.fullmatch(r"(\d)年级", grade):
        return int(m.group(1))
    if m := re.fullmatch(r"([七八九])年级", grade):
        return CHINESE[m.group(1)]
    if m := re.fullmatch(r"高([一二三])", grade):
        return CHINESE[m.group(1)]
    raise AssertionError(f"unknown grade {grade!r}")


@pytest.fixture
def demo(demo_app):
    with demo_app.app_context():
        yield clock.today()


def test_children_are_in_the_grade_for_their_age(demo):
    children = list(Person.select().where(Person.grade != ""))
    assert len(children) > 20
    for p in children:
        age = age_on(p.birth_date, demo)
        # A child who is 6 on 1 September starts 1年级: today he is 6 or 7.
        assert age - 6 <= _level(p.grade) <= age - 5, (p.name, age, p.grade)
        if p.grade in KINDERGARTEN:
            assert "幼儿" in p.school and not p.boarding, (p.name, p.school)
        else:
            assert "幼儿" not in p.school, (p.name, p.school)
    assert not Person.select().where((Person.school != "") & (Person.grade == "")).exists()


def test_every_carer_is_an_adult_with_a_valid_id(demo):
    kids = list(Person.select().where(Person.groups.contains("留守儿童")))
    assert kids and all(p.carer_name for p in kids)
    for p in Person.select().where(Person.carer_name != ""):
        info, problem = idcard.parse(p.carer_id_number, demo)
        assert problem is None, (p.name, p.carer_id_number, problem)
        assert age_on(info.birth_date, demo) >= 18, (p.name, p.carer_name)
        assert age_on(info.birth_date, demo) - age_on(p.birth_date, demo) >= 18


def test_every_id_is_valid_unique_and_agrees_with_the_person(demo):
    numbers = []
    for p in Person.select():
        info, problem = idcard.parse(p.id_number, demo)
        assert problem is None, (p.name, p.id_number, problem)
        assert info.birth_date == p.birth_date and info.sex == p.sex, p.name
        numbers.append(p.id_number)
    assert len(numbers) == len(set(numbers)) > 100


def test_activities_invite_the_groups_they_serve(demo):
    children_only = ("四点半课堂", "生日会")
    rows = (
        Attendance.select(Attendance, Activity, Person)
        .join(Activity)
        .switch(Attendance)
        .join(Person)
    )
    kinds = set()
    for a in rows:
        age, groups = age_on(a.person.birth_date, demo), set(a.person.group_list)
        kinds.add(a.activity.kind)
        if a.activity.kind in children_only or "安全讲座" in a.activity.title:
            assert age < 18 and groups & CHILD_GROUPS, (a.activity.title, a.person.name, age)
        else:
            assert age >= 18 and not groups & CHILD_GROUPS, (a.activity.title, a.person.name)
        if a.activity.kind == "四点半课堂":
            assert 6 <= age <= 15, (a.person.name, age)
    assert {"四点半课堂", "义诊体检", "技能培训"} <= kinds


def test_needs_and_visit_notes_fit_the_person(demo):
    needs = list(Need.select(Need, Person).join(Person))
    assert len(needs) > 10
    for n in needs:
        age = age_on(n.person.birth_date, demo)
        if n.kind in ("课业辅导", "安全教育") or "课业" in n.description:
            assert age < 18, (n.person.name, age, n.kind)
        if n.kind == "就业培训" or "就医" in n.description:
            assert age >= 18, (n.person.name, age, n.kind)
    children = {p.id for p in Person.select() if age_on(p.birth_date, demo) < 18}
    notes = VisitPerson.select(VisitPerson.person, Visit.study, Visit.needs, Visit.method).join(
        Visit
    )
    for row in notes.objects():
        said = f"{row.study} {row.needs}"
        if "课业" in said or row.method == "在校":
            assert row.person_id in children, said
        if "就医" in said or "防诈骗" in said:
            assert row.person_id not in children, said


def test_helpers_are_paired_by_fitness(demo):
    for_children = ("儿童主任", "童伴妈妈", "教师")
    for_elders = ("村医", "志愿者")
    seen = set()
    for pairing in (
        Pairing.select(Pairing, Helper, Person).join(Helper).switch(Pairing).join(Person)
    ):
        groups = set(pairing.person.group_list)
        seen.add(pairing.helper.kind)
        if pairing.helper.kind in for_children:
            assert groups & CHILD_GROUPS, (pairing.helper.kind, pairing.person.name)
        if pairing.helper.kind in for_elders:
            assert not groups & CHILD_GROUPS, (pairing.helper.kind, pairing.person.name)
    assert {"村干部", "儿童主任", "村医"} <= seen


def _snapshot(tmp_path, name, seed):
    app = create_app(
        {"TESTING": True, "DATABASE": str(tmp_path / f"{name}.sqlite3"), "SECRET_KEY": "t"}
    )
    with app.app_context(), database.connection_context():
        migrate()
        build(persons=40, seed=seed, password="pw123456")
        return [
            (
                p.name,
                p.id_number,
                p.village.code,
                p.grid.code,
                p.school,
                p.grade,
                p.carer_name,
                p.groups,
            )
            for p in Person.select().order_by(Person.id)
        ], [(n.person_id, n.kind, n.description) for n in Need.select().order_by(Need.id)]


def test_same_seed_same_persons_from_every_fixture_file(tmp_path, monkeypatch):
    monkeypatch.setenv("LIUSHOU_INSTANCE", str(tmp_path / "instance"))
    fixtures.clear()
    first = _snapshot(tmp_path, "a", 11)
    files = {
        str(p.relative_to(fixtures.ROOT))
        for p in fixtures.ROOT.iterdir()
        if p.is_file() and p.suffix in (".csv", ".toml")
    }
    assert files and fixtures.read() == files  # every data file is read, and nothing else
    assert first == _snapshot(tmp_path, "b", 11)
    assert len(first[0]) == 40
    assert first != _snapshot(tmp_path, "c", 12)


@pytest.fixture
def fixtures_copy(tmp_path, monkeypatch):
    """A private copy of fixtures/ the demo reads instead; the cache is emptied around it."""
    copy = tmp_path / "fixtures"
    shutil.copytree(fixtures.ROOT, copy, ignore=shutil.ignore_patterns("ledgers"))
    monkeypatch.setattr(fixtures, "ROOT", copy)
    monkeypatch.setenv("LIUSHOU_INSTANCE", str(tmp_path / "instance"))
    fixtures.clear()
    yield copy
    fixtures.clear()


def test_a_missing_fixtures_file_is_named(fixtures_copy, tmp_path):
    (fixtures_copy / "needs.csv").unlink()
    with pytest.raises(FixtureError, match=r"fixtures file missing: .*needs\.csv"):
        _snapshot(tmp_path, "d", 1)


def test_a_fixture_row_outside_the_models_choices_is_refused(fixtures_copy, tmp_path):
    path = fixtures_copy / "activities.csv"
    path.write_text(
        path.read_text(encoding="utf-8").replace("节日慰问,", "广场舞,"), encoding="utf-8"
    )
    with pytest.raises(FixtureError, match="广场舞"):
        _snapshot(tmp_path, "e", 1)
