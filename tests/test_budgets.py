"""Page weight budgets (bytes are deterministic with the seeded demo) and no external hosts
anywhere."""

import gzip
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.conftest import PASSWORD, csrf_token

ROOT = Path(__file__).resolve().parents[1]
PAGE_BUDGET = 14 * 1024
CSS_BUDGET = 6 * 1024
ONE_YEAR = 365 * 24 * 3600
# One demo account per role: admin, township, leader, village cadre, grid worker.
DEMO_USERS = ["admin", "xiangzhen", "lingdao", "cun01", "wangge01"]
# Attributes that make a browser fetch or navigate: an external host in any of them leaks the
# office's traffic (or breaks the page offline).
URL_ATTRS = {
    "href",
    "src",
    "srcset",
    "action",
    "formaction",
    "poster",
    "data",
    "manifest",
    "xlink:href",
    "hx-get",
    "hx-post",
    "hx-put",
    "hx-patch",
    "hx-delete",
}
EXTERNAL = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.I)  # http://x, https://x, //x, ftp://x
CSS_URL = re.compile(r"""(?:url\(\s*|@import\s+)["']?([^"')\s]+)""", re.I)
# In template and static files (Jinja source, CSS, JS) the same contexts, found textually.
SOURCE_EXTERNAL = re.compile(
    r"""(?<![\w-])(?:{})\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?//"""
    r"""|url\(\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?//"""
    r"""|@import\s+["']?\s*(?:[a-z][a-z0-9+.-]*:)?//"""
    r"""|srcset\s*=\s*["'][^"']*//"""
    r"""|[`"'](?:https?:)?//[\w.-]""".format("|".join(re.escape(a) for a in sorted(URL_ATTRS))),
    re.I,
)


