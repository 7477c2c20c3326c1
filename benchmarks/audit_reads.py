"""µs per audited read (services.audit.record(actor, "view", child)) from T threads at once.

    .venv/bin/python benchmarks/audit_reads.py --db /tmp/copy.sqlite3 [--threads 1,8,16] [--n 500]
    .venv/bin/python benchmarks/audit_reads.py --pg [--mode flushed|relaxed]

Each thread has its own connection (as waitress's threads) and writes `n` "view" rows of one
person; best of three rounds, in the tree this script is run from (so the same command in a
checkout of main gives main's figure). On SQLite every row is a relaxed one (the periodic
FULL-synced read left out); the rows go into the database given: use a copy. `--pg` starts a
durable PostgreSQL cluster (fsync and synchronous_commit on, unlike the tests' throwaway one)
in a temporary folder, migrates an empty database and stops it at the end; `--mode flushed`
commits each read as every other commit (synchronous_commit on), `relaxed` as the app does.
"""

import argparse
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", help="a SQLite file (a copy: rows are added)")
    ap.add_argument("--pg", action="store_true", help="a durable throwaway PostgreSQL cluster")
    ap.add_argument("--mode", choices=["flushed", "relaxed"], default="relaxed")
    ap.add_argument("--threads", default="1,8,16")
    ap.add_argument("--n", type=int, default=500, help="reads per thread and round")
    args = ap.parse_args()
    if bool(args.db) == args.pg:
        ap.error("give --db FILE or --pg")
    from liushou.db import database
    from liushou.services import Actor, audit

    cluster = None
    if args.pg:
        from liushou.migrations import migrate
        from tests.pg_cluster import Cluster

        cluster = Cluster()
        cluster.prepare()
        cluster.initdb()
        cluster.launch(
            f"-c listen_addresses='' -c unix_socket_directories={cluster.socket} "
            "-c max_connections=50 -c shared_buffers=128MB"
        )
        cluster.execute("CREATE DATABASE bench")
        database.init(cluster.url("bench"))
        with database.connection_context():
            migrate()
    else:
        database.init(args.db)
    try:
        actor = Actor(user=SimpleNamespace(id=1, username="bench"))
        audit.READ_SYNC_SECONDS = float("inf") if args.mode == "relaxed" else 0.0
        audit._synced[0] = time.monotonic()
        for threads in map(int, args.threads.split(",")):
            us, cpu = _best(database, audit, actor, threads, args.n)
            print(
                f"{args.mode} {threads:2} threads: {us:6.0f} µs per audited read "
                f"({cpu:4.0f} µs CPU)",
                flush=True,
            )
    finally:
        if hasattr(audit, "close_reader"):
            audit.close_reader()
        if cluster is not None:
            cluster.stop()
            import shutil

            shutil.rmtree(cluster.root, ignore_errors=True)


def _best(database, audit, actor, threads, n):
    """(µs per read, the process's CPU µs per read) of the fastest of three rounds."""
    best = None
    for _ in range(3):
        barrier = threading.Barrier(threads + 1)

        def loop(i, barrier=barrier):
            person = SimpleNamespace(id=i + 1, _meta=SimpleNamespace(table_name="person"))
            with database.connection_context():
                barrier.wait()
                for _ in range(n):
                    audit.record(actor, "view", person, label="童")

        workers = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
        for worker in workers:
            worker.start()
        barrier.wait()
        start, cpu = time.perf_counter(), time.process_time()
        for worker in workers:
            worker.join()
        us = (time.perf_counter() - start) / (n * threads) * 1e6
        if best is None or us < best[0]:
            best = us, (time.process_time() - cpu) / (n * threads) * 1e6
    return best


if __name__ == "__main__":
    main()
