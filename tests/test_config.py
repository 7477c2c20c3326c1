"""Configuration layers and the secret key."""

from liushou import create_app
from liushou.db import database


def test_layers_in_order(tmp_path, monkeypatch):
    instance = tmp_path / "inst"
    instance.mkdir()
    (instance / "config.py").write_text(
        "PAGE_SIZE = 11\nSESSION_IDLE_MINUTES = 12\nDATABASE = {!r}\n".format(
            str(tmp_path / "from-instance.sqlite3")
        )
    )
    monkeypatch.setenv("LIUSHOU_INSTANCE", str(instance))
    monkeypatch.setenv("LIUSHOU_SESSION_IDLE_MINUTES", "13")
    app = create_app({"TESTING": True, "PAGE_SIZE": 14})
    assert app.config["DATABASE"] == str(tmp_path / "from-instance.sqlite3")  # instance file
    assert app.config["SESSION_IDLE_MINUTES"] == 13  # environment beats the instance file
    assert app.config["PAGE_SIZE"] == 14  # the test mapping beats everything
    database.close()


def test_database_from_environment_and_default(tmp_path, monkeypatch):
    monkeypatch.setenv("LIUSHOU_INSTANCE", str(tmp_path / "inst"))
    app = create_app({"TESTING": True})
    assert app.config["DATABASE"] == str(tmp_path / "inst" / "liushou.sqlite3")
    monkeypatch.setenv("LIUSHOU_DATABASE", str(tmp_path / "env.sqlite3"))
    app = create_app({"TESTING": True})
    assert app.config["DATABASE"] == str(tmp_path / "env.sqlite3")
    assert (tmp_path / "env.sqlite3").exists()
    database.close()


def test_secret_key_generated_once_into_instance(tmp_path, monkeypatch):
    monkeypatch.setenv("LIUSHOU_INSTANCE", str(tmp_path / "inst"))
    monkeypatch.setenv("LIUSHOU_DATABASE", str(tmp_path / "db.sqlite3"))
    first = create_app().config["SECRET_KEY"]
    second = create_app().config["SECRET_KEY"]
    assert first == second and len(first) >= 32
    key_file = tmp_path / "inst" / "secret_key"
    assert key_file.read_text().strip() == first
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    database.close()
