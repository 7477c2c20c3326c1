"""The idle server hands the memory its last work freed back to the system (app.Quiet): after
a burst of requests, and after the start-of-day warm-up, which counts a township's figures
with no request after it (issue 17 item 7: idle RSS)."""

import time

import pytest

import app as served


class Stop(Exception):
    pass


def looks(monkeypatch, n):
    """time.sleep in app.py returns at once, n times, then stops the trimming loop."""
    calls = [0]

    def sleep(_seconds):
        calls[0] += 1
        if calls[0] > n:
            raise Stop

    monkeypatch.setattr(served.time, "sleep", sleep)


def test_memory_is_given_back_once_after_requests_and_once_after_the_warm_up(monkeypatch):
    trims = []
    quiet = served.Quiet(lambda environ, start_response: [b""], trims.append)
    quiet.last = time.monotonic() - 60  # no request for a minute
    ends = iter([None, None, "warm-up ended", "warm-up ended"])
    looks(monkeypatch, 4)
    with pytest.raises(Stop):
        quiet.trim_when_idle(lambda: next(ends))
    assert len(trims) == 2  # at its first look, then after the warm-up ended; not in between

    quiet(dict(), None)  # a request served
    quiet.last = time.monotonic() - 60
    ends = iter(["warm-up ended", "warm-up ended"])
    looks(monkeypatch, 2)
    with pytest.raises(Stop):
        quiet.trim_when_idle(lambda: next(ends))
    assert len(trims) == 3  # once after it


def test_no_trim_while_a_request_is_in_flight(monkeypatch):
    trims = []
    quiet = served.Quiet(lambda environ, start_response: [b""], trims.append)
    quiet.active = 1
    looks(monkeypatch, 3)
    with pytest.raises(Stop):
        quiet.trim_when_idle(lambda: "warm-up ended")
    assert trims == []
