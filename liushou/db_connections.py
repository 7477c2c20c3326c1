"""Kept connections: a web request takes a connection another request finished with (a fresh
one costs its setup and reading the schema again: about 3 ms on SQLite, a round trip under
peewee's lock on PostgreSQL) and gives it back at its end. Only web requests reuse them
(`init_app`'s hooks switch `_reuse.on`); commands, jobs and backups open and close their own.
The engines themselves (db.py) mix `KeptConnections` in."""

import threading

# At most this many idle connections are kept (one per server thread is enough).
IDLE_MAX = 8
_idle = []
_idle_lock = threading.Lock()
_reuse = threading.local()


def _open_transaction(conn):
    """Is a transaction left open on this connection (sqlite3 or psycopg)?"""
    info = getattr(conn, "info", None)
    if info is not None and hasattr(info, "transaction_status"):
        return info.transaction_status != 0  # psycopg: anything but IDLE
    return conn.in_transaction


def reused():
    """Is the connection this thread just took a kept one (set up already)?"""
    return getattr(_reuse, "kept", False)


class KeptConnections:
    """Mixed into the engines (before peewee's class): `_connect` hands out a kept connection
    during a request, `_close` keeps it. Each is tagged with its database: a handle pointed
    elsewhere never reuses it."""

    def _connect(self):
        if getattr(_reuse, "on", False):
            while True:
                with _idle_lock:
                    if not _idle:
                        break
                    path, conn = _idle.pop()
                if path == self.database:
                    _reuse.kept = True  # set up already: no _initialize_connection again
                    return conn
                conn.close()
        _reuse.kept = False
        return super()._connect()

    def _close(self, conn):
        if getattr(_reuse, "on", False):
            if _open_transaction(conn):
                conn.rollback()
            with _idle_lock:
                if len(_idle) < IDLE_MAX:
                    _idle.append((self.database, conn))
                    return
        conn.close()

    def close_idle(self):
        """Close the kept connections (the handle is pointed at another file, or tests)."""
        with _idle_lock:
            kept = _idle[:]
            del _idle[:]
        for _path, conn in kept:
            conn.close()


class reusing:
    """`with reusing():` this thread's connects and closes take and keep kept connections (a
    web request; tests)."""

    def __enter__(self):
        _reuse.on = True
        return self

    def __exit__(self, *exc):
        _reuse.on = False


def install(app, database):
    """Each request takes a connection (a kept one if any) and gives it back at its end."""

    @app.before_request
    def _connect():
        _reuse.on = True  # this request's connection comes from, and goes back to, the idle ones
        database.connect(reuse_if_open=True)
        database.sync_shared()  # another process's write, a new day: every keep recounts

    @app.teardown_request
    def _close(exc):
        try:
            if not database.is_closed():
                database.close()
        finally:
            _reuse.on = False