class _Page(HTMLParser):
    """Collects the <nav> links and every URL the page would fetch or navigate to."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.in_nav, self.nav, self.urls = 0, [], []

    def handle_starttag(self, tag, attrs):
        if tag == "nav":
            self.in_nav += 1
        for name, value in attrs:
            if value is None:
                continue
            if name in URL_ATTRS:
                if name == "srcset":
                    self.urls += [part.split()[0] for part in value.split(",") if part.strip()]
                else:
                    self.urls.append(value)
            elif name == "style":
                self.urls += CSS_URL.findall(value)
        if tag == "a" and self.in_nav:
            self.nav.append(dict(attrs).get("href") or "")

    def handle_endtag(self, tag):
        if tag == "nav":
            self.in_nav -= 1

    def handle_data(self, data):
        if self.lasttag == "style":
            self.urls += CSS_URL.findall(data)


def _parse(html):
    parser = _Page()
    parser.feed(html)
    parser.close()
    return parser


def _external(urls):
    return [u for u in urls if EXTERNAL.match(u)]


def _get_gzip(client, url):
    """(compressed size, decoded text) of a 200 response asked for with Accept-Encoding: gzip."""
    response = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200, url
    assert response.headers.get("Content-Encoding") == "gzip", url
    body = response.get_data()
    return len(body), gzip.decompress(body).decode()


def _log_in(client, username):
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303, username


def _check_page(url, html):
    """No external host; every static asset URL carries its version."""
    page = _parse(html)
    assert _external(page.urls) == [], url
    unversioned = [u for u in page.urls if u.startswith("/static/") and "?v=" not in u]
    assert unversioned == [], url
    return page


@pytest.mark.parametrize("username", ["cun01", "wangge01"])
def test_visit_duty_pages_within_budget(demo_app, username):
    """The worklist with the role's 一登门/一敲门, the visit form with its items by group, a
    visit's page and a check-in's page."""
    client = demo_app.test_client()
    _log_in(client, username)
    sizes = {}
    sizes["/visits/due"], due = _get_gzip(client, "/visits/due")
    form = re.search(r'href="(/persons/\d+/visits/new)', due).group(1)
    sizes[form], html = _get_gzip(client, form)
    assert "的情况" in html  # the items by group
    person = re.search(r'href="(/persons/\d+)"', due).group(1)
    visit = re.search(r'href="(/visits/\d+)"', client.get(person).get_data(as_text=True))
    sizes[visit.group(1)], _html = _get_gzip(client, visit.group(1))
    if username == "wangge01":
        tap = re.search(r'action="(/persons/\d+/checkin)[^"]*"', due).group(1)
        token = re.search(r'name="csrf_token" value="([^"]+)"', due).group(1)
        assert client.post(tap, data={"csrf_token": token}).status_code == 303
        from liushou.models.visits import CheckIn

        url = f"/checkins/{CheckIn.select().order_by(CheckIn.id.desc()).first().id}"
        sizes[url], _html = _get_gzip(client, url)
    for url in sizes:
        _check_page(url, client.get(url).get_data(as_text=True))
    over = {url: size for url, size in sizes.items() if size > PAGE_BUDGET}
    assert not over, f"over {PAGE_BUDGET} bytes gzip: {over}"


@pytest.mark.parametrize("username", DEMO_USERS)
def test_every_navigation_page_within_budget(demo_app, username):
    client = demo_app.test_client()
    sizes = {}
    sizes["/login"], html = _get_gzip(client, "/login")
    _check_page("/login", html)
    _log_in(client, username)
    sizes["/"], home = _get_gzip(client, "/")
    nav = _check_page("/", home).nav
    assert len(nav) >= 5, nav
    assert _external(nav) == []
    for url in dict.fromkeys(nav):
        assert url.startswith("/"), url
        sizes[url], html = _get_gzip(client, url)
        _check_page(url, html)
    # One level down: a person's and a household's page, from the lists.
    lists = client.get("/persons").get_data(as_text=True) + client.get("/households").get_data(
        as_text=True
    )
    for pattern in (r'href="(/persons/\d+)"', r'href="(/households/\d+)"'):
        match = re.search(pattern, lists)
        assert match, pattern
        sizes[match.group(1)], html = _get_gzip(client, match.group(1))
        _check_page(match.group(1), html)
    over = {url: size for url, size in sizes.items() if size > PAGE_BUDGET}
    assert not over, f"over {PAGE_BUDGET} bytes gzip: {over}"


def test_helper_login_pages_within_budget(demo_app):
    """A helper's own login (role helper) on the demo: his menu's pages, his paired person's
    page and the visit and need forms, each within the budget."""
    from peewee import fn

    from liushou.db import database
    from liushou.models.helpers import Helper
    from liushou.models.visits import Pairing
    from liushou.services import SYSTEM
    from liushou.services.accounts import create_user

    with database.connection_context():
        busiest = (
            Pairing.select(Pairing.helper)
            .join(Helper)
            .where(Pairing.ended_on.is_null() & Helper.active & Helper.user.is_null())
            .group_by(Pairing.helper)
            .order_by(fn.COUNT(Pairing.id).desc())
            .first()
        )
        create_user(
            SYSTEM, {"username": "bangfu", "role": "helper", "helper": busiest.helper_id}, PASSWORD
        )
    client = demo_app.test_client()
    _log_in(client, "bangfu")
    sizes = {}
    sizes["/visits/due"], home = _get_gzip(client, "/visits/due")
    nav = _check_page("/visits/due", home).nav
    assert len(nav) == 4, nav  # 我的走访, 记一次走访, 提需求, 修改密码 (退出 is a form)
    for url in dict.fromkeys(nav):
        sizes[url], html = _get_gzip(client, url)
        _check_page(url, html)
    mine = client.get("/mine?do=visit").get_data(as_text=True)
    person = re.search(r'href="(/persons/\d+)"', mine).group(1)
    for url in (person, person + "/visits/new", person + "/needs/new"):
        sizes[url], html = _get_gzip(client, url)
        _check_page(url, html)
    over = {url: size for url, size in sizes.items() if size > PAGE_BUDGET}
    assert not over, f"over {PAGE_BUDGET} bytes gzip: {over}"


def test_nav_links_differ_by_role(demo_app):
    """The walk above really covers the admin pages: they are in the admin's navigation only."""
    navs = {}
    for username in ("admin", "cun01"):
        client = demo_app.test_client()
        _log_in(client, username)
        navs[username] = set(_parse(client.get("/").get_data(as_text=True)).nav)
    assert {"/admin/users", "/admin/places", "/admin/settings", "/admin/audit"} <= navs["admin"]
    assert not any(u.startswith("/admin") for u in navs["cun01"])


