"""Files under instance/ hold personal data: created 600, folders 700, whatever the umask."""

import io
import os
import stat

import pytest

from liushou import backup as backups
from liushou import create_app
from liushou.db import database
from tests.conftest import post

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def loose_umask():
    old = os.umask(0o022)  # the usual default: files 644, folders 755
    yield
    os.umask(old)


@pytest.mark.sqlite_only(reason="the SQLite file, its -wal and -shm and its backup copies")
def test_instance_database_sidecars_secret_and_backups(tmp_path, monkeypatch, loose_umask):
    instance = tmp_path / "instance"
    monkeypatch.setenv("LIUSHOU_INSTANCE", str(instance))
    for key in ("LIUSHOU_DATABASE", "LIUSHOU_BACKUP_DIR", "LIUSHOU_SECRET_KEY"):
        monkeypatch.delenv(key, raising=False)
    app = create_app({"TESTING": True})
    try:
        db = app.config["DATABASE"]
        database.connect(reuse_if_open=True)
        database.execute_sql(
            "INSERT INTO setting (key, value, valid_from, created_at) "
            "VALUES ('x', '1', '2026-01-01', '2026-01-01')"
        )
        assert os.path.exists(f"{db}-wal") and os.path.exists(f"{db}-shm")
        assert mode(instance) == 0o700
        for path in (db, f"{db}-wal", f"{db}-shm", instance / "secret_key"):
            assert mode(path) == 0o600, path
        database.close()
        copy = backups.backup(db, app.config["BACKUP_DIR"])
        folder = copy.parent
        assert mode(folder) == 0o700 and mode(folder / "monthly") == 0o700
        assert mode(copy) == 0o600
        assert all(mode(p) == 0o600 for p in backups.monthly_copies(folder))
    finally:
        if not database.is_closed():
            database.close()


def test_stored_uploads(app, login_as, places, loose_umask):
    from tests._helpers import ledger_bytes

    client = login_as("cun1")
    response = post(
        client,
        "/import",
        {"village": places["V01"].id, "file": (io.BytesIO(ledger_bytes()), "台账.xlsx")},
    )
    assert response.status_code == 303
    store = os.path.join(app.instance_path, "imports")
    assert mode(store) == 0o700
    stored = os.listdir(store)
    assert stored and all(mode(os.path.join(store, name)) == 0o600 for name in stored)
