"""This month's visits done and due (home, /visits/figures) read each person's kept last visit
day: always the same as a count of the month's visits, through visits, corrections and voids."""

import random
from datetime import timedelta

from liushou import clock
from liushou.models.persons import Person
from liushou.models.visits import Visit, VisitPerson, VisitState
from liushou.queries.visits import visits_in_month
from liushou.rules.dates import month_after, month_start
from liushou.services import SYSTEM
from liushou.services.visit_changes import update_visit, void_visit
from liushou.services.visits import record_visit
from tests._helpers import ALL
from tests.shared.visits import world  # noqa: F401 - the shared fixture


def _counted(month):
    """(done, due) from the month's visit rows, as visits_in_month counted before."""
    following = month_after(month)
    seen = {
        pid
        for (pid,) in VisitPerson.select(VisitPerson.person)
        .join(Visit)
        .where((Visit.visited_on >= month) & (Visit.visited_on < following))
        .tuples()
    }
    persons = [p.id for p in Person.active().where(Person.groups != "")]
    due = {
        pid
        for (pid,) in VisitState.select(VisitState.person)
        .where(VisitState.due_on < following)
        .tuples()
    }
    return len(seen & set(persons)), len((seen | due) & set(persons))


def test_this_months_figures_follow_every_visit_write(world):  # noqa: F811
    persons, helper = [world["kid1"], world["kid2"], world["elder"]], world["helper"]
    today = clock.today()
    this_month = month_start(today)
    days = [today, this_month, this_month - timedelta(days=3), this_month - timedelta(days=40)]
    rng = random.Random(31)
    visits = []
    for step in range(30):
        action = rng.choice(["visit", "visit", "correct", "void"]) if visits else "visit"
        seen = rng.sample(persons, rng.randint(1, 2))
        form = {
            "visited_on": rng.choice(days).isoformat(),
            "method": rng.choice(["上门", "电话"]),
            "helpers": [helper.id],
            "persons": [str(p.id) for p in seen],
        }
        if action == "visit":
            visits.append(record_visit(SYSTEM, ALL, seen, form).id)
        elif action == "correct":
            update_visit(SYSTEM, ALL, Visit.get_by_id(rng.choice(visits)), seen, form)
        else:
            void_visit(SYSTEM, Visit.get_by_id(visits.pop(rng.randrange(len(visits)))), "错")
        assert visits_in_month(ALL, this_month) == _counted(this_month), f"step {step}"
    # A past month is counted from its visit rows.
    last_month = month_start(this_month - timedelta(days=1))
    assert visits_in_month(ALL, last_month) == _counted(last_month)
    assert visits_in_month(ALL, this_month)[0] > 0
