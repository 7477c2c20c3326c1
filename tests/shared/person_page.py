"""A person's page kept in memory (tests/test_person_page_keep.py,
tests/test_child_page_views.py): its scope check's reads, its audited views, and the form
values to change the person by."""

import pytest

from liushou.models import AuditLog
from liushou.queries import person_page


@pytest.fixture(name="checks")
def page_checks(monkeypatch):
    """`checks`: the person ids the page's scope check read from the database (a kept check:
    none). Imported by name into a test module, used there as the fixture `checks`."""
    read = []
    real = person_page._read_page_check

    def spy(scope, person_id):
        read.append(person_id)
        return real(scope, person_id)

    monkeypatch.setattr(person_page, "_read_page_check", spy)
    return read


def views_of(person, object_type=None):
    """How many views of `person`'s page the audit log holds (of `object_type` only, if
    given)."""
    where = (AuditLog.action == "view") & (AuditLog.object_id == person.id)
    if object_type is not None:
        where &= AuditLog.object_type == object_type
    return AuditLog.select().where(where).count()


def values(person):
    """A person's form values as saved (enough for save_person to keep the rest)."""
    return {
        "household": person.household_id,
        "name": person.name,
        "birth_date": person.birth_date.isoformat(),
        "sex": person.sex,
        "father_status": person.father_status,
        "mother_status": person.mother_status,
    }
