"""The figure-cache computations counter
(tests/test_figure_cache.py, tests/test_others_visits.py)."""

import pytest

from liushou.queries import indicators


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
