"""A write PostgreSQL rolled back for a conflict with another writer (serialization failure,
deadlock) runs once more; a second conflict is the 503 page (db.is_locked), other errors are
not retried."""

import pytest
from peewee import IntegrityError, OperationalError

from liushou.db import is_locked, retry_write


class _Cause(Exception):
    def __init__(self, sqlstate):
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def _failure(sqlstate, kind=OperationalError):
    error = kind(f"conflict {sqlstate}")
    error.__cause__ = _Cause(sqlstate)
    return error


def _work(failures):
    calls = []

    def work():
        calls.append(len(calls))
        if len(calls) <= len(failures):
            raise failures[len(calls) - 1]
        return "saved"

    return work, calls


@pytest.mark.parametrize("sqlstate", ["40001", "40P01"])
def test_a_write_rolled_back_for_a_conflict_runs_once_more(app, sqlstate):
    work, calls = _work([_failure(sqlstate)])
    assert retry_write(work) == "saved"
    assert len(calls) == 2


def test_a_second_conflict_is_the_busy_page(app):
    work, calls = _work([_failure("40001"), _failure("40001")])
    with pytest.raises(OperationalError) as raised:
        retry_write(work)
    assert len(calls) == 2
    assert is_locked(raised.value)


@pytest.mark.parametrize(
    "error",
    [_failure("55P03"), OperationalError("disk I/O error"), _failure("23505", IntegrityError)],
)
def test_other_errors_are_not_retried(app, error):
    work, calls = _work([error])
    with pytest.raises(type(error)):
        retry_write(work)
    assert len(calls) == 1
