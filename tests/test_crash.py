"""Crash safety: SIGKILL the real server during a stream of writes; every acknowledged write
survives and the database stays intact. The full 20 rounds run in benchmarks/crash.py;
LIUSHOU_CRASH_ROUNDS sets the count here (default 3)."""
import os

from tests.crash_harness import run


def test_kill_during_writes_loses_nothing_acknowledged(tmp_path):
    rounds = int(os.environ.get("LIUSHOU_CRASH_ROUNDS", "3"))
    acked, done = run(tmp_path, rounds=rounds, log=lambda *_: None)
    assert done == rounds and acked > 0
