"""The printing module: Chinese fonts embedded, footer, local resources only, doctor."""

import io
import multiprocessing
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime

import pytest
from flask import g
from pypdf import PdfReader

from liushou import clock
from liushou.printing import pool, render
from liushou.views import print_response


def _fonts(pdf):
    names = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            names.add(str(font.get("/BaseFont")))
    return names


@pytest.fixture
def sheet(app, tmp_path):
    (tmp_path / "print").mkdir()
    app.jinja_loader.searchpath.append(str(tmp_path))
    (tmp_path / "print" / "probe.html").write_text(
        '{% extends "print/_sheet.html" %}{% block body %}<h1>留守儿童台账 骨角直</h1>'
        "<table><thead><tr><th>姓名</th></tr></thead><tbody>"
        "{% for i in range(80) %}<tr><td>张三{{ i }}</td></tr>{% endfor %}</tbody></table>"
        "{% endblock %}",
        encoding="utf-8",
    )
    return "probe.html"


def test_pdf_embeds_a_cjk_font_with_footer(app, sheet):
    from liushou.services import SYSTEM
    from liushou.services.settings import update_settings

    update_settings(SYSTEM, {"township_name": "柳河镇"})
    with app.test_request_context():
        g.user = None
        html = print_response.html(sheet)
        pdf = print_response.pdf([html])
    assert pdf.startswith(b"%PDF")
    fonts = _fonts(pdf)
    assert any("Noto-Sans-CJK-SC" in f for f in fonts), fonts
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 2
    text = reader.pages[0].extract_text()
    assert "第 1 页 / 共" in text and "柳河镇" in text


def test_external_resources_are_refused(app):
    with app.test_request_context():
        with pytest.raises(ValueError):
            render.local_fetcher().fetch("http://127.0.0.1:9/x.png")
        pdf = print_response.pdf(['<img src="http://127.0.0.1:9/x.png"><p>仍可打印</p>'])
        assert pdf.startswith(b"%PDF")


def test_doctor_reports_fonts_and_harfbuzz(runner):
    result = runner.invoke(args=["doctor"])
    assert "Noto Sans CJK SC已安装" in result.output, result.output
    assert "HarfBuzz 字体子集库已安装" in result.output
    assert result.exit_code == 0


def test_long_batches_render_in_parallel_chunks_joined_in_order(app, sheet):
    with app.test_request_context():
        g.user = None
        htmls = [
            f'<html style="font-family:Noto Sans CJK SC"><p>第{i}块 张三</p></html>'
            for i in range(3)
        ]
        pdf = print_response.pdf(htmls)
    reader = PdfReader(io.BytesIO(pdf))
    assert [p.extract_text().strip() for p in reader.pages] == [
        "第0块 张三",
        "第1块 张三",
        "第2块 张三",
    ]


def test_render_needs_no_request_and_follows_the_clock(app, sheet):
    with app.app_context(), clock.freeze(datetime(2026, 11, 1, 8, 30)):
        html = render.html(sheet, printed_by="张三", township="测试镇")
        assert "测试镇 · 张三 打印于 2026-11-01 08:30" in html
        assert "系统 打印于 2026-11-01 08:30" in render.html(sheet, township="测试镇")
        one = render.pdf(html, render.base_url(app.static_folder))  # in this process
    pages = len(PdfReader(io.BytesIO(one)).pages)
    assert render.join([one]) == one
    assert len(PdfReader(io.BytesIO(render.join([one, one]))).pages) == 2 * pages


def test_a_pool_broken_by_a_dead_worker_is_replaced(app):
    base = render.base_url(app.static_folder)
    assert pool.pdf("<p>一</p>", base).startswith(b"%PDF")
    workers = multiprocessing.active_children()
    assert workers
    for worker in workers:
        worker.kill()
        worker.join()
    try:  # the print that finds the pool broken may fail; the next one starts a fresh pool
        pool.pdf("<p>二</p>", base)
    except BrokenProcessPool:
        pass
    assert pool.pdf("<p>三</p>", base).startswith(b"%PDF")
