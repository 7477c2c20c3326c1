"""A throwaway PostgreSQL cluster for the tests (LIUSHOU_TEST_POSTGRES=1): initdb into a temporary
folder, a unix socket only (no TCP), trust authentication, stopped and removed at the end.

Needs Debian's `postgresql` package (its binaries under /usr/lib/postgresql/VERSION/bin) and the
`pg` extra (psycopg). Run as root, the server runs as the `postgres` system user."""

import glob
import itertools
import os
import pwd
import shutil
import sqlite3
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

from liushou.db import parse_target

USER = "liushou"
POSTGRES = os.environ.get("LIUSHOU_TEST_POSTGRES") == "1"
_TEMPLATE = "liushou_template"
# The session's cluster (set by conftest's fixture) and the databases made for the current test.
_pg = {"cluster": None, "made": [], "names": itertools.count(1)}


def fresh_postgres(template=_TEMPLATE):
    """The URL of a new PostgreSQL database copied from `template` (default: migrated; None:
    empty), dropped when the test ends."""
    cluster = _pg["cluster"]
    name = f"t{next(_pg['names'])}"
    cluster.execute(f"CREATE DATABASE {name} TEMPLATE {template or 'template0'}")
    _pg["made"].append(name)
    return cluster.url(name)


def app_database(tmp_path, name="test.sqlite3"):
    """The app database for a test: a file under tmp_path, or a fresh PostgreSQL database."""
    return fresh_postgres() if POSTGRES else str(tmp_path / name)


def empty_database(tmp_path, name="test.sqlite3"):
    """A database with no schema yet: a new file under tmp_path, or an empty PostgreSQL one."""
    return fresh_postgres(template=None) if POSTGRES else str(tmp_path / name)


# Row 1 of shared_generation: the data counter a command moves (row 2: accounts).
READ_COUNTER = 'SELECT "n" FROM "shared_generation" WHERE "id" = 1'
MOVE_COUNTER = 'UPDATE "shared_generation" SET "n" = "n" + 1 WHERE "id" = 1'


@contextmanager
def other_connection(target):
    """A plain DB-API connection of its own to the test's database (as another process would
    open it): a SQLite file or a PostgreSQL URL; committed and closed at the end."""
    kind, name = parse_target(target)
    if kind == "postgres":
        import psycopg

        con = psycopg.connect(name)
    else:
        con = sqlite3.connect(name, timeout=30)
    try:
        yield con
        con.commit()
    finally:
        con.close()


def bindir():
    """The folder of Debian's PostgreSQL programs (the newest version installed)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise RuntimeError("PostgreSQL is not installed: apt-get install postgresql")


class Cluster:
    """A PostgreSQL cluster in a folder (data/, socket/, server.log), a unix socket only, trust
    authentication for USER. Without a folder it is the tests' throwaway one: start() → initdb
    into a temporary folder and a running server without fsync; stop() removes the folder.
    benchmarks/_pg.py keeps a durable one in a folder it is given."""

    def __init__(self, root=None):
        self.bindir = bindir()
        self.throwaway = root is None
        self.root = Path(tempfile.mkdtemp(prefix="liushou-pg-") if root is None else root)
        self.root = self.root.resolve()
        self.data = self.root / "data"
        self.socket = self.root / "socket"
        self._as = []
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            self._as = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args, check=True):
        return subprocess.run(
            [*self._as, *map(str, args)], check=check, capture_output=True, text=True
        )

    def _pg_ctl(self, *args, check=True):
        return self._run(self.bindir / "pg_ctl", "-D", self.data, *args, check=check)

    def prepare(self):
        """The folder and its socket folder, owned by the server's account."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.socket.mkdir(exist_ok=True)
        os.chmod(self.root, 0o755)
        if self._as:
            account = pwd.getpwnam("postgres")
            for path in (self.root, self.socket):
                os.chown(path, account.pw_uid, account.pw_gid)

    def initdb(self, *extra):
        self._run(
            self.bindir / "initdb",
            "-D",
            self.data,
            "-U",
            USER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            *extra,
        )

    def running(self):
        return self._pg_ctl("status", check=False).returncode == 0

    def launch(self, options=None):
        """Start the server (waiting until it accepts connections), `options` for postgres."""
        self._pg_ctl(
            *(["-o", options] if options else []), "-l", self.root / "server.log", "-w", "start"
        )

    def start(self):
        """The tests' cluster: fast and disposable (no fsync), a few connections."""
        self.prepare()
        self.initdb("--no-sync")
        self.launch(
            f"-c listen_addresses='' -c unix_socket_directories={self.socket} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=50 -c shared_buffers=32MB"
        )
        return self

    def url(self, name="postgres"):
        return f"postgresql://{USER}@/{name}?host={self.socket}"

    def execute(self, sql, name="postgres", params=None):
        """Run one statement outside a transaction (CREATE/DROP DATABASE); its rows."""
        import psycopg

        with psycopg.connect(self.url(name), autocommit=True) as con:
            cursor = con.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def stop(self, mode="immediate"):
        try:
            self._pg_ctl("-m", mode, "-w", "stop")
        finally:
            if self.throwaway:
                shutil.rmtree(self.root, ignore_errors=True)
