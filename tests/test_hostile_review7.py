"""Hostile review of the per-request savings: remembered session cookies, the user's row built
once, kept pages with prebuilt headers, figures served after other users' visits, print jobs
and audited reads committed without their fsync. Each test plays a user who tries to get what
he should not (or to lose what he relies on) through the real app."""

import re
import sqlite3
import threading
import time

import pytest

from liushou import clock, print_jobs
from liushou.db import database
from liushou.models import AuditLog
from liushou.printing import pool
from liushou.services import SYSTEM
from liushou.services.accounts import update_user
from liushou.services.helpers import save_helper
from liushou.services.visits import record_visit
from tests._helpers import ALL, add_child, text
from tests.conftest import PASSWORD, login, post

pytestmark = pytest.mark.usefixtures("never_slow")

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
DUE_TODAY = re.compile(r"</b> · 今天 (\d+) · 本周")


def cookie_name(client):
    return client.application.config["SESSION_COOKIE_NAME"]


def cookie(client):
    return client.get_cookie(cookie_name(client)).value


def sent_to_login(response):
    return response.status_code == 302 and "/login" in response.headers["Location"]


def replay(client, value, url="/persons"):
    client.set_cookie(cookie_name(client), value)
    return client.get(url)


# --- remembered session cookies -------------------------------------------------------------


def test_a_logged_out_cookie_replayed_gets_no_page_kept_or_not(homes, login_as):
    client = login_as("cun1")
    assert "童一" in text(client, "/persons") and "童一" in text(client, "/persons")  # kept
    old = cookie(client)
    assert post(client, "/logout").status_code == 303
    assert sent_to_login(replay(client, old))
    assert sent_to_login(replay(client, old, "/"))


@pytest.mark.parametrize(
    "change",
    [
        {"password": "另一个密码Abc123"},
        {"active": False},
        {"values": {"role": "grid", "grids": "V01-G2"}},
        {"values": {"village": "V02"}},
    ],
    ids=["new-password", "deactivated", "role-changed", "moved-village"],
)
def test_an_old_cookie_after_a_change_of_account_gets_no_page_of_the_old_scope(
    homes, login_as, users, places, change
):
    client = login_as("cun1")
    assert "童一" in text(client, "/persons") and "童一" in text(client, "/persons")
    old = cookie(client)
    user = users["cun1"]
    values = {"display_name": user.display_name, "role": "village", "village": places["V01"].id}
    values["grids"] = []
    for key, value in change.get("values", {}).items():
        if key == "grids":
            values["grids"] = [places[value].id]
        elif key == "village":
            values["village"] = places[value].id
        else:
            values[key] = value
    if values["role"] == "grid":
        values["grids"] = values["grids"] or [places["V01-G2"].id]
    update_user(
        SYSTEM,
        user,
        values,
        password=change.get("password"),
        active=change.get("active", True),
    )
    response = replay(client, old)
    assert sent_to_login(response)
    assert "童一" not in response.get_data(as_text=True)


def test_an_idle_cookie_remembered_as_verified_is_expired(homes, login_as, monkeypatch):
    client = login_as("cun1")
    assert "童一" in text(client, "/persons")
    old = cookie(client)
    later = time.time() + 31 * 60
    monkeypatch.setattr(time, "time", lambda: later)
    response = replay(client, old)
    assert sent_to_login(response)


def test_a_cookie_signed_with_an_old_secret_is_refused_though_remembered(homes, login_as, app):
    client = login_as("cun1")
    assert "童一" in text(client, "/persons")
    old = cookie(client)
    app.secret_key = "a new secret"
    assert sent_to_login(replay(client, old))
    app.secret_key = "test"
    assert "童一" in replay(client, old).get_data(as_text=True)  # the same secret again


def test_a_cookie_with_the_same_prefix_and_another_payload_is_refused(homes, login_as, users):
    client = login_as("cun1")
    assert "童一" in text(client, "/persons")
    old = cookie(client)
    payload, _, rest = old.partition(".")
    for forged in (
        old + "x",
        old[:-2],
        old + ".x",
        payload + "." + rest.upper(),
        old + "; liushou_session=x",
    ):
        assert sent_to_login(replay(client, forged)), forged


