"""The server's start-of-day round as an admin reads it (/admin/warm-up: the benchmarks wait for
it before measuring), and the admin's first-day checklist on a kept home page: what is done
vanishes, a new account or a printed card shows on the next request, and once finished it stays
gone until a change in the register leaves a step undone again."""

import re

import pytest

from liushou import jobs
from liushou.services import SYSTEM
from liushou.services.accounts import create_user
from liushou.services.places import save_village
from tests._helpers import text
from tests.conftest import PASSWORD, login
from tests.shared.first_day import checklist, finish_all_but_cards, print_card

pytestmark = pytest.mark.usefixtures("never_slow")

STATE = re.compile(r'id="warm-up" data-state="(\w+)"')


@pytest.fixture
def fresh_round(monkeypatch):
    """This process's round as a server's would start it (and as it was afterwards)."""
    monkeypatch.setattr(jobs, "_round", dict(jobs._round))
    monkeypatch.setattr(jobs, "warm_figures", lambda: None)
    monkeypatch.setattr(jobs, "done_today", lambda today=None: True)


def _state(client):
    return STATE.search(text(client, "/admin/warm-up")).group(1)


def test_an_admin_sees_the_warm_up_end(app, login_as, fresh_round):
    client = login_as("admin")
    assert _state(client) == "none"  # tests and commands run no round
    jobs._round_state("waiting")  # what start_daily sets when the server starts
    assert _state(client) == "waiting"
    said = []
    warmed = jobs.day_round(app.config["DATABASE"], log=said.append)
    page = text(client, "/admin/warm-up")
    assert STATE.search(page).group(1) == "done" and "已完成" in page
    assert said == [f"start-of-day warm-up done in {jobs.warm_up_status()['seconds']} s"]
    # The next round of the same day warms nothing again and stays done.
    assert jobs.day_round(app.config["DATABASE"], warmed, log=said.append) == warmed
    assert _state(client) == "done" and len(said) == 1


def test_a_failed_warm_up_is_said_and_the_round_ends(app, login_as, fresh_round, monkeypatch):
    def broken():
        raise RuntimeError("数据库连接中断")

    monkeypatch.setattr(jobs, "warm_figures", broken)
    said = []
    assert jobs.day_round(app.config["DATABASE"], log=said.append) is None  # tried again later
    page = text(login_as("admin"), "/admin/warm-up")
    assert STATE.search(page).group(1) == "failed" and "数据库连接中断" in page
    assert said == ["home figures warm-up failed: 数据库连接中断"]


@pytest.mark.parametrize("username", ["township", "leader", "cun1", "grid1"])
def test_only_admins_reach_the_warm_up_page(app, login_as, username):
    assert login_as(username).get("/admin/warm-up").status_code == 403


def test_a_helpers_own_login_does_not_learn_the_page_exists(app, places):
    from tests.shared.probe import HELPER_USER, make_helper_user

    make_helper_user(places)
    client = app.test_client()
    assert login(client, HELPER_USER).status_code == 303
    assert client.get("/admin/warm-up").status_code == 404


def test_a_finished_checklist_goes_and_comes_back_only_with_an_undone_step(homes, places, login_as):
    finish_all_but_cards(places)
    client = login_as("admin")
    steps = checklist(text(client, "/"))
    assert [k for k, done in steps.items() if not done] == ["打印便民"]
    print_card(homes["h1"])
    assert checklist(text(client, "/")) == {}  # the last step done: gone on the next request
    assert checklist(text(client, "/")) == {}  # and served as finished
    create_user(
        SYSTEM, {"username": "cun9", "role": "village", "village": places["V02"].id}, PASSWORD
    )
    assert checklist(text(client, "/")) == {}  # more accounts undo nothing
    # A new village without its card's posts nor its ledger: two steps to do again, at once.
    save_village(SYSTEM, {"code": "V03", "name": "第3村", "sort_order": 3})
    page = text(client, "/")
    assert [k for k, done in checklist(page).items() if not done] == ["填写各村", "导入各村"]
    assert "尚缺：第3村" in page


def test_an_unfinished_checklist_counts_each_new_account_on_the_next_request(
    homes, places, login_as
):
    client = login_as("admin")
    first = text(client, "/")
    count = int(re.search(r"已有 (\d+) 个账号", first).group(1))
    assert text(client, "/") == first  # kept while nothing changed
    create_user(
        SYSTEM, {"username": "cun9", "role": "village", "village": places["V02"].id}, PASSWORD
    )
    assert f"已有 {count + 1} 个账号" in text(client, "/")
