"""Each person's last day of each duty (VisitState.last_door_on, last_contact_on), kept by every
write that moves it, so the cadre's 一登门 and the grid worker's 一敲门 lists read no visit rows:
the kept dates always equal a recount from the visits and check-ins."""

import random
import sqlite3
from datetime import datetime, time, timedelta

from liushou import clock
from liushou.db import database
from liushou.migrations import _set_version as set_version
from liushou.migrations import current_version, migrate
from liushou.models import Person
from liushou.models.visits import CheckIn, Visit, VisitState
from liushou.queries import visit_duties
from liushou.scope import Scope
from liushou.services import SYSTEM
from liushou.services.checkins import check_in, void_checkin
from liushou.services.visit_changes import update_visit, void_visit
from liushou.services.visits import cycles, record_visit, tier_rules
from tests.shared.county import _insert, _load, old_file  # noqa: F401 - shared fixture
from tests.shared.visits import random_write, visit_form, world  # noqa: F401 - a fixture

ALL = Scope(everything=True)


def _kept():
    return {
        pid: (door, contact)
        for pid, door, contact in VisitState.select(
            VisitState.person, VisitState.last_door_on, VisitState.last_contact_on
        ).tuples()
    }


def _recount():
    """The dates counted from the rows, as the duty lists counted them before they were kept."""
    ids = [pid for (pid,) in VisitState.select(VisitState.person).tuples()]
    door = visit_duties._last_done("door", ids)
    knock = visit_duties._last_done("knock", ids)
    return {pid: (door.get(pid), knock.get(pid)) for pid in ids}


def _owed(duty, role):
    today = clock.today()
    rows = visit_duties.owed(ALL, duty, today, cycles(today), tier_rules(today), [], role)
    return {d.person_id for d in rows}


def test_every_write_moves_the_duty_lists(world):  # noqa: F811
    kid1, kid2, elder, helper = world["kid1"], world["kid2"], world["elder"], world["helper"]
    today = clock.today()
    for p in (kid1, kid2, elder):  # states as the day's job makes them
        record_visit(SYSTEM, ALL, [p], visit_form([p], helper, today - timedelta(days=40), "电话"))
    assert _owed("door", "village") == {kid1.id, kid2.id, elder.id}
    # A door visit takes the person off the cadre's list at once; a phone call does not.
    visit = record_visit(SYSTEM, ALL, [kid1], visit_form([kid1], helper, today, "上门"))
    record_visit(SYSTEM, ALL, [kid2], visit_form([kid2], helper, today, "电话"))
    assert _owed("door", "village") == {kid2.id, elder.id}
    assert _kept() == _recount()
    # A correction of the method puts him back; of the persons seen moves the visit to kid2.
    update_visit(SYSTEM, ALL, visit, [kid1], visit_form([kid1], helper, today, "电话"))
    assert _owed("door", "village") == {kid1.id, kid2.id, elder.id}
    update_visit(SYSTEM, ALL, visit, [kid2], visit_form([kid2], helper, today, "上门"))
    assert _owed("door", "village") == {kid1.id, elder.id}
    # A correction of the date to a month ago: owed again.
    update_visit(
        SYSTEM, ALL, visit, [kid2], visit_form([kid2], helper, today - timedelta(days=30), "上门")
    )
    assert _owed("door", "village") == {kid1.id, kid2.id, elder.id}
    assert _kept() == _recount()
    # Voiding the visit leaves the earlier phone call as his last contact.
    void_visit(SYSTEM, Visit.get_by_id(visit.id), "录错了")
    assert VisitState.get(VisitState.person == kid2).last_door_on is None
    assert _kept() == _recount()
    # The elder's daily knock: a check-in does it, its voiding undoes it; never a door visit.
    assert elder.id in _owed("knock", "grid")
    checkin, _ = check_in(SYSTEM, ALL, elder.id)
    assert elder.id not in _owed("knock", "grid") and elder.id in _owed("door", "village")
    assert VisitState.get(VisitState.person == elder).last_contact_on == today
    void_checkin(SYSTEM, CheckIn.get_by_id(checkin.id), "点错了")
    assert elder.id in _owed("knock", "grid")
    assert _kept() == _recount()


def test_a_person_without_a_visit_state_is_counted_from_his_rows(world):  # noqa: F811
    kid1, helper = world["kid1"], world["helper"]
    record_visit(SYSTEM, ALL, [kid1], visit_form([kid1], helper, clock.today(), "上门"))
    VisitState.delete().where(VisitState.person == kid1).execute()
    assert kid1.id not in _owed("door", "village")


def test_random_writes_keep_the_dates_equal_to_a_recount(world, monkeypatch):  # noqa: F811
    rng = random.Random(17)
    moments = iter(range(10**6))
    start = datetime.combine(clock.today(), time(1, 0))
    # Each call a minute later (a second check-in of a person is then never a double tap).
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(minutes=10 * next(moments)))
    persons = [world["kid1"], world["kid2"], world["elder"]]
    helper = world["helper"]
    today = clock.today()
    visits, checkins = [], []
    for step in range(40):
        action = rng.choice(["visit", "visit", "correct", "void", "checkin", "uncheck"])
        day = today - timedelta(days=rng.randint(1, 20))
        method = rng.choice(["上门", "电话", "视频"])
        seen = rng.sample(persons, rng.randint(1, 3))
        args = (rng, action, ALL, seen, helper, day, method, visits, checkins)
        random_write(*args, tapped=persons)
        assert _kept() == _recount(), f"step {step}: {action}"


def test_demo_and_migration_count_them_set_based(demo_app):
    with demo_app.app_context():
        database.connect(reuse_if_open=True)
        kept = _kept()
        assert kept == _recount()
        assert sum(1 for door, _ in kept.values() if door) > len(kept) // 2
        # The upgrade's backfill (step 30) counts the same.
        database.execute_sql('ALTER TABLE "visit_state" DROP COLUMN "last_door_on"')
        database.execute_sql('ALTER TABLE "visit_state" DROP COLUMN "last_contact_on"')
        set_version(29)
        assert migrate(target=30) == [30] and current_version() == 30
        assert _kept() == kept


def test_county_load_counts_the_loaded_persons(app, runner, old_file):  # noqa: F811
    con = sqlite3.connect(old_file)
    with con:
        _insert(con, "visit_state", person_id=1, tier="general", due_on="2025-03-01")
    con.close()
    result = _load(runner, old_file, "T02", "--name", "老河乡")
    assert result.exit_code == 0, result.output
    person = Person.get(Person.name == "老人甲")
    state = VisitState.get(VisitState.person == person)
    assert str(state.last_door_on) == "2025-02-01" == str(state.last_contact_on)
    assert _kept() == _recount()
