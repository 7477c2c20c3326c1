"""The persons list's pages: a township's list is read village by village (migration 35's
partial index) and merged, in the same rows and order as the one sort of the whole register."""

import pytest
from werkzeug.datastructures import MultiDict

from liushou.db import database
from liushou.migrations import LATEST, current_version, migrate
from liushou.models import Village
from liushou.models.persons import Person
from liushou.queries import persons as queries
from liushou.scope import Scope
from liushou.services import SYSTEM
from liushou.services.households import save_household
from liushou.services.places import save_village
from tests._helpers import ALL, _fresh, add_child

NAMES = ["张三", "李四", "张三", "王五", "赵六", "张三", "钱七", "孙八"]


@pytest.fixture
def register(places, users):
    """Three villages (V03 sorts with V01), each with persons of the same names (ties), some
    to review, some voided, some exited; returns the villages."""
    v3 = save_village(SYSTEM, {"code": "V03", "name": "第3村", "sort_order": 1})
    villages = [places["V01"], places["V02"], v3]
    for n, village in enumerate(villages):
        home = save_household(SYSTEM, ALL, {"village": village.id, "head_name": f"户{n}"})
        for i, name in enumerate(NAMES):
            person = add_child(home, name)
            changes = {}
            if (i + n) % 3 == 0:
                changes["needs_review"] = True
            if i == 4:
                changes["voided_at"] = "2025-01-01 08:00:00"
            if i == 6 and n != 1:
                changes["exited_on"] = "2025-01-01"
            if changes:
                Person.update(changes).where(Person.id == person.id).execute()
    return villages


def _expected(scope, args):
    """The active persons of `scope` narrowed by `args`, in the list's order computed here:
    needs review first, then the village's sort order, the name's pinyin and the id."""
    order = {v.id: v.sort_order for v in Village.select()}
    rows = [
        p
        for p in Person.select().where(Person.voided_at.is_null() & Person.exited_on.is_null())
        if scope.everything or p.village_id in scope.village_ids
    ]
    if args.get("review") == "1":
        rows = [p for p in rows if p.needs_review]
    rows.sort(key=lambda p: (not p.needs_review, order[p.village_id], p.name_pinyin, p.id))
    return [p.id for p in rows]


@pytest.mark.parametrize("review", ["", "1"])
@pytest.mark.parametrize("per_page", [2, 5, 30])
def test_township_pages_follow_the_lists_order(register, review, per_page):
    scope = ALL
    args = MultiDict({"review": review} if review else {})
    expected = _expected(scope, args)
    assert len(expected) > 10 or review
    got = []
    for page in range(len(expected) // per_page + 2):
        rows = queries.listing_rows(scope, args, page * per_page, per_page)
        assert len(rows) <= per_page
        got += [p.id for p in rows]
    assert got == expected
    # Villages come with their rows (one read, no query per row).
    assert all(p.village.code for p in queries.listing_rows(scope, args, 0, per_page))


def test_a_township_users_pages_keep_to_his_villages(register):
    scope = Scope(village_ids=frozenset(v.id for v in register[1:]))
    expected = _expected(scope, MultiDict())
    got = []
    for page in range(4):
        got += [p.id for p in queries.listing_rows(scope, MultiDict(), page * 4, 4)]
    assert got == expected


@pytest.mark.sqlite_only("the plan's wording is SQLite's")
def test_township_first_page_reads_villages_by_the_list_index(register):
    rows = queries.listing(ALL, MultiDict())
    villages = queries._merge_villages(ALL, MultiDict(), 31)
    assert len(villages) == 3
    sql, params = (
        queries._filtered(ALL, MultiDict())
        .where(Person.village == villages[0])
        .order_by(Person.needs_review.desc(), Person.name_pinyin, Person.id)
        .limit(31)
        .sql()
    )
    plan = " ".join(str(r) for r in database.execute_sql("EXPLAIN QUERY PLAN " + sql, params))
    assert "person_list_order" in plan
    assert "TEMP B-TREE" not in plan
    assert rows.count() > 0


def test_a_database_at_34_migrates_to_35_with_the_list_index(tmp_path):
    _fresh(tmp_path)
    migrate(target=34)
    assert "person_list_order" not in {i.name for i in database.get_indexes("person")}
    assert migrate() == list(range(35, LATEST + 1))
    assert current_version() == LATEST
    index = {i.name: i for i in database.get_indexes("person")}["person_list_order"]
    assert index.columns[0] == "village_id"


def test_a_list_of_more_villages_than_merged_is_the_one_sort(register, monkeypatch):
    """A county's whole list (more villages than MERGE_VILLAGES) is sorted in one statement:
    the same pages, without a subquery per village."""
    monkeypatch.setattr(queries, "MERGE_VILLAGES", 2)
    assert queries._merge_villages(ALL, MultiDict(), 31) is None
    expected = _expected(ALL, MultiDict())
    got = []
    for page in range(len(expected) // 5 + 2):
        got += [p.id for p in queries.listing_rows(ALL, MultiDict(), page * 5, 5)]
    assert got == expected
