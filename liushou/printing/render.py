"""Template → HTML, and the chunks' PDFs joined into one, with nothing of a web request or an
audit in it. The layout itself (HTML → PDF) is in `worker`, which the PDF worker processes run;
`pdf` and `local_fetcher` are re-exported here for laying out in this process.
"""

import hashlib
import html as html_escape
import io
import re
from pathlib import Path

from flask import current_app

from .. import clock, settings
from .worker import LAYER_ID_PREFIX, layout, local_fetcher, pdf  # noqa: F401 (re-exported)

CJK_FAMILY = "Noto Sans CJK SC"


def html(template, *, printed_by="系统", printed_at=None, township=None, **context):
    """The HTML of templates/print/<template>, with the footer's township, user and time.

    Needs the application (its templates and settings), not a request.
    """
    context["printed_by"] = printed_by
    context["printed_at"] = printed_at or clock.now()
    context["township"] = settings.get("township_name") if township is None else township
    return current_app.jinja_env.get_template(f"print/{template}").render(context)


def base_url(static_folder):
    """The base URL the printouts' relative links (CSS, images) resolve against."""
    return Path(static_folder).as_uri() + "/"


class NotShared(Exception):
    """The chunks cannot share the glyph page's fonts: lay them out again with their own."""


def glyph_html(htmls):
    """A one-page document that writes every character of `htmls`, regular and bold.

    Laid out by WeasyPrint like any chunk, its font subsets hold every glyph the chunks use:
    WeasyPrint keeps each glyph's id when it subsets (a glyph is addressed by its id in the
    page's text) and names a face after its description, not its content, so the chunks'
    pages can all share this document's fonts (see `join`). The characters are taken from
    the whole markup (tags and style included): a small superset of the text, which also
    covers the footer written in the style sheet.
    """
    chars = set("&<>\"'")
    for text in htmls:
        chars.update(text)
    chars -= set("\r\n\t")
    # Characters common to all scripts (digits, spaces, punctuation) take the script of the
    # text before them, and the font may give them another glyph in Chinese text than in
    # Latin text: write each of them both in a row and after a Chinese character.
    line = "".join(sorted(chars))
    line += "".join("字" + c for c in sorted(chars) if ord(c) < 0x2E80)
    line = html_escape.escape(line)
    return (
        '<!doctype html><html lang="zh-CN" style="font-family:'
        f"'{CJK_FAMILY}',sans-serif;word-break:break-all\"><body>"
        f"<p>{line}</p><p><b>{line}</b></p></body></html>"
    )


def _glyph_ids(font):
    """The glyph ids a Type0 font dictionary of WeasyPrint's declares widths for."""
    ids = set()
    widths = font["/DescendantFonts"][0].get_object().get("/W") or []
    for i in range(0, len(widths) - 1, 2):
        start, values = int(widths[i]), widths[i + 1]
        ids.update(range(start, start + len(values)))
    return ids


def _shared_resources(readers, glyphs):
    """The one resource dictionary every page can use, as {category: {name: object}}, or
    None when the chunks cannot share one (then `join` keeps each chunk's own)."""
    from pypdf.generic import DictionaryObject  # pypdf: imported on the first print only

    fonts = {name: ref for name, ref in glyphs.pages[0]["/Resources"].get("/Font", {}).items()}
    covered = {name: _glyph_ids(ref.get_object()) for name, ref in fonts.items()}
    shared = {"/Font": fonts}
    for reader in readers:
        refs = {getattr(page.raw_get("/Resources"), "idnum", None) for page in reader.pages}
        if len(refs) != 1 or None in refs:
            return None  # WeasyPrint gives all pages of a document one resource dictionary
        for category, entries in reader.pages[0]["/Resources"].items():
            entries = entries.get_object()
            if not isinstance(entries, DictionaryObject):
                shared.setdefault(category, entries)
                continue
            if category == "/Font":
                for name, ref in entries.items():
                    if name not in covered or not _glyph_ids(ref.get_object()) <= covered[name]:
                        return None  # a glyph or a face the glyph page lacks
                continue
            if category in ("/Pattern", "/Shading") and entries:
                return None  # named per document: not comparable across chunks
            target = shared.setdefault(category, {})
            for name, ref in entries.items():
                # Images are named after their content, graphic states after their values.
                target.setdefault(name, ref)
    return shared


_LAYER = re.compile(r'<script type="text/x-layer" data-key="([^"<>]+)">(.*?)</script>', re.S)
_LAYER_STYLE = re.compile(r'<script type="text/x-layer-style">(.*?)</script>', re.S)


class Batch:
    """A printout laid out as one or more chunks, and what its chunks share.

    Layers: the part of a printout that is the same in many places (a village's part of a
    contact card) is laid out once, as one page of the layer document, and drawn wherever an
    element carries id="layer-<key>.<n>" (see worker.layout), at that element's top-left
    corner. A chunk names its layers in `<script type="text/x-layer" data-key="<key>">` blocks
    (HTML for the body of the layer's page; scripts are never displayed) and gives the layer
    document's style sheet in a `<script type="text/x-layer-style">` block. Layers are told
    apart by their content across the chunks, so a village's part is laid out once per batch.
    """

    def __init__(self, htmls):
        self.htmls = list(htmls)
        self.keys = []  # per chunk: {key in the chunk: layer}
        fragments, style = {}, ""
        for text in self.htmls:
            mapping = {}
            for key, fragment in _LAYER.findall(text):
                layer = hashlib.sha1(fragment.encode()).hexdigest()[:16]
                fragments.setdefault(layer, fragment)
                mapping[key] = layer
            self.keys.append(mapping)
            found = _LAYER_STYLE.search(text)
            style = found.group(1) if found else style
        self.layers = list(fragments)
        self.layer_html = None
        if fragments:
            body = "".join(f'<div class="layer">{fragments[k]}</div>' for k in self.layers)
            self.layer_html = (
                '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
                f"<style>{style}</style></head><body>{body}</body></html>"
            )
        # Chunks share the glyph page's fonts when there is more than one document.
        self.shared = len(self.htmls) > 1 or self.layer_html is not None
        self.glyph_html = glyph_html(self.htmls) if self.shared else None


