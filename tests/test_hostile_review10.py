"""Hostile review of this session's changes: the admin's kept home and its first-day checklist,
a child's kept page, the closed periods' kept figures after a late fact, and stale correction
forms. Each test plays a user (or two) through the real app."""

from datetime import datetime, time, timedelta

import pytest

from liushou import clock
from liushou.models import Person
from liushou.models.care import Emergency, EmergencyStep, Need, Service
from liushou.models.records import Benefit
from liushou.models.visits import Pairing, Visit, VisitPerson
from liushou.services import SYSTEM, ValidationError
from liushou.services.care import open_emergency, save_need, save_service
from liushou.services.records import save_benefit
from liushou.services.visits import pair, record_visit
from tests._helpers import ALL, text
from tests.conftest import client_as, post
from tests.formdata import editor, read_form, replace
from tests.shared.first_day import checklist, finish_checklist
from tests.shared.kept import live_and_kept, this_month_kept
from tests.shared.town import helper as make_helper

pytestmark = pytest.mark.usefixtures("never_slow")


def _make_admin(app, user):
    """Another admin's session turns `user`'s account into an admin's through the user form."""
    client, form = editor(app, f"/admin/users/{user.id}")
    saved = client.post(
        f"/admin/users/{user.id}",
        data=replace(form, role="admin", village="", grids=[], township=""),
    )
    assert saved.status_code == 303, saved.get_data(as_text=True)


# --- the admin's home: the first-day checklist -------------------------------------------------


def test_the_checklist_comes_back_when_the_last_non_admin_account_becomes_an_admin(
    app, homes, places, users
):
    """The finished checklist is kept as finished on the promise that accounts only grow. An
    admin turns every other account into an admin's (a role change moves no data generation):
    no account of cadres or grid workers is left, so the step 建账号 is undone and the
    checklist must show again on the admin's home, not the kept finished page."""
    finish_checklist(places, homes)
    home = client_as(app, "admin")
    # The grid workers first: their grids go with their role (a counted write).
    for name in ("grid1", "grid2"):
        _make_admin(app, users[name])
    assert checklist(text(home, "/")) == {}
    assert checklist(text(home, "/")) == {}  # served as finished (kept)
    for name in ("township", "leader", "cun1", "cun2"):
        _make_admin(app, users[name])
    steps = checklist(text(home, "/"))
    assert [k for k, done in steps.items() if not done] == ["为乡镇干"]


# --- a child's kept page -----------------------------------------------------------------------


def test_a_childs_kept_page_shows_the_collectors_new_name(app, homes, users):
    """A child's page names who registered him (采集人). An admin corrects that account's name:
    the next view of the kept page names him as he is now called."""
    kid = homes["kids"][0]
    Person.update(collected_by=users["cun1"].id).where(Person.id == kid.id).execute()
    township = client_as(app, "township")
    assert "采集人：cun1" in text(township, f"/persons/{kid.id}")
    assert "采集人：cun1" in text(township, f"/persons/{kid.id}")  # kept
    client, form = editor(app, f"/admin/users/{users['cun1'].id}")
    saved = client.post(
        f"/admin/users/{users['cun1'].id}", data=replace(form, display_name="张采集")
    )
    assert saved.status_code == 303
    page = text(township, f"/persons/{kid.id}")
    assert "采集人：张采集" in page and "采集人：cun1" not in page


# --- closed periods after a late fact ----------------------------------------------------------


def test_a_step_done_late_with_an_earlier_time_leaves_kept_equal_to_live(app, homes, monkeypatch):
    """A child's emergency of this month, its first reporting step not yet done when the month
    closed and was kept. Ten days later the township user records the step as done at a time
    within the month (as it really was): the month's report read from its kept rows must say
    what the live count says."""
    kid = homes["kids"][0]
    today = clock.today()
    with clock.freeze(datetime.combine(today, time(10, 0))):
        emergency = open_emergency(
            SYSTEM,
            kid,
            {"kind": "走失", "discovered_at": f"{today.isoformat()}T08:00", "reported_by": "村医"},
        )
    step = (
        EmergencyStep.select()
        .where(EmergencyStep.emergency == emergency.id)
        .order_by(EmergencyStep.due_at)
        .first()
    )
    with this_month_kept() as (start, end):
        live, kept = live_and_kept(monkeypatch, start, end)
        assert live == kept
        client = client_as(app, "township")
        done = post(
            client,
            f"/emergencies/{emergency.id}/steps/{step.id}",
            {"done_at": f"{today.isoformat()}T08:05", "how": "电话", "done_by": "村医"},
        )
        assert done.status_code in (302, 303)
        assert EmergencyStep.get_by_id(step.id).done_at is not None
        live, kept = live_and_kept(monkeypatch, start, end)
        assert live == kept
    assert Emergency.get_by_id(emergency.id).voided_at is None


# --- a person voided by another user since he was read -----------------------------------------


@pytest.fixture
def cadre(places, users):
    return make_helper(places, "一村干部", village="V01", user=users["cun1"].id)


