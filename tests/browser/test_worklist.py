"""Real browser on a 360 px phone: the cadre's worklist and quick visit entry, JS off and on."""

import re

import pytest

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("js", [False, True], ids=["js-off", "js-on"])
def test_cadre_records_a_visit_from_the_worklist(context_factory, server, js):
    page = context_factory(
        java_script_enabled=js, viewport={"width": 360, "height": 740}
    ).new_page()
    log_in(page, server, "cun01")
    page.goto(server + "/visits/due")
    items = page.locator("#talk ol.work > li")  # the paired visits, after the 一登门 list
    assert items.count() > 0
    first = items.first
    assert "overdue" in (first.get_attribute("class") or ""), "overdue persons come first"
    name = first.locator("a.who").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    first.get_by_role("link", name="记录走访").click()
    page.wait_for_url(re.compile(r".*/persons/\d+/visits/new.*"))
    assert page.locator("h1").inner_text().startswith(name)
    page.locator("summary", has_text="其他情况").click()
    page.get_by_label("生活", exact=True).fill("家中整洁，饮食正常")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(r".*/visits/due$"))
    assert f"已记录对 {name}" in page.locator(".flash").inner_text()
    assert name not in page.locator("#talk ol.work").inner_text()
