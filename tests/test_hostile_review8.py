"""Hostile review of this session's savings: the person page's kept scope check, the duty dates
kept on each person's visit state, the warmed and background-recounted figures, and the one
helper that writes corrections. Each test plays a user who tries to get what he should not (or
to lose what he relies on) through the real app, or two requests racing in the services."""

import sqlite3
import threading
from datetime import timedelta

import pytest

from liushou import clock
from liushou.db import database
from liushou.models import AuditLog
from liushou.models.visits import CheckIn, Visit, VisitPerson, VisitState
from liushou.queries import visit_duties
from liushou.services import SYSTEM, ValidationError
from liushou.services.accounts import update_user
from liushou.services.checkins import check_in
from liushou.services.helpers import save_helper
from liushou.services.visit_changes import update_visit, void_visit
from liushou.services.visits import record_visit
from tests._helpers import ALL, text
from tests.conftest import login, post

pytestmark = pytest.mark.usefixtures("never_slow")


@pytest.fixture
def helper(places):
    return save_helper(SYSTEM, ALL, {"name": "干部", "kind": "村干部", "village": places["V01"].id})


@pytest.fixture
def helper2(places):
    return save_helper(
        SYSTEM, ALL, {"name": "二村干部", "kind": "村干部", "village": places["V02"].id}
    )


def form(persons, helper, day=None, method="上门", **extra):
    return {
        "visited_on": (day or clock.today()).isoformat(),
        "method": method,
        "helpers": [helper.id],
        "persons": [str(p.id) for p in persons],
        "life": "走访",
        **extra,
    }


def recount():
    """{person id: (last door day, last contact day)} counted from the visits and check-ins
    themselves (never from the kept columns), for every person with a visit state."""
    rows = (
        VisitPerson.select(VisitPerson.person, Visit.visited_on, Visit.method)
        .join(Visit)
        .where(Visit.voided_at.is_null())
        .tuples()
    )
    door, seen = {}, {}
    for pid, on, method in rows:
        seen[pid] = max(seen.get(pid, on), on)
        if method == "上门":
            door[pid] = max(door.get(pid, on), on)
    for pid, on in CheckIn.select(CheckIn.person, CheckIn.on).tuples():
        seen[pid] = max(seen.get(pid, on), on)
    ids = [pid for (pid,) in VisitState.select(VisitState.person).tuples()]
    return {pid: (door.get(pid), seen.get(pid)) for pid in ids}


def kept():
    return {
        pid: (d, c)
        for pid, d, c in VisitState.select(
            VisitState.person, VisitState.last_door_on, VisitState.last_contact_on
        ).tuples()
    }


def owed_door(today=None):
    from liushou.services.visits import cycles, tier_rules

    today = today or clock.today()
    rows = visit_duties.owed(ALL, "door", today, cycles(today), tier_rules(today), [], "village")
    return {d.person_id for d in rows}


def owed_door_recounted(today=None):
    """Whom the cadre owes a door visit, with each person's last door visit recounted from the
    visits (the cycle and due day by the same rules)."""
    from liushou.models import Person
    from liushou.rules import visits as rules
    from liushou.services.visits import cycles, tier_rules

    today = today or clock.today()
    cyc, tr = cycles(today), tier_rules(today)
    counted = recount()
    out = set()
    for person in Person.active():
        state = VisitState.get_or_none(VisitState.person == person)
        tier = (state.override or state.tier) if state else "general"
        days = cyc.for_groups("door", [g for g in person.groups.split(",") if g], tr.days(tier))
        if days is None:
            continue
        last = counted.get(person.id, (None, None))[0]
        if rules.due_after(last, days, today) <= today:
            out.add(person.id)
    return out


# --- voiding and correcting: two requests racing ---------------------------------------------


def test_a_visit_voided_twice_at_once_is_voided_once(homes, helper):
    """Two cadres press 作废 on the same visit at once: both requests read it unvoided; the
    second must be refused, not write a second void over the first one's reason."""
    kid = homes["kids"][0]
    visit = record_visit(SYSTEM, ALL, [kid], form([kid], helper))
    first, second = Visit.get_by_id(visit.id), Visit.get_by_id(visit.id)
    void_visit(SYSTEM, first, "录重了")
    with pytest.raises(ValidationError) as refused:
        void_visit(SYSTEM, second, "日期错了")
    assert "已经作废" in refused.value.errors["void_reason"]
    assert Visit.get_by_id(visit.id).void_reason == "录重了"
    voids = AuditLog.select().where((AuditLog.action == "void") & (AuditLog.object_type == "visit"))
    assert voids.count() == 1