def test_static_assets_budget_versioned_cached_and_compressed(demo_app):
    client = demo_app.test_client()
    html = client.get("/login").get_data(as_text=True)
    assets = [u for u in _parse(html).urls if u.startswith("/static/")]
    assert any(u.startswith("/static/style.css?v=") for u in assets), assets
    assert any(u.startswith("/static/vendor/htmx-2.0.11.min.js?v=") for u in assets), assets
    for url in assets:
        assert re.search(r"\?v=\w{6,}", url), url
        response = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200, url
        assert response.headers.get("Content-Encoding") == "gzip", url
        max_age = re.search(r"max-age=(\d+)", response.headers.get("Cache-Control", ""))
        assert max_age and int(max_age.group(1)) >= ONE_YEAR, url
        if url.startswith("/static/style.css"):
            assert len(response.get_data()) <= CSS_BUDGET
            assert gzip.decompress(response.get_data()) == (ROOT / "static/style.css").read_bytes()
    # Stable across requests, so browsers really reuse their cached copy.
    again = _parse(client.get("/login").get_data(as_text=True)).urls
    assert [u for u in again if u.startswith("/static/")] == assets


def test_uncompressed_when_the_client_does_not_accept_gzip(demo_app):
    response = demo_app.test_client().get("/login", headers={"Accept-Encoding": "identity"})
    assert response.headers.get("Content-Encoding") is None
    assert "<h1" in response.get_data(as_text=True)


def _source_offenders(text):
    return [m.group(0) for m in SOURCE_EXTERNAL.finditer(text)]


def test_no_external_host_in_templates_or_static():
    scanned, offenders = 0, {}
    for folder in ("templates", "static"):
        for path in sorted((ROOT / folder).rglob("*")):
            # The vendored licence and provenance notes name their source site in prose only.
            if not path.is_file() or path.suffix == ".txt":
                continue
            scanned += 1
            found = _source_offenders(path.read_text(encoding="utf-8"))
            if found:
                offenders[str(path.relative_to(ROOT))] = found
    assert scanned > 20
    assert offenders == {}


@pytest.mark.parametrize(
    "snippet",
    [
        '<script src="https://cdn.example.com/htmx.js">',
        "<link href='//fonts.example.com/a.css'>",
        '<form action="http://evil.example/x">',
        '<a hx-get="https://api.example/p">',
        "body{background:url(https://img.example/a.png)}",
        '@import "//x.example/a.css";',
        '<img srcset="a.png 1x, https://x.example/b.png 2x">',
        "fetch('https://x.example/')",
        "<a href=//x.example/a>",
    ],
)
def test_external_host_detectors_catch(snippet):
    """The detectors above find each form of external reference, in source and in pages."""
    assert _source_offenders(snippet)
    if snippet.startswith("<"):
        assert _external(_parse(snippet).urls)


@pytest.mark.parametrize(
    "snippet",
    [
        '<a href="/persons?q=a//b">',
        "<a href=\"{{ url_for('home.index') }}\">",
        "/* comment // here */",
        "x = a // b",
        '<a href="mailto:x@example.org">',
    ],
)
def test_external_host_detectors_leave_local_urls(snippet):
    assert not _source_offenders(snippet)
    assert not _external(_parse(snippet).urls)


