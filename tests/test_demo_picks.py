"""The demo's quick draws take from the generator exactly what random's methods take, so the
same seed still builds the same demo."""

import random

from liushou.demo import picks


def test_quick_draws_follow_randoms_own():
    ours, theirs = random.Random(5), random.Random(5)
    below = picks.below(ours)
    weighted = picks.weighted(ours, ["上门", "电话", "视频", "在校"], [60, 25, 10, 5])
    seq = ["甲", "乙", "丙", "丁", "戊", "己", "庚"]
    for _ in range(2000):
        assert seq[below(len(seq))] == theirs.choice(seq)
        assert ["x"][below(1)] == theirs.choice(["x"])
        assert -3 + below(7) == theirs.randint(-3, 3)
        assert weighted() == theirs.choices(["上门", "电话", "视频", "在校"], [60, 25, 10, 5])[0]
    assert ours.random() == theirs.random()
