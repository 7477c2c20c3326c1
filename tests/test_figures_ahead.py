"""Slow figures (a township's home at 100,000 persons) are recounted in the background once half
a minute old while the last count is still served, so no request waits for their recount."""

from liushou import figure_cache
from tests._helpers import add_child
from tests.shared.figures import (  # noqa: F401 - fixtures
    computations,
    recounts_done,
    slow_count_served_after_a_child,
    total_on_home,
    township_home,
)


def test_a_slow_entry_is_recounted_ahead_while_still_served(homes, login_as, monkeypatch):
    # Younger than AHEAD: served as counted (with its time), no recount started.
    client = slow_count_served_after_a_child(homes, login_as, monkeypatch)
    recounts_done()
    assert total_on_home(client) == 3
    # Past AHEAD (still under a minute old): served once more while a thread recounts it.
    monkeypatch.setattr(figure_cache, "AHEAD", 0.0)
    assert total_on_home(client) == 3
    recounts_done()
    monkeypatch.setattr(figure_cache, "AHEAD", 30.0)
    assert total_on_home(client) == 4


def test_quick_entries_are_not_recounted_ahead(homes, login_as, monkeypatch):
    monkeypatch.setattr(figure_cache, "SLOW", 1000.0)  # nothing is slow
    monkeypatch.setattr(figure_cache, "AHEAD", 0.0)
    client = login_as("township")
    assert total_on_home(client) == 3
    add_child(homes["h1"], "童三")
    assert total_on_home(client) == 4  # counted again at once, as before


def test_home_suggestions_hold_across_visits_not_registrations(homes, login_as, monkeypatch):
    """The suggestions count on home reads persons and dismissals only: a recorded visit leaves
    it counted, a registration counts it again."""
    from liushou.services import SYSTEM
    from liushou.services.helpers import save_helper
    from liushou.views import home
    from tests._helpers import ALL
    from tests.shared.figures import a_visit

    calls = []
    pending = home.suggestion_queries.pending
    monkeypatch.setattr(
        home.suggestion_queries, "pending", lambda *a: calls.append(1) or pending(*a)
    )
    client = login_as("township")
    client.get("/")
    assert len(calls) == 1
    helper = save_helper(
        SYSTEM, ALL, {"name": "干部", "kind": "村干部", "village": homes["h1"].village_id}
    )
    a_visit(homes["kids"][0], helper)  # his first: his visit state and tier history begin
    client.get("/")
    calls.clear()
    a_visit(homes["kids"][0], helper)
    client.get("/")
    assert calls == []
    add_child(homes["h1"], "童三")
    client.get("/")
    assert calls == [1]


def test_a_kept_home_of_slow_figures_starts_their_recount_before_their_age_bound(
    township_home,  # noqa: F811
    computations,  # noqa: F811
    later,
    monkeypatch,
):
    """A township's home kept whole (page_cache) while nobody writes: its slow figures still
    reach their 15-minute bound. Half a minute before it the page is drawn again, so the
    figures are recounted in the background while the last count is served, and at the bound
    no request waits for a whole count (a 7 s wait every 15 minutes at 100,000 persons)."""
    monkeypatch.setattr(figure_cache, "SLOW", -1.0)  # every entry counts as slow here
    client = township_home
    later(figure_cache.MAX_AGE - 60)
    assert total_on_home(client) == 3 and len(computations) == 1  # the page kept, as counted
    later(60 - figure_cache.AHEAD + 1)  # inside the last half minute of the count's bound
    assert total_on_home(client) == 3  # the last count, served while it is recounted
    recounts_done()
    assert len(computations) == 2
    later(figure_cache.AHEAD)  # past the first count's bound
    assert total_on_home(client) == 3 and len(computations) == 2  # nobody waited for a count
