"""The SQLite database: one deferred handle, its pragmas, the base model, connections."""

from pathlib import Path

from peewee import Model, SqliteDatabase

from .instance_files import create_private, private_dir

# synchronous=FULL: an acknowledged write survives a power cut; WAL lets readers beside a writer.
PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": 2,
    "busy_timeout": 10000,
    "cache_size": -16000,
}

database = SqliteDatabase(None, pragmas=PRAGMAS, check_same_thread=False)


class BaseModel(Model):
    """Base for every table; `__scope__` names the fields that place a row in an area."""

    # (village field name, grid field name); "id" means the row itself. None = not area-bound.
    __scope__ = None

    class Meta:
        database = database
        legacy_table_names = False


def bind(path):
    """Point the deferred handle at a file (idempotent for the same path)."""
    if database.database != path:
        if not database.is_closed():
            database.close()
        database.init(path, pragmas=PRAGMAS, check_same_thread=False)


def init_app(app):
    """Bind the database and open/close one connection per request."""
    path = app.config["DATABASE"]
    if path and path != ":memory:" and not path.startswith("file:"):
        private_dir(Path(path).parent)
        create_private(path)  # 600: SQLite gives its -wal and -shm the same mode
    bind(path)

    @app.before_request
    def _connect():
        database.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(exc):
        if not database.is_closed():
            database.close()
