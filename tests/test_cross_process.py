"""Writes by another process (a command, the daily job's child) move the server's whole data
generation at its next page, so what the server keeps (figures, pages, settings, the person
page's check) may hold for long while nobody writes (issue 17 item 3, issue 18 item 6): a
command's import shows on the next page, a warmed home is still served two minutes later."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from liushou import clock, db_generation, figure_cache, jobs, memo
from liushou.db import data_generation
from tests._helpers import ledger
from tests.pg_cluster import MOVE_COUNTER, READ_COUNTER, other_connection
from tests.shared.figures import (  # noqa: F401 - fixtures
    computations,
    total_on_home,
    township_home,
)

ROOT = Path(__file__).resolve().parents[1]
# The longest wait between the server's looks at the shared counter (PostgreSQL's).
LOOK = max(db_generation.CHECK_EVERY.values())


def shared_counter(app):
    with other_connection(app.config["DATABASE"]) as con:
        return con.execute(READ_COUNTER).fetchone()[0]


def flask_command(app, *args):
    """`flask --app app ARGS` in a process of its own on the test's database."""
    env = {**os.environ, "LIUSHOU_DATABASE": str(app.config["DATABASE"])}
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_a_commands_import_shows_on_the_servers_next_page(
    township_home,  # noqa: F811
    tmp_path,
    computations,  # noqa: F811
    later,
):
    client = township_home
    assert total_on_home(client) == 3 and len(computations) == 1  # kept
    before = shared_counter(client.application)
    book = tmp_path / "ledger.xlsx"
    book.write_bytes(ledger("clean"))
    out = flask_command(client.application, "import-xlsx", str(book), "--village", "V01")
    assert "已导入：新增 4" in out
    assert shared_counter(client.application) > before
    later(LOOK)  # the server's next look at the counter (at once on SQLite)
    assert total_on_home(client) == 7
    assert len(computations) == 2


def test_the_daily_jobs_child_moves_every_keep_then_the_warm_up_holds(
    app,
    township_home,  # noqa: F811
    computations,  # noqa: F811
    later,
):
    client = township_home
    counted = len(computations)
    generation = data_generation()
    assert memo.get(("cross-process probe",), lambda: "before") == "before"
    assert memo.get(("cross-process probe",), lambda: "again") == "before"  # kept
    assert jobs.run_in_child(app.config["DATABASE"]) == 0  # writes the day's mark at least
    assert jobs.done_today()
    later(LOOK)
    client.get("/")
    assert data_generation() > generation
    assert len(computations) == counted + 1  # counted again after the child's writes
    assert memo.get(("cross-process probe",), lambda: "after") == "after"
    # Nothing wrote since: the count holds, minutes later.
    later(120)
    assert total_on_home(client) == 3
    assert len(computations) == counted + 1


def test_the_warm_up_after_the_child_is_served_minutes_later(
    app,
    homes,
    login_as,
    computations,  # noqa: F811
    later,
):
    """start_daily's order: the child's job, then the warm-up in the server; its figures are
    counted under the generation that already follows the child's writes."""
    assert jobs.run_in_child(app.config["DATABASE"]) == 0
    jobs.warm_figures()
    warmed = len(computations)
    assert warmed >= 1
    client = login_as("township")
    later(150)
    assert total_on_home(client) == 3
    later(LOOK)
    assert total_on_home(client) == 3
    assert len(computations) == warmed  # served as warmed, two and a half minutes on


def test_a_kept_entry_ends_after_the_safety_bound_or_on_a_new_day(
    township_home,  # noqa: F811
    computations,  # noqa: F811
    later,
):
    client = township_home
    later(figure_cache.MAX_AGE - 60)
    assert total_on_home(client) == 3 and len(computations) == 1
    later(61)  # writes by hand (sqlite3, psql) show within 15 minutes
    assert total_on_home(client) == 3 and len(computations) == 2
    generation = data_generation()
    tomorrow = clock.today().toordinal() + 1
    with clock.freeze(type(clock.today()).fromordinal(tomorrow)):
        client.get("/")
        assert data_generation() > generation  # a new day: every keep counts again


def test_the_servers_own_writes_leave_the_shared_counter_alone(homes, login_as):
    from tests._helpers import add_child

    client = login_as("township")
    before = shared_counter(client.application)
    add_child(homes["h1"], "童三")
    assert total_on_home(client) == 4  # its own write shows at once, per village as before
    assert shared_counter(client.application) == before
    assert not db_generation.sharing()


def test_a_command_run_in_process_shares_its_writes_only_while_it_runs(runner, places, tmp_path):
    book = tmp_path / "ledger.xlsx"
    book.write_bytes(ledger("clean"))
    before = shared_counter(runner.app)
    result = runner.invoke(args=["import-xlsx", str(book), "--village", "V01"])
    assert "已导入：新增 4" in result.output
    assert shared_counter(runner.app) > before
    assert not db_generation.sharing()


@pytest.mark.sqlite_only(reason="measures SQLite's read of the counter on a kept connection")
def test_looking_at_the_counter_is_one_read_on_the_requests_connection(homes, login_as):
    client = login_as("township")
    client.get("/")
    generation = data_generation()
    with other_connection(client.application.config["DATABASE"]) as other:
        other.execute(MOVE_COUNTER)
    assert db_generation.CHECK_EVERY["sqlite"] == 0
    client.get("/")  # no waiting: the very next request sees it
    assert data_generation() > generation


def test_a_person_moved_by_another_process_leaves_the_kept_page_check_at_once(
    homes, places, login_as, later
):
    """The person page's kept scope check (queries/person_page.page_check) follows the shared
    counter too: a person another process moved out of the cadre's village is a 404 on the
    cadre's next request, not for the minutes the check may otherwise be kept."""
    kid, other = homes["kids"][0], homes["other"]
    client = login_as("cun1")  # V01's cadre
    assert client.get(f"/persons/{kid.id}").status_code == 200
    assert client.get(f"/persons/{kid.id}").status_code == 200  # the check is kept now
    with other_connection(client.application.config["DATABASE"]) as con:
        con.execute(
            f'UPDATE "person" SET "village_id" = {other.village_id}, "grid_id" = '
            f'{other.grid_id}, "household_id" = {other.household_id} WHERE "id" = {kid.id}'
        )
        con.execute(MOVE_COUNTER)  # as a command's commit
    later(LOOK)
    assert client.get(f"/persons/{kid.id}").status_code == 404
