"""Real browser on a 360 px phone: a grid worker taps "平安" on his 一敲门 list, JS off and on."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("js", [False, True], ids=["js-off", "js-on"])
def test_grid_worker_taps_safe_on_the_knock_list(context_factory, server, js):
    page = context_factory(
        java_script_enabled=js, viewport={"width": 360, "height": 740}
    ).new_page()
    # Two villages' grid workers: the live server is shared, and a tap takes the row off the list.
    log_in(page, server, "wangge02" if js else "wangge01")
    page.goto(server + "/visits/due")
    rows = page.locator("#duty-knock ol.work > li[id^=knock-]")
    assert rows.count() > 0, "the demo grid worker owes his elders a daily knock"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    row = rows.first
    row_id = row.get_attribute("id")
    name = row.locator("a.who").inner_text()
    assert row.get_by_role("link", name="有情况").get_attribute("href")
    row.get_by_role("button", name="平安").click()
    if js:
        # htmx swaps the row in place: same page, the row now says it is done.
        done = page.locator(f"#{row_id}")
        done.get_by_text("已报平安").wait_for()
        # htmx settles the swapped row's attributes a moment later: wait for the class.
        expect(done).to_have_class(re.compile(r"\bdone\b"))
        assert page.url.endswith("/visits/due")
    else:
        page.wait_for_url(re.compile(r".*/visits/due$"))
        assert f"已记录 {name} 平安" in page.locator(".flash").inner_text()
        assert page.locator(f"#{row_id}").count() == 0  # off today's list
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
