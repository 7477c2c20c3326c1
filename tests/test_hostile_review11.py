"""Hostile review 11: this session's changes attacked through the real app.

The signed-in user's kept row (auth._active_user) against every way an account changes (this
server, another process on the same database, threads, two databases); a form's version checked
again inside its save when two saves come at once (forms whose version covers rows of other
tables: an activity's list, an account's grids, a helper's areas); the warm-up page's readers;
a child's view audited before his page under a held lock; a birth-date correction by a new ID
number against the kept periods."""

import os
import subprocess
import sys
import threading
import time
from datetime import date

import pytest

from liushou import auth, clock, db_generation
from liushou.db import database
from liushou.models import AuditLog, Person, User
from liushou.scope import Scope
from liushou.services import SYSTEM
from tests.conftest import PASSWORD, client_as, login, post
from tests.formdata import editor, read_form, replace, two_editors
from tests.shared.at_once import saves_at_once

pytestmark = pytest.mark.usefixtures("never_slow")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _to_login(response):
    return response.status_code == 302 and "/login" in response.headers["Location"]


# --- the kept user row: an account changed by a second server process -------------------------

# A second server process on the same database (its own memory, its writes not shared as a
# command's are): it changes an account through the services, as its admin's page would.
_CHANGE = """
import sys
from liushou import create_app
from liushou.db import database
from liushou.models import User
from liushou.services import SYSTEM
from liushou.services.accounts import end_sessions, update_user

create_app({"TESTING": True, "DATABASE": sys.argv[1], "SECRET_KEY": "test"})
database.connect(reuse_if_open=True)
user = User.get(User.username == sys.argv[2])
action = sys.argv[3]
if action == "logout":
    with database.atomic():
        end_sessions(user)
else:
    values = {
        "display_name": user.display_name,
        "role": user.role,
        "village": user.village_id,
        "grids": user.grid_ids,
    }
    if action == "role":
        values.update(role="village", village=int(sys.argv[4]))
    if action == "grids":
        values["grids"] = [int(sys.argv[4])]
    update_user(SYSTEM, user, values, active=action != "disable")
database.close()
"""


def _second_server(app, *args):
    done = subprocess.run(
        [sys.executable, "-c", _CHANGE, str(app.config["DATABASE"]), *map(str, args)],
        cwd=ROOT,
        env={**os.environ},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    "username, action",
    [("cun1", "disable"), ("cun1", "logout"), ("township", "role")],
    ids=["disabled", "sessions-ended", "made-a-cadre-of-another-village"],
)
def test_an_account_change_by_another_server_process_counts_at_the_next_request(
    app, homes, places, users, monkeypatch, username, action
):
    """A second server on the same database disables an account, ends its sessions, or makes a
    township cadre a village cadre of V02: this server's very next request of that user (his
    row kept here) must not show him a child of V01; his session is over. (Not the age bound:
    his kept row here is told to be good for an hour.)"""
    monkeypatch.setattr(auth, "USER_ROW_SECONDS", 3600.0)
    monkeypatch.setitem(db_generation.CHECK_EVERY, "postgres", 0.0)
    kid = homes["kids"][0]
    client = client_as(app, username)
    url = f"/persons/{kid.id}"
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200  # his row kept
    _second_server(app, username, action, places["V02"].id)
    response = client.get(url)
    assert _to_login(response), response.status_code
    assert "童一" not in response.get_data(as_text=True)


def test_a_grid_worker_moved_by_another_server_process_sees_his_new_grid(
    app, homes, places, users, monkeypatch
):
    """A second server on the same database moves grid worker grid1 from 1组 to 2组: when he
    logs in again here, his list holds 2组's child, never 1组's (his area is not kept from
    before the move)."""
    from tests._helpers import add_child
    from tests.shared.town import household

    monkeypatch.setitem(db_generation.CHECK_EVERY, "postgres", 0.0)
    add_child(household(places, "V01-G2", "丙"), "丙童")
    client = client_as(app, "grid1")
    page = client.get("/persons").get_data(as_text=True)
    assert "童一" in page and "丙童" not in page
    _second_server(app, "grid1", "grids", places["V01-G2"].id)
    assert _to_login(client.get("/persons"))
    client = client_as(app, "grid1")
    page = client.get("/persons").get_data(as_text=True)
    assert "丙童" in page and "童一" not in page


