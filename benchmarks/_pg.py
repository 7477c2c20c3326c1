"""A PostgreSQL cluster for the benchmarks, in a folder you give (kept: a county database takes
an hour to build), a unix socket only (no TCP), settings for a 2-core machine with 24 GB.

    .venv/bin/python benchmarks/_pg.py start /work/pgcounty [--db county]   # prints the URL
    .venv/bin/python benchmarks/_pg.py url /work/pgcounty
    .venv/bin/python benchmarks/_pg.py stop /work/pgcounty

`start` runs initdb on the first use (Debian's `postgresql` package, /usr/lib/postgresql/N/bin),
writes the settings below into the cluster's postgresql.conf, starts the server (pg_ctl, log in
FOLDER/server.log) and creates the database if it is missing. Unlike the tests' throwaway
cluster (tests/pg_cluster.py), it is durable: fsync and synchronous_commit stay on. Run as
root, the server runs as the `postgres` system user.
"""

import argparse
import glob
import os
import pwd
import shutil
import subprocess
from pathlib import Path

USER = "liushou"
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


def bindir():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise SystemExit("PostgreSQL is not installed: apt-get install postgresql")


class BenchCluster:
    def __init__(self, folder):
        self.root = Path(folder).resolve()
        self.data = self.root / "data"
        self.socket = self.root / "socket"
        self.bin = bindir()
        self._as = []
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            self._as = ["runuser", "-u", "postgres", "--"]

    def _own(self, *paths):
        if self._as:
            account = pwd.getpwnam("postgres")
            for path in paths:
                os.chown(path, account.pw_uid, account.pw_gid)

    def _run(self, *args, check=True):
        return subprocess.run(
            [*self._as, *map(str, args)], check=check, capture_output=True, text=True
        )

    def url(self, name="county"):
        return f"postgresql://{USER}@/{name}?host={self.socket}"

    def running(self):
        return (
            self._run(self.bin / "pg_ctl", "-D", self.data, "status", check=False).returncode == 0
        )

    def start(self, name="county"):
        self.root.mkdir(parents=True, exist_ok=True)
        self.socket.mkdir(exist_ok=True)
        os.chmod(self.root, 0o755)
        self._own(self.root, self.socket)
        if not (self.data / "PG_VERSION").exists():
            self._run(
                self.bin / "initdb",
                "-D",
                self.data,
                "-U",
                USER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
            )
            with open(self.data / "postgresql.conf", "a") as conf:
                conf.write("\n# benchmarks/_pg.py\n")
                conf.write(f"unix_socket_directories = '{self.socket}'\n")
                for key, value in SETTINGS.items():
                    conf.write(f"{key} = {value}\n")
        if not self.running():
            self._run(
                self.bin / "pg_ctl", "-D", self.data, "-l", self.root / "server.log", "-w", "start"
            )
        self.create(name)
        return self.url(name)

    def create(self, name):
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as con:
            if not con.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                con.execute(f'CREATE DATABASE "{name}"')

    def stop(self):
        self._run(self.bin / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")


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
