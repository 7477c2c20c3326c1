"""Security headers on every response, the session cookie's flags, a fresh session at login."""

import re

import pytest

from tests.conftest import csrf_token, login

ALLOWED_SOURCES = {"'self'", "'none'", "data:"}
REQUIRED = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'"},
    "frame-ancestors": {"'none'"},
    "object-src": {"'none'"},
    "base-uri": {"'self'"},
    "form-action": {"'self'"},
}


def policy(response):
    """The Content-Security-Policy as {directive: set of sources}."""
    out = {}
    for part in response.headers["Content-Security-Policy"].split(";"):
        if part.strip():
            name, *sources = part.split()
            assert name not in out, f"{name} given twice"
            out[name] = set(sources)
    return out


def assert_safe_headers(response, url):
    csp = policy(response)
    for name, sources in csp.items():
        # Only this host (and data: images): no external host, no scheme wildcard, no inline code.
        assert sources <= ALLOWED_SOURCES, f"{url}: {name} allows {sources - ALLOWED_SOURCES}"
    for name, sources in REQUIRED.items():
        assert csp.get(name) == sources, f"{url}: {name} is {csp.get(name)}"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in ("same-origin", "no-referrer")
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    "url, status",
    [
        ("/login", 200),
        ("/static/style.css", 200),
        ("/", 302),
        ("/no-such-page", 404),
    ],
)
def test_security_headers_logged_out(client, users, url, status):
    response = client.get(url)
    assert response.status_code == status
    assert_safe_headers(response, url)


def test_security_headers_logged_in_and_on_posts(login_as):
    client = login_as("admin")
    for url in ("/", "/admin/settings", "/admin/places", "/persons/999999"):
        response = client.get(url)
        assert response.status_code in (200, 404), url
        assert_safe_headers(response, url)
        assert response.headers["Cache-Control"] == "no-store"
    response = client.post(
        "/admin/settings", data={"csrf_token": csrf_token(client, "/admin/settings")}
    )
    assert response.status_code == 303
    assert_safe_headers(response, "POST /admin/settings")
    response = client.post("/admin/settings", data={})  # no CSRF token: refused, headers still set
    assert response.status_code == 400
    assert_safe_headers(response, "POST without token")


def test_pages_need_nothing_the_policy_blocks(login_as):
    """CSP blocks inline scripts, styles and handlers: a page relying on one would break."""
    client = login_as("admin")
    for url in ("/login", "/", "/admin/settings", "/admin/places", "/admin/users", "/admin/audit"):
        html = client.get(url).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), f"inline script on {url}"
        assert "<style" not in html and not re.search(r"\sstyle=", html), f"inline style on {url}"
        assert not re.search(r"\son[a-z]+=", html), f"inline event handler on {url}"
        assert not re.search(r"""(src|href|action)=["']?(https?:)?//""", html), (
            f"external URL on {url}"
        )


def _session_cookie(response, name):
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")]
    assert len(headers) == 1, response.headers.getlist("Set-Cookie")
    return headers[0]


def test_session_cookie_is_httponly_samesite_and_renewed_at_login(app, client, users):
    name = app.config["SESSION_COOKIE_NAME"]
    serializer = app.session_interface.get_signing_serializer(app)
    client.get("/login")
    before = client.get_cookie(name).value
    assert "uid" not in serializer.loads(before)
    old_token = serializer.loads(before).get("csrf_token")

    response = login(client, "cun1")
    assert response.status_code == 303
    header = _session_cookie(response, name)
    flags = {f.strip().split("=")[0].lower(): f.strip() for f in header.split(";")[1:]}
    assert "httponly" in flags
    assert flags["samesite"].lower() in ("samesite=lax", "samesite=strict")
    assert "domain" not in flags  # this host only
    after = client.get_cookie(name).value
    assert after != before
    session = serializer.loads(after)
    assert session["uid"] == users["cun1"].id
    # Nothing of the pre-login session survives (no fixation of its CSRF secret).
    assert old_token is None or session.get("csrf_token") != old_token