# --- the kept user row: changes made through this server -------------------------------------


def _values(user, **changed):
    return {
        "display_name": user.display_name,
        "role": user.role,
        "village": user.village_id,
        "grids": user.grid_ids,
        "township": user.township_id,
        **changed,
    }


def _disable(app, users, places):
    from liushou.services.accounts import update_user

    update_user(SYSTEM, users["cun1"], _values(users["cun1"]), active=False)


def _role(app, users, places):
    from liushou.services.accounts import update_user

    user = users["cun1"]
    update_user(SYSTEM, user, _values(user, role="village", village=places["V02"].id))


def _reset(app, users, places):
    admin = client_as(app, "admin")
    answer = post(admin, f"/admin/users/{users['cun1'].id}/reset", token_url="/admin/users")
    assert answer.status_code == 200


def _logout_elsewhere(app, users, places):
    other = client_as(app, "cun1")
    assert post(other, "/logout").status_code == 303


def _own_password(app, users, places):
    other = client_as(app, "cun1")
    new = "Xin2026mima"
    answer = post(
        other,
        "/account/password",
        {"old": PASSWORD, "new": new, "confirm": new},
        token_url="/account/password",
    )
    assert answer.status_code == 303, answer.get_data(as_text=True)[:1500]


@pytest.mark.parametrize(
    "change",
    [_disable, _role, _reset, _logout_elsewhere, _own_password],
    ids=["disabled", "another-village", "password-reset", "logout-everywhere", "own-password"],
)
def test_an_account_change_by_this_server_counts_at_the_next_request(
    app, homes, places, users, monkeypatch, change
):
    """The cadre of V01 reads a child's page (his row kept); then his account is disabled, made
    the cadre of V02, its password reset by the admin, all its sessions ended from another
    browser, or its password changed there: this browser's next request is sent to the login
    page, never the child's page."""
    monkeypatch.setattr(auth, "USER_ROW_SECONDS", 3600.0)
    kid = homes["kids"][0]
    client = client_as(app, "cun1")
    url = f"/persons/{kid.id}"
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200
    change(app, users, places)
    response = client.get(url)
    assert _to_login(response), response.status_code


