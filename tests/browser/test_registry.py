"""Real browser: a village cadre registers a household and a left-behind child, JS off and on;
the township approves the registration (审核报送)."""

import re

import pytest

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("js", [False, True], ids=["js-off", "js-on"])
def test_cadre_registers_a_child(context_factory, server, js):
    page = context_factory(
        java_script_enabled=js, viewport={"width": 360, "height": 740}
    ).new_page()
    log_in(page, server, "cun01")
    page.goto(server + "/households/new")
    head = "浏览器户主" + ("甲" if js else "乙")
    page.get_by_label("户主姓名").fill(head)
    page.get_by_label("住址").fill("一组 3 号")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(r".*/households/\d+$"))
    assert head in page.locator("h1").inner_text()
    page.get_by_role("link", name="登记成员").click()
    page.wait_for_url("**/persons/new*")
    name = "浏览器儿童" + ("甲" if js else "乙")
    page.locator("#f-name").fill(name)
    page.get_by_label("出生日期").fill("2016-05-01")
    page.get_by_label("性别").select_option("女")
    page.get_by_label("父亲状况").select_option("外出务工")
    page.get_by_label("母亲状况").select_option("外出务工")
    # A bad ID first: the message appears next to the field and what was typed stays.
    page.locator("#f-id_number").fill("620102201605010015")
    page.get_by_role("button", name="保存").click()
    assert "校验位" in page.locator("#id_number-err").inner_text()
    assert page.locator("#f-name").input_value() == name
    page.locator("#f-id_number").fill("")
    page.get_by_role("button", name="保存").click()
    # The demo township reviews registrations (审核报送): it waits for the township.
    page.wait_for_url(re.compile(r".*/review/\d+$"))
    assert "已提交，待乡镇审核" in page.content() and "留守儿童" in page.content()
    page = context_factory(
        java_script_enabled=js, viewport={"width": 360, "height": 740}
    ).new_page()
    log_in(page, server, "xiangzhen")
    page.goto(server + "/review")
    row = page.locator("tr", has_text=name)
    row.get_by_role("checkbox").check()
    page.get_by_role("button", name="勾选的审核通过").click()
    page.get_by_text("已处理 1 项").wait_for()  # the same URL again, with the outcome
    page.goto(server + "/persons?group=留守儿童&q=" + name)
    page.locator("#rows a", has_text=name).click()
    page.wait_for_url(re.compile(r".*/persons/\d+$"))
    assert page.locator("h1").inner_text().startswith(name)
    assert "父母均外出务工，未满16周岁" in page.content()
    assert "审核通过" in page.content()  # the history says who approved it, and when


def test_search_as_you_type_with_htmx(context_factory, server):
    page = context_factory().new_page()
    log_in(page, server, "admin")
    page.goto(server + "/persons")
    first = page.locator("#rows tbody tr td a").first.inner_text()
    page.get_by_label("查找").fill(first)
    page.wait_for_url(re.compile(r".*/persons\?.*q="))  # htmx pushed the search into the URL
    page.wait_for_load_state("networkidle")
    rows = page.locator("#rows tbody tr td:first-child a").all_inner_texts()
    assert rows and all(first in r for r in rows)