def test_a_correction_racing_a_void_never_brings_the_visit_back(homes, helper):
    """One cadre opens 更正 while another voids the visit: the correction, read before the void
    committed, must be refused, not write the visit back unvoided (it would count again)."""
    kid = homes["kids"][0]
    old = clock.today() - timedelta(days=30)
    record_visit(SYSTEM, ALL, [kid], form([kid], helper, day=old))
    visit = record_visit(SYSTEM, ALL, [kid], form([kid], helper))
    editing = Visit.get_by_id(visit.id)
    void_visit(SYSTEM, Visit.get_by_id(visit.id), "录错了")
    with pytest.raises(ValidationError):
        update_visit(SYSTEM, ALL, editing, [kid], form([kid], helper, method="电话"))
    assert Visit.get_by_id(visit.id).voided_at is not None
    assert VisitState.get(VisitState.person == kid).last_door_on == old
    assert kept() == recount()


def test_a_checkin_voided_twice_at_once_is_voided_once(homes):
    kid = homes["kids"][0]
    checkin, _ = check_in(SYSTEM, ALL, kid.id)
    from liushou.services.checkins import void_checkin

    first, second = CheckIn.get_by_id(checkin.id), CheckIn.get_by_id(checkin.id)
    void_checkin(SYSTEM, first, "点错了")
    with pytest.raises(ValidationError):
        void_checkin(SYSTEM, second, "又点")
    assert CheckIn.get_by_id(checkin.id).void_reason == "点错了"
    assert kept() == recount()


# --- duty dates through the web ---------------------------------------------------------------


def test_other_areas_visit_and_checkin_ids_are_refused_everywhere(homes, helper, helper2, login_as):
    mine, theirs = homes["kids"][0], homes["other"]
    their_visit = record_visit(SYSTEM, ALL, [theirs], form([theirs], helper2))
    their_checkin, _ = check_in(SYSTEM, ALL, theirs.id)
    my_visit = record_visit(SYSTEM, ALL, [mine], form([mine], helper))
    before = kept()
    cun1 = login_as("cun1")
    own = f"/visits/{my_visit.id}"
    for url, data in [
        (f"/visits/{their_visit.id}/edit", form([theirs], helper2, method="电话")),
        (f"/visits/{their_visit.id}/void", {"void_reason": "乱来"}),
        (f"/checkins/{their_checkin.id}/void", {"void_reason": "乱来"}),
        (f"/persons/{theirs.id}/checkin", {"method": "电话"}),
    ]:
        assert post(cun1, url, data, token_url=own).status_code == 404, url
    # His own visit's correction naming the other village's person or helper: refused, 422.
    for data in (
        form([theirs], helper, method="电话"),
        form([mine], helper2, method="电话"),
        form([mine, theirs], helper, method="电话"),
    ):
        response = post(cun1, f"{own}/edit", data, token_url=own)
        assert response.status_code in (422, 303)
        if response.status_code == 303:  # the foreign id was ignored: nothing of it written
            assert {
                p
                for (p,) in VisitPerson.select(VisitPerson.person)
                .where(VisitPerson.visit == my_visit.id)
                .tuples()
            } == {mine.id}
    assert Visit.get_by_id(their_visit.id).voided_at is None
    assert CheckIn.get_by_id(their_checkin.id).voided_at is None
    assert kept()[theirs.id] == before[theirs.id]
    assert kept() == recount()