def _writes(person, cadre):
    """The new records of a person's forms, each by its service, as a request that read him
    (before another user voided him) would write them."""
    today = clock.today().isoformat()
    found = (clock.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    return {
        "need": lambda: save_need(
            SYSTEM, person, {"kind": "其他", "description": "书包", "raised_on": today}
        ),
        "service": lambda: save_service(
            SYSTEM, person, {"kind": "其他", "served_on": today, "description": "送书包"}
        ),
        "emergency": lambda: open_emergency(
            SYSTEM, person, {"kind": "走失", "discovered_at": found, "reported_by": "村医"}
        ),
        "benefit": lambda: save_benefit(
            SYSTEM,
            person,
            {"kind": "低保", "amount": "100", "start_on": today, "period": "每月"},
        ),
        "pairing": lambda: pair(SYSTEM, ALL, cadre, [person]),
    }


@pytest.mark.parametrize("form", ["need", "service", "emergency", "benefit", "pairing"])
def test_a_record_for_a_person_voided_since_he_was_read_is_refused(app, homes, cadre, form):
    """A cadre's form read the child; meanwhile the township user voids the registration (a
    duplicate). The cadre's save must be refused with a message, and nothing written."""
    kid = homes["kids"][0]
    read = Person.get_by_id(kid.id)  # as the cadre's request read him
    township = client_as(app, "township")
    voided = post(township, f"/persons/{kid.id}/void", {"void_reason": "重复登记"})
    assert voided.status_code in (302, 303)
    assert Person.get_by_id(kid.id).voided_at is not None
    models = {
        "need": Need,
        "service": Service,
        "emergency": Emergency,
        "benefit": Benefit,
        "pairing": Pairing,
    }
    model = models[form]
    before = model.with_voided().where(model.person == kid.id).count()
    with pytest.raises(ValidationError):
        _writes(read, cadre)[form]()
    assert model.with_voided().where(model.person == kid.id).count() == before


# --- stale correction forms --------------------------------------------------------------------


def _items(form, person, key, status):
    """The item statuses of a visit form with `person`'s `key` set to `status`."""
    statuses = form.getlist("item_status")
    rows = list(zip(form.getlist("item_for"), form.getlist("item_key"), strict=True))
    statuses[rows.index((str(person.id), key))] = status
    return statuses


def _answers(visit, person):
    link = VisitPerson.get((VisitPerson.visit == visit.id) & (VisitPerson.person == person.id))
    return {row[0]: row[1] for row in link.item_rows}


def _opened_twice(app, person, cadre, **values):
    """A door visit of `person` by `cadre` today (more form `values`: item answers), and its
    correction form opened by two sessions of cun1: (visit, url, (client, form) twice)."""
    visit = record_visit(
        SYSTEM,
        ALL,
        [person],
        {
            "visited_on": clock.today().isoformat(),
            "method": "上门",
            "helpers": [str(cadre.id)],
            "persons": [str(person.id)],
            **values,
        },
    )
    url = f"/visits/{visit.id}/edit"
    return visit, url, editor(app, url, "cun1"), editor(app, url, "cun1")


def test_a_stale_visit_form_does_not_undo_anothers_item_answers(app, homes, cadre):
    """Two cadres open the correction form of the same visit. The first sets the child's 学习
    to 有问题 and saves. The second, on the form as he saw it, changes only the method: his
    save must be refused as a conflict (409, nothing written), not put 学习 back as it was."""
    kid = homes["kids"][0]
    visit, url, (first, form_first), (second, form_second) = _opened_twice(
        app,
        kid,
        cadre,
        item_for=[str(kid.id)],
        item_key=["学习"],
        item_status=["正常"],
        item_note=[""],
    )
    saved = first.post(
        url, data=replace(form_first, item_status=_items(form_first, kid, "学习", "有问题"))
    )
    assert saved.status_code == 303, saved.get_data(as_text=True)
    assert _answers(visit, kid)["学习"] == "有问题"
    stale = second.post(url, data=replace(form_second, method="电话"))
    assert stale.status_code == 409
    assert _answers(visit, kid)["学习"] == "有问题"
    assert Visit.get_by_id(visit.id).method == "上门"
    # Saved again from the conflict page (the answers as they are now): it goes through.
    again = read_form(stale.get_data(as_text=True))
    assert second.post(url, data=again).status_code == 303
    assert Visit.get_by_id(visit.id).method == "电话"
    assert _answers(visit, kid)["学习"] == "有问题"


def test_the_visit_correction_conflict_page_names_the_answers(app, homes, cadre):
    """Both change the same answer: the conflict table shows theirs and his, by name."""
    kid = homes["kids"][0]
    visit, url, (first, form_first), (second, form_second) = _opened_twice(app, kid, cadre)
    answered = replace(form_first, item_status=_items(form_first, kid, "安全", "关注"))
    assert first.post(url, data=answered).status_code == 303
    stale = second.post(
        url, data=replace(form_second, item_status=_items(form_second, kid, "安全", "正常"))
    )
    assert stale.status_code == 409
    page = stale.get_data(as_text=True)
    assert "各成员的走访情况" in page
    assert f"{kid.name} 安全：关注" in page and f"{kid.name} 安全：正常" in page
    assert _answers(visit, kid)["安全"] == "关注"
