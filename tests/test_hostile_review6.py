"""Hostile review of the kept pages (liushou/page_cache.py): what a user relies on seeing on his
next page after a write, and what one user may do to the cache."""

import re

import pytest

from liushou import page_cache
from liushou.services import SYSTEM
from liushou.services.accounts import create_user, update_user
from liushou.services.audit import record
from liushou.services.households import save_household
from tests._helpers import ALL, text
from tests.conftest import PASSWORD, login

ACCOUNTS = re.compile(r"已有 (\d+) 个账号")


pytestmark = pytest.mark.usefixtures("never_slow")


def _new_account(homes, places):
    create_user(
        SYSTEM,
        {
            "username": "cun9",
            "display_name": "新村干部",
            "role": "village",
            "village": places["V02"].id,
            "grids": [],
        },
        PASSWORD,
    )


def _cards_printed(homes, places):
    record(SYSTEM, "print", homes["h1"], object_type="household", label="联系卡")


def _accounts(page):
    return int(ACCOUNTS.search(page).group(1))


def _ticked(page):
    return page.count("✓ 已完成")


@pytest.mark.parametrize(
    "write, counted",
    [(_new_account, _accounts), (_cards_printed, _ticked)],
    ids=["a new account", "printed cards"],
)
def test_a_write_shows_on_the_admins_first_day_checklist_at_once(
    homes, login_as, places, write, counted
):
    client = login_as("admin")
    before = counted(text(client, "/"))
    write(homes, places)
    assert counted(text(client, "/")) == before + 1


def test_the_admins_home_with_an_unfinished_checklist_is_kept_until_it_changes(
    homes, login_as, stored
):
    kept = stored
    client = login_as("admin")
    first = text(client, "/")
    assert "打印便民服务联系卡" in first and text(client, "/") == first
    assert len(kept) == 1  # the second was served as kept
    record(SYSTEM, "print", homes["h1"], object_type="household", label="联系卡")
    assert text(client, "/").count("✓ 已完成") == first.count("✓ 已完成") + 1
    assert len(kept) == 2


def _set_area(user, role, village_id, grids=(), **kw):
    """The account `user` given `role` over the village `village_id` (and `grids`), his name
    kept, through the account service (`active=False`: disabled too)."""
    values = {"display_name": user.display_name, "role": role, "village": village_id}
    update_user(SYSTEM, user, {**values, "grids": list(grids)}, **kw)


def test_a_grid_worker_given_another_grid_sees_its_people_at_once(homes, login_as, places, users):
    client = login_as("grid2")  # V01-G2: nobody
    assert "童一" not in text(client, "/persons")
    user = users["grid2"]
    _set_area(user, "grid", places["V01"].id, [places["V01-G1"].id])
    # His sessions end with the change of area: no page of the old area, and his next login
    # shows the new one.
    assert "童一" not in client.get("/persons").get_data(as_text=True)
    assert "童一" in text(login_as("grid2"), "/persons")


def test_a_village_cadre_moved_to_another_village_loses_the_old_one_at_once(
    homes, login_as, places, users
):
    client = login_as("cun1")
    assert "童一" in text(client, "/persons")
    assert "童一" in text(client, f"/persons/{homes['kids'][0].id}")
    user = users["cun1"]
    _set_area(user, "village", places["V02"].id)
    assert "童一" not in client.get("/persons").get_data(as_text=True)
    assert client.get(f"/persons/{homes['kids'][0].id}").status_code != 200
    client = login_as("cun1")
    assert "童一" not in text(client, "/persons")
    assert client.get(f"/persons/{homes['kids'][0].id}").status_code == 404


def test_a_disabled_account_gets_no_kept_page(homes, login_as, users):
    client = login_as("cun1")
    text(client, "/persons")
    user = users["cun1"]
    _set_area(user, "village", user.village_id, active=False)
    assert client.get("/persons").status_code == 302


def test_a_household_moved_shows_in_both_villages_lists(homes, app, login_as, places):
    one = login_as("cun1")
    two = app.test_client()
    login(two, "cun2")
    assert "童一" in text(one, "/persons")
    assert "童一" not in text(two, "/persons")
    h1 = homes["h1"]
    save_household(
        SYSTEM,
        ALL,
        {"village": places["V02"].id, "grid": places["V02-G1"].id, "head_name": "甲"},
        h1,
    )
    assert "童一" not in text(one, "/persons")
    assert "童一" in text(two, "/persons")


