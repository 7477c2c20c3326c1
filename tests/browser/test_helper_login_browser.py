"""Real browser on a 360 px phone: a helper's own login (帮扶人) records a visit, JS off and on.

The admin makes the account in the browser (role 帮扶人, linked to the helper paired with a
person of the demo), the helper chooses his own password at first login, then uses his short
menu to record a visit for his paired person."""

import re

import pytest

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

HELPER_PASSWORD = "bangfu2026ok"


def _free_helpers(page, server):
    """{helper name: option value} the admin's account form offers (helpers with no account)."""
    page.goto(server + "/admin/users/new")
    out = {}
    for option in page.locator("#f-helper option").all():
        value = option.get_attribute("value")
        if value:
            out.setdefault(option.inner_text().split("（")[0].strip(), value)
    return out


def _paired_person(page, server, free):
    """(helper option value, person name): a person on the admin's worklist paired with a
    helper who has no account yet."""
    for i in range(20):
        page.goto(server + "/visits/due")
        links = page.locator("ol.work a.who")
        if i >= links.count():
            break
        person = links.nth(i).inner_text()
        links.nth(i).click()
        page.wait_for_url(re.compile(r".*/persons/\d+$"))
        for line in page.locator("#care ul.plain > li").all_inner_texts():
            name = line.split("（")[0].strip()
            if name in free and "至" not in line:
                return free[name], person
    raise AssertionError("no person on the admin's worklist paired with a helper without account")


def _make_account(page, server, username):
    """The admin creates a helper account in the browser; returns the helper's person's name."""
    log_in(page, server, "admin")
    value, person = _paired_person(page, server, _free_helpers(page, server))
    page.goto(server + "/admin/users/new")
    page.get_by_label("登录名").fill(username)
    page.get_by_label("角色").select_option(label="帮扶人")
    page.locator("#f-helper").select_option(value)
    page.locator("#f-password").fill("onetime2026x")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(r".*/admin/users$"))
    page.get_by_role("button", name="退出").click()
    page.wait_for_url(re.compile(r".*/login$"))
    return person


@pytest.mark.parametrize("js", [False, True], ids=["js-off", "js-on"])
def test_helper_logs_in_and_records_a_visit(context_factory, server, js):
    username = f"bangfu-{'js' if js else 'nojs'}"
    admin = context_factory().new_page()
    person = _make_account(admin, server, username)
    page = context_factory(
        java_script_enabled=js, viewport={"width": 360, "height": 740}
    ).new_page()
    page.goto(server + "/login")
    page.get_by_label("登录名").fill(username)
    page.get_by_label("密码").fill("onetime2026x")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r".*/account/password$"))  # first login: his own password
    page.get_by_label("一次性密码").fill("onetime2026x")
    page.get_by_label("新密码").fill(HELPER_PASSWORD)
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(r".*/visits/due$"))  # his worklist is his home page
    nav = page.get_by_role("navigation", name="主导航")
    assert [a.strip() for a in nav.locator("a").all_inner_texts()] == [
        "我的走访",
        "记一次走访",
        "提需求",
        "修改密码",
    ]
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    nav.get_by_role("link", name="记一次走访").click()
    page.wait_for_url(re.compile(r".*/mine\?do=visit$"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("link", name=f"记录对{person}的走访").click()
    page.wait_for_url(re.compile(r".*/persons/\d+/visits/new$"))
    assert page.locator("h1").inner_text().startswith(person)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.locator("summary", has_text="其他情况").click()
    page.get_by_label("生活", exact=True).fill("帮扶人自己登录记录")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(r".*/visits/due$"))
    assert f"已记录对 {person}" in page.locator(".flash").inner_text()
    # Anything off his menu is not there for him.
    response = page.goto(server + "/persons")
    assert response.status == 404