def test_every_web_correction_and_void_leaves_the_lists_equal_to_a_recount(homes, helper, login_as):
    kid1, kid2 = homes["kids"]
    today = clock.today()
    cun1 = login_as("cun1")
    new = f"/persons/{kid1.id}/visits/new"
    assert post(cun1, new, form([kid1, kid2], helper), token_url=new).status_code == 303
    visit = Visit.select().order_by(Visit.id.desc()).get()
    url = f"/visits/{visit.id}"
    steps = [
        ("edit", form([kid1, kid2], helper, method="电话")),
        ("edit", form([kid2], helper, day=today - timedelta(days=3))),
        ("edit", form([kid1], helper, day=today - timedelta(days=40))),
        ("edit", form([kid1, kid2], helper)),
        ("void", {"void_reason": "录错了"}),
    ]
    for what, data in steps:
        response = post(cun1, f"{url}/{what}", data, token_url=url)
        assert response.status_code == 303, (what, data)
        assert kept() == recount(), (what, data)
        assert owed_door() == owed_door_recounted(), (what, data)
    # Voided: a second void and a correction are refused with a Chinese message, nothing written.
    for what, data in [("void", {"void_reason": "再作废"}), ("edit", form([kid1], helper))]:
        response = post(cun1, f"{url}/{what}", data, token_url=url)
        assert response.status_code == 422
        assert "作废" in response.get_data(as_text=True)
    assert Visit.get_by_id(visit.id).void_reason == "录错了"
    # A check-in tapped and voided through the web.
    assert post(cun1, f"/persons/{kid2.id}/checkin", {}, token_url=url).status_code == 303
    checkin = CheckIn.select().order_by(CheckIn.id.desc()).get()
    assert kept()[kid2.id][1] == today and kept() == recount()
    back = f"/checkins/{checkin.id}"
    response = post(cun1, f"{back}/void", {"void_reason": "点错了"}, token_url=back)
    assert response.status_code == 303
    assert kept() == recount()


def test_two_visits_to_one_person_at_once_keep_the_later_date(homes, helper, app):
    kid = homes["kids"][0]
    today = clock.today()
    days = [today - timedelta(days=n) for n in (9, 1, 5, 2, 7, 3)]
    errors = []

    def visit(day):
        try:
            with database.connection_context():
                record_visit(SYSTEM, ALL, [kid], form([kid], helper, day=day))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=visit, args=(d,)) for d in days]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    state = VisitState.get(VisitState.person == kid)
    assert state.last_door_on == max(days) and state.last_visit_on == max(days)
    assert kept() == recount()


# --- the kept scope check ---------------------------------------------------------------------


def refused(client, url):
    """The page is not his: 404, or his session ended by the change of his account (login)."""
    response = client.get(url)
    if response.status_code == 302:
        return "/login" in response.headers["Location"]
    return response.status_code == 404


def test_a_grid_worker_moved_to_another_grid_loses_the_kept_person_at_once(
    homes, places, users, login_as
):
    kid = homes["kids"][0]  # in V01-G1
    grid1 = login_as("grid1")
    assert kid.name in text(grid1, f"/persons/{kid.id}")
    assert kid.name in text(grid1, f"/persons/{kid.id}")  # kept
    update_user(
        SYSTEM,
        users["grid1"],
        {
            "username": "grid1",
            "display_name": "grid1",
            "role": "grid",
            "village": places["V01"].id,
            "grids": [places["V01-G2"].id],
        },
    )
    assert refused(grid1, f"/persons/{kid.id}")
    login(grid1, "grid1")  # his new session, his new grid
    assert grid1.get(f"/persons/{kid.id}").status_code == 404


def test_a_village_cadre_moved_to_another_village_loses_the_kept_person_at_once(
    homes, places, users, login_as
):
    kid = homes["kids"][0]
    cun1 = login_as("cun1")
    assert kid.name in text(cun1, f"/persons/{kid.id}")
    assert kid.name in text(cun1, f"/persons/{kid.id}")
    values = {"username": "cun1", "display_name": "cun1", "role": "village"}
    update_user(SYSTEM, users["cun1"], {**values, "village": places["V02"].id})
    assert refused(cun1, f"/persons/{kid.id}")
    login(cun1, "cun1")
    assert cun1.get(f"/persons/{kid.id}").status_code == 404
    assert homes["other"].name in text(cun1, f"/persons/{homes['other'].id}")


def test_a_person_voided_by_another_user_is_404_to_a_kept_check(homes, login_as):
    from liushou.services.person_exits import void_person

    kid = homes["kids"][0]
    grid1 = login_as("grid1")
    assert kid.name in text(grid1, f"/persons/{kid.id}")
    void_person(SYSTEM, kid, "重复登记")
    page = grid1.get(f"/persons/{kid.id}")
    assert page.status_code == 404 or "作废" in page.get_data(as_text=True)


def _views(other, person_id):
    (count,) = other.execute(
        "SELECT count(*) FROM audit_log WHERE action = 'view' AND object_id = ?", (person_id,)
    ).fetchone()
    return count