def test_two_users_cookies_interleaved_on_one_thread_each_get_their_own(homes, app, users):
    one, two = app.test_client(), app.test_client()
    assert login(one, "cun1").status_code == 303 and login(two, "cun2").status_code == 303
    for _ in range(3):
        assert "童一" in text(one, "/persons") and "乙童" not in text(one, "/persons")
        assert "乙童" in text(two, "/persons") and "童一" not in text(two, "/persons")
    # The same cookie string sent by the other client: the cookie decides, nothing else.
    swapped = app.test_client()
    swapped.set_cookie(cookie_name(one), cookie(two))
    assert "乙童" in text(swapped, "/persons") and "童一" not in text(swapped, "/persons")


def test_many_valid_cookies_stay_bounded_and_never_serve_a_wrong_user(
    homes, app, users, monkeypatch
):
    interface = app.session_interface
    monkeypatch.setattr(interface, "REMEMBERED_MAX", 8)
    serializer = interface.get_signing_serializer(app)
    now = int(time.time())
    who = {"cun1": ("童一", "乙童"), "cun2": ("乙童", "童一")}
    client = app.test_client()
    for i in range(40):
        name = "cun1" if i % 3 else "cun2"
        user = users[name]
        value = serializer.dumps({"uid": user.id, "sv": user.session_version, "seen": now - i})
        client.set_cookie(cookie_name(client), value)
        page = text(client, "/persons")
        mine, theirs = who[name]
        assert mine in page and theirs not in page
        assert len(interface._verified) <= 8


# --- kept pages -----------------------------------------------------------------------------


def headers_of(response):
    skip = {"Content-Length", "Set-Cookie", "Date"}
    return {k: v for k, v in response.headers.items() if k not in skip}


@pytest.mark.parametrize("gzip", [True, False])
def test_a_kept_page_carries_every_header_a_drawn_page_has(homes, login_as, stored, gzip):
    client = login_as("cun1")
    extra = {"Accept-Encoding": "gzip"} if gzip else {}
    drawn = client.get("/persons", headers=extra)
    kept = client.get("/persons", headers=extra)
    assert len(stored) == 1  # the second was the kept page
    assert drawn.get_data() == kept.get_data()
    assert headers_of(kept) == headers_of(drawn)
    for name in ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options"):
        assert kept.headers[name]
    assert kept.headers["Cache-Control"] == "no-store"
    assert "Cookie" in kept.headers["Vary"]


def test_a_kept_page_for_htmx_carries_the_same_headers(homes, login_as, stored):
    client = login_as("cun1")
    hx = {"HX-Request": "true", "HX-Target": "results", "Accept-Encoding": "gzip"}
    drawn = client.get("/persons?q=童", headers=hx)
    kept = client.get("/persons?q=童", headers=hx)
    assert len(stored) == 1
    assert headers_of(kept) == headers_of(drawn)


def test_a_head_request_is_answered_like_get_with_no_body(homes, login_as):
    client = login_as("cun1")
    text(client, "/persons")
    text(client, "/persons")  # kept
    head = client.head("/persons")
    assert head.status_code == 200 and head.get_data() == b""
    assert head.headers["Cache-Control"] == "no-store"
    assert head.headers["X-Frame-Options"] == "DENY"
    # A HEAD never fills the cache for a GET of another user.
    other = login_as("cun2")
    assert "童一" not in text(other, "/persons")


def test_a_kept_page_carries_the_csrf_token_of_its_own_session(homes, app, users):
    one, two = app.test_client(), app.test_client()
    login(one, "cun1")
    login(two, "cun1")  # the same user in a second browser: another session, another token
    first = TOKEN.search(text(one, "/persons")).group(1)
    again = TOKEN.search(text(one, "/persons")).group(1)
    second = TOKEN.search(text(two, "/persons")).group(1)
    assert first == again and second != first
    # Each session's page posts with its own token (a kept page's token is not another's).
    response = two.post("/logout", data={"csrf_token": second})
    assert response.status_code == 303
    assert sent_to_login(one.get("/persons"))  # logout ends every session of the user


