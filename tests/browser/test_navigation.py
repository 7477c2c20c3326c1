"""Real browser: log in, walk the navigation with JavaScript off and on, small screens."""
import pytest

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def _nav_links(page):
    return [(a.inner_text().strip(), a.get_attribute("href"))
            for a in page.locator("header nav a").all()]


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


def test_javascript_on_boosted_navigation_stays_on_this_host(context_factory, server):
    page = context_factory().new_page()
    errors, foreign = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: foreign.append(r.url) if not r.url.startswith(server) else None)
    log_in(page, server, "admin")
    assert page.evaluate("typeof htmx") == "object"
    page.locator("header nav a", has_text="账号").click()
    page.wait_for_url(server + "/admin/users")
    assert page.locator("h1").inner_text() == "账号管理"
    # hx-boost swapped the body without a full load: the htmx object survives.
    assert page.evaluate("typeof htmx") == "object"
    page.go_back()
    page.wait_for_url(server + "/")
    assert errors == [] and foreign == []


@pytest.mark.parametrize("width", [320, 360])
def test_small_screen_no_horizontal_scroll_and_big_tap_targets(context_factory, server, width):
    page = context_factory(viewport={"width": width, "height": 700}).new_page()
    log_in(page, server, "admin")
    for url in ("/", "/admin/users", "/admin/places", "/admin/settings", "/admin/audit", "/helpers"):
        page.goto(server + url)
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, (url, scroll)
        for box in [el.bounding_box() for el in page.locator("header nav a, main button").all()]:
            if box:
                assert box["height"] >= 44, (url, box)


def test_village_cadre_sees_no_admin_links(context_factory, server):
    page = context_factory().new_page()
    log_in(page, server, "cun01")
    texts = [t for t, _ in _nav_links(page)]
    assert "账号" not in texts and "设置" not in texts
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
