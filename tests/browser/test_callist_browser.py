"""Real browser at 360 px: the emergency call list, a call stamped with JavaScript on (htmx swaps
the row) and off (POST-redirect-GET back to the row's anchor)."""

import re
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 740}


def _open_emergency(page, server, nth):
    """Open an emergency for one of the village's left-behind children; returns its URL."""
    page.goto(server + "/persons?group=留守儿童")
    page.locator("#rows tbody a").nth(nth).click()
    page.wait_for_url(re.compile(r".*/persons/\d+$"))
    page.get_by_role("link", name="登记突发事件").click()
    page.get_by_label("事件类型").select_option("走失")
    found = (datetime.now() - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("发现时间").fill(found)
    page.get_by_role("button", name="登记并开始计时").click()
    page.wait_for_url(re.compile(r".*/emergencies/\d+$"))
    return page.url


def _fits(page):
    """Nothing wider than the phone's screen; the dial links and stamp buttons are big enough
    to tap."""
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for box in (
        page.locator("#call-110 a.dial").bounding_box(),
        page.locator("#call-110 button.stamp").bounding_box(),
    ):
        assert box["height"] >= 44 and box["width"] >= 44


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_stamp_a_call_at_360px(context_factory, server, js):
    page = context_factory(viewport=PHONE, java_script_enabled=js).new_page()
    log_in(page, server, "cun03")
    url = _open_emergency(page, server, 2 if js else 3)
    calls = page.locator("ol.calls > li")
    assert calls.first.locator("b").inner_text() == "委托照护人"
    assert page.locator("#call-110 a.dial").get_attribute("href") == "tel:110"
    _fits(page)
    row = page.locator("#call-120")
    with page.expect_response(lambda r: r.request.method == "POST"):
        row.get_by_role("button", name="已拨打").click()
    if js:
        page.wait_for_selector("#call-120 .stamps")
        assert page.url == url  # swapped in place, no reload
    else:
        page.wait_for_url(url + "#call-120")
    stamp = page.locator("#call-120 .stamps").inner_text()
    assert re.search(r"已拨打：\d\d:\d\d ", stamp), stamp
    # htmx settles the swapped row's attributes a moment later: wait for the class.
    expect(page.locator("#call-120")).to_have_class(re.compile(r"\bcalled\b"))
    # Stored, not only shown: a fresh load shows it too.
    page.goto(url)
    assert "已拨打" in page.locator("#call-120 .stamps").inner_text()