def test_requests_in_flight_while_the_account_is_disabled(app, homes, users, monkeypatch):
    """Four browsers of one cadre keep asking for a child's page while the admin disables his
    account: every request that starts after the admin's save returned is sent to the login
    page."""
    from liushou.services.accounts import update_user

    monkeypatch.setattr(auth, "USER_ROW_SECONDS", 3600.0)
    kid = homes["kids"][0]
    url = f"/persons/{kid.id}"
    clients = [client_as(app, "cun1") for _ in range(4)]
    disabled, stop, asked = threading.Event(), threading.Event(), threading.Event()
    late = []  # (status) of requests started after the disable

    def browse(client):
        while not stop.is_set():
            after = disabled.is_set()
            response = client.get(url)
            asked.set()
            if after:
                late.append(response.status_code)
                if len(late) >= 12:
                    stop.set()

    threads = [threading.Thread(target=browse, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    assert asked.wait(60)  # the browsers are asking
    user = User.get_by_id(users["cun1"].id)
    update_user(SYSTEM, user, _values(user), active=False)
    disabled.set()
    for t in threads:
        t.join(60)
    stop.set()
    assert late and set(late) == {302}, late


def test_a_user_row_of_one_database_never_serves_another(app, tmp_path, homes, users, monkeypatch):
    """Two apps in one process on two databases (as the tests make many): the same account id
    is a V01 cadre in the first and a disabled account in the second. A cookie of the first
    (same secret key) sent to the second finds the second's row: refused."""
    from tests.conftest import make_app

    monkeypatch.setattr(auth, "USER_ROW_SECONDS", 3600.0)
    client = client_as(app, "cun1")
    kid = homes["kids"][0]
    assert client.get(f"/persons/{kid.id}").status_code == 200
    uid = users["cun1"].id
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value

    second = make_app(tmp_path / "second")
    database.connect(reuse_if_open=True)
    from liushou.services.accounts import create_user

    for n in range(1, uid + 1):
        create_user(
            SYSTEM,
            {"username": f"b{n}", "display_name": f"乙库{n}", "role": "township"},
            PASSWORD,
        )
    User.update(active=False).where(User.id == uid).execute()
    other = second.test_client()
    other.set_cookie(second.config["SESSION_COOKIE_NAME"], cookie)
    response = other.get("/")
    assert _to_login(response), response.status_code


# --- two saves of one form version at once: versions covering other tables' rows ---------------


def _one_passes(responses):
    statuses = [r.status_code for r in responses]
    assert sorted(statuses) == [303, 409], [r.get_data(as_text=True)[:1500] for r in responses]
    won = statuses.index(303)
    assert "别人已修改了这条记录" in responses[1 - won].get_data(as_text=True)
    return won


def test_two_corrections_of_an_activity_s_list_at_once_one_passes(app, homes, monkeypatch):
    """An activity invited 童一 and 童二, 童一 came. One cadre ticks that 童二 came too; another,
    at the same instant, takes 童二 off the list. One save passes, the other answers 409, and
    the list stored is the first's (neither undone silently)."""
    from liushou.models.records import Attendance
    from liushou.services.activities import save_activity

    one, two = homes["kids"]
    activity = save_activity(
        SYSTEM,
        Scope(everything=True),
        {
            "village": homes["h1"].village_id,
            "kind": "生日会",
            "title": "集体生日会",
            "held_on": "2026-01-05",
            "persons": [one.id, two.id],
            "attended": [one.id],
        },
    )
    url = f"/activities/{activity.id}/edit"
    (first, form_first), (second, form_second) = two_editors(app, url)
    came = replace(form_first, attended=[str(one.id), str(two.id)])
    off = replace(form_second, persons=[str(one.id)], attended=[str(one.id)])
    won = _one_passes(
        saves_at_once(
            monkeypatch,
            [lambda: first.post(url, data=came), lambda: second.post(url, data=off)],
        )
    )
    rows = {
        a.person_id: a
        for a in Attendance.with_voided().where(Attendance.activity == activity.id)
        if not a.voided
    }
    if won == 0:
        assert set(rows) == {one.id, two.id} and rows[two.id].attended
    else:
        assert set(rows) == {one.id}


def test_two_saves_of_an_account_s_grids_at_once_one_passes(app, places, users, monkeypatch):
    """Two admins move grid worker grid1 at the same instant, one to 2组 only, the other to 1组
    and 2组: one save passes, the other answers 409, and the grids stored are the first's."""
    user = users["grid1"]
    url = f"/admin/users/{user.id}"
    g1, g2 = places["V01-G1"].id, places["V01-G2"].id
    chosen = ([g2], [g1, g2])
    (first, form_first), (second, form_second) = two_editors(app, url)
    won = _one_passes(
        saves_at_once(
            monkeypatch,
            [
                lambda: first.post(url, data=replace(form_first, grids=list(map(str, chosen[0])))),
                lambda: second.post(
                    url, data=replace(form_second, grids=list(map(str, chosen[1])))
                ),
            ],
        )
    )
    assert sorted(User.get_by_id(user.id).grid_ids) == sorted(chosen[won])


def test_two_saves_of_a_helper_s_areas_at_once_one_passes(app, places, users, monkeypatch):
    """Two people change a helper's areas at the same instant (one adds 第2村, the other narrows
    him to 1组): one passes, the other answers 409, and the areas stored are the first's."""
    from liushou.models.helpers import Helper
    from liushou.services.helpers import save_helper

    v1, v2 = places["V01"].id, places["V02"].id
    helper = save_helper(
        SYSTEM, Scope(everything=True), {"name": "李老师", "kind": "教师", "areas": [f"v:{v1}"]}
    )
    url = f"/helpers/{helper.id}/edit"
    chosen = ([f"v:{v1}", f"v:{v2}"], [f"g:{places['V01-G1'].id}"])
    (first, form_first), (second, form_second) = two_editors(app, url)
    won = _one_passes(
        saves_at_once(
            monkeypatch,
            [
                lambda: first.post(url, data=replace(form_first, areas=chosen[0])),
                lambda: second.post(url, data=replace(form_second, areas=chosen[1])),
            ],
        )
    )
    stored = Helper.get_by_id(helper.id)
    areas = sorted(f"g:{a.grid_id}" if a.grid_id else f"v:{a.village_id}" for a in stored.areas)
    assert areas == sorted(chosen[won])


def test_two_corrections_of_an_emergency_s_time_at_once_then_saved_again(app, homes, monkeypatch):
    """Two people correct when a child went missing at the same instant (07:00 and 07:30): one
    passes, the other's 409 page shows both. Saving that page again as it came back applies his
    time (as for a conflict found before the save), not a second 409 over a time that only
    looks different (the form's minutes against the stored seconds)."""
    from liushou.models.care import Emergency
    from liushou.services.emergencies import open_emergency

    kid = homes["kids"][0]
    emergency = open_emergency(
        SYSTEM, kid, {"kind": "走失", "discovered_at": "2026-01-05 08:00", "reported_by": "王建国"}
    )
    url = f"/emergencies/{emergency.id}/edit"
    times = ("2026-01-05T07:00", "2026-01-05T07:30")
    (first, form_first), (second, form_second) = two_editors(app, url)
    why = "核实后更正"
    clients = (first, second)
    responses = saves_at_once(
        monkeypatch,
        [
            lambda: first.post(
                url, data=replace(form_first, discovered_at=times[0], correction_reason=why)
            ),
            lambda: second.post(
                url, data=replace(form_second, discovered_at=times[1], correction_reason=why)
            ),
        ],
    )
    won = _one_passes(responses)
    lost = 1 - won
    again = read_form(responses[lost].get_data(as_text=True))
    assert again["discovered_at"] == times[lost]
    saved = clients[lost].post(url, data=again)
    assert saved.status_code == 303, saved.get_data(as_text=True)[:2000]
    stored = Emergency.get_by_id(emergency.id).discovered_at
    assert stored.strftime("%Y-%m-%dT%H:%M") == times[lost]


def test_two_saves_of_a_person_s_ticked_list_at_once_then_saved_again(app, homes, monkeypatch):
    """Two people tick two of the carer's disqualifiers at the same instant, each another two:
    one passes, the other's 409 page shows both; saving that page again as it came back
    applies his choice, not a second 409 over a list that only looks different (stored in the
    options' order, compared as the form shows it)."""
    from liushou.models.persons import CARER_DISQUALIFIERS

    kid = homes["kids"][0]
    url = f"/persons/{kid.id}/edit"
    # Two of them each, whose order in the options is not their order as text.
    picked = CARER_DISQUALIFIERS
    chosen = ([picked[0], picked[2]], [picked[1], picked[3]])
    assert all(sorted(c) != c for c in chosen)
    (first, form_first), (second, form_second) = two_editors(app, url)
    clients = (first, second)
    responses = saves_at_once(
        monkeypatch,
        [
            lambda: first.post(url, data=replace(form_first, carer_disqualifiers=chosen[0])),
            lambda: second.post(url, data=replace(form_second, carer_disqualifiers=chosen[1])),
        ],
    )
    won = _one_passes(responses)
    lost = 1 - won
    again = read_form(responses[lost].get_data(as_text=True))
    assert sorted(again.getlist("carer_disqualifiers")) == sorted(chosen[lost])
    saved = clients[lost].post(url, data=again)
    assert saved.status_code == 303, saved.get_data(as_text=True)[:2000]
    stored = Person.get_by_id(kid.id).carer_disqualifiers.split(",")
    assert sorted(stored) == sorted(chosen[lost])


def test_a_forged_version_writes_nothing(app, homes):
    """A posted edit form whose version is made up (or of another record's form) is answered as
    a conflict (409) with the Chinese message; nothing of it is written."""
    kid = homes["kids"][0]
    url = f"/persons/{kid.id}/edit"
    client, form = editor(app, url)
    forged = replace(form, school="伪造中学", _version="abc123")
    response = client.post(url, data=forged)
    assert response.status_code == 409
    assert "别人已修改了这条记录" in response.get_data(as_text=True)
    assert Person.get_by_id(kid.id).school != "伪造中学"
    other = homes["kids"][1]
    _, other_form = editor(app, f"/persons/{other.id}/edit")
    borrowed = replace(form, name="冒名", _version=other_form["_version"])
    response = client.post(url, data=borrowed)
    assert response.status_code in (409, 422)
    assert Person.get_by_id(kid.id).name == "童一"


# --- the warm-up page ----------------------------------------------------------------------------


@pytest.mark.parametrize("username, status", [("cun1", 403), ("grid1", 403), ("leader", 403)])
def test_the_warm_up_page_is_an_admin_s(app, users, username, status):
    assert client_as(app, username).get("/admin/warm-up").status_code == status
    assert client_as(app, "admin").get("/admin/warm-up").status_code == 200


def test_a_helper_s_login_does_not_learn_of_the_warm_up_page(app, places, users):
    from liushou.services.accounts import create_user
    from tests.shared.town import helper

    linked = helper(places, "张帮扶")
    create_user(
        SYSTEM,
        {"username": "bf1", "display_name": "张帮扶", "role": "helper", "helper": linked.id},
        PASSWORD,
    )
    client = app.test_client()
    assert login(client, "bf1").status_code == 303
    assert client.get("/admin/warm-up").status_code == 404


# --- a child's view audited before his page, the write lock held elsewhere ----------------------


@pytest.fixture
def short_lock_waits(monkeypatch):
    """Every audited read a relaxed one; a lock is waited for 0.2 s (SQLite's audit connection,
    PostgreSQL's new connections)."""
    from liushou import db
    from liushou.services import audit

    monkeypatch.setattr(audit, "READ_SYNC_SECONDS", 3600.0)
    monkeypatch.setattr(audit, "_synced", [time.monotonic()])
    monkeypatch.setitem(audit.PRAGMAS, "busy_timeout", 200)
    monkeypatch.setattr(db, "PG_LOCK_TIMEOUT_MS", 200)
    audit.close_reader()
    yield
    audit.close_reader()


def test_a_child_s_page_under_a_held_lock_is_busy_and_shows_nothing(app, homes, short_lock_waits):
    """Another connection holds the audit log's lock (SQLite: the write lock; PostgreSQL: a table
    lock) while a cadre opens a child's page: he gets the Chinese busy page (503) with nothing of
    the child, and no audit row; once the lock is gone the same page is served with one row."""
    kid = homes["kids"][0]
    client = client_as(app, "cun1")
    url = f"/persons/{kid.id}"
    assert client.get(url).status_code == 200  # kept from now on

    def views():
        with database.connection_context():
            return (
                AuditLog.select()
                .where((AuditLog.action == "view") & (AuditLog.object_id == kid.id))
                .count()
            )

    before = views()
    if not database.is_closed():
        database.close()
    database.close_idle()  # the requests' connections made again, with the short lock wait
    if database.is_postgres:
        import psycopg

        holder = psycopg.connect(database.obj.database, **database.obj.connect_params)
        holder.execute("LOCK TABLE audit_log IN SHARE MODE")
    else:
        import sqlite3

        holder = sqlite3.connect(database.database, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
    try:
        response = client.get(url)
        body = response.get_data(as_text=True)
    finally:
        holder.rollback() if database.is_postgres else holder.execute("ROLLBACK")
        holder.close()
    assert response.status_code == 503
    assert "繁忙" in body or "稍后" in body
    assert "童一" not in body
    assert views() == before
    assert client.get(url).status_code == 200
    assert views() == before + 1


# --- a birth-date correction through a new ID number ---------------------------------------------


def test_a_new_id_number_that_moves_the_birth_date_leaves_kept_equal_to_live(
    app, places, users, monkeypatch
):
    """An elder registered with his ID number (85: 25 yuan a month of 高龄补贴) in a closed,
    kept month; the township types his right ID number (95: 120 a month), which moves his birth
    date: the month read from its kept rows says what the live count says."""
    from liushou.rules.idcard import check_digit
    from tests.shared.allowance import _benefit, _person
    from tests.shared.kept import live_and_kept, this_month_kept
    from tests.shared.town import household

    def number(year):
        first = f"620102{year}0101001"
        return first + check_digit(first)

    today = clock.today()
    home = household(places, "V01-G1", "一")
    elder = _person(home, "老乙", None, id_number=number(today.year - 85))
    _benefit(elder, f"{today.year - 1}-01-01")
    with this_month_kept() as (start, end):
        live, kept = live_and_kept(monkeypatch, start, end)
        assert live == kept
        client, form = editor(app, f"/persons/{elder.id}/edit")
        changed = replace(form, id_number=number(today.year - 95), birth_date="")
        saved = client.post(f"/persons/{elder.id}/edit", data=changed)
        assert saved.status_code == 303, saved.get_data(as_text=True)[:2000]
        assert Person.get_by_id(elder.id).birth_date == date(today.year - 95, 1, 1)
        live, kept = live_and_kept(monkeypatch, start, end)
        assert live == kept
