"""Crash safety, full form: 20 SIGKILLs of the real server during writes (loopback only).

    .venv/bin/python benchmarks/crash.py [--rounds 20] [--seed N]

Prints one line per kill and the figures; exits non-zero if an acknowledged write was lost,
a write was half-done or integrity_check failed.
"""

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.crash_harness import run  # noqa: E402

if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--seed", type=int, default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="liushou-crash-") as workdir:
        f = run(workdir, rounds=args.rounds, seed=args.seed)
    print(
        f"{f['rounds']} kills in {f['seconds']} s (seed {f['seed']}): "
        f"{f['acked']} writes acknowledged, "
        f"none lost, none half-done, integrity ok; {f['unacked_but_present']} unacknowledged "
        f"writes had committed before the kill"
    )
