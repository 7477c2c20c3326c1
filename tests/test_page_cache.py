"""Rendered pages kept between requests (liushou/page_cache.py): a user sees every write of his
area on his next page, never another user's page, never a flash twice, and reads that are
audited stay audited."""

import gzip
import re
from datetime import date, timedelta

import pytest

from liushou import clock, figure_cache, page_cache
from liushou.models import AuditLog, User
from liushou.services import SYSTEM
from liushou.services.person_exits import exit_person, void_person
from tests._helpers import ALL, add_child, text
from tests.conftest import login, post, post_need

TOTAL = re.compile(r"<b>(\d+)</b>在册人员")
DONE = re.compile(r"<b>(\d+)/\d+</b>本月已访/应访")
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


pytestmark = pytest.mark.usefixtures("never_slow")


def visited_on_home(client):
    return int(DONE.search(text(client, "/")).group(1))


def test_a_page_is_rendered_once_then_served_with_the_privacy_headers(homes, login_as, stored):
    client = login_as("cun1")
    first = client.get("/persons")
    second = client.get("/persons")
    assert second.get_data() == first.get_data()
    assert [path for _user, path in stored] == ["/persons?"]
    assert second.headers["Cache-Control"] == "no-store"
    assert "Cookie" in second.headers["Vary"]
    zipped = client.get("/persons", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.get_data()) == first.get_data()
    assert len(stored) == 1


def test_a_write_in_his_village_shows_at_once(homes, login_as):
    client = login_as("cun1")
    kid = homes["kids"][0]
    assert "童三" not in text(client, "/persons")
    assert TOTAL.search(text(client, "/")).group(1) == "2"
    assert "已退出" not in text(client, f"/persons/{kid.id}")
    add_child(homes["h1"], "童三")
    exit_person(SYSTEM, kid, {"exit_reason": "迁出", "exited_on": clock.today().isoformat()})
    assert "童三" in text(client, "/persons")
    assert TOTAL.search(text(client, "/")).group(1) == "2"  # one in, one out
    assert "已退出" in text(client, f"/persons/{kid.id}")


def test_a_write_through_the_web_shows_on_the_next_page(homes, login_as):
    client = login_as("cun1")
    kid = homes["kids"][0]
    assert "作业辅导" not in text(client, "/needs")
    response = post_need(client, kid)
    assert response.status_code == 303
    assert "作业辅导" in text(client, "/needs")


def test_a_write_in_another_village_keeps_his_pages_but_not_the_townships(
    homes, places, login_as, stored, app
):
    from liushou.services.helpers import save_helper
    from liushou.services.visits import record_visit
    from tests.conftest import login

    helper = save_helper(
        SYSTEM, ALL, {"name": "干部", "kind": "村干部", "village": places["V02"].id}
    )
    village = login_as("cun1")
    assert visited_on_home(village) == 0
    township = app.test_client()
    login(township, "township")
    assert visited_on_home(township) == 0
    kept = len(stored)
    values = {"visited_on": clock.today().isoformat(), "method": "上门", "helpers": [helper.id]}
    record_visit(SYSTEM, ALL, [homes["other"]], values)  # in V02
    assert visited_on_home(village) == 0
    assert len(stored) == kept  # cun1's home (V01) served as it was
    # The township's figures move with any visit: another user's is shown within a minute
    # (figure_cache `others`), the page drawn again each time, saying when it was counted.
    assert visited_on_home(township) == 0
    assert len(stored) == kept
    figure_cache.clear()  # as a minute later
    assert visited_on_home(township) == 1
    assert len(stored) == kept + 1


def test_another_user_never_gets_someone_elses_page(homes, login_as):
    one = text(login_as("cun1"), "/persons")
    two = text(login_as("cun2"), "/persons")
    assert "童一" in one and "乙童" not in one
    assert "乙童" in two and "童一" not in two
    grid = text(login_as("grid2"), "/persons")  # V01's other grid: nobody there
    assert "童一" not in grid
    assert "cun1" in one and "cun1" not in two  # his name in the header


def test_a_wrong_password_typed_for_him_keeps_his_pages_a_new_name_does_not(
    homes, login_as, stored
):
    cadre = login_as("cun1")
    text(cadre, "/persons")
    stranger = cadre.application.test_client()
    assert login(stranger, "cun1", "wrong-one").status_code == 422  # refused
    assert User.get(User.username == "cun1").failed_logins == 1
    text(cadre, "/persons")
    assert [path for _user, path in stored] == ["/persons?"]  # served as kept
    User.update(display_name="新名字").where(User.username == "cun1").execute()
    assert "新名字" in text(cadre, "/persons")
    assert len(stored) == 2


