"""Real browser at 360 px: a village cadre attaches a phone photo to a child's page, JS off and on;
a wrong file comes back with its message by the field."""

import re

import pytest
from PIL import Image

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def _photo(tmp_path, name="门口.jpg"):
    path = tmp_path / name
    img = Image.new("RGB", (2400, 1800), "teal")
    exif = Image.Exif()
    exif[0x0112] = 6  # taken with the phone held upright
    img.save(path, "JPEG", exif=exif)
    return path


@pytest.mark.parametrize("js", [False, True])
def test_upload_a_photo_at_360_px(context_factory, server, tmp_path, js):
    page = context_factory(
        java_script_enabled=js, viewport={"width": 360, "height": 740}
    ).new_page()
    log_in(page, server, "cun03")
    page.goto(server + "/persons?group=留守儿童")
    page.locator("#rows tbody a").first.click()
    page.wait_for_url(re.compile(r".*/persons/\d+$"))
    person_url = page.url
    section = page.locator("#attachments")
    picker = section.get_by_label("拍照或选择文件")
    assert picker.get_attribute("accept") == "image/*,application/pdf"
    assert picker.get_attribute("capture") is not None
    caption = f"入户照片{'有' if js else '无'}脚本"
    picker.set_input_files(str(_photo(tmp_path)))
    section.get_by_label("说明").fill(caption)
    # With JS, htmx (hx-boost) sends the same multipart form and swaps the page in.
    with page.expect_response(lambda r: r.request.method == "POST"):
        section.get_by_role("button", name="上传").click()
    page.wait_for_url(re.compile(r".*/persons/\d+(#attachments)?$"))
    page.get_by_text("已上传照片").wait_for()
    thumb = page.locator(f'#attachments img[alt="{caption}"]')
    assert thumb.count() == 1
    # The thumbnail really loads, portrait (turned upright), and fits the narrow screen.
    shown_width, natural_height, natural_width = thumb.evaluate(
        "img => [img.getBoundingClientRect().width, img.naturalHeight, img.naturalWidth]"
    )
    assert 0 < natural_width < natural_height and shown_width <= 360
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    # A text file named .jpg: refused with the message next to the field, nothing attached.
    page.goto(person_url)
    bad = tmp_path / "假照片.jpg"
    bad.write_text("这不是照片")
    page.locator("#attachments").get_by_label("拍照或选择文件").set_input_files(str(bad))
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.locator("#attachments").get_by_role("button", name="上传").click()
    page.locator(".field.bad .err").wait_for()
    assert "不是可以上传的文件类型" in page.locator(".field.bad .err").inner_text()
    page.goto(person_url)
    assert page.locator(f'#attachments img[alt="{caption}"]').count() == 1
