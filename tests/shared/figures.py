"""The figure-cache computations counter and helpers (tests/test_figure_cache.py,
tests/test_others_visits.py, tests/test_figures_ahead.py, tests/test_cross_process.py)."""

import re
import threading

import pytest

from liushou.queries import indicators
from liushou.services import SYSTEM
from tests._helpers import ALL

TOTAL = re.compile(r"<b>(\d+)</b>在册人员")


@pytest.fixture
def computations(monkeypatch):
    """How many times home's figures were computed."""
    from liushou.views import home

    calls = []

    def counting(scope, today=None):
        calls.append(scope)
        return indicators.home_figures(scope, today)

    monkeypatch.setattr(home, "home_figures", counting)
    return calls


def total_on_home(client):
    return int(TOTAL.search(client.get("/").get_data(as_text=True)).group(1))


@pytest.fixture
def township_home(homes, login_as, computations):
    """The township user's client, his home's figures counted once (3 persons, the `homes`)."""
    client = login_as("township")
    assert total_on_home(client) == 3
    assert len(computations) == 1
    return client


def slow_count_served_after_a_child(homes, login_as, monkeypatch):
    """Every entry counted as slow: the township's home counted (3 persons), then 童三 added;
    the next home is the last count served with its time. Returns the township's client."""
    from liushou import figure_cache
    from tests._helpers import add_child

    monkeypatch.setattr(figure_cache, "SLOW", -1.0)  # every entry counts as slow here
    client = login_as("township")
    assert total_on_home(client) == 3
    add_child(homes["h1"], "童三")
    page = client.get("/").get_data(as_text=True)
    assert "<b>3</b>在册人员" in page and "统计于" in page
    return client


def recounts_done():
    for thread in threading.enumerate():
        if thread.name == "figure-recount":
            thread.join(timeout=60)


def a_visit(person, helper):
    from liushou import clock
    from liushou.services.visits import record_visit

    values = {"visited_on": clock.today().isoformat(), "method": "上门", "helpers": [helper.id]}
    return record_visit(SYSTEM, ALL, [person], values)
