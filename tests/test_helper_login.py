"""Helpers' own login (role `helper`): linked to one Helper, he sees only the persons paired with
him, his worklist, and records visits and needs for them; everything else answers 404."""

import pytest
from werkzeug.exceptions import NotFound

from liushou.db import database
from liushou.models import User
from liushou.models.care import Need
from liushou.models.helpers import Helper
from liushou.models.visits import Visit
from liushou.scope import Scope
from liushou.services import SYSTEM
from tests.conftest import PASSWORD, csrf_token, login

KID_ID = "620102201503070014"


@pytest.fixture
def world(app, places, users):
    """Helper 王老师 (V01) paired with 小明; 小红 (same household) and 小刚 (V02) are not his."""
    from liushou.services.accounts import create_user
    from liushou.services.helpers import save_helper
    from liushou.services.households import save_household
    from liushou.services.persons import save_person
    from liushou.services.visits import pair

    everything = Scope(everything=True)

    def helper(name, village):
        return save_helper(
            SYSTEM, everything, {"name": name, "kind": "教师", "village": places[village].id}
        )

    def kid(household, name, id_number=None, phone=""):
        return save_person(
            SYSTEM,
            everything,
            {
                "household": household.id,
                "name": name,
                "id_number": id_number,
                "birth_date": "2015-03-07" if id_number else "2016-04-01",
                "sex": "男",
                "phone": phone,
                "father_status": "外出务工",
                "mother_status": "外出务工",
            },
        )

    home = save_household(
        SYSTEM,
        everything,
        {"village": places["V01"].id, "grid": places["V01-G1"].id, "head_name": "张户主"},
    )
    far = save_household(
        SYSTEM,
        everything,
        {"village": places["V02"].id, "grid": places["V02-G1"].id, "head_name": "李户主"},
    )
    out = {
        "teacher": helper("王老师", "V01"),
        "doctor": helper("赵医生", "V01"),
        "other": helper("外村老师", "V02"),
        "ming": kid(home, "小明", KID_ID, "13912345678"),
        "hong": kid(home, "小红"),
        "gang": kid(far, "小刚"),
    }
    out["pairing"] = pair(SYSTEM, everything, out["teacher"], [out["ming"]])[0]
    pair(SYSTEM, everything, out["doctor"], [out["hong"]])
    out["user"] = create_user(
        SYSTEM,
        {"username": "wanglaoshi", "role": "helper", "helper": out["teacher"].id},
        PASSWORD,
    )
    return out


def _login(client, username="wanglaoshi"):
    response = login(client, username)
    assert response.status_code == 303, response.get_data(as_text=True)
    return client


def _token(client):
    return csrf_token(client, "/visits/due")


# --- creating the account ---------------------------------------------------------------


def test_cli_creates_a_helper_account_linked_to_his_helper(runner, world):
    doctor = world["doctor"]
    result = runner.invoke(
        args=["create-user", "zhao", "--role", "helper", "--helper", str(doctor.id)],
        input="goodpass12\n",
    )
    assert result.exit_code == 0, result.output
    assert "帮扶人" in result.output
    user = User.get(User.username == "zhao")
    assert user.role == "helper" and user.village_id is None
    assert Helper.get_by_id(doctor.id).user_id == user.id


@pytest.mark.parametrize(
    "extra, message",
    [
        ([], "--helper"),
        (["--helper", "999999"], "没有这个帮扶人"),
        (["--helper", "{teacher}"], "已关联账号 wanglaoshi"),
        (["--helper", "{inactive}"], "已停用"),
        (["--helper", "{doctor}", "--village", "V01"], "不设村"),
    ],
)
def test_cli_refuses_a_bad_helper(runner, world, extra, message):
    from liushou.services.helpers import save_helper

    inactive = save_helper(
        SYSTEM,
        Scope(everything=True),
        {"name": "停用者", "kind": "志愿者", "village": world["teacher"].village_id},
    )
    Helper.update(active=False).where(Helper.id == inactive.id).execute()
    ids = {"teacher": world["teacher"].id, "doctor": world["doctor"].id, "inactive": inactive.id}
    args = ["create-user", "zhao", "--role", "helper", *[a.format(**ids) for a in extra]]
    result = runner.invoke(args=args, input="goodpass12\n")
    assert result.exit_code != 0
    assert message in result.output
    assert not User.select().where(User.username == "zhao").exists()


