"""A child's page read again and again: each read writes its committed audit row, and that row
changes nothing a kept page or figure is kept under (the data generation, the kept page, the
kept scope check), whether it went through the group commit or was the periodic flushed read;
a change to the child (his carer) shows on the very next view."""

import pytest

from liushou import figure_cache
from liushou.db import data_generation
from liushou.models import AuditLog
from liushou.services import SYSTEM, audit
from liushou.services.persons import save_person
from tests._helpers import ALL, text
from tests.shared.person_page import page_checks, values, views_of  # noqa: F401 - a fixture

pytestmark = pytest.mark.usefixtures("never_slow")


def _generations(village_ids):
    return (
        data_generation(),
        data_generation(registry=True),
        data_generation(village_ids),
        data_generation(village_ids, registry=True),
    )


@pytest.mark.parametrize("flushed", [False, True], ids=["grouped", "flushed"])
def test_a_view_row_moves_no_generation_and_drops_no_kept_page_or_figure(
    homes, login_as, stored, checks, monkeypatch, flushed
):
    # Every read the periodic flushed one (committed on the request's connection), or none.
    monkeypatch.setattr(audit, "READ_SYNC_SECONDS", 0.0 if flushed else 3600.0)
    kid = homes["kids"][0]
    village = homes["h1"].village_id
    client = login_as("cun1")
    assert client.get("/").status_code == 200  # the home counts its figures once
    first = text(client, f"/persons/{kid.id}")
    before = _generations([village])
    counted = []
    monkeypatch.setattr(
        figure_cache, "_compute", lambda *a, **k: counted.append(a) or pytest.fail("recount")
    )
    for n in range(2, 6):
        assert text(client, f"/persons/{kid.id}") == first
        assert views_of(kid) == n
    assert client.get("/").status_code == 200  # its figures still kept: nothing recounted
    assert _generations([village]) == before
    drawn = [path for _user, path in stored if path.startswith(f"/persons/{kid.id}")]
    assert len(drawn) == 1 and checks == [kid.id]  # drawn and checked once
    assert not counted


def test_a_carer_change_shows_on_the_next_view_and_both_views_are_audited(
    homes, login_as, stored, checks
):
    kid = homes["kids"][0]
    client = login_as("cun1")
    assert "未填" in text(client, f"/persons/{kid.id}")
    assert text(client, f"/persons/{kid.id}")  # kept
    save_person(
        SYSTEM,
        ALL,
        {**values(kid), "carer_name": "祖母甲", "carer_relation": "祖母"},
        person=kid,
    )
    page = text(client, f"/persons/{kid.id}")
    assert "祖母甲" in page
    assert views_of(kid) == 3
    labels = {
        row.object_label
        for row in AuditLog.select().where(
            (AuditLog.action == "view") & (AuditLog.object_id == kid.id)
        )
    }
    assert labels == {kid.name}