@pytest.mark.sqlite_only(reason="the SQLite file read from a second connection")
def test_eight_readers_of_a_child_at_once_each_leave_a_committed_row(homes, app, users):
    kid = homes["kids"][0]
    clients = []
    for _ in range(8):
        c = app.test_client()
        login(c, "cun1")
        clients.append(c)
    other = sqlite3.connect(database.database)
    try:
        before = _views(other, kid.id)
        codes = []

        def read(c):
            for _ in range(3):
                codes.append(c.get(f"/persons/{kid.id}").status_code)

        threads = [threading.Thread(target=read, args=(c,)) for c in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert codes == [200] * 24
        assert _views(other, kid.id) == before + 24
    finally:
        other.close()


@pytest.mark.sqlite_only(reason="SQLite's one write lock, held by another process")
def test_a_childs_view_while_another_writer_holds_the_lock_waits_or_says_so(
    homes, app, login_as, monkeypatch
):
    """Another process holds the write lock past the wait: the page is a clear Chinese 'busy'
    answer (never a 500), no page without its audit row; once the lock is gone, served and
    audited."""
    from liushou.services import audit

    kid = homes["kids"][0]
    cun1 = login_as("cun1")
    assert cun1.get(f"/persons/{kid.id}").status_code == 200
    audit.close_reader()
    monkeypatch.setitem(audit.PRAGMAS, "busy_timeout", 200)
    monkeypatch.setattr(audit, "READ_SYNC_SECONDS", 3600)
    audit._synced[0] = __import__("time").monotonic()  # the next view is a relaxed one
    holder = sqlite3.connect(database.database, isolation_level=None)
    other = sqlite3.connect(database.database)
    try:
        before = _views(other, kid.id)
        holder.execute("BEGIN IMMEDIATE")
        response = cun1.get(f"/persons/{kid.id}")
        holder.execute("ROLLBACK")
        assert response.status_code in (200, 503)
        body = response.get_data(as_text=True)
        if response.status_code == 503:
            assert "繁忙" in body or "稍后" in body
            assert _views(other, kid.id) == before
        else:
            assert _views(other, kid.id) == before + 1
        assert cun1.get(f"/persons/{kid.id}").status_code == 200
        assert _views(other, kid.id) == before + (2 if response.status_code == 200 else 1)
    finally:
        holder.close()
        other.close()
        audit.close_reader()


# --- corrections through apply_changes --------------------------------------------------------


def test_a_correction_racing_a_void_of_a_service_is_refused(homes):
    """A service record opened for 更正 by one user and voided by another meanwhile: the
    correction must not change the voided record (its history would show a change after
    the void, made by someone who never saw it voided)."""
    from liushou.models.care import Service
    from liushou.services.care import save_service, update_service, void_service

    kid = homes["kids"][0]
    values = {"kind": "生活照料", "served_on": clock.today().isoformat(), "description": "送米"}
    service = save_service(SYSTEM, kid, values)
    editing = Service.get_by_id(service.id)
    void_service(SYSTEM, Service.get_by_id(service.id), "录错了")
    with pytest.raises(ValidationError):
        update_service(SYSTEM, editing, {**values, "description": "送油"})
    assert Service.get_by_id(service.id).description == "送米"
    updates = AuditLog.select().where(
        (AuditLog.action == "update") & (AuditLog.object_type == "service")
    )
    assert updates.count() == 0


def test_every_correction_records_who_when_old_and_new(homes, users, login_as):
    from liushou.models.care import Service
    from liushou.services.care import save_service

    kid = homes["kids"][0]
    values = {"kind": "生活照料", "served_on": clock.today().isoformat(), "description": "送米"}
    service = save_service(SYSTEM, kid, values)
    cun1 = login_as("cun1")
    url = f"/services/{service.id}"
    response = post(cun1, url, {**values, "description": "送油"}, token_url=url)
    assert response.status_code == 303
    row = (
        AuditLog.select()
        .where((AuditLog.action == "update") & (AuditLog.object_type == "service"))
        .get()
    )
    assert row.user_id == users["cun1"].id and row.username == "cun1" and row.at is not None
    assert ["description", "送米", "送油"] in [list(c) for c in row.change_list]
    assert Service.get_by_id(service.id).description == "送油"
