"""Long card batches (issue 17 item 5): chunks laid out side by side and joined into one PDF
that embeds one subset of each font face, holding every glyph the cards use; size per card
bounded; QR codes still scannable."""

import io
import re
from datetime import datetime, time

import pytest
from fontTools.pens.boundsPen import BoundsPen
from fontTools.ttLib import TTFont
from PIL import Image
from pypdf import PdfReader

from liushou import clock
from liushou.models.households import Household
from liushou.models.persons import Person
from liushou.printing import pool, render, worker
from liushou.views import printouts
from tests.conftest import PASSWORD, csrf_token


def _login(app):
    client = app.test_client()
    token = csrf_token(client, "/login")
    data = {"username": "admin", "password": PASSWORD, "csrf_token": token}
    assert client.post("/login", data=data).status_code == 303
    return client


def _card_households(app):
    """(id, head's name) of every household that gets a card."""
    with app.app_context():
        return [
            (h.id, h.head_name)
            for h in Household.select().order_by(Household.id)
            if Person.active().where((Person.household == h) & (Person.groups != "")).exists()
        ]


def _fonts(reader):
    """{resource name: font dictionary} over all pages, and the font files by object id."""
    fonts, files = {}, {}
    for page in reader.pages:
        for name, ref in page["/Resources"]["/Font"].items():
            font = ref.get_object()
            fonts.setdefault(name, font)
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            ref = descriptor.get_object().raw_get("/FontFile3")
            files[ref.idnum] = ref.get_object().get_data()
    return fonts, files


def _glyphs_drawn(reader):
    """{font resource name: glyph ids} drawn by the pages' text (WeasyPrint writes each glyph
    as a 4-digit hex id in TJ arrays after a Tf)."""
    used = {}
    streams = [page.get_contents().get_data() for page in reader.pages]
    # The village's part of each card is a form drawn on the page (render.join's layers).
    xobjects = reader.pages[0]["/Resources"].get("/XObject") or {}
    forms = [x.get_object() for x in xobjects.values()]
    streams += [f.get_data() for f in forms if f["/Subtype"] == "/Form"]
    for content in streams:
        font = None
        content = content.decode("latin-1")
        for token in re.finditer(r"/(\w+) [\d.]+ Tf|\[([^\]]*)\] TJ", content):
            if token.group(1):
                font = "/" + token.group(1)
            else:
                for hexes in re.findall(r"<([0-9a-f]+)>", token.group(2)):
                    ids = {int(hexes[i : i + 4], 16) for i in range(0, len(hexes), 4)}
                    used.setdefault(font, set()).update(ids)
    return used


@pytest.fixture
def cards_pdf(demo_app, monkeypatch):
    """Every demo household's card as one PDF, laid out two sheets to a chunk (so that it is
    joined from many chunks), at a fixed time so that its bytes do not vary."""
    monkeypatch.setattr(printouts, "SHEETS_PER_CHUNK", 2)
    client = _login(demo_app)
    households = _card_households(demo_app)
    assert len(households) > 50
    query = "&".join(f"household={i}" for i, _ in households)
    # Today (the demo's settings start on the day it was built), at a fixed hour.
    with clock.freeze(datetime.combine(clock.today(), time(9, 0))):
        response = client.get(f"/print/cards.pdf?{query}")
    assert response.status_code == 200
    return response.get_data(), [head for _, head in households]