def pdf_joined(htmls, base):
    """`pool.joined` in this process (debugging, profiling)."""
    batch = Batch(htmls)
    if not batch.shared:
        return pdf(htmls[0], base)
    glyphs = pdf(batch.glyph_html, base)
    layers = pdf(batch.layer_html, base, fonts=False) if batch.layer_html else None
    try:
        return join([layout(h, base, fonts=False) for h in htmls], glyphs, layers, batch)
    except NotShared:
        layers = pdf(batch.layer_html, base) if batch.layer_html else None
        return join([layout(h, base) for h in htmls], None, layers, batch)


def _stream(data, **entries):
    from pypdf.generic import DecodedStreamObject, NameObject

    stream = DecodedStreamObject()
    stream.set_data(data)
    stream = stream.flate_encode()
    for key, value in entries.items():
        stream[NameObject("/" + key)] = value
    return stream


def _forms(writer, reader, batch, resources=None):
    """{layer: (XObject name, form object ref, height)} of the layer document's pages.

    `resources`: the shared resource dictionary every page uses; else each form keeps its
    page's own (a layer document with its own fonts)."""
    from pypdf.generic import ArrayObject, FloatObject, NameObject

    forms = {}
    # One page per layer: a card-sized page whose content is fixed in height.
    for layer, page in zip(batch.layers, reader.pages, strict=False):
        box = ArrayObject(FloatObject(v) for v in page.mediabox)
        own = resources if resources is not None else page["/Resources"].clone(writer)
        form = _stream(
            page.get_contents().get_data(),
            Type=NameObject("/XObject"),
            Subtype=NameObject("/Form"),
            BBox=box,
            Resources=own,
        )
        forms[layer] = (NameObject(f"/L{layer}"), writer._add_object(form), float(box[3]))
    return forms


def _draw_layers(writer, page, places, mapping, forms):
    """Draw the layers' forms on a page added to `writer`, each at its place."""
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject

    if not places:
        return
    height = float(page.mediabox.height)
    ops, names = [], {}
    for key, x, y in places:
        if key not in mapping:
            raise ValueError(f"layer {key} has no <script type=text/x-layer> block")
        name, ref, form_height = forms[mapping[key]]
        names[name] = ref
        ops.append(f"q 1 0 0 1 {x:.3f} {height - y - form_height:.3f} cm {name} Do Q")
    resources = page["/Resources"]
    xobjects = resources.get("/XObject")
    if xobjects is None:
        xobjects = resources[NameObject("/XObject")] = DictionaryObject()
    xobjects = xobjects.get_object()
    for name, ref in names.items():
        xobjects.setdefault(name, ref)
    head = writer._add_object(_stream(b"q\n"))
    tail = writer._add_object(_stream(("Q\n" + "\n".join(ops) + "\n").encode()))
    page[NameObject("/Contents")] = ArrayObject([head, page.raw_get("/Contents"), tail])


def join(parts, glyphs=None, layers=None, batch=None):
    """Chunk PDFs joined in order into one PDF.

    `parts`: each chunk's PDF bytes, or (PDF bytes, layer places) from worker.layout.
    With `glyphs` (the PDF of `glyph_html` over the chunks, which were written with
    `fonts=False`), every page shares one resource dictionary: one subset of each font face
    for the whole printout, and each image once. NotShared if a chunk uses a face or a glyph
    the glyph page lacks (never seen: it would take a character drawn another way in a
    chunk than on the glyph page).
    `layers`: the PDF of `batch.layer_html`, written like the chunks (without fonts when
    `glyphs` is given); its pages are drawn as forms at the places the chunks report.
    """
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import DictionaryObject, NameObject

    parts = [p if isinstance(p, tuple) else (p, None) for p in parts]
    if len(parts) == 1 and glyphs is None and layers is None:
        return parts[0][0]
    writer = PdfWriter()
    readers = [PdfReader(io.BytesIO(data)) for data, _ in parts]
    layer_reader = PdfReader(io.BytesIO(layers)) if layers is not None else None
    resources_ref = None
    if glyphs is not None:
        others = readers + ([layer_reader] if layer_reader else [])
        shared = _shared_resources(others, PdfReader(io.BytesIO(glyphs)))
        if shared is None:
            raise NotShared()
        resources = DictionaryObject()
        for category, entries in shared.items():
            if isinstance(entries, dict):
                entries = DictionaryObject(
                    {NameObject(name): ref.clone(writer) for name, ref in entries.items()}
                )
            else:
                entries = entries.clone(writer)
            resources[NameObject(category)] = entries
        resources_ref = writer._add_object(resources)
    forms = _forms(writer, layer_reader, batch, resources_ref) if layer_reader else {}
    for index, (reader, (_, places)) in enumerate(zip(readers, parts, strict=True)):
        mapping = batch.keys[index] if batch else {}
        for number, page in enumerate(reader.pages):
            if resources_ref is None:
                added = writer.add_page(page)
            else:
                added = writer.add_page(page, excluded_keys=("/Resources",))
                added[NameObject("/Resources")] = resources_ref
            _draw_layers(writer, added, places[number] if places else None, mapping, forms)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
