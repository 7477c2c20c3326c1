"""Fixtures: an app on a file database under tmp_path, its client, CLI runner, users, logins.

With LIUSHOU_TEST_POSTGRES=1 the app's database is a fresh PostgreSQL database instead, made from
a migrated template in a throwaway cluster (tests/pg_cluster.py) and dropped after the test."""

import re
import shutil
import time
from datetime import date

import pytest

from liushou import create_app
from liushou.db import database
from liushou.services import SYSTEM
from tests._helpers import ALL, add_child
from tests.pg_cluster import _TEMPLATE, POSTGRES, Cluster, _pg, app_database, fresh_postgres

__all__ = ["POSTGRES", "app_database"]

PASSWORD = "test1234pw"
_DEMO = "liushou_demo"
_DEMO_FILES = []  # the demo's folder (its photos are copied into each demo_app instance)
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def pytest_collection_modifyitems(config, items):
    """The run on one engine leaves out the tests marked as about the other engine itself."""
    other = "sqlite_only" if POSTGRES else "postgres_only"
    left_out = [item for item in items if item.get_closest_marker(other)]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not item.get_closest_marker(other)]


@pytest.fixture(autouse=True, scope="session")
def _postgres_cluster():
    """LIUSHOU_TEST_POSTGRES=1: one throwaway cluster for the run, with a migrated template."""
    if not POSTGRES:
        yield None
        return
    from liushou.migrations import migrate

    cluster = Cluster().start()
    _pg["cluster"] = cluster
    try:
        cluster.execute(f"CREATE DATABASE {_TEMPLATE}")
        database.init(cluster.url(_TEMPLATE))
        with database.connection_context():
            migrate()
        database.init(None)
        yield cluster
    finally:
        _pg["cluster"] = None
        cluster.stop()


@pytest.fixture(autouse=True)
def _drop_postgres_databases():
    yield
    if _pg["made"]:
        if not database.is_closed():
            database.close()
        while _pg["made"]:
            _pg["cluster"].execute(f"DROP DATABASE {_pg['made'].pop()} WITH (FORCE)")


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashes():
    """Full-cost scrypt on every test user would dominate the run; the algorithm is werkzeug's."""
    from liushou.services import passwords

    passwords.HASH_METHOD = "pbkdf2:sha256:1000"


def make_app(tmp_path, **extra):
    return create_app(
        {
            "TESTING": True,
            "DATABASE": app_database(tmp_path),
            "SECRET_KEY": "test",
            "BACKUP_DIR": str(tmp_path / "backups"),
            **extra,
        }
    )


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("LIUSHOU_INSTANCE", str(tmp_path / "instance"))
    app = make_app(tmp_path)
    database.connect(reuse_if_open=True)
    yield app
    if not database.is_closed():
        database.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def places(app):
    """Two villages with two grids each: V01 (V01-G1, V01-G2) and V02 (V02-G1, V02-G2)."""
    from liushou.services.places import save_grid, save_village
    from liushou.services.settings import update_settings

    # Printouts refuse an unnamed township; in force long before any frozen test date.
    update_settings(SYSTEM, {"township_name": "测试镇"}, date(2000, 1, 1))
    out = {}
    for i in (1, 2):
        v = save_village(SYSTEM, {"code": f"V0{i}", "name": f"第{i}村", "sort_order": i})
        out[v.code] = v
        for j in (1, 2):
            g = save_grid(SYSTEM, {"village": v.id, "code": f"V0{i}-G{j}", "name": f"{j}组"})
            out[g.code] = g
    return out


@pytest.fixture
def users(app, places):
    """One account of every role; village/grid users in V01 (grid worker on V01-G1)."""
    from liushou.services.accounts import create_user

    spec = {
        "admin": ("admin", None, []),
        "township": ("township", None, []),
        "leader": ("leader", None, []),
        "cun1": ("village", "V01", []),
        "cun2": ("village", "V02", []),
        "grid1": ("grid", "V01", ["V01-G1"]),
        "grid2": ("grid", "V01", ["V01-G2"]),
    }
    out = {}
    for name, (role, vcode, gcodes) in spec.items():
        out[name] = create_user(
            SYSTEM,
            {
                "username": name,
                "display_name": name,
                "role": role,
                "village": places[vcode].id if vcode else None,
                "grids": [places[c].id for c in gcodes],
            },
            PASSWORD,
        )
    return out


