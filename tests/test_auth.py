"""Logging in: passwords, lockout after 5 failures, idle expiry, CSRF, roles."""

from datetime import datetime, timedelta

from liushou.models import AuditLog, User
from tests.conftest import PASSWORD, csrf_token, login, post


def test_login_and_logout(client, users):
    response = login(client, "cun1")
    assert response.status_code == 303 and response.location == "/"
    page = client.get("/").get_data(as_text=True)
    assert "cun1" in page and "第1村" in page
    response = post(client, "/logout")
    assert response.status_code == 303
    assert client.get("/").status_code == 302


def test_login_page_redirect_keeps_target(client, users):
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert response.location.startswith("/login?next=/admin/users")
    token = csrf_token(client, response.location)
    response = client.post(
        "/login?next=/admin/users",
        data={"username": "admin", "password": PASSWORD, "csrf_token": token},
    )
    assert response.location == "/admin/users"


def test_open_redirect_refused(client, users):
    token = csrf_token(client)
    response = client.post(
        "/login?next=//evil.example/",
        data={"username": "admin", "password": PASSWORD, "csrf_token": token},
    )
    assert response.location == "/"


def test_wrong_password_message_next_to_field(client, users):
    response = login(client, "cun1", "wrong-pass1")
    assert response.status_code == 422
    assert "登录名或密码不正确" in response.get_data(as_text=True)


def test_lockout_after_five_failures_refuses_right_password(client, users):
    for _ in range(5):
        assert login(client, "cun1", "wrong-pass1").status_code == 422
    response = login(client, "cun1", PASSWORD)
    assert response.status_code == 422
    assert "已锁定" in response.get_data(as_text=True)
    user = User.get(User.username == "cun1")
    assert user.locked_until > datetime.now() + timedelta(minutes=29)
    failed = (
        AuditLog.select()
        .where((AuditLog.action == "login_failed") & (AuditLog.username == "cun1"))
        .count()
    )
    assert failed == 6
    # The audit page shows the attempts to an admin.
    login(client, "admin")
    page = client.get("/admin/audit?action=login_failed").get_data(as_text=True)
    assert page.count("登录失败") >= 6


def test_lock_expires_after_thirty_minutes(client, users):
    user = users["cun1"]
    user.locked_until = datetime.now() - timedelta(seconds=1)
    user.save()
    assert login(client, "cun1").status_code == 303


def test_unknown_user_is_audited_without_revealing(client, users):
    response = login(client, "nobody", "whatever1")
    assert "登录名或密码不正确" in response.get_data(as_text=True)
    assert AuditLog.select().where(AuditLog.object_label == "nobody").exists()


def test_post_without_csrf_token_is_refused(client, users):
    response = client.post("/login", data={"username": "cun1", "password": PASSWORD})
    assert response.status_code == 400
    assert "页面已过期" in response.get_data(as_text=True)


def test_idle_session_expires(app, client, users):
    login(client, "cun1")
    with client.session_transaction() as s:
        s["seen"] -= 31 * 60
    response = client.get("/")
    assert response.status_code == 302
    assert "自动退出" in client.get("/login").get_data(as_text=True)


def test_session_renewed_at_login(client, users):
    client.get("/login")
    with client.session_transaction() as s:
        s["planted"] = "attacker"
    login(client, "cun1")
    with client.session_transaction() as s:
        assert "planted" not in s


def test_cookie_flags(client, users):
    response = login(client, "cun1")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_leader_is_read_only(login_as, places):
    client = login_as("leader")
    assert client.get("/").status_code == 200
    response = post(client, "/account/password", {"old": "x", "new": "y"})
    assert response.status_code == 422  # a leader may still change his own password
    assert client.get("/admin/places").status_code == 403


def test_non_admin_cannot_reach_admin_pages(login_as):
    client = login_as("township")
    for url in ("/admin/users", "/admin/places", "/admin/settings", "/admin/audit"):
        assert client.get(url).status_code == 403
    assert post(client, "/admin/places/villages/new", {"name": "x", "code": "X"}).status_code == 403


def test_change_own_password(login_as, client):
    login_as("cun1")
    response = post(client, "/account/password", {"old": PASSWORD, "new": "short"})
    assert "至少 8 位" in response.get_data(as_text=True)
    response = post(client, "/account/password", {"old": PASSWORD, "new": "newpass123"})
    assert response.status_code == 303
    post(client, "/logout")
    assert login(client, "cun1", "newpass123").status_code == 303