def test_htmx_is_vendored_with_license_and_version():
    vendor = ROOT / "static" / "vendor"
    assert (vendor / "htmx-LICENSE.txt").exists()
    assert "2.0.11" in (vendor / "README.txt").read_text()
    assert (vendor / "htmx-2.0.11.min.js").stat().st_size > 40000


@pytest.mark.parametrize("username", ["xiangzhen", "cun01"])
def test_allowance_pages_within_budget(demo_app, username):
    """The 高龄补贴 list and the township's monthly roster (every person of 80+ in the demo)."""
    client = demo_app.test_client()
    _log_in(client, username)
    for url in ("/reports/allowance/missing", "/reports/allowance/roster"):
        size, html = _get_gzip(client, url)
        _check_page(url, html)
        assert size <= PAGE_BUDGET, (url, size)


@pytest.mark.parametrize("username", ["xiangzhen", "lingdao"])
def test_emergency_call_list_and_suggestions_within_budget(demo_app, username):
    """The emergency page with its call list (open, with calls stamped, and closed) and the
    list of 困境儿童 suggestions."""
    from liushou.db import database
    from liushou.models import Emergency, Person
    from liushou.services import SYSTEM
    from liushou.services.care import add_call, open_emergency

    with demo_app.app_context():
        database.connect(reuse_if_open=True)
        closed = Emergency.select().first()
        child = Person.get_by_id(closed.person_id)
        emergency = open_emergency(
            SYSTEM,
            child,
            {"kind": "走失", "discovered_at": "2026-01-05 08:00", "reported_by": "村医"},
        )
        for target in ("carer", "110", "120"):
            add_call(SYSTEM, emergency, {"target": target})
        ids = (emergency.id, closed.id)
    client = demo_app.test_client()
    _log_in(client, username)
    sizes = {}
    for url in [f"/emergencies/{i}" for i in ids] + ["/suggestions"]:
        sizes[url], html = _get_gzip(client, url)
        _check_page(url, html)
    over = {url: size for url, size in sizes.items() if size > PAGE_BUDGET}
    assert not over, f"over {PAGE_BUDGET} bytes gzip: {over}"


@pytest.mark.parametrize("username", ["xiangzhen", "cun01"])
def test_report_pages_within_budget(demo_app, username):
    """The reports page (indicators and trend) and the per-village summary sheet."""
    client = demo_app.test_client()
    _log_in(client, username)
    sizes = {}
    for url in ("/reports", "/reports/summary"):
        sizes[url], html = _get_gzip(client, url)
        _check_page(url, html)
        assert "<caption>" in html, url
    over = {url: size for url, size in sizes.items() if size > PAGE_BUDGET}
    assert not over, f"over {PAGE_BUDGET} bytes gzip: {over}"


def test_pages_with_attachments_within_budget(demo_app):
    """A child's page with six photos and a scanned agreement, and the upload form alone."""
    import io

    from PIL import Image

    from liushou.db import database
    from liushou.models.persons import Person
    from liushou.services import SYSTEM
    from liushou.services.files import attach

    client = demo_app.test_client()
    _log_in(client, "cun01")
    listing = client.get("/persons?group=留守儿童").get_data(as_text=True)
    person_id = int(re.search(r'href="/persons/(\d+)"', listing).group(1))
    database.connect(reuse_if_open=True)
    person = Person.get_by_id(person_id)
    store = demo_app.config["FILES_DIR"]
    for i in range(6):
        photo = io.BytesIO()
        Image.new("RGB", (1200, 900), (i * 40, 90, 200)).save(photo, "JPEG")
        attach(SYSTEM, store, "person", person, (photo.getvalue(), f"照片{i}.jpg"), f"入户照片{i}")
    database.close()
    url = f"/persons/{person_id}"
    size, html = _get_gzip(client, url)
    _check_page(url, html)
    assert html.count("/thumb") == 6 and "委托照护责任确认书" in html
    assert size <= PAGE_BUDGET, size
    size, html = _get_gzip(client, f"/files/new?person={person_id}")
    _check_page("/files/new", html)
    assert size <= PAGE_BUDGET, size


