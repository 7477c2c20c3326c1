"""Security headers on every response."""


def test_security_headers(client, users):
    for url in ("/login", "/static/style.css"):
        response = client.get(url)
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp and "http" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"


def test_logged_in_pages_are_not_cached(login_as):
    response = login_as("cun1").get("/")
    assert response.headers["Cache-Control"] == "no-store"
