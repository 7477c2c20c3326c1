"""Small sheets typed or pasted by an admin (villages and grids, accounts): header detection and
pasted lines. Plain values in and out."""

import re

from .text import halfwidth

_STRIP = re.compile(r"[\s()（）\[\]【】:：*＊/／、]")


def _key(text):
    return _STRIP.sub("", halfwidth(str(text or "")))


def find_header(rows, columns, required, max_scan=15):
    """(index, {column index: key}) of the first row naming every `required` key; title rows
    above the header are skipped. `columns` maps our key to the header names offices use.
    (None, {}) when no such row is found."""
    lookup = {_key(name): key for key, names in columns.items() for name in names}
    for index, row in enumerate(rows[:max_scan]):
        mapping = {}
        for col, cell in enumerate(row):
            key = lookup.get(_key(cell))
            if key and key not in mapping.values():
                mapping[col] = key
        if set(required) <= set(mapping.values()):
            return index, mapping
    return None, {}


def pasted_rows(text):
    """Rows from text pasted out of a spreadsheet (tab-separated) or typed with commas; a line
    with neither is split on spaces."""
    rows = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        if "\t" in line:
            cells = line.split("\t")
        elif re.search(r"[,，]", line):
            cells = re.split(r"[,，]", line)
        else:
            cells = line.split()
        rows.append([c.strip() for c in cells])
    return rows


def cell_text(value):
    """A cell as trimmed text: numbers Excel stored as floats lose their '.0'."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return halfwidth(str(value)).strip() if isinstance(value, (int, float)) else str(value).strip()


def as_text(rows):
    """Rows as tab-separated lines (to carry a previewed sheet in a form field)."""
    return "\n".join("\t".join(cell_text(c).replace("\t", " ") for c in row) for row in rows)