def test_a_logged_out_page_is_never_served_from_the_cache(homes, client, login_as):
    login_as("cun1")
    text(client, "/persons")
    client.delete_cookie(cookie_name(client))
    response = client.get("/persons")
    assert sent_to_login(response)


# --- figures served after other users' visits (figure_cache `others`) ------------------------


@pytest.fixture
def helper(places):
    return save_helper(SYSTEM, ALL, {"name": "干部", "kind": "村干部", "village": places["V01"].id})


def due_today(client_get):
    page = client_get("/visits/due")
    return int(DUE_TODAY.search(page).group(1))


def visit_form(person, helper, **extra):
    return {
        "persons": [person.id],
        "visited_on": clock.today().isoformat(),
        "method": "电话",
        "helpers": [helper.id],
        "life": "走访",
        **extra,
    }


def test_a_refused_visit_shows_nothing_and_his_next_good_one_at_once(homes, helper, app, login_as):
    mine = login_as("township")
    before = due_today(lambda url: text(mine, url))
    url = f"/persons/{homes['kids'][0].id}/visits/new"
    bad = visit_form(homes["kids"][0], helper, visited_on="2099-01-01")
    response = post(mine, url, bad, token_url=url)
    assert response.status_code == 422
    assert due_today(lambda u: text(mine, u)) == before  # nothing written, nothing lost
    record_visit(SYSTEM, ALL, [homes["kids"][1]], visit_form(homes["kids"][1], helper))
    assert post(mine, url, visit_form(homes["kids"][0], helper), token_url=url).status_code == 303
    assert due_today(lambda u: text(mine, u)) == before - 2  # his own and the earlier one


def test_his_visit_from_one_browser_shows_at_once_in_his_other_browser(
    homes, helper, app, login_as
):
    first = login_as("township")
    second = app.test_client()
    login(second, "township")
    before = due_today(lambda u: text(second, u))
    assert due_today(lambda u: text(first, u)) == before
    url = f"/persons/{homes['kids'][0].id}/visits/new"
    assert post(first, url, visit_form(homes["kids"][0], helper), token_url=url).status_code == 303
    assert due_today(lambda u: text(second, u)) == before - 1


@pytest.mark.parametrize("what", ["registration", "void", "exit", "setting"])
def test_a_change_other_than_a_visit_shows_at_once_on_the_township_worklist(
    homes, helper, login_as, what
):
    from liushou.services.person_exits import exit_person, void_person
    from liushou.services.settings import update_settings

    client = login_as("township")
    page = text(client, "/visits/due")
    assert "童一" in page
    record_visit(SYSTEM, ALL, [homes["kids"][1]], visit_form(homes["kids"][1], helper))
    if what == "registration":
        add_child(homes["h1"], "童新")
        assert "童新" in text(client, "/visits/due")
        return
    if what == "void":
        void_person(SYSTEM, homes["kids"][0], "重复登记")
    elif what == "exit":
        exit_person(
            SYSTEM,
            homes["kids"][0],
            {"exit_reason": "迁出", "exited_on": clock.today().isoformat()},
        )
    else:
        update_settings(SYSTEM, {"township_name": "新名镇"}, clock.today())
        assert "新名镇" in text(client, "/visits/due")
        return
    assert "童一" not in text(client, "/visits/due")


class Server:
    """The app behind a real waitress server with several threads, and a user's cookie jar."""

    def __init__(self, app):
        from waitress import create_server

        self.server = create_server(app, host="127.0.0.1", port=0, threads=4)
        self.base = f"http://127.0.0.1:{self.server.effective_port}"
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()

    def client(self):
        import http.cookiejar
        import urllib.request

        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        return opener

    def get(self, opener, url):
        with opener.open(self.base + url, timeout=30) as response:
            return response.read().decode()

    def post(self, opener, url, data, token_url):
        import urllib.parse

        token = TOKEN.search(self.get(opener, token_url)).group(1)
        body = urllib.parse.urlencode({**data, "csrf_token": token}, doseq=True).encode()
        with opener.open(self.base + url, data=body, timeout=30) as response:
            return response.status, response.read().decode()

    def close(self):
        self.server.close()
        self.thread.join(5)