def test_admin_creates_and_relinks_a_helper_account(client, world):
    _login(client, "admin")
    token = csrf_token(client, "/admin/users/new")
    page = client.get("/admin/users/new").get_data(as_text=True)
    assert "赵医生" in page and "王老师" not in page  # 王老师 already has an account
    base = {"csrf_token": token, "username": "zhao", "role": "helper", "password": "goodpass12"}
    refused = client.post("/admin/users/new", data=base)
    assert refused.status_code == 422
    assert "帮扶人账号须选择对应的帮扶人" in refused.get_data(as_text=True)
    taken = client.post("/admin/users/new", data={**base, "helper": world["teacher"].id})
    assert taken.status_code == 422 and "已关联账号" in taken.get_data(as_text=True)
    assert not User.select().where(User.username == "zhao").exists()
    made = client.post("/admin/users/new", data={**base, "helper": world["doctor"].id})
    assert made.status_code == 303
    zhao = User.get(User.username == "zhao")
    assert Helper.get_by_id(world["doctor"].id).user_id == zhao.id
    # Edit: wanglaoshi becomes 赵医生's? refused (taken); a fresh helper instead: the old is freed.
    from liushou.services.helpers import save_helper

    fresh = save_helper(
        SYSTEM,
        Scope(everything=True),
        {"name": "钱社工", "kind": "社工", "village": world["teacher"].village_id},
    )
    user = world["user"]
    edit = {"csrf_token": token, "role": "helper", "display_name": "王老师"}
    taken = client.post(f"/admin/users/{user.id}", data={**edit, "helper": world["doctor"].id})
    assert taken.status_code == 422
    moved = client.post(f"/admin/users/{user.id}", data={**edit, "helper": fresh.id, "active": "1"})
    assert moved.status_code == 303
    assert Helper.get_by_id(fresh.id).user_id == user.id
    assert Helper.get_by_id(world["teacher"].id).user_id is None


def test_bulk_accounts_link_helpers_by_name(client, world):
    from liushou.services.accounts_bulk import account_rows, create_accounts

    planned = account_rows([["赵医生", "zhao", "帮扶人", "第1村", ""]])
    assert not planned[0]["errors"] and planned[0]["values"]["helper"] == world["doctor"].id
    unknown = account_rows([["无名氏", "wu", "帮扶人", "", ""]])
    assert "没有叫“无名氏”" in unknown[0]["errors"]["helper"]
    taken = account_rows([["王老师", "wang2", "帮扶人", "", ""]])
    assert taken[0]["errors"]["helper"]
    [(user, _password)] = create_accounts(SYSTEM, [["赵医生", "zhao", "帮扶人", "第1村", ""]])
    assert Helper.get_by_id(world["doctor"].id).user_id == user.id


# --- what he sees ------------------------------------------------------------------------


def test_scope_admits_only_his_paired_persons(world):
    scope = Scope.for_user(world["user"])
    assert scope.person_ids == {world["ming"].id}
    assert scope.get(Helper, world["teacher"].id)
    for other in ("hong", "gang"):
        with pytest.raises(NotFound):
            scope.get(type(world[other]), world[other].id)
    with pytest.raises(NotFound):
        scope.get(Helper, world["doctor"].id)
    assert not scope.allows_village(world["ming"].village_id)


def test_home_is_his_worklist_and_shows_only_his_persons(client, world):
    _login(client)
    home = client.get("/")
    assert home.status_code == 302 and home.location.endswith("/visits/due")
    page = client.get("/visits/due").get_data(as_text=True)
    assert "小明" in page and "小红" not in page and "小刚" not in page
    for label in ("我的走访", "记一次走访", "提需求", "修改密码", "退出"):
        assert label in page
    assert "结对帮扶率" not in page and "账号" not in page
    mine = client.get("/mine?do=need").get_data(as_text=True)
    assert "为小明登记需求" in mine and "小红" not in mine


def test_his_persons_page_masks_ids_and_phones(client, world):
    _login(client)
    page = client.get(f"/persons/{world['ming'].id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "小明" in text
    assert KID_ID not in text and "13912345678" not in text
    assert "显示完整证件号" not in text and "修改信息" not in text and "退出登记" not in text
    full = client.post(f"/persons/{world['ming'].id}/full-id", data={"csrf_token": _token(client)})
    assert full.status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/persons",
        "/persons/{hong}",
        "/persons/{gang}",
        "/persons/{ming}/edit",
        "/households/{household}",
        "/admin/users",
        "/helpers",
        "/needs",
        "/visits/figures",
        "/reports",
        "/import",
        "/print",
        "/emergencies",
        "/persons/{hong}/visits/new",
        "/persons/{gang}/needs/new",
    ],
)
def test_everything_else_answers_404(client, world, url):
    _login(client)
    ids = {k: world[k].id for k in ("hong", "gang", "ming")}
    ids["household"] = world["ming"].household_id
    assert client.get(url.format(**ids)).status_code == 404


