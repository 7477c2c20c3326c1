"""Real browser, JS off, 360 px: a township's first day from an empty database to a card PDF."""

import os
import re
import subprocess
import sys

import pytest

from tests.browser.conftest import ROOT, live_server, log_in

pytestmark = pytest.mark.browser
ADMIN_PASSWORD = "firstday1234"


@pytest.fixture(scope="module")
def empty_server(tmp_path_factory):
    """`init-db` and `create-user admin` as the README says, then `python app.py`."""
    base = tmp_path_factory.mktemp("firstday")
    env = {
        **os.environ,
        "LIUSHOU_DATABASE": str(base / "new.sqlite3"),
        "LIUSHOU_INSTANCE": str(base / "instance"),
    }
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    for args, stdin in (
        (["init-db"], None),
        (
            ["create-user", "admin", "--role", "admin"],
            ADMIN_PASSWORD + "\n" + ADMIN_PASSWORD + "\n",
        ),
    ):
        done = subprocess.run(
            flask + args, cwd=ROOT, env=env, input=stdin, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stdout + done.stderr
    with live_server(env, base / "server.log") as url:
        yield url


def _done(page, label):
    return page.locator("#first-day li.done", has_text=label).count() == 1


def test_first_day_from_an_empty_database_to_a_card_pdf(context_factory, empty_server, tmp_path):
    from tests._helpers import ledger_bytes

    server = empty_server
    small = {"java_script_enabled": False, "viewport": {"width": 360, "height": 740}}
    page = context_factory(**small).new_page()
    log_in(page, server, "admin", ADMIN_PASSWORD)
    assert page.locator("#first-day li").count() == 8
    assert not _done(page, "填写乡镇")

    # Nothing prints before the township has a name.
    response = page.request.get(server + "/print/cards.pdf?village=1")
    assert response.status == 409 and "系统设置" in response.text()

    # 1–2. Settings: name, address, office phone, network address.
    page.get_by_role("link", name="填写乡镇（街道）名称、地址和办公室电话").click()
    page.get_by_label("乡镇（街道）名称").fill("柳河镇")
    page.get_by_label("乡镇地址").fill("柳河镇人民政府")
    page.get_by_label("办公室电话").fill("0931-5551234")
    page.get_by_label("本系统内网地址").fill(server)
    page.get_by_role("button", name="保存").click()
    page.goto(server + "/")
    assert _done(page, "填写乡镇") and _done(page, "内网地址")

    # 3. Villages and grids pasted from a sheet: preview, then confirm.
    page.get_by_role("link", name="建立村（社区）和网格").click()
    page.get_by_role("link", name="从 Excel 批量导入").click()
    page.get_by_label("或粘贴表格").fill(
        "村（社区）\t网格\t排序\n东村\t1组\t1\n东村\t2组\t2\n西村\t1组\t1\n"
    )
    page.get_by_role("button", name="预览").click()
    assert page.locator("table.list tbody tr").count() == 3
    page.get_by_role("button", name="确认导入").click()
    assert "已新增 2 个村（社区）、3 个网格" in page.content()

    # 4. Accounts in bulk; the slip's one-time password must be replaced at first login.
    page.goto(server + "/admin/users/bulk")
    page.get_by_label("或粘贴表格").fill(
        "姓名\t登录名\t角色\t村/网格\t电话\n李村长\tlicz\t村干部\t东村\t\n"
    )
    page.get_by_role("button", name="预览").click()
    page.get_by_role("button", name="创建并打印密码条").click()
    one_time = page.locator(".slip .pw").inner_text()
    cadre = context_factory(**small).new_page()
    cadre.goto(server + "/login")
    cadre.get_by_label("登录名").fill("licz")
    cadre.get_by_label("密码").fill(one_time)
    cadre.get_by_role("button", name="登录").click()
    cadre.wait_for_url(server + "/account/password")
    cadre.get_by_label("一次性密码").fill(one_time)
    cadre.get_by_label("新密码").fill("licz56789")
    cadre.get_by_role("button", name="保存").click()
    cadre.wait_for_url(server + "/")

    # 7. A village's ledger, previewed then imported.
    ledger = tmp_path / "东村台账.xlsx"
    ledger.write_bytes(ledger_bytes())
    page.goto(server + "/import")
    page.get_by_label("导入到").select_option(label="东村")
    page.get_by_label("Excel 文件").set_input_files(str(ledger))
    page.get_by_role("button", name="上传并预览").click()
    page.get_by_role("button", name=re.compile("确认导入")).click()
    page.goto(server + "/")
    assert _done(page, "建立村") and _done(page, "建账号")

    # 8. The cards of the village as a PDF.
    village = re.search(r"village=(\d+)", page.content())
    response = page.request.get(
        server + "/print/cards.pdf?village=" + (village.group(1) if village else "1")
    )
    assert response.status == 200 and response.body().startswith(b"%PDF")
    page.goto(server + "/")
    assert _done(page, "打印便民服务联系卡")
