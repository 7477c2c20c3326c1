"""Slow figures (a township's home at 100,000 persons) are recounted in the background once half
a minute old while the last count is still served, so no request waits for their recount."""

from liushou import figure_cache
from tests._helpers import add_child
from tests.shared.figures import recounts_done, slow_count_served_after_a_child, total_on_home


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