def test_parallel_wrong_passwords_check_exactly_five(app, users, monkeypatch):
    """16 clients send 48 wrong passwords at once: the lock holds after exactly 5 checks."""
    import threading

    from werkzeug.security import generate_password_hash

    from liushou.services import passwords

    real_hash = generate_password_hash(PASSWORD, method="scrypt")  # slow, as in production
    User.update(password_hash=real_hash).where(User.username == "cun1").execute()
    checked, lock = [], threading.Lock()
    real_check = passwords.check_password_hash

    def counting_check(pwhash, password):
        if pwhash == real_hash:
            with lock:
                checked.append(password)
        return real_check(pwhash, password)

    monkeypatch.setattr(passwords, "check_password_hash", counting_check)
    clients = [app.test_client() for _ in range(16)]
    tokens = [csrf_token(c, "/login") for c in clients]
    start, statuses, errors = threading.Barrier(16), [], []

    def attack(client, token):
        try:
            start.wait(10)
            for _ in range(3):
                response = client.post(
                    "/login",
                    data={"username": "cun1", "password": "wrong-pass1", "csrf_token": token},
                )
                statuses.append(response.status_code)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [
        threading.Thread(target=attack, args=pair) for pair in zip(clients, tokens, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert len(statuses) == 48 and set(statuses) == {422}
    assert len(checked) == 5
    assert User.get(User.username == "cun1").locked_until > datetime.now()
    assert login(app.test_client(), "cun1").status_code == 422  # locked: the right one too
    assert len(checked) == 5


# --- revocable sessions: a cookie copied before the change no longer opens a page ---------


def _copied_session(app, name):
    """Log a fresh client in as `name`; returns (that client, a copy of its session cookie)."""
    client = app.test_client()
    assert login(client, name).status_code == 303
    cookie = app.config["SESSION_COOKIE_NAME"]
    return client, client.get_cookie(cookie).value


def _replay(app, value):
    """A stranger's client carrying the copied cookie: the status of a village page."""
    other = app.test_client()
    other.set_cookie(app.config["SESSION_COOKIE_NAME"], value)
    return other.get("/persons").status_code


def _admin_edits(app, users, places, **change):
    admin = app.test_client()
    assert login(admin, "admin").status_code == 303
    user = users["cun1"]
    form = {
        "display_name": user.display_name,
        "role": user.role,
        "village": places["V01"].id,
        "phone": "",
        "active": "1",
        **change,
    }
    response = post(admin, f"/admin/users/{user.id}", form, token_url=f"/admin/users/{user.id}")
    assert response.status_code == 303, response.get_data(as_text=True)


def test_logout_ends_a_copied_session(app, users):
    client, copied = _copied_session(app, "cun1")
    assert _replay(app, copied) == 200
    assert post(client, "/logout").status_code == 303
    assert _replay(app, copied) == 302


def test_password_change_ends_other_sessions_but_not_this_one(app, users):
    client, copied = _copied_session(app, "cun1")
    response = post(
        client,
        "/account/password",
        {"old": PASSWORD, "new": "new-secret-pw9"},
        token_url="/account/password",
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    assert client.get("/persons").status_code == 200
    assert _replay(app, copied) == 302


def test_admin_setting_a_password_ends_the_users_sessions(app, users, places):
    _client, copied = _copied_session(app, "cun1")
    _admin_edits(app, users, places, password="reset-by-admin9")
    assert _replay(app, copied) == 302


def test_role_change_ends_the_users_sessions(app, users, places):
    _client, copied = _copied_session(app, "cun1")
    _admin_edits(app, users, places, role="grid", grids=str(places["V01-G1"].id))
    assert _replay(app, copied) == 302


def test_area_change_ends_the_users_sessions(app, users, places):
    _client, copied = _copied_session(app, "cun1")
    _admin_edits(app, users, places, village=places["V02"].id)
    assert _replay(app, copied) == 302


def test_disabling_ends_the_users_sessions(app, users, places):
    _client, copied = _copied_session(app, "cun1")
    _admin_edits(app, users, places, active="")
    assert _replay(app, copied) == 302


def test_a_harmless_edit_keeps_the_session(app, users, places):
    _client, copied = _copied_session(app, "cun1")
    _admin_edits(app, users, places, display_name="新名字")
    assert _replay(app, copied) == 200