def test_every_other_post_answers_404_and_writes_nothing(client, world):
    _login(client)
    token = _token(client)
    ming = world["ming"].id
    before = Visit.select().count(), Need.select().count()
    for url in (
        f"/persons/{ming}/exit",
        f"/persons/{ming}/void",
        f"/persons/{ming}/pairings",
        f"/pairings/{world['pairing'].id}/end",
        f"/persons/{ming}/services/new",
    ):
        assert client.post(url, data={"csrf_token": token}).status_code == 404, url
    assert (Visit.select().count(), Need.select().count()) == before


def test_he_records_a_visit_for_his_person_only(client, world):
    _login(client)
    ming, hong = world["ming"], world["hong"]
    form = client.get(f"/persons/{ming.id}/visits/new").get_data(as_text=True)
    assert "小明" in form and "小红" not in form  # same household, paired with someone else
    assert "王老师" in form and "赵医生" not in form
    token = _token(client)
    body = {
        "csrf_token": token,
        "visited_on": "2026-01-05",
        "method": "上门",
        "persons": [ming.id],
        "helpers": [world["teacher"].id],
        "life": "作业按时完成",
    }
    for bad in ({"persons": [ming.id, hong.id]}, {"helpers": [world["doctor"].id]}):
        refused = client.post(f"/persons/{ming.id}/visits/new", data={**body, **bad})
        assert refused.status_code == 422, bad
    assert Visit.select().count() == 0
    done = client.post(f"/persons/{ming.id}/visits/new", data=body)
    assert done.status_code == 303
    visit = Visit.get()
    assert [link.person_id for link in visit.person_links] == [ming.id]
    assert [link.helper_id for link in visit.helper_links] == [world["teacher"].id]
    assert visit.created_by == world["user"].id


def test_he_raises_a_need_for_his_person(client, world):
    _login(client)
    token = _token(client)
    ming = world["ming"]
    body = {"csrf_token": token, "kind": "课业辅导", "description": "需要数学辅导"}
    other = client.post(
        f"/persons/{ming.id}/needs/new", data={**body, "helper": world["doctor"].id}
    )
    assert other.status_code == 422 and Need.select().count() == 0
    made = client.post(
        f"/persons/{ming.id}/needs/new", data={**body, "helper": world["teacher"].id}
    )
    assert made.status_code == 303
    need = Need.get()
    assert need.person_id == ming.id and need.helper_id == world["teacher"].id
    page = client.get(made.location).get_data(as_text=True)
    assert "需要数学辅导" in page and "记录服务" not in page
    assert client.post(f"/persons/{world['hong'].id}/needs/new", data=body).status_code == 404


def test_an_ended_pairing_takes_the_person_out_at_once(client, world):
    from liushou.services.visits import end_pairing

    _login(client)
    ming = world["ming"].id
    assert client.get(f"/persons/{ming}").status_code == 200
    end_pairing(SYSTEM, world["pairing"], reason="调走")
    assert client.get(f"/persons/{ming}").status_code == 404
    assert client.get(f"/persons/{ming}/visits/new").status_code == 404
    assert "小明" not in client.get("/visits/due").get_data(as_text=True)


def test_a_deactivated_helper_loses_access_and_cannot_log_in(client, world):
    _login(client)
    assert client.get("/visits/due").status_code == 200
    Helper.update(active=False).where(Helper.id == world["teacher"].id).execute()
    gone = client.get("/visits/due")
    assert gone.status_code == 302 and gone.location.startswith("/login")
    assert "帮扶人已停用" in client.get("/login").get_data(as_text=True)
    refused = login(client, "wanglaoshi")
    assert refused.status_code == 422
    assert "帮扶人已停用" in refused.get_data(as_text=True)
    with database.atomic():
        Helper.update(active=True).where(Helper.id == world["teacher"].id).execute()
    assert login(client, "wanglaoshi").status_code == 303


def test_the_helper_form_keeps_the_helper_account_link(world):
    from liushou.services import ValidationError
    from liushou.services.helpers import save_helper

    everything = Scope(everything=True)
    teacher = world["teacher"]
    values = {"name": "王老师", "kind": "教师", "village": teacher.village_id, "phone": ""}
    # A cadre edits the phone; the form's account select did not offer the helper's login.
    fresh = Helper.get_by_id(teacher.id)
    save_helper(SYSTEM, everything, {**values, "phone": "13900001111", "user": ""}, fresh)
    assert Helper.get_by_id(teacher.id).user_id == world["user"].id
    other = User.get(User.username == "cun1")
    with pytest.raises(ValidationError) as moved:
        save_helper(SYSTEM, everything, {**values, "user": other.id}, Helper.get_by_id(teacher.id))
    assert "账号" in moved.value.errors["user"]
    with pytest.raises(ValidationError) as second:
        save_helper(SYSTEM, everything, {**values, "name": "新人", "user": world["user"].id})
    assert "只对应一名帮扶人" in second.value.errors["user"]