@pytest.mark.parametrize("username", ["xiangzhen", "cun01"])
def test_crosscheck_pages_within_budget(demo_app, username):
    """The list of comparisons and a 低保 list's comparison with every demo person on it (a
    page of findings with their 应用 and 忽略 forms)."""
    import io

    from openpyxl import Workbook

    from liushou.db import database
    from liushou.models.persons import Person
    from tests.conftest import post

    database.connect(reuse_if_open=True)
    people = list(Person.select().where(Person.id_number.is_null(False)).limit(400))
    database.close()
    book = Workbook()
    book.active.append(["姓名", "身份证号"])
    for p in people:
        book.active.append([p.name + "x", p.id_number])  # every name disagrees too
    data = io.BytesIO()
    book.save(data)
    client = demo_app.test_client()
    _log_in(client, username)
    response = post(
        client, "/crosscheck", {"kind": "dibao", "file": (io.BytesIO(data.getvalue()), "低保.xlsx")}
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    sizes = {}
    for url in ("/crosscheck", response.location):
        sizes[url], html = _get_gzip(client, url)
        _check_page(url, html)
    assert "应用" in html and "下一页" in html
    over = {url: size for url, size in sizes.items() if size > PAGE_BUDGET}
    assert not over, f"over {PAGE_BUDGET} bytes gzip: {over}"


@pytest.mark.parametrize("username", ["admin", "cun01", "wangge01"])
def test_complete_record_pages_within_budget(demo_app, username):
    """The list of least complete records (first and second page), a child's page with its
    completeness box, and the admin's full-ID export form."""
    client = demo_app.test_client()
    _log_in(client, username)
    size, listing = _get_gzip(client, "/persons/incomplete")
    person = re.search(r'href="/persons/(\d+)(?:/edit)?"', listing).group(1)
    urls = ["/persons/incomplete", "/persons/incomplete?page=2", f"/persons/{person}"]
    if username == "admin":
        urls.append("/persons/export/full?group=留守儿童")
    sizes = {}
    for url in urls:
        sizes[url], html = _get_gzip(client, url)
        _check_page(url, html)
    assert "档案完整度" in html or "用途" in html
    over = {url: size for url, size in sizes.items() if size > PAGE_BUDGET}
    assert not over, f"over {PAGE_BUDGET} bytes gzip: {over}"


@pytest.mark.parametrize("username", ["xiangzhen", "cun01", "wangge01"])
def test_review_pages_within_budget(demo_app, username):
    """The review queue, one proposal, and home and reports with the 含待审核 switch on."""
    client = demo_app.test_client()
    _log_in(client, username)
    sizes = {}
    sizes["/review"], queue = _get_gzip(client, "/review?status=all")
    _check_page("/review", queue)
    items = re.findall(r'href="(/review/\d+)"', queue)
    assert items, username
    for url in [items[0], "/?pending=1", "/reports?pending=1"]:
        sizes[url], html = _get_gzip(client, url)
        _check_page(url, html)
    assert "含待审核：各村各类人数" in client.get("/?pending=1").get_data(as_text=True)
    over = {url: size for url, size in sizes.items() if size > PAGE_BUDGET}
    assert not over, f"over {PAGE_BUDGET} bytes gzip: {over}"


def test_warm_up_page_within_budget(demo_app):
    client = demo_app.test_client()
    _log_in(client, "admin")
    size, html = _get_gzip(client, "/admin/warm-up")
    _check_page("/admin/warm-up", html)
    assert size <= PAGE_BUDGET, size