def test_his_write_on_one_server_thread_reaches_his_pages_on_the_others(homes, helper, app, users):
    from flask import request_started

    threads = set()

    def seen(_sender, **_extra):
        threads.add(threading.current_thread().name)

    request_started.connect(seen, app)
    database.close()  # the server's threads open their own
    server = Server(app)
    try:
        mine, other = server.client(), server.client()
        for opener, name in ((mine, "township"), (other, "admin")):
            server.post(opener, "/login", {"username": name, "password": PASSWORD}, "/login")
        before = due_today(lambda u: server.get(mine, u))
        kids = [homes["kids"][0], homes["kids"][1], homes["other"]]
        for n, person in enumerate(kids, 1):
            url = f"/persons/{person.id}/visits/new"
            # Another user's visit first (may be served late), then his own: at once, whichever
            # of the server's threads took his POST and whichever takes his next page.
            status, _ = server.post(mine, url, visit_form(person, helper), url)
            assert status == 200  # the redirect followed
            for _ in range(4):
                assert due_today(lambda u: server.get(mine, u)) == before - n
        assert len(threads) > 1
    finally:
        server.close()
        request_started.disconnect(seen, app)
        database.connect(reuse_if_open=True)


# --- print jobs -----------------------------------------------------------------------------


def print_job(client, person, monkeypatch):
    """A person's archive asked for while the PDF workers are busy: the job's progress URL."""
    monkeypatch.setattr(pool, "WAITING", 0)
    response = client.get(f"/persons/{person.id}/archive.pdf")
    assert response.status_code == 303, response.status_code
    assert response.location.startswith("/print/jobs/")
    return response.location


def wait_done(client, job):
    for _ in range(240):
        page = text(client, job)
        if "下载 PDF" in page or "生成失败" in page:
            return page
        time.sleep(0.25)
    raise AssertionError("the job never ended")


def test_a_print_job_is_its_owners_only_and_never_downloaded_before_it_is_done(
    homes, app, login_as, monkeypatch
):
    owner = login_as("cun1")
    job = print_job(owner, homes["kids"][0], monkeypatch)
    early = owner.get(job + ".pdf")
    assert early.status_code in (200, 404)  # never a 500, never a part of the PDF
    if early.status_code == 200:
        assert early.get_data().startswith(b"%PDF") and early.get_data().rstrip().endswith(b"%%EOF")
    for name in ("cun2", "township", "admin", "grid2"):
        other = app.test_client()
        login(other, name)
        assert other.get(job).status_code == 404, name
        assert other.get(job + ".pdf").status_code == 404, name
    assert "下载 PDF" in wait_done(owner, job)
    assert owner.get(job + ".pdf").get_data().startswith(b"%PDF")
    # A job id is no counter: the next one is not guessable from his own.
    second = print_job(owner, homes["kids"][1], monkeypatch)
    assert second != job and len(second.rsplit("/", 1)[1]) >= 16
    wait_done(owner, second)


def test_a_job_is_closed_to_its_owner_once_his_area_no_longer_holds_it(
    homes, app, login_as, users, places, monkeypatch
):
    owner = login_as("cun1")
    job = print_job(owner, homes["kids"][0], monkeypatch)
    wait_done(owner, job)
    user = users["cun1"]
    update_user(
        SYSTEM,
        user,
        {"display_name": user.display_name, "role": "village", "village": places["V02"].id},
    )
    again = login_as("cun1")  # his new session, in V02: 童一 is no longer his
    assert again.get(f"/persons/{homes['kids'][0].id}").status_code == 404
    assert again.get(job).status_code == 404
    assert again.get(job + ".pdf").status_code == 404


def test_a_voided_persons_archive_says_on_paper_that_the_registration_is_void(homes, login_as):
    from liushou.services.person_exits import void_person

    client = login_as("cun1")
    child = homes["kids"][0]
    assert "已作废" not in text(client, f"/persons/{child.id}/archive.html")
    void_person(SYSTEM, child, "重复登记")
    # A voided registration keeps its page (struck through) and so its archive; the paper
    # must not pass for a live registration.
    assert "本登记已作废：重复登记" in text(client, f"/persons/{child.id}/archive.html")


