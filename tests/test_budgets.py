"""Page weight budgets (bytes are deterministic) and no external hosts anywhere."""
import gzip
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.conftest import PASSWORD, csrf_token

ROOT = Path(__file__).resolve().parents[1]
PAGE_BUDGET = 14 * 1024
CSS_BUDGET = 6 * 1024
DEMO_USERS = ["admin", "xiangzhen", "lingdao", "cun01", "wangge01"]


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.in_nav, self.nav, self.urls = False, [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "nav":
            self.in_nav = True
        if tag == "a" and self.in_nav and attrs.get("href", "").startswith("/"):
            self.nav.append(attrs["href"])
        for name in ("href", "src", "action"):
            if attrs.get(name):
                self.urls.append(attrs[name])

    def handle_endtag(self, tag):
        if tag == "nav":
            self.in_nav = False


def _parse(html):
    parser = _Links()
    parser.feed(html)
    return parser


def _gz_size(client, url):
    response = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200, url
    assert response.headers.get("Content-Encoding") == "gzip", url
    body = response.get_data()
    return len(body), gzip.decompress(body).decode()


def _log_in(client, username):
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"username": username, "password": PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 303


@pytest.mark.parametrize("username", DEMO_USERS)
def test_every_navigation_page_within_budget(demo_app, username):
    client = demo_app.test_client()
    size, _ = _gz_size(client, "/login")
    assert size <= PAGE_BUDGET
    _log_in(client, username)
    size, home = _gz_size(client, "/")
    pages = {"/": size}
    for url in dict.fromkeys(_parse(home).nav):
        pages[url], html = _gz_size(client, url)
        assert not _external(_parse(html).urls), url
    # The pages one level down: a person's page and a household's page from the lists.
    persons_page = client.get("/persons").get_data(as_text=True)
    for pattern in (r'href="(/persons/\d+)"', r'href="(/households/\d+)"'):
        match = re.search(pattern, persons_page + client.get("/households").get_data(as_text=True))
        if match:
            pages[match.group(1)], _ = _gz_size(client, match.group(1))
    assert len(pages) >= 2
    over = {url: size for url, size in pages.items() if size > PAGE_BUDGET}
    assert not over, f"over {PAGE_BUDGET} bytes gzip: {over}"


def test_stylesheet_budget_and_cache(demo_app):
    client = demo_app.test_client()
    html = client.get("/login").get_data(as_text=True)
    css_url = re.search(r'href="(/static/style\.css\?v=[0-9a-f]+)"', html).group(1)
    response = client.get(css_url, headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert len(response.get_data()) <= CSS_BUDGET
    assert "max-age=31536000" in response.headers["Cache-Control"]
    js_url = re.search(r'src="(/static/vendor/htmx[^"]+\?v=[0-9a-f]+)"', html).group(1)
    assert "max-age=31536000" in client.get(js_url).headers["Cache-Control"]


def _external(urls):
    return [u for u in urls if re.match(r"^(https?:)?//", u.strip(), re.I)]


def test_no_external_host_in_templates_or_static():
    pattern = re.compile(r"""(?:src|href|action)\s*=\s*["']\s*(?:https?:)?//|url\(\s*["']?(?:https?:)?//""",
                         re.I)
    offenders = []
    for folder in ("templates", "static"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in (".html", ".css") and pattern.search(path.read_text(encoding="utf-8")):
                offenders.append(str(path))
    assert offenders == []


def test_htmx_is_vendored_with_license_and_version():
    vendor = ROOT / "static" / "vendor"
    assert (vendor / "htmx-LICENSE.txt").exists()
    assert "2.0.11" in (vendor / "README.txt").read_text()
    assert (vendor / "htmx-2.0.11.min.js").stat().st_size > 40000
