"""A PostgreSQL cluster for the benchmarks, in a folder you give (kept: a county database takes
an hour to build), a unix socket only (no TCP), settings for a 2-core machine with 24 GB.

    .venv/bin/python benchmarks/_pg.py start /work/pgcounty [--db county]   # prints the URL
    .venv/bin/python benchmarks/_pg.py url /work/pgcounty
    .venv/bin/python benchmarks/_pg.py stop /work/pgcounty

`start` runs initdb on the first use (Debian's `postgresql` package, /usr/lib/postgresql/N/bin),
writes the settings below into the cluster's postgresql.conf, starts the server (pg_ctl, log in
FOLDER/server.log) and creates the database if it is missing. It is the tests' cluster class
(tests/pg_cluster.py) in a folder of its own, but durable: fsync and synchronous_commit stay on.
Run as root, the server runs as the `postgres` system user.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.pg_cluster import Cluster  # noqa: E402

# A server beside the app on a 2-core machine with 24 GB (other processes take their share):
# a quarter of the memory as PostgreSQL's own cache and most of the rest as the OS's file cache
# the planner may count on; sorts and hashes of a report in memory; index builds of the demo's
# million-row tables in one pass; checkpoints spread over the bulk writes; parallel queries
# off (two cores, many short requests); JIT off (it costs short queries more than it saves).
SETTINGS = {
    "listen_addresses": "''",
    "max_connections": "60",
    "shared_buffers": "6GB",
    "effective_cache_size": "16GB",
    "work_mem": "32MB",
    "maintenance_work_mem": "1GB",
    "synchronous_commit": "on",
    "fsync": "on",
    "wal_compression": "on",
    "max_wal_size": "8GB",
    "checkpoint_timeout": "15min",
    "checkpoint_completion_target": "0.9",
    "random_page_cost": "1.1",
    "effective_io_concurrency": "100",
    "max_worker_processes": "2",
    "max_parallel_workers_per_gather": "0",
    "max_parallel_maintenance_workers": "1",
    "jit": "off",
    "log_min_duration_statement": "1000",
}


class BenchCluster(Cluster):
    """The tests' cluster class in a folder of its own, kept, with SETTINGS and fsync on."""

    def __init__(self, folder):
        super().__init__(folder)

    def start(self, name="county"):
        self.prepare()
        if not (self.data / "PG_VERSION").exists():
            self.initdb()
            with open(self.data / "postgresql.conf", "a") as conf:
                conf.write("\n# benchmarks/_pg.py\n")
                conf.write(f"unix_socket_directories = '{self.socket}'\n")
                for key, value in SETTINGS.items():
                    conf.write(f"{key} = {value}\n")
        if not self.running():
            self.launch()
        self.create(name)
        return self.url(name)

    def create(self, name):
        found = self.execute("SELECT 1 FROM pg_database WHERE datname = %s", params=(name,))
        if not found:
            self.execute(f'CREATE DATABASE "{name}"')

    def stop(self):
        super().stop("fast")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("action", choices=("start", "stop", "url"))
    ap.add_argument("folder", help="the cluster's folder (data/, socket/, server.log)")
    ap.add_argument("--db", default="county", help="the database to create and print the URL of")
    args = ap.parse_args()
    cluster = BenchCluster(args.folder)
    if args.action == "start":
        print(cluster.start(args.db))
    elif args.action == "stop":
        cluster.stop()
        print("stopped")
    else:
        print(cluster.url(args.db))


if __name__ == "__main__":
    main()
