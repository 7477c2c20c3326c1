"""An edit form's version checked inside the save's own transaction.

An edit page (views/forms.form_page) carries a version of what it showed; before calling the
service it compares that version with the record as its request read it. Two saves of one
version at the same instant both pass that comparison: each read the record before the other
wrote. So the comparison is made once more in the writing transaction, the first time the
service writes the record (services.changes.apply_changes, a person's save: `hold`), with the
record's row read again and locked (PostgreSQL: FOR UPDATE; SQLite: the transaction holds the
write lock from BEGIN): the second save then reads the first one's commit, finds the form out of
date and raises `Conflict`, which rolls its transaction back: nothing of it is written.
"""

import threading
from contextlib import contextmanager

from ..db import database

_held = threading.local()  # .check: (model, primary key, check(fresh record)) of the save


class Conflict(Exception):  # noqa: N818 - an outcome the page shows, not a fault
    """Someone else changed what the form showed, found in the writing transaction: `rows` and
    `merged` as views/forms._merge gives them, `now` the form's values as stored now."""

    def __init__(self, rows, merged, now):
        super().__init__("the form's version is out of date")
        self.rows, self.merged, self.now = rows, merged, now


@contextmanager
def checking(record, check):
    """Within the block (one attempt of a form's save), `check(fresh)` runs in the writing
    transaction the first time a service writes `record` (`hold`), `fresh` being the record
    read again, locked; it raises Conflict when the form is out of date."""
    outer = getattr(_held, "check", None)
    _held.check = (type(record), record._pk, check)
    try:
        yield
    finally:
        _held.check = outer


def hold(obj):
    """In the caller's transaction, before `obj` is written: when a form's save is checking
    `obj` (`checking`), read it again locked and run the check (once: its own writes follow)."""
    held = getattr(_held, "check", None)
    if held is None:
        return
    model, pk, check = held
    if type(obj) is not model or obj._pk != pk:
        return
    _held.check = None
    every = getattr(model, "with_voided", model.select)  # a Person is voided too, not Voidable
    query = every().where(model._meta.primary_key == pk)
    if database.is_postgres:
        query = query.for_update()
    fresh = query.first()
    if fresh is not None:  # gone: the service says so its own way
        check(fresh)
