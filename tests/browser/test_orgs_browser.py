"""Real browser at 360 px, JavaScript on and off: a village cadre opens the list of associations
and teams, one organisation's page, adds a member, records an activity the organisation held,
and follows the printed member list link."""

import re
from datetime import date, timedelta

import pytest

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 740}


def _fits(page):
    """Nothing wider than the phone's screen."""
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.url


def _member_count(page):
    heading = page.locator("h2#members").inner_text()
    return int(re.search(r"现有成员 (\d+) 人", heading).group(1))


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_an_organisation_at_360px(context_factory, server, js):
    page = context_factory(viewport=PHONE, java_script_enabled=js).new_page()
    log_in(page, server, "cun02")

    # The list: the village's organisations and the township's teams, with their members.
    page.goto(server + "/orgs")
    assert page.locator("h1").inner_text() == "协会与队伍"
    rows = page.locator("table.list").first.locator("tbody tr")
    names = rows.locator("td:first-child a").all_inner_texts()
    group = next(n for n in names if n.endswith("妇女互助组"))
    village = group.removesuffix("妇女互助组")
    assert f"{village}老年协会" in names and f"{village}外出务工者协会" in names
    assert any(n.endswith("志愿服务队") for n in names)  # township-wide teams are listed too
    row = rows.filter(has=page.get_by_role("link", name=group, exact=True))
    assert row.locator("td").nth(1).inner_text() == "互助组"
    assert re.fullmatch(r"\d+ 人", row.locator("td").nth(3).inner_text())
    _fits(page)

    # Filter by kind: only that kind is left.
    page.get_by_label("类别").select_option("老年协会")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url(re.compile(r".*/orgs\?kind="))
    kinds = page.locator("table.list").first.locator("tbody tr td:nth-child(2)").all_inner_texts()
    assert kinds and set(kinds) == {"老年协会"}

    # An organisation's page.
    page.goto(server + "/orgs")
    page.get_by_role("link", name=group, exact=True).click()
    page.wait_for_url(re.compile(r".*/orgs/\d+$"))
    org_url = page.url
    assert page.locator("h1").inner_text().startswith(group)
    before = _member_count(page)
    assert before >= 1 and page.locator("ul.members > li").count() == before
    _fits(page)

    # Add a member: an elder of the village (not one of the women already in it).
    page.get_by_role("link", name="添加成员").click()
    page.wait_for_url(re.compile(r".*/orgs/\d+/members/new"))
    _fits(page)
    options = page.locator("#f-person option").filter(has_text="留守老人")
    option = options.nth(0 if js else 1)
    name = option.inner_text().split(" ")[0]
    page.get_by_label("登记人员").select_option(option.get_attribute("value"))
    page.get_by_label("职务").select_option("联络员")
    page.get_by_role("button", name="加入").click()
    page.wait_for_url(org_url)
    assert f"已加入 {name}" in page.locator("body").inner_text()
    assert _member_count(page) == before + 1
    joined = page.locator("ul.members > li").filter(has_text=name)
    assert "联络员" in joined.inner_text() and "登记人员" in joined.inner_text()

    # Adding the same person again is refused next to the field, nothing added.
    page.get_by_role("link", name="添加成员").click()
    page.get_by_label("登记人员").select_option(option.get_attribute("value"))
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="加入").click()
    assert posted.value.status == 422
    assert f"{name} 已是本组织成员" in page.locator(".field.bad").inner_text()
    page.goto(org_url)
    assert _member_count(page) == before + 1

    # Record an activity the organisation held.
    title = f"{group}{'读书会' if js else '健康讲座'}"
    held = (date.today() - timedelta(days=2)).isoformat()
    page.goto(server + "/activities/new")
    _fits(page)
    page.get_by_label("活动类型").select_option(index=1)
    page.get_by_label("活动名称").fill(title)
    page.get_by_label("日期").fill(held)
    page.get_by_label("组织的协会、队伍").select_option(label=group)
    page.locator("input[name=persons]").first.check()
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(r".*/activities/\d+$"))
    assert "已记录活动" in page.locator("body").inner_text()
    organiser = page.get_by_role("link", name=group, exact=True)
    assert organiser.count() == 1
    organiser.click()
    page.wait_for_url(org_url)
    held_row = page.locator("li").filter(has_text=title)
    assert held_row.count() == 1 and held in held_row.inner_text()
    _fits(page)

    # The printed member list: a PDF link, whose preview lists the member just added.
    link = page.get_by_role("link", name="打印成员名单")
    href = link.get_attribute("href")
    assert href.endswith("/members.pdf")
    pdf = page.request.get(server + href, timeout=120000)
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body()[:5] == b"%PDF-"
    page.goto(server + href.replace(".pdf", ".html"))
    text = page.locator("body").inner_text()
    assert group in text and name in text
