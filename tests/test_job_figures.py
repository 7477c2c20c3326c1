"""While the day's job commits batch after batch beside the server (issue 17 item 3): a batch
that changes nothing moves no generation, and a township user's slow figures moved only by
the job's writes are served with their time while a background thread counts them again."""

import threading

from liushou import clock, db_generation, figure_cache
from liushou.db import data_generation, share_writes
from liushou.models.households import Household
from liushou.models.persons import Person
from liushou.services import SYSTEM
from liushou.services.categories_follow import follow_household, recheck
from liushou.services.visits import ensure_states
from tests._helpers import add_child
from tests.pg_cluster import MOVE_COUNTER, READ_COUNTER, other_connection
from tests.shared.figures import recounts_done, total_on_home

LOOK = max(db_generation.CHECK_EVERY.values())


def shared_counter(app):
    with other_connection(app.config["DATABASE"]) as con:
        return con.execute(READ_COUNTER).fetchone()[0]


def test_the_jobs_batches_that_change_nothing_move_nothing(app, homes):
    today = clock.today()
    persons = list(Person.select().order_by(Person.id))
    ensure_states(persons, today)  # every state brought up to the day
    before = share_writes()
    try:
        generation, counter = data_generation(), shared_counter(app)
        # The job once more on the same day: the same facts, the same states.
        ensure_states(list(Person.select().order_by(Person.id)), today)
        for household in Household.select():
            follow_household(SYSTEM, household.id, today)
        recheck(list(Person.select().order_by(Person.id)), today)
        assert data_generation() == generation
        assert shared_counter(app) == counter
    finally:
        share_writes(before)


def test_slow_figures_moved_by_another_process_are_served_while_recounted(
    homes, login_as, monkeypatch, later
):
    from liushou.queries import indicators
    from liushou.views import home

    counted_by = []

    def counting(scope, today=None):
        counted_by.append(threading.current_thread().name)
        return indicators.home_figures(scope, today)

    monkeypatch.setattr(home, "home_figures", counting)
    monkeypatch.setattr(figure_cache, "SLOW", -1.0)  # every entry counts as slow here
    client = login_as("township")
    assert total_on_home(client) == 3
    recounts_done()
    counted_by.clear()
    # Another process (the day's job's child) commits a batch; two minutes pass.
    with other_connection(client.application.config["DATABASE"]) as con:
        con.execute(MOVE_COUNTER)
    later(120 + LOOK)
    page = client.get("/").get_data(as_text=True)
    assert "<b>3</b>在册人员" in page and "统计于" in page
    me = threading.current_thread().name  # the test client's requests run in this thread
    assert me not in counted_by  # not counted in the request
    recounts_done()
    assert counted_by == ["figure-recount"]
    assert total_on_home(client) == 3
    # A write through this server (not another process's) shows on the next page at once,
    # however the counter moves beside it.
    with other_connection(client.application.config["DATABASE"]) as con:
        con.execute(MOVE_COUNTER)
    later(120 + LOOK)
    add_child(homes["h1"], "童三")
    assert total_on_home(client) == 4
    assert counted_by[-1] == me  # counted in the request
