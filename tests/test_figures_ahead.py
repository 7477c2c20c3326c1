"""Slow figures (a township's home at 100,000 persons) are recounted in the background once half
a minute old while the last count is still served, so no request waits for their recount."""

from liushou import figure_cache
from tests._helpers import add_child
from tests.test_figure_cache import recounts_done, total_on_home


def test_a_slow_entry_is_recounted_ahead_while_still_served(homes, login_as, monkeypatch):
    monkeypatch.setattr(figure_cache, "SLOW", -1.0)  # every entry counts as slow here
    client = login_as("township")
    assert total_on_home(client) == 3
    add_child(homes["h1"], "童三")
    # Younger than AHEAD: served as counted (with its time), no recount started.
    page = client.get("/").get_data(as_text=True)
    assert "<b>3</b>在册人员" in page and "统计于" in page
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
