"""Crash safety: SIGKILL the real server at random moments during a stream of writes; every write
the client saw acknowledged survives, none is half-written, integrity_check stays "ok".

The test command runs 5 rounds (about 10 s); LIUSHOU_CRASH_ROUNDS=20 gives the full form, as does
benchmarks/crash.py. LIUSHOU_CRASH_SEED replays a run (the seed is in the failure message)."""

import os
import sys

import pytest

from tests.crash_harness import run

pytestmark = [
    pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL and process groups"),
    pytest.mark.sqlite_only(reason="the SQLite file's durability (WAL, synchronous=FULL)"),
]


def test_kill_during_writes_loses_nothing_acknowledged(tmp_path):
    rounds = int(os.environ.get("LIUSHOU_CRASH_ROUNDS", "5"))
    seed = int(os.environ["LIUSHOU_CRASH_SEED"]) if os.environ.get("LIUSHOU_CRASH_SEED") else None
    lines = []
    try:
        figures = run(tmp_path, rounds=rounds, seed=seed, log=lines.append)
    except AssertionError as e:
        raise AssertionError(
            f"{e}\n" + "\n".join(lines) + f"\nserver log: {tmp_path / 'server.log'}"
        ) from e
    assert figures["rounds"] == rounds and figures["min_acked_per_round"] >= 1
