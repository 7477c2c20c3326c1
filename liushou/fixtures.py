"""The plain data files in the top-level `fixtures/` folder, read once and cached.

CSV files start with `#` comment lines saying what they hold, then a header row; TOML files
are read with tomllib. A missing or malformed file raises `FixtureError` naming it.
"""

import csv
import io
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "fixtures"

_cache: dict = {}  # file name -> what it holds


class FixtureError(RuntimeError):
    """A fixtures file is missing or malformed."""


def path(name):
    """The path of fixtures file `name` (e.g. "names.csv", "ledgers/clean.xlsx")."""
    return ROOT / name


def table(name):
    """Rows of a CSV file as a tuple of dicts (comment lines starting with # skipped)."""
    if name not in _cache:
        lines = [line for line in _text(name).splitlines() if not line.startswith("#")]
        rows = tuple(csv.DictReader(io.StringIO("\n".join(lines))))
        if not rows:
            raise FixtureError(f"fixtures file has no rows: {path(name)}")
        for number, row in enumerate(rows, start=2):
            if None in row or None in row.values():
                raise FixtureError(
                    f"fixtures file {path(name)}: data row {number} does not match the header"
                )
        _cache[name] = rows
    return _cache[name]


def toml(name):
    """A TOML file as a dict."""
    if name not in _cache:
        try:
            _cache[name] = tomllib.loads(_text(name))
        except tomllib.TOMLDecodeError as e:
            raise FixtureError(f"fixtures file {path(name)}: {e}") from None
    return _cache[name]


def read():
    """The names of the files read (and cached) so far."""
    return set(_cache)


def clear():
    """Forget every file read, so the next call reads it again."""
    _cache.clear()


def _text(name):
    file = path(name)
    try:
        return file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FixtureError(
            f"fixtures file missing: {file} (the demo reads its data from {ROOT})"
        ) from None