@pytest.fixture
def homes(places, users):
    """Households 甲 in V01-G1 with two left-behind children (kids: 童一, 童二) and 乙 in
    V02-G1 with one (other: 乙童)."""
    from liushou.services.households import save_household

    h1 = save_household(
        SYSTEM, ALL, {"village": places["V01"].id, "grid": places["V01-G1"].id, "head_name": "甲"}
    )
    h2 = save_household(
        SYSTEM, ALL, {"village": places["V02"].id, "grid": places["V02-G1"].id, "head_name": "乙"}
    )
    return {
        "h1": h1,
        "h2": h2,
        "kids": [add_child(h1, "童一"), add_child(h1, "童二")],
        "other": add_child(h2, "乙童"),
    }


@pytest.fixture
def never_slow(monkeypatch):
    """No kept figure counts as slow (served stale after a write), whatever the machine's load;
    use it with pytestmark = pytest.mark.usefixtures("never_slow")."""
    from liushou import figure_cache

    monkeypatch.setattr(figure_cache, "SLOW", float("inf"))


@pytest.fixture
def stored(monkeypatch):
    """The pages rendered and kept, as (user id, path) in order: a page served from the
    cache adds nothing."""
    from liushou import page_cache

    kept = []
    store = page_cache._store

    def spy(key, body, made):
        kept.append((key[1], key[6]))
        store(key, body, made)

    monkeypatch.setattr(page_cache, "_store", spy)
    return kept


def csrf_token(client, url="/login"):
    html = client.get(url).get_data(as_text=True)
    match = _TOKEN.search(html)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def login(client, username, password=PASSWORD):
    token = csrf_token(client, "/login")
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )


def client_as(app, username="admin"):
    """A test client of `app` logged in as `username`."""
    client = app.test_client()
    assert login(client, username).status_code == 303
    return client


def post(client, url, data=None, token_url="/"):
    """POST with a valid CSRF token taken from a page the session can see."""
    data = dict(data or {})
    data.setdefault("csrf_token", csrf_token(client, token_url))
    return client.post(url, data=data)


def post_need(client, person, description="作业辅导"):
    """A 课业辅导 need of `person` registered through the web form (the response)."""
    url = f"/persons/{person.id}/needs/new"
    return post(client, url, {"kind": "课业辅导", "description": description}, token_url=url)


@pytest.fixture
def login_as(client, users):
    """login_as('cun1') logs the test client in as that user and returns the client."""

    def _login(name):
        client.delete_cookie(client.application.config["SESSION_COOKIE_NAME"])  # who was before
        response = login(client, name)
        assert response.status_code == 303, response.get_data(as_text=True)
        return client

    return _login


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory):
    """A demo township built once per test run; copy it before writing to it."""
    base = tmp_path_factory.mktemp("demo")
    _DEMO_FILES[:] = [base]
    target = str(base / "demo.sqlite3")
    if POSTGRES:  # a database to copy (CREATE DATABASE ... TEMPLATE), kept for the run
        _pg["cluster"].execute(f"CREATE DATABASE {_DEMO} TEMPLATE {_TEMPLATE}")
        target = _pg["cluster"].url(_DEMO)
    app = create_app(
        {
            "TESTING": True,
            "DATABASE": target,
            "FILES_DIR": str(base / "files"),  # the demo's photos
            "SECRET_KEY": "t",
        }
    )
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "--seed", "7", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    if not database.is_closed():
        database.close()
    if POSTGRES:
        database.init(None)
        return target
    return base / "demo.sqlite3"


@pytest.fixture
def demo_copy(demo_db, tmp_path):
    """A private copy of the demo database, as a LIUSHOU_DATABASE value: a file under tmp_path,
    or a PostgreSQL database made from the demo's (dropped after the test)."""
    if POSTGRES:
        return fresh_postgres(template=_DEMO)
    path = tmp_path / "demo.sqlite3"
    shutil.copy(demo_db, path)
    return str(path)


@pytest.fixture
def demo_app(demo_copy, tmp_path, monkeypatch):
    """An app on a private copy of the demo database."""
    monkeypatch.setenv("LIUSHOU_INSTANCE", str(tmp_path / "instance"))
    if (_DEMO_FILES[0] / "files").is_dir():
        shutil.copytree(_DEMO_FILES[0] / "files", tmp_path / "instance" / "files")
    app = create_app({"TESTING": True, "DATABASE": demo_copy, "SECRET_KEY": "t"})
    yield app
    if not database.is_closed():
        database.close()


@pytest.fixture
def later(monkeypatch):
    """later(seconds): time.monotonic() answers that much later from now on (no sleeping)."""
    real = time.monotonic
    shift = [0.0]
    monkeypatch.setattr(time, "monotonic", lambda: real() + shift[0])

    def move(seconds):
        shift[0] += seconds

    return move
