"""Counting the SQL statements a save runs (tests/test_save_person_statements.py,
tests/test_household_statements.py)."""

import threading

from liushou.db import database
from liushou.services import SYSTEM
from liushou.services.persons import save_person
from tests._helpers import ALL as EVERYTHING

MEMBERS = [
    ("父亲", "1985-03-01", "男", {}),
    ("母亲", "1987-05-01", "女", {}),
    ("爷爷", "1950-01-01", "男", {}),
    ("孙女", "2016-04-01", "女", {"father_status": "外出务工", "mother_status": "外出务工"}),
]


def _register(home, name, birth, sex, extra):
    return save_person(
        SYSTEM,
        EVERYTHING,
        {"household": home.id, "name": name, "birth_date": birth, "sex": sex, **extra},
    )


def _statements(call):
    seen = []
    me = threading.get_ident()  # this thread's statements, not a background recount's

    def hook(event):
        if threading.get_ident() == me:
            seen.append(event.sql)

    database.query_hooks.append(hook)
    try:
        call()
    finally:
        database.query_hooks.pop()
    return seen
