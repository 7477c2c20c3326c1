"""A person's page served from memory (page_cache, and its scope check kept by
queries.person_page.page_check): a change of that person shows at once, whoever made it; a user of
another area never gets it; a child's every view is audited even when nothing is read again."""

import sqlite3

import pytest

from liushou import clock
from liushou.db import database
from liushou.services import SYSTEM
from liushou.services.households import save_household
from liushou.services.persons import save_person
from tests._helpers import ALL, text
from tests.conftest import post
from tests.shared.person_page import page_checks, values, views_of  # noqa: F401 - a fixture

pytestmark = pytest.mark.usefixtures("never_slow")


def test_the_page_and_its_check_are_kept_until_another_user_changes_him(
    homes, login_as, stored, checks
):
    kid = homes["kids"][0]
    client = login_as("cun1")
    first = text(client, f"/persons/{kid.id}")
    assert text(client, f"/persons/{kid.id}") == first
    assert len(stored) == 1 and checks == [kid.id]  # drawn once, checked against the db once
    # Another user (here the system, as the township's staff would) renames him.
    save_person(SYSTEM, ALL, {**values(kid), "name": "童一改"}, person=kid)
    page = text(client, f"/persons/{kid.id}")
    assert "童一改" in page and page != first
    assert checks == [kid.id, kid.id]


def test_his_own_write_through_the_web_shows_at_once(homes, login_as):
    kid = homes["kids"][0]
    client = login_as("cun1")
    assert "已退出" not in text(client, f"/persons/{kid.id}")
    response = post(
        client,
        f"/persons/{kid.id}/exit",
        {"exit_reason": "迁出", "exited_on": clock.today().isoformat()},
        token_url=f"/persons/{kid.id}",
    )
    assert response.status_code == 303
    assert "已退出" in text(client, f"/persons/{kid.id}")


def test_a_user_of_another_village_or_grid_never_gets_it(homes, login_as, checks):
    kid = homes["kids"][0]  # in V01-G1
    assert "童一" in text(login_as("cun1"), f"/persons/{kid.id}")
    assert "童一" in text(login_as("grid1"), f"/persons/{kid.id}")
    assert login_as("cun2").get(f"/persons/{kid.id}").status_code == 404
    assert login_as("grid2").get(f"/persons/{kid.id}").status_code == 404  # same village
    assert login_as("cun2").get(f"/persons/{kid.id}").status_code == 404  # a 404 is not kept


def test_a_person_moved_away_is_404_at_once_though_his_check_was_kept(homes, places, login_as):
    kid = homes["kids"][0]
    client = login_as("cun1")
    assert "童一" in text(client, f"/persons/{kid.id}")
    assert "童一" in text(client, f"/persons/{kid.id}")  # kept
    save_household(
        SYSTEM,
        ALL,
        {"village": places["V02"].id, "grid": places["V02-G1"].id, "head_name": "甲"},
        household=homes["h1"],
    )
    assert client.get(f"/persons/{kid.id}").status_code == 404
    assert "童一" in text(login_as("cun2"), f"/persons/{kid.id}")


def test_a_childs_every_view_is_audited_and_committed_when_nothing_is_read_again(
    homes, login_as, stored, checks
):
    kid = homes["kids"][0]
    client = login_as("cun1")
    for n in range(1, 5):
        assert client.get(f"/persons/{kid.id}").status_code == 200
        assert views_of(kid, "person") == n
    assert len(stored) == 1 and checks == [kid.id]  # page and check kept: audited all the same
    if database.is_postgres:
        return
    other = sqlite3.connect(database.database)  # committed: another connection sees every row
    try:
        (count,) = other.execute(
            "SELECT count(*) FROM audit_log WHERE action = 'view' AND object_id = ?", (kid.id,)
        ).fetchone()
    finally:
        other.close()
    assert count == 4
    assert database.execute_sql("PRAGMA synchronous").fetchone()[0] == 2  # changes stay FULL