def test_joined_cards_embed_one_subset_per_face_with_every_glyph(cards_pdf):
    data, heads = cards_pdf
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == -(-len(heads) // 10)
    text = "".join("".join(page.extract_text().split()) for page in reader.pages)
    assert text.count("便民服务联系卡") == len(heads)
    assert all(head in text for head in heads)

    fonts, files = _fonts(reader)
    names = sorted(str(f["/BaseFont"]).split("+")[1] for f in fonts.values())
    assert names == ["Noto-Sans-CJK-SC", "Noto-Sans-CJK-SC-Bold"]
    assert len(files) == 2  # one subset per face for the whole batch, not one per chunk
    # Every page uses the same resources, hence the same fonts.
    assert len({page.raw_get("/Resources").idnum for page in reader.pages}) == 1

    drawn = _glyphs_drawn(reader)
    assert set(drawn) == set(fonts)
    for name, font in fonts.items():
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        subset = TTFont(io.BytesIO(descriptor["/FontFile3"].get_data()))
        order, glyphs = subset.getGlyphOrder(), subset.getGlyphSet()
        widths = render._glyph_ids(font)
        cmap = font["/ToUnicode"].get_data().decode()
        chars = {
            int(gid, 16): bytes.fromhex(text).decode("utf-16-be")
            for gid, text in re.findall(r"<([0-9a-f]{4})> <([0-9a-f]+)>", cmap)
        }
        for gid in drawn[name]:
            assert gid in widths and gid in chars, (name, gid)
            pen = BoundsPen(glyphs)
            glyphs[order[gid]].draw(pen)
            # An outline for every drawn glyph but spaces: none was left out of the subset.
            assert pen.bounds is not None or chars[gid].isspace(), (name, gid, chars[gid])


def test_joined_cards_size_per_card_is_bounded(cards_pdf):
    data, heads = cards_pdf
    # Measured (demo, 152 cards in 8 chunks): 455 KB, most of it the two font subsets
    # (about 2,000 glyphs in all); on main each chunk of 100 cards embedded its own, 320 KB.
    # 1,000 cards make 0.85 MB (benchmarks/cards.py).
    assert len(data) <= 400_000 + 1_000 * len(heads), len(data)


def test_joined_cards_qr_codes_scan(cards_pdf, demo_app):
    import zxingcpp

    data, _ = cards_pdf
    reader = PdfReader(io.BytesIO(data))
    for page in (reader.pages[0], reader.pages[-1]):
        image = next(iter(page.images))
        decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(image.data)))
        assert decoded and decoded[0].text.startswith("MECARD:N:")


def test_a_glyph_missing_from_the_glyph_page_is_refused(app):
    base = render.base_url(app.static_folder)
    chunks = ['<html style="font-family:Noto Sans CJK SC"><p>留守</p></html>'] * 2
    parts = [render.pdf(h, base, fonts=False) for h in chunks]
    other = render.pdf(render.glyph_html(["<p>儿童</p>"]), base)
    with pytest.raises(render.NotShared):
        render.join(parts, other)
    # In-process printing falls back to chunks with their own fonts and stays readable.
    mixed = render.pdf_joined(chunks, base)
    assert [p.extract_text().strip() for p in PdfReader(io.BytesIO(mixed)).pages] == ["留守"] * 2


def test_each_card_draws_its_village_part_once_laid_out(cards_pdf):
    data, heads = cards_pdf
    reader = PdfReader(io.BytesIO(data))
    forms = {
        name: ref.get_object()
        for name, ref in reader.pages[0]["/Resources"]["/XObject"].items()
        if ref.get_object()["/Subtype"] == "/Form"
    }
    assert forms  # one per distinct village part, shared by every page
    drawn = 0
    for page in reader.pages:
        content = page.get_contents().get_data().decode("latin-1")
        drawn += sum(content.count(f"{name} Do") for name in forms)
    assert drawn == len(heads)  # every card, no card twice


def test_a_pdf_worker_loads_neither_flask_nor_the_database_layer(app):
    base = render.base_url(app.static_folder)
    assert pool.pdf("<p>一</p>", base).startswith(b"%PDF")
    assert pool.call(worker.imported, "weasyprint").result(timeout=60)
    for name in ("flask", "peewee", "liushou.models"):
        assert not pool.call(worker.imported, name).result(timeout=60), name


def test_pdf_workers_yield_the_cpu_to_the_servers_pages(app):
    """A worker lays out PDFs at a lower CPU priority than the server: under load the pages go
    first (a print waits, or becomes a background job with its progress page)."""
    import os

    base = render.base_url(app.static_folder)
    assert pool.pdf("<p>一</p>", base).startswith(b"%PDF")
    mine = os.nice(0)
    assert pool.call(worker.niceness).result(timeout=60) == min(19, mine + worker.PRIORITY)


def test_app_py_imported_by_a_spawned_worker_builds_no_app():
    """Under `python app.py`, multiprocessing's spawned workers run app.py as __mp_main__."""
    import subprocess
    import sys
    from pathlib import Path

    probe = (
        "import runpy, sys; runpy.run_path('app.py', run_name='__mp_main__'); "
        "print(sorted(m for m in ('flask', 'peewee', 'waitress') if m in sys.modules))"
    )
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=root, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
