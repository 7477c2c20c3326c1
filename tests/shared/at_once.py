"""Two saves of one form version at the same instant (tests/test_lost_updates.py,
tests/test_hostile_review11.py)."""

import threading


def saves_at_once(monkeypatch, saves):
    """Run `saves` (functions returning a response) in threads of their own that all pass the
    form's version check before any of them saves (a barrier just before the save's
    transaction); returns their responses in order. The next saves run one at a time again."""
    from liushou.views import forms

    barrier = threading.Barrier(len(saves), timeout=120)
    real = forms._checked

    def checked(*args):
        barrier.wait()  # every request has compared its version with what it read
        return real(*args)

    monkeypatch.setattr(forms, "_checked", checked)
    out = [None] * len(saves)

    def run(i):
        out[i] = saves[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(saves))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    monkeypatch.setattr(forms, "_checked", real)
    return out
