"""Home's reminder counts are the numbers of persons each reminder's list holds, for every kind
of area (counted in one pass over the area's persons since issue 17 item 7, listed one kind at
a time on /reminders/<kind>)."""

from liushou import clock
from liushou.db import database
from liushou.models import Grid, Helper, Village
from liushou.queries import reminders
from liushou.scope import Scope
from tests._helpers import ALL


def _scopes():
    village = Village.select().order_by(Village.id).first()
    grid = Grid.select().where(Grid.village == village).order_by(Grid.id).first()
    helpers = [h.id for h in Helper.select(Helper.id).order_by(Helper.id).limit(3)]
    return {
        "township": ALL,
        "village": Scope(village_ids=frozenset([village.id])),
        "grid": Scope(village_ids=frozenset([village.id]), grid_ids=frozenset([grid.id])),
        "helpers": Scope.for_helpers(helpers),
    }


def test_every_reminder_count_is_the_length_of_its_list(demo_app):
    with demo_app.app_context():
        database.connect(reuse_if_open=True)
        today = clock.today()
        for name, scope in _scopes().items():
            counted = reminders.counts(scope, today)
            assert [kind for kind, _label, _n in counted] == list(reminders.LABELS)
            for kind, label, n in counted:
                listed = reminders.people(scope, kind, today).count()
                assert (name, kind, n) == (name, kind, listed)
                assert label == reminders.label(kind, today)
            if name == "township":
                assert sum(1 for _kind, _label, n in counted if n) >= 5