def test_a_flash_is_never_kept_nor_shown_twice(homes, login_as, stored):
    client = login_as("cun1")
    text(client, "/persons")
    with client.session_transaction() as s:
        s["_flashes"] = [("ok", "消息一次")]
    assert "消息一次" in text(client, "/persons")
    assert "消息一次" not in text(client, "/persons")
    # The page with the flash was not kept; the plain one kept before is served again.
    assert len(stored) == 1


def test_a_new_login_is_a_new_token_and_a_new_page(homes, login_as, client):
    login_as("cun1")
    first = text(client, "/persons")
    with client.session_transaction() as s:
        token = s["csrf_token"]
    post(client, "/logout", token_url="/persons")
    login_as("cun1")
    second = text(client, "/persons")
    with client.session_transaction() as s:
        assert s["csrf_token"] != token
    assert TOKEN.search(first).group(1) != TOKEN.search(second).group(1)
    # The page's form carries this session's token: logging out through it works.
    response = client.post("/logout", data={"csrf_token": TOKEN.search(second).group(1)})
    assert response.status_code in (302, 303)
    assert client.get("/persons").status_code == 302


def test_a_childs_page_is_audited_on_every_read_cached_or_not(homes, login_as, stored):
    client = login_as("cun1")
    kid = homes["kids"][0]
    views = AuditLog.select().where(
        (AuditLog.action == "view")
        & (AuditLog.object_type == "person")
        & (AuditLog.object_id == kid.id)
    )
    text(client, f"/persons/{kid.id}")
    text(client, f"/persons/{kid.id}")
    assert len([p for p in stored if p[1].startswith(f"/persons/{kid.id}")]) == 1
    assert views.count() == 2


def test_a_page_outside_his_area_is_404_even_when_kept_for_another(homes, login_as):
    other = homes["other"]  # V02
    assert "乙童" in text(login_as("cun2"), f"/persons/{other.id}")
    assert login_as("cun1").get(f"/persons/{other.id}").status_code == 404


def test_a_voided_person_leaves_the_kept_list_at_once(homes, login_as):
    client = login_as("cun1")
    assert "童二" in text(client, "/persons")
    void_person(SYSTEM, homes["kids"][1], "重复登记")
    assert "童二" not in text(client, "/persons")


def test_a_new_day_is_a_new_page(homes, login_as, stored):
    client = login_as("cun1")
    day = date(2030, 5, 6)
    with clock.freeze(day):
        text(client, "/visits/due")
        text(client, "/visits/due")
    with clock.freeze(day + timedelta(days=1)):
        text(client, "/visits/due")
    assert len([p for p in stored if p[1].startswith("/visits/due")]) == 2


def test_pages_are_kept_at_most_until_their_age_bound(homes, login_as, stored, later):
    client = login_as("cun1")
    text(client, "/persons")
    later(page_cache._max_age() - 1)
    text(client, "/persons")
    assert len(stored) == 1  # still kept
    later(1)
    text(client, "/persons")  # drawn again (not kept: its list's figures are as old)
    later(figure_cache.AHEAD)  # the list counted again at its own bound
    text(client, "/persons")
    assert len(stored) == 2  # drawn again and kept


def test_one_users_many_pages_push_out_his_own_not_everybodys(homes, login_as, stored, monkeypatch):
    page_cache.clear()
    cadre = login_as("cun1")
    other = cadre.application.test_client()
    assert login(other, "cun2").status_code == 303
    text(other, "/persons")
    one = page_cache.size()[1]
    monkeypatch.setattr(page_cache, "MAX_BYTES", int(4.5 * one))  # about four pages in all
    monkeypatch.setattr(page_cache, "USER_SHARE", 2, raising=False)  # about two a user
    try:
        for n in range(1, 10):
            text(cadre, f"/persons?q={n}")
        assert page_cache.size()[0] <= 3  # his newest two, and cun2's
        text(cadre, "/persons?q=9")  # his newest is still kept
        assert len(stored) == 10
        assert "乙童" in text(other, "/persons")  # cun2's page was kept through all that
        assert len(stored) == 10
    finally:
        page_cache.clear()


def test_memory_is_bounded_the_least_recently_used_dropped_first(homes, login_as, stored):
    page_cache.clear()
    client = login_as("cun1")
    text(client, "/persons?q=0")
    one = page_cache.size()[1]
    budget = 3 * one
    page_cache.MAX_BYTES, kept = budget, page_cache.MAX_BYTES
    try:
        for n in range(1, 8):
            text(client, f"/persons?q={n}")
        pages, size = page_cache.size()
        assert size <= budget and pages <= 3
        text(client, "/persons?q=7")  # the last one is still kept
        assert len(stored) == 8
        text(client, "/persons?q=1")  # an early one was dropped
        assert len(stored) == 9
    finally:
        page_cache.MAX_BYTES = kept
        page_cache.clear()
