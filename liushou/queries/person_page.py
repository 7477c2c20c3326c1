"""The scope check of a person's page (`page_check`), run on every request before a kept page
is served, and its memory of persons found (kept per scope while his villages' registry is
unchanged)."""

import threading
import time

from werkzeug.exceptions import NotFound

from ..db import data_generation, database
from ..db_generation import keep_valid
from ..figure_cache import villages_of
from ..models.persons import Person

# page_check's statement per (engine, scope): (sql, params, where the person's id goes). Its
# SQL depends on the scope's values only (its villages, grids, helper's persons), never on the
# date; the rows it reads are read anew on every request.
_page_check_sql = {}
PAGE_CHECK_MAX = 1024
_ID_MARK = 7_654_321_987_654_321  # stands for the person's id while the statement is built
_PAGE_CHECK_FIELDS = (Person.id, Person.name, Person.birth_date, Person.groups)
# page_check's persons found: (database, scope, person id) -> (registry generation of the scope's
# villages, time.monotonic() when read, his fields). Bounded: past CHECK_MAX the whole is dropped.
_checked = {}
_checked_lock = threading.Lock()
CHECK_MAX = 8192


def page_check(scope, person_id):
    """The person of a person's page with his id, name, birth date and groups only (enough for
    `is_child` and `groups`: whether reading his page is audited; the name labels the audit
    row), NotFound (404) outside the user's area as `for_page`. Checked on every request,
    before a kept page is served (page_cache).

    A person found in the scope is kept (`_checked`) under the scope and his id while the
    registry generation of the scope's villages is unchanged (db.data_generation: a committed
    write of this process to his row, moving him to another village or grid, voiding him, a
    pairing of a helper's scope, a setting, all move it on; a recorded visit does not; so does a
    write by another process, seen at the request's start: db_generation's shared counter) and
    for at most db_generation.KEEP_MAX_AGE (writes no process reported, as memo and page_cache).
    A kept check costs no statement; a person not found is read again on every request (never kept).
    Otherwise one read by primary key with the scope's condition, its statement built once per
    scope (building it costs more than the read)."""
    if not 0 < person_id < 2**63:
        raise NotFound()
    kept_key = (database.database, scope, person_id)
    generation = data_generation(villages_of(scope), registry=True)
    now = time.monotonic()
    kept = _checked.get(kept_key)
    if (
        kept is not None
        and kept[0] == generation
        and keep_valid(kept[1], kept[0], villages_of(scope), registry=True)
        and not database.in_transaction()
    ):
        data = kept[2]
    else:
        data = _read_page_check(scope, person_id)
        if not database.in_transaction():  # a write of its own may not be committed yet
            with _checked_lock:
                if len(_checked) >= CHECK_MAX:
                    _checked.clear()
                _checked[kept_key] = (generation, now, data)
    person = Person(__no_default__=1)
    person.__data__ = dict(data)  # his own copy: a view may change its Person
    return person


def _read_page_check(scope, person_id):
    """page_check's fields of the person, read now ({name: value}), or NotFound."""
    key = (type(database.obj), scope)
    built = _page_check_sql.get(key)
    if built is None:
        query = scope.filter(Person.select(*_PAGE_CHECK_FIELDS), Person)
        sql, params = query.where(Person.id == _ID_MARK).limit(1).sql()
        assert params.count(_ID_MARK) == 1, params
        built = (sql, tuple(params), params.index(_ID_MARK))
        if len(_page_check_sql) >= PAGE_CHECK_MAX:
            _page_check_sql.clear()
        _page_check_sql[key] = built
    sql, params, at = built
    row = database.execute_sql(sql, (*params[:at], person_id, *params[at + 1 :])).fetchone()
    if row is None:
        raise NotFound()
    return {f.name: f.python_value(v) for f, v in zip(_PAGE_CHECK_FIELDS, row, strict=True)}
