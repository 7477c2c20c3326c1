"""Two admins adding the same code or login name at once: the unique index keeps the first, and
the second gets the form's message next to the field (not a server error), with nothing of his
written. The clash is made by the other admin's save landing between this one's check and its
write. Both engines (LIUSHOU_TEST_POSTGRES=1)."""

import threading

import pytest

from liushou.db import database
from liushou.models import AuditLog, Grid, User, Village
from liushou.models.places import Township
from liushou.services import SYSTEM, ValidationError, accounts, accounts_bulk, places
from tests.conftest import PASSWORD


def _elsewhere(work):
    """`work()` as another admin's request: its own thread and connection, committed."""
    out = []

    def run():
        database.connect(reuse_if_open=True)
        try:
            out.append(work())
        except Exception as e:  # noqa: BLE001 - handed to the test
            out.append(e)
        finally:
            database.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    if isinstance(out[0], Exception):
        raise out[0]
    return out[0]


def _creates(model):
    return (
        AuditLog.select()
        .where((AuditLog.object_type == model._meta.table_name) & (AuditLog.action == "create"))
        .count()
    )


@pytest.fixture
def other_admin_first(monkeypatch):
    """`other_admin_first(save)`: the next places write runs `save()` (the other admin's save,
    committed) just before its own."""

    def arm(save):
        real, done = places._save, []

        def clash(actor, model, obj, data):
            if not done:
                done.append(True)  # (the other admin's own save passes straight through)
                _elsewhere(save)
            return real(actor, model, obj, data)

        monkeypatch.setattr(places, "_save", clash)

    return arm


# What two admins save at once with the same code: (model, code, save(places, name)).
SAVES = {
    "village": (
        Village,
        "V09",
        lambda p, name: places.save_village(SYSTEM, {"code": "V09", "name": name}),
    ),
    "grid": (
        Grid,
        "G9",
        lambda p, name: places.save_grid(
            SYSTEM, {"village": p["V01"].id, "code": "G9", "name": name}
        ),
    ),
    "township": (
        Township,
        "T9",
        lambda p, name: places.save_township(SYSTEM, {"code": "T9", "name": name}),
    ),
}


@pytest.mark.parametrize("kind", SAVES)
def test_the_same_code_at_once(app, places_ready, other_admin_first, kind):
    model, code, save = SAVES[kind]
    other_admin_first(lambda: save(places_ready, "先到"))
    before = _creates(model)
    with pytest.raises(ValidationError) as e:
        save(places_ready, "后到")
    assert e.value.errors == {"code": "该编码已被使用"}
    assert [o.name for o in model.select().where(model.code == code)] == ["先到"]
    assert _creates(model) == before + 1  # the first one's only


# On SQLite these writes hold the write lock from their first read (BEGIN IMMEDIATE): no one
# else can write between their check and their write.
@pytest.mark.postgres_only
def test_a_village_and_its_grids_at_once_leave_nothing_of_the_second(
    app, places_ready, other_admin_first
):
    """The clash inside a longer write (the village with its grids): all of it is undone."""
    other_admin_first(lambda: places.save_village(SYSTEM, {"code": "V08", "name": "先到村"}))
    grids = Grid.select().count()
    with pytest.raises(ValidationError) as e:
        places.save_village_with_grids(SYSTEM, {"code": "V08", "name": "后到村"}, "一组\n二组")
    assert e.value.errors == {"code": "该编码已被使用"}
    assert Grid.select().count() == grids
    assert not Village.select().where(Village.name == "后到村").exists()


def _account(name, display):
    return {"username": name, "display_name": display, "role": "township"}


@pytest.fixture
def other_login_first(monkeypatch):
    """`other_login_first(username)`: the next account form checked is followed at once by
    another admin's account of that login name (先到), committed before this one's write."""

    def arm(username):
        real, done = accounts._validate, []

        def clash(values, **kwargs):
            out = real(values, **kwargs)
            if not done:
                done.append(True)
                other = _account(username, "先到")
                _elsewhere(lambda: accounts.create_user(SYSTEM, other, PASSWORD))
            return out

        monkeypatch.setattr(accounts, "_validate", clash)

    return arm


def test_the_same_username_at_once(app, places_ready, other_login_first):
    other_login_first("lisi")
    before = _creates(User)
    with pytest.raises(ValidationError) as e:
        accounts.create_user(SYSTEM, _account("lisi", "后到"), PASSWORD)
    assert e.value.errors == {"username": "该登录名已被使用"}
    assert [u.display_name for u in User.select().where(User.username == "lisi")] == ["先到"]
    assert _creates(User) == before + 1


@pytest.mark.postgres_only
def test_the_same_username_in_a_sheet_at_once(app, places_ready, monkeypatch):
    """Accounts from a sheet: the whole sheet is refused, naming the login taken meanwhile."""
    real, done = accounts_bulk._create, []

    def clash(actor, data, *args):
        if not done:
            done.append(True)
            other = _account("wangwu", "先到")
            _elsewhere(lambda: accounts.create_user(SYSTEM, other, PASSWORD))
        return real(actor, data, *args)

    monkeypatch.setattr(accounts_bulk, "_create", clash)
    rows = [
        ["姓名", "登录名", "角色"],
        ["赵六", "zhaoliu", "乡镇干部"],
        ["王五", "wangwu", "乡镇干部"],
    ]
    users = User.select().count()
    with pytest.raises(ValidationError) as e:
        accounts_bulk.create_accounts(SYSTEM, rows)
    assert "已被使用" in e.value.errors["rows"]
    assert User.select().count() == users + 1  # the other admin's only
    assert not User.select().where(User.username == "zhaoliu").exists()


def test_the_web_form_answers_422_with_the_message(app, places_ready, users, other_login_first):
    from tests.conftest import csrf_token, login

    other_login_first("zhaosi")
    client = app.test_client()
    assert login(client, "admin").status_code == 303
    data = {**_account("zhaosi", "后到"), "password": "a-new-pw-123"}
    data["csrf_token"] = csrf_token(client, "/admin/users/new")
    response = client.post("/admin/users/new", data=data)
    assert response.status_code == 422
    assert "该登录名已被使用" in response.get_data(as_text=True)


@pytest.fixture
def places_ready(places):
    return places


@pytest.mark.parametrize("model", ["village", "grid"])
def test_the_places_sheet_taking_a_code_at_once(app, places_ready, users, monkeypatch, model):
    """The code the sheet picked for a new village (grid) was taken by another admin before it
    was written: the sheet's form answers 422 with the message above its rows (it has no code
    field), and nothing of the sheet is written."""
    from tests.conftest import login, post

    real = places._free_code
    taken = {"village": "V01", "grid": "V01-G1"}[model]

    def clash(table, prefix):
        code = real(table, prefix)
        return taken if table._meta.table_name == model else code

    monkeypatch.setattr(places, "_free_code", clash)
    client = app.test_client()
    assert login(client, "admin").status_code == 303
    villages, grids, audit = (
        Village.select().count(),
        Grid.select().count(),
        AuditLog.select().count(),
    )
    sheet = "村（社区）\t网格\n新来村\t一组\n" if model == "village" else "第1村\t新网格\n"
    response = post(client, "/admin/places/bulk", {"rows": sheet, "confirm": "1"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert places.CODE_RACE in page and "该编码已被使用" not in page
    assert (Village.select().count(), Grid.select().count()) == (villages, grids)
    assert AuditLog.select().count() == audit
