"""county-load refuses, with a message and nothing written, what the county database could not
hold the same way on both engines: a text past its column's length, a county database held by
another load; and reads the file with its schema untrusted."""

import sqlite3

from peewee import OperationalError

from liushou import county_load
from tests.shared.county import _load, _table_counts, old_file  # noqa: F401


def test_a_text_longer_than_its_column_is_refused_with_where_it_is(app, runner, old_file):  # noqa: F811
    con = sqlite3.connect(old_file)
    with con:  # SQLite keeps a VARCHAR(100) of any length; PostgreSQL would refuse it
        con.execute('UPDATE "village" SET "name" = ? WHERE "code" = ?', ("长" * 500, "V01"))
    con.close()
    counts = _table_counts()
    result = _load(runner, old_file, "T07")
    assert result.exit_code != 0
    assert "village 表" in result.output and "500 个字符" in result.output
    assert "没有载入" in result.output and "Traceback" not in result.output
    assert _table_counts() == counts


def test_a_county_database_held_by_another_load_is_a_message(
    app,
    runner,
    old_file,  # noqa: F811
    monkeypatch,
):
    def busy(*args):
        raise OperationalError("database is locked")

    monkeypatch.setattr(county_load, "_load", busy)
    counts = _table_counts()
    result = _load(runner, old_file, "T08")
    assert result.exit_code != 0
    assert "正被另一个载入或写入占用" in result.output and "没有载入" in result.output
    assert _table_counts() == counts


def test_the_files_schema_is_not_trusted(app, runner, old_file, monkeypatch):  # noqa: F811
    reads = []
    real_load = county_load._load

    def spy(source, *args):
        reads.append(
            (
                source.execute("PRAGMA trusted_schema").fetchone()[0],
                source.execute("PRAGMA query_only").fetchone()[0],
            )
        )
        return real_load(source, *args)

    monkeypatch.setattr(county_load, "_load", spy)
    assert _load(runner, old_file, "T09").exit_code == 0
    assert reads == [(0, 1)]
