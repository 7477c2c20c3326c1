"""Real browser: the emergency clock in every page header, and a benefit entry (JS on)."""

import re
from datetime import datetime, timedelta

import pytest

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def _first_child(page, server):
    page.goto(server + "/persons?group=留守儿童")
    link = page.locator("#rows tbody a").first
    name = link.inner_text()
    link.click()
    page.wait_for_url(re.compile(r".*/persons/\d+$"))
    return name, page.url


def test_overdue_emergency_step_is_red_on_every_page_until_done(context_factory, server):
    page = context_factory(viewport={"width": 360, "height": 740}).new_page()
    log_in(page, server, "cun02")
    name, person_url = _first_child(page, server)
    page.get_by_role("link", name="登记突发事件").click()
    page.get_by_label("事件类型").select_option("疾病")
    found = (datetime.now() - timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("发现时间").fill(found)
    page.get_by_role("button", name="登记并开始计时").click()
    page.wait_for_url(re.compile(r".*/emergencies/\d+$"))
    emergency_url = page.url
    for url in (server + "/", server + "/persons", person_url):
        page.goto(url)
        alarm = page.locator(".alarm")
        assert alarm.count() >= 1 and "报告乡镇政府和教育部门" in alarm.first.inner_text()
        assert name in alarm.first.inner_text()
        color = alarm.first.evaluate("el => getComputedStyle(el).backgroundColor")
        assert color == "rgb(176, 0, 32)"
    page.goto(emergency_url)
    # Wait for the step's POST to be answered: the page's URL does not change, so waiting for
    # the URL would go on before the step is stored.
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.locator("ol.work li").first.get_by_role("button", name="已完成").click()
    page.wait_for_url(emergency_url)
    page.goto(server + "/")
    assert page.locator(".alarm").count() == 0  # the 30- and 60-minute steps are not due yet
    other = context_factory().new_page()
    log_in(other, server, "cun03")
    assert name not in other.content()


def test_benefit_entry(context_factory, server):
    page = context_factory().new_page()
    log_in(page, server, "cun03")
    name, person_url = _first_child(page, server)
    page.goto(person_url)
    page.get_by_role("link", name="＋ 登记救助补贴").click()
    page.get_by_label("类别").select_option("助学金")
    page.get_by_label("金额（元）").fill("abc")
    page.get_by_role("button", name="保存").click()
    assert "金额应为数字" in page.locator(".field.bad .err").first.inner_text()
    page.get_by_label("金额（元）").fill("600")
    page.get_by_label("发放方式").select_option("一次性")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(r".*/persons/\d+(#more)?$"))
    assert "助学金 一次性 600.00 元" in page.locator("#more").inner_text()
