"""A person's history (his changes) stays quick and right however often his page was read: the
audit log is searched by object and action (migration 31), not walked by id past his reads."""

import pytest

from liushou.db import database
from liushou.queries import history as record_history
from liushou.queries.persons import history
from liushou.services import SYSTEM
from liushou.services.audit import record


def test_history_lists_changes_newest_first_among_many_reads(homes):
    child = homes["kids"][0]
    record(SYSTEM, "update", child, changes=[("name", "童一", "童一一")])
    for _ in range(300):
        record(SYSTEM, "view", child)
    record(SYSTEM, "update", child, changes=[("name", "童一一", "童壹")])
    record(SYSTEM, "view", child)

    rows = list(history(child))
    assert [r.action for r in rows][:2] == ["update", "update"]
    assert rows[0].change_list == [["name", "童一一", "童壹"]]
    assert rows[1].change_list == [["name", "童一", "童一一"]]
    assert all(r.action != "view" for r in rows)
    assert [r.id for r in rows] == sorted((r.id for r in rows), reverse=True)
    assert len(list(history(child, limit=1))) == 1
    # Any record's history: its changes only, oldest first.
    kinds = [r.action for r in record_history.of(child)]
    assert "view" not in kinds and kinds[-2:] == ["update", "update"]


@pytest.mark.sqlite_only(reason="SQLite's query plan")
def test_history_is_read_by_the_object_and_action_index(homes):
    sql, params = history(homes["kids"][0]).sql()
    plan = " ".join(row[3] for row in database.execute_sql("EXPLAIN QUERY PLAN " + sql, params))
    assert "audit_log_object_type_object_id_action" in plan