def test_gzip_never_reaches_a_client_that_did_not_ask_for_it(homes, login_as):
    client = login_as("cun1")
    zipped = client.get("/persons", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    plain = client.get("/persons", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    assert "童一" in plain.get_data(as_text=True)
    assert "Accept-Encoding" in zipped.headers["Vary"] and "Cookie" in zipped.headers["Vary"]
    assert zipped.headers["Cache-Control"] == "no-store"


def test_htmx_rows_and_the_full_page_are_never_swapped(homes, login_as):
    client = login_as("cun1")
    full = text(client, "/persons")
    rows = text(client, "/persons", headers={"HX-Request": "true", "HX-Target": "rows"})
    assert "<html" in full.lower() and "<html" not in rows.lower()
    assert text(client, "/persons") == full
    assert text(client, "/persons", headers={"HX-Request": "true", "HX-Target": "rows"}) == rows


def test_a_head_request_is_answered_and_keeps_nothing_wrong(homes, login_as):
    client = login_as("cun1")
    head = client.head("/persons")
    assert head.status_code == 200 and head.get_data() == b""
    assert "童一" in text(client, "/persons")


def test_huge_query_strings_cannot_grow_the_cache_past_its_bound(homes, login_as, monkeypatch):
    """The bound counts what is kept: the keys (a 100 KB query string each) as well as pages."""
    page_cache.clear()
    client = login_as("cun1")
    junk = "x" * 100_000
    for n in range(5):
        text(client, f"/persons?q={n}&pad={junk}")
    assert page_cache.size() == (0, 0)
    text(client, "/persons?q=1")
    pages, counted = page_cache.size()
    assert pages == 1 and counted > len("/persons?q=1") + page_cache.OVERHEAD


def test_a_helper_whose_pairing_ends_loses_the_persons_page_at_once(homes, app, places):
    from liushou.services.helpers import save_helper
    from liushou.services.visits import end_pairing, pair

    teacher = save_helper(
        SYSTEM, ALL, {"name": "王老师", "kind": "教师", "village": places["V01"].id}
    )
    pairing = pair(SYSTEM, ALL, teacher, [homes["kids"][0]])[0]
    create_user(SYSTEM, {"username": "wls", "role": "helper", "helper": teacher.id}, PASSWORD)
    client = app.test_client()
    login(client, "wls")
    assert "童一" in text(client, f"/persons/{homes['kids'][0].id}")
    assert "童一" in text(client, "/visits/due")
    end_pairing(SYSTEM, pairing, reason="调走")
    assert client.get(f"/persons/{homes['kids'][0].id}").status_code == 404
    assert "童一" not in client.get("/visits/due").get_data(as_text=True)


def test_an_emergency_step_turning_overdue_shows_on_a_kept_page(homes, login_as):
    from datetime import datetime, timedelta

    from liushou import clock
    from liushou.services.care import open_emergency

    start = datetime(2030, 5, 6, 8, 0)
    with clock.freeze(start):
        open_emergency(
            SYSTEM,
            homes["kids"][0],
            {"kind": "走失", "discovered_at": "2030-05-06 08:00", "reported_by": "邻居"},
        )
    client = login_as("cun1")
    with clock.freeze(start + timedelta(minutes=1)):  # the police step is due at once
        assert text(client, "/persons").count("已超过时限") == 1
        assert text(client, "/persons").count("已超过时限") == 1
    with clock.freeze(start + timedelta(minutes=20)):  # the township's, after 15 minutes
        assert text(client, "/persons").count("已超过时限") == 2


def test_a_settings_change_shows_on_every_kept_page_of_the_township(homes, login_as):
    from datetime import date

    from liushou.services.settings import update_settings

    client = login_as("cun1")
    assert "测试镇" in text(client, "/persons")
    update_settings(SYSTEM, {"township_name": "改名镇"}, date(2000, 1, 1))
    page = text(client, "/persons")
    assert "改名镇" in page and "测试镇" not in page


def test_two_threads_asking_for_the_same_page_get_the_same_right_page(homes, app, login_as):
    import threading

    client = login_as("cun1")
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    text(client, "/visits/due")  # the session's token made
    page_cache.clear()
    pages, errors = [], []

    def fetch():
        try:
            other = app.test_client()
            other.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)
            pages.append(text(other, "/persons"))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=fetch) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(pages) == 2
    assert pages[0] == pages[1] and "童一" in pages[0]


def test_an_import_confirmed_shows_on_the_kept_list_at_once(homes, login_as, places):
    from liushou.services import importing

    client = login_as("cun1")
    assert "导入童" not in text(client, "/persons")
    rows = [
        ["姓名", "性别", "身份证号", "类别"],
        ["导入童", "男", "620102201503070014", "留守儿童"],
    ]
    plan = importing.plan(rows, places["V01"], ALL)
    assert plan.count("error") == 0, [r.errors for r in plan.rows]
    importing.confirm(SYSTEM, ALL, places["V01"], rows, plan.fingerprint)
    assert "导入童" in text(client, "/persons")


def test_county_township_users_and_settings_never_share_a_kept_page(homes, app, places):
    """A county's instance: T1 holds V01 (童一), T2 holds V02. The same URL for a T1 township
    user, a T2 admin and a county user; a T1 setting changes T1's pages only in their text."""
    from datetime import date

    from liushou.services.settings import update_settings
    from tests.shared.county import make_county

    towns = make_county(places)
    update_settings(SYSTEM, {"township_name": "甲镇"}, date(2000, 1, 1), township=towns["T1"])
    update_settings(SYSTEM, {"township_name": "乙镇"}, date(2000, 1, 1), township=towns["T2"])
    clients = {}
    for name in ("t1cadre", "t2admin", "countyadmin"):
        clients[name] = app.test_client()
        login(clients[name], name)
    pages = {name: text(c, "/persons") for name, c in clients.items()}
    assert "童一" in pages["t1cadre"] and "童一" in pages["countyadmin"]
    assert "童一" not in pages["t2admin"]
    assert "甲镇" in pages["t1cadre"] and "乙镇" in pages["t2admin"]
    update_settings(SYSTEM, {"township_name": "甲乡"}, date(2000, 1, 1), township=towns["T1"])
    assert "甲乡" in text(clients["t1cadre"], "/persons")
    assert "乙镇" in text(clients["t2admin"], "/persons")
    assert "童一" not in text(clients["t2admin"], "/persons")


def test_a_village_renamed_shows_on_places_and_its_cadres_pages(homes, app, login_as, places):
    from liushou.services.places import save_village

    admin = login_as("admin")
    cadre = app.test_client()
    login(cadre, "cun1")
    assert "第1村" in text(admin, "/admin/places") and "第1村" in text(cadre, "/persons")
    v = places["V01"]
    save_village(SYSTEM, {"code": v.code, "name": "新名村", "sort_order": v.sort_order}, v)
    assert "新名村" in text(admin, "/admin/places") and "新名村" in text(cadre, "/persons")
