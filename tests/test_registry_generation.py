"""A recorded visit changes no row of the person list (persons, households, villages, grids):
the list and its search stay kept across visits (db.data_generation(..., registry=True)),
while every page that shows visits (home, worklist, the person's page) shows the visit at once,
and any write to the registry still shows on the list at once."""

import re

import pytest

from liushou import clock, db
from liushou.services import SYSTEM
from liushou.services.helpers import save_helper
from liushou.services.visits import record_visit
from tests._helpers import ALL, add_child, text

DONE = re.compile(r"<b>(\d+)/\d+</b>本月已访/应访")


pytestmark = pytest.mark.usefixtures("never_slow")


@pytest.fixture
def helper(places):
    return save_helper(SYSTEM, ALL, {"name": "干部", "kind": "村干部", "village": places["V01"].id})


def visit(helper, person, needs=""):
    values = {
        "visited_on": clock.today().isoformat(),
        "method": "上门",
        "helpers": [helper.id],
        "needs": needs,
    }
    return record_visit(SYSTEM, ALL, [person], values)


def test_a_visit_moves_the_village_generation_but_not_the_registry_one(homes, places, helper):
    village = places["V01"].id
    before, registry = db.data_generation([village]), db.data_generation([village], registry=True)
    visit(helper, homes["kids"][0], needs="需要课业辅导")  # a visit that raises a need too
    assert db.data_generation([village]) > before
    assert db.data_generation([village], registry=True) == registry
    visit(helper, homes["kids"][1])
    assert db.data_generation([village]) > before
    assert db.data_generation([village], registry=True) == registry
    add_child(homes["h1"], "童三")
    assert db.data_generation([village], registry=True) > registry


def test_the_kept_list_survives_a_visit_and_the_visit_shows_everywhere_else(
    homes, helper, login_as, stored
):
    client = login_as("cun1")
    kid = homes["kids"][0]
    listed = text(client, "/persons")
    searched = text(client, "/persons?q=" + "童一")
    assert int(DONE.search(text(client, "/")).group(1)) == 0
    assert "负载" not in text(client, f"/persons/{kid.id}")
    kept = list(stored)
    values = {
        "visited_on": clock.today().isoformat(),
        "method": "上门",
        "helpers": [helper.id],
        "life": "负载",
    }
    record_visit(SYSTEM, ALL, [kid], values)
    assert text(client, "/persons") == listed
    assert text(client, "/persons?q=" + "童一") == searched
    assert stored == kept  # both served as kept, not drawn again
    assert int(DONE.search(text(client, "/")).group(1)) == 1
    assert "负载" in text(client, f"/persons/{kid.id}")
    add_child(homes["h1"], "童三")
    assert "童三" in text(client, "/persons")  # a registry write shows at once
