"""random's draws without its per-call overhead, for the demo's hottest loops (a county's 1.6
million visits): each function draws exactly what the named `random.Random` method draws from
the same generator, so a seed builds the same demo (tests/test_demo_picks.py holds them to it)."""

from bisect import bisect
from itertools import accumulate


def below(rng):
    """f(n) -> an int in [0, n): seq[f(len(seq))] is rng.choice(seq); a + f(b - a + 1) is
    rng.randint(a, b)."""
    return rng._randbelow


def weighted(rng, values, weights):
    """f() -> rng.choices(values, weights)[0]."""
    cum = list(accumulate(weights))
    total, hi, rand = cum[-1] + 0.0, len(values) - 1, rng.random
    return lambda: values[bisect(cum, rand() * total, 0, hi)]
