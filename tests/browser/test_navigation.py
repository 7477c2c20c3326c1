"""Real browser: log in, walk the navigation with JavaScript off and on, small screens."""

from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def _nav_links(page):
    return [
        (a.inner_text().strip(), a.get_attribute("href"))
        for a in page.locator("header nav a").all()
    ]


def test_javascript_off_walk_navigation_and_submit_a_form(context_factory, server):
    page = context_factory(java_script_enabled=False).new_page()
    log_in(page, server, "admin")
    links = _nav_links(page)
    assert len(links) >= 5
    for text, href in links:
        response = page.goto(server + href)
        assert response.status == 200, (text, href)
        assert page.locator("h1").count() >= 1, href
    page.goto(server + "/admin/places")
    page.get_by_role("link", name="新增村（社区）").click()
    page.get_by_label("名称").fill("浏览器测试村")
    page.get_by_label("编码").fill("VB1")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(server + "/admin/places")
    assert "浏览器测试村" in page.content()
    assert "已保存 浏览器测试村" in page.locator(".flash").inner_text()
    # A bad form shows its error next to the field, still without JavaScript.
    page.get_by_role("link", name="新增村（社区）").click()
    page.get_by_label("编码").fill("VB1")
    page.get_by_label("名称").fill("重复")
    page.get_by_role("button", name="保存").click()
    assert "该编码已被使用" in page.locator(".field.bad .err").inner_text()


def _same_origin(url, server):
    """True for requests to the test server itself (scheme, host and port all equal)."""
    a, b = urlsplit(url), urlsplit(server)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


def test_javascript_on_boosted_navigation_stays_on_this_host(context_factory, server):
    page = context_factory().new_page()
    errors, requests = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    log_in(page, server, "admin")
    assert page.evaluate("typeof htmx") == "object"
    before = page.locator("h1").inner_text()
    # A full page load would wipe this marker; a boosted (htmx) swap keeps the window.
    page.evaluate("window.__noReload = 1")
    page.locator("header nav a", has_text="账号").click()
    page.wait_for_url(server + "/admin/users")
    assert page.locator("h1").inner_text() == "账号管理" != before
    assert page.evaluate("window.__noReload") == 1, "the nav link did a full load, not hx-boost"
    page.locator("header nav a", has_text="村与网格").click()
    page.wait_for_url(server + "/admin/places")
    assert page.locator("h1").inner_text() != "账号管理"
    page.go_back()
    page.wait_for_url(server + "/admin/users")
    assert page.locator("h1").inner_text() == "账号管理"
    assert len(requests) > 3
    assert [u for u in requests if not _same_origin(u, server)] == []
    assert errors == []


SMALL_SCREEN_PAGES = {
    "admin": ("/", "/admin/users", "/admin/places", "/admin/settings", "/admin/audit", "/helpers"),
    "cun01": ("/", "/visits/due", "/persons"),
}


@pytest.mark.parametrize("width", [320, 360])
@pytest.mark.parametrize("user", SMALL_SCREEN_PAGES)
def test_small_screen_no_horizontal_scroll_and_big_tap_targets(
    context_factory, server, width, user
):
    page = context_factory(viewport={"width": width, "height": 700}).new_page()
    log_in(page, server, user)
    for url in SMALL_SCREEN_PAGES[user]:
        page.goto(server + url)
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, (url, scroll)
        targets = page.locator("header a, header button, main button, main .btn").all()
        assert len(targets) > 5, url
        for el in targets:
            box = el.bounding_box()
            if box:  # None when hidden, e.g. inside a closed <details>
                assert box["height"] >= 44, (url, el.inner_text(), box)


def test_village_cadre_sees_no_admin_links(context_factory, server):
    page = context_factory().new_page()
    log_in(page, server, "cun01")
    texts = [t for t, _ in _nav_links(page)]
    assert texts and "账号" not in texts and "设置" not in texts and "日志" not in texts
    assert page.locator('a[href^="/admin"]').count() == 0
    response = page.goto(server + "/admin/users")
    assert response.status == 403
    assert "没有权限" in page.locator("h1").inner_text()


def test_charts_render_on_a_360px_screen(context_factory, server, tmp_path):
    page = context_factory(viewport={"width": 360, "height": 740}).new_page()
    log_in(page, server, "xiangzhen")
    charts = page.locator("svg.chart")
    assert charts.count() == 3
    for i in range(charts.count()):
        box = charts.nth(i).bounding_box()
        assert 250 <= box["width"] <= 360 and box["height"] > 60
    assert charts.first.locator("rect").count() >= 8  # one bar per village
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(tmp_path / "home-360.png"), full_page=True)  # for a look when it fails
