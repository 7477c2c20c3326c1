"""Crash safety, full form: 20 SIGKILLs of the real server during writes (loopback only).

    .venv/bin/python benchmarks/crash.py [--rounds 20]
"""
import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.crash_harness import run  # noqa: E402

if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=20)
    args = ap.parse_args()
    t = time.time()
    acked, rounds = run(tempfile.mkdtemp(prefix="liushou-crash-"), rounds=args.rounds)
    print(f"{rounds} kills, {acked} acknowledged writes, none lost, integrity ok, {time.time() - t:.0f} s")
