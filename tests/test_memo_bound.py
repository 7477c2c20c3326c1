"""The memo of small per-request values stays bounded without dropping everything at once."""

from liushou import memo


def test_a_full_memo_drops_its_oldest_entries_not_the_one_just_read(app, monkeypatch):
    monkeypatch.setattr(memo, "MAX_ENTRIES", 3)
    memo.clear()
    reads = []

    def read(name):
        return lambda: reads.append(name) or name

    for name in ("a", "b", "c", "d"):
        assert memo.get((name,), read(name)) == name
    assert len(memo._entries) == 3
    # "a" was the oldest: read again; "b", "c" and "d" (just read) are still kept.
    for name in ("d", "c", "b"):
        assert memo.get((name,), read(name)) == name
    assert reads == ["a", "b", "c", "d"]
    assert memo.get(("a",), read("a")) == "a"
    assert reads[-1] == "a"
    memo.clear()