def test_parallel_prints_past_the_limit_are_answered_and_all_audited(
    homes, app, users, monkeypatch
):
    monkeypatch.setattr(pool, "WAITING", 1)
    clients = []
    for _ in range(4):
        client = app.test_client()
        login(client, "cun1")
        clients.append(client)
    before = AuditLog.select().where(AuditLog.action == "print").count()
    url = f"/persons/{homes['kids'][0].id}/archive.pdf"
    answers, errors = [], []

    def ask(client):
        try:
            response = client.get(url)
            answers.append((client, response.status_code, response.location))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
        finally:
            if not database.is_closed():
                database.close()

    threads = [threading.Thread(target=ask, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    assert (
        sorted(code for _c, code, _l in answers)
        in ([200, 303, 303, 303], [200] * 2 + [303] * 2, [200] * 3 + [303], [200] * 4)
        and len(answers) == 4
    )
    assert AuditLog.select().where(AuditLog.action == "print").count() == before + 4
    for client, code, location in answers:
        if code == 303:
            assert "下载 PDF" in wait_done(client, location)


# --- audited reads --------------------------------------------------------------------------


def second_connection(app):
    if database.is_postgres:
        import psycopg

        return psycopg.connect(app.config["DATABASE"])
    return sqlite3.connect(app.config["DATABASE"])


def test_an_audited_childs_read_is_committed_before_the_page_leaves(homes, app, login_as):
    client = login_as("cun1")
    child = homes["kids"][0]
    reader = second_connection(app)
    try:
        sql = "SELECT COUNT(*) FROM audit_log WHERE action = 'view' AND object_id = %s"
        if not database.is_postgres:
            sql = sql.replace("%s", "?")
        for n in range(1, 5):  # drawn, then kept: each read its row, seen from outside at once
            assert child.name in text(client, f"/persons/{child.id}")
            assert reader.execute(sql, (child.id,)).fetchone()[0] == n
    finally:
        reader.close()


def test_one_user_asking_again_and_again_queues_no_more_than_his_share(
    homes, app, login_as, monkeypatch
):
    owner = login_as("cun1")
    monkeypatch.setattr(pool, "WAITING", 0)
    before = AuditLog.select().where(AuditLog.action == "print").count()
    url = f"/persons/{homes['kids'][0].id}/archive.pdf"
    # His jobs are held unfinished while he asks (the workers' hands full) until `done`.
    done = threading.Event()

    class Held(pool.Job):
        def pdf(self, parts, timeout=pool.TIMEOUT):
            done.wait(60)
            return super().pdf(parts, timeout)

    monkeypatch.setattr(pool, "Job", Held)
    answers = [owner.get(url) for _ in range(print_jobs.PER_USER + 2)]
    codes = [a.status_code for a in answers]
    assert codes == [303] * print_jobs.PER_USER + [503] * 2
    refused = answers[-1].get_data(as_text=True)
    assert "正在后台生成" in refused and "请等它们完成后再打印" in refused
    # A card batch asked for as a job is refused the same way, with no audit row of its own.
    batch = post(owner, "/print/jobs", {"village": homes["h1"].village_id}, token_url="/print")
    assert batch.status_code == 503 and "正在后台生成" in batch.get_data(as_text=True)
    made = codes.count(303)
    assert AuditLog.select().where(AuditLog.action == "print").count() == before + made
    with print_jobs._LOCK:
        assert print_jobs._unfinished(owner_id(app, "cun1")) <= print_jobs.PER_USER
    # Another user is not held back by his queue.
    other = app.test_client()
    login(other, "cun2")
    assert other.get(f"/persons/{homes['other'].id}/archive.pdf").status_code == 303
    done.set()
    for a in answers[: print_jobs.PER_USER]:
        assert "下载 PDF" in wait_done(owner, a.location)
    assert owner.get(url).status_code == 303  # his jobs done: he may print again


def owner_id(app, username):
    from liushou.models import User

    return User.get(User.username == username).id
