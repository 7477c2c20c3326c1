"""CLI: create-user reading the password from stdin, places, demo."""

from liushou.models import User, Village
from tests.conftest import login


def test_create_user_from_piped_password(runner, places, client):
    result = runner.invoke(
        args=["create-user", "wang", "--role", "grid", "--village", "V01", "--grid", "V01-G2"],
        input="goodpass12\n",
    )
    assert result.exit_code == 0, result.output
    user = User.get(User.username == "wang")
    assert user.role == "grid" and user.village.code == "V01"
    assert [g for g in user.grid_ids] == [places["V01-G2"].id]
    assert login(client, "wang", "goodpass12").status_code == 303


def test_create_user_refuses_weak_password_and_unknown_village(runner, places):
    result = runner.invoke(args=["create-user", "li", "--role", "admin"], input="short\n")
    assert result.exit_code != 0 and "至少 8 位" in result.output
    result = runner.invoke(
        args=["create-user", "li", "--role", "village", "--village", "NOPE"], input="goodpass12\n"
    )
    assert result.exit_code != 0 and "NOPE" in result.output
    result = runner.invoke(args=["create-user", "li", "--role", "village"], input="goodpass12\n")
    assert result.exit_code != 0 and "所属村" in result.output
    assert not User.select().where(User.username == "li").exists()


def test_places_lists_codes(runner, places):
    result = runner.invoke(args=["places"])
    assert result.exit_code == 0
    assert "V01\t第1村" in result.output and "  V02-G2\t2组" in result.output


def test_demo_is_deterministic_and_refuses_a_full_database(runner, app):
    result = runner.invoke(args=["demo", "--seed", "3", "--password", "demo1234"])
    assert result.exit_code == 0, result.output
    assert "密码：demo1234" in result.output
    first = [(v.code, v.name) for v in Village.ordered()]
    users = sorted((u.username, u.role, u.display_name) for u in User.select())
    assert 8 <= len(first) <= 12
    assert {u[1] for u in users} == {"admin", "township", "village", "grid", "leader"}
    again = runner.invoke(args=["demo", "--seed", "3"])
    assert again.exit_code != 0
    assert runner.invoke(args=["demo", "--if-empty"]).exit_code == 0


def test_same_seed_same_data(tmp_path, monkeypatch):
    from liushou import create_app
    from liushou.db import database

    snapshots = []
    for name in ("a", "b"):
        monkeypatch.setenv("LIUSHOU_INSTANCE", str(tmp_path / name))
        app = create_app(
            {"TESTING": True, "DATABASE": str(tmp_path / f"{name}.sqlite3"), "SECRET_KEY": "t"}
        )
        result = app.test_cli_runner().invoke(
            args=["demo", "--seed", "5", "--password", "pw123456"]
        )
        assert result.exit_code == 0, result.output
        snapshots.append(
            (
                [(v.code, v.name) for v in Village.ordered()],
                sorted((u.username, u.display_name, u.phone) for u in User.select()),
            )
        )
        database.close()
    assert snapshots[0] == snapshots[1]
