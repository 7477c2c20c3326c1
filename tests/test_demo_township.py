"""`demo --township CODE --name NAME`: demo townships added one by one to a county's database,
each with its own villages, users and ID numbers, its users seeing only their township."""

import pytest

from liushou import settings
from liushou.db import database
from liushou.models import User, Village
from liushou.models.persons import Person
from liushou.models.places import Township
from liushou.rules import idcard
from liushou.scope import Scope
from tests.conftest import login

PASSWORD = "county1234"


@pytest.fixture
def county(app, runner):
    for code, name, seed in (("T01", "杨柳镇", 1), ("T02", "白杨镇", 2)):
        result = runner.invoke(
            args=["demo", "--township", code, "--name", name, "--persons", "200"]
            + ["--seed", str(seed), "--password", PASSWORD]
        )
        assert result.exit_code == 0, result.output
        assert f"已加入演示乡镇 {code}" in result.output
    database.connect(reuse_if_open=True)
    return {t.code: t for t in Township.select()}


def _persons_of(township):
    return list(Person.select().join(Village).where(Village.township == township))


def test_each_township_has_its_own_villages_users_and_settings(county, runner):
    t1, t2 = county["T01"], county["T02"]
    assert [v.code for v in Village.select().where(Village.township == t1)][:2] == [
        "T01V01",
        "T01V02",
    ]
    assert not Village.select().where(Village.township.is_null()).exists()
    assert len(_persons_of(t1)) == len(_persons_of(t2)) == 200
    for prefix, township in (("t01", t1), ("t02", t2)):
        for base in ("admin", "xiangzhen", "lingdao"):
            assert User.get(User.username == prefix + base).township_id == township.id
        cadre = User.get(User.username == prefix + "cun01")
        assert cadre.village.township_id == township.id
        assert User.get(User.username == prefix + "wangge01").village.township_id == township.id
    # The county's own accounts come with the first township, once.
    assert User.get(User.username == "xian").role == "county_admin"
    assert User.get(User.username == "xianlingdao").role == "county_leader"
    assert User.select().where(User.username == "xian").count() == 1
    assert settings.get("township_name", township=t2) == "白杨镇"
    assert settings.get("township_name", township=t1) == "杨柳镇"


def test_id_numbers_are_valid_and_unique_across_the_county(county):
    persons = list(Person.select())
    numbers = [p.id_number for p in persons]
    assert len(numbers) == 400 and len(set(numbers)) == 400
    for p in persons:
        info, problem = idcard.parse(p.id_number, p.created_at.date())
        assert problem is None, (p.id_number, problem)
        assert info.birth_date == p.birth_date and info.sex == p.sex
    regions = [{p.id_number[:4] for p in _persons_of(t)} for t in county.values()]
    assert not regions[0] & regions[1]


def test_a_townships_users_see_only_their_township(county, client):
    t1, t2 = county["T01"], county["T02"]
    own, other = _persons_of(t1)[0], _persons_of(t2)[0]
    for username in ("t01xiangzhen", "t01cun01"):
        user = User.get(User.username == username)
        seen = {p.village.township_id for p in Scope.for_user(user).filter(Person.select(), Person)}
        assert seen == {t1.id}
    assert login(client, "t01xiangzhen", PASSWORD).status_code == 303
    assert client.get(f"/persons/{own.id}").status_code == 200
    assert client.get(f"/persons/{other.id}").status_code == 404
    listed = client.get("/persons").get_data(as_text=True)
    assert own.name in listed or f"/persons/{own.id}" in listed
    assert f'href="/persons/{other.id}"' not in listed
    client.delete_cookie(client.application.config["SESSION_COOKIE_NAME"])
    assert login(client, "xian", PASSWORD).status_code == 303
    assert client.get(f"/persons/{other.id}").status_code == 200


def test_a_township_is_added_once_and_never_to_a_townships_own_database(county, runner):
    again = runner.invoke(args=["demo", "--township", "T01", "--persons", "50"])
    assert again.exit_code != 0 and "该编码已被使用" in again.output
    assert Township.select().count() == 2
    plain = runner.invoke(args=["demo", "--persons", "50"])
    assert plain.exit_code != 0 and "只能生成到空数据库" in plain.output


def test_a_townships_own_database_takes_no_demo_township(runner):
    assert runner.invoke(args=["demo", "--persons", "50", "--password", PASSWORD]).exit_code == 0
    result = runner.invoke(args=["demo", "--township", "T01", "--persons", "50"])
    assert result.exit_code != 0 and "不能再加演示乡镇" in result.output
    database.connect(reuse_if_open=True)
    assert not Township.select().exists()
