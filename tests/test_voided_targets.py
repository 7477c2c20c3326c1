"""A voided record takes no new write through any path: a check-in or visit of a voided person,
a check-up recorded for a voided activity, an activity listing a voided person, a reviewer
approving a proposal about a person voided since. Each is refused (404 for a path id, a
Chinese message next to the field otherwise) and nothing is written."""

import pytest

from liushou import clock
from liushou.models import AuditLog, Person
from liushou.models.records import Activity, CheckUp
from liushou.models.review import PENDING, ReviewItem
from liushou.models.visits import CheckIn, Visit
from liushou.services import SYSTEM, ValidationError
from liushou.services import review as review_service
from liushou.services.activities import save_activity, void_activity
from liushou.services.helpers import save_helper
from liushou.services.person_exits import exit_person, reenter_person, void_person
from liushou.services.records import save_checkup
from liushou.services.visits import record_visit
from tests._helpers import ALL
from tests.conftest import client_as, post
from tests.shared.review import actor, review_on

pytestmark = pytest.mark.usefixtures("never_slow")


@pytest.fixture
def voided(homes):
    """童一 voided by mistake; 童二 still registered."""
    kid = homes["kids"][0]
    void_person(SYSTEM, kid, "重复登记")
    return Person.get_by_id(kid.id)


def _audit_rows():
    return AuditLog.select().count()


def test_a_check_in_of_a_voided_person_is_404_and_writes_nothing(app, voided):
    client = client_as(app, "cun1")
    before = _audit_rows()
    response = post(client, f"/persons/{voided.id}/checkin", {"method": "上门"})
    assert response.status_code == 404
    assert CheckIn.select().where(CheckIn.person == voided.id).count() == 0
    assert _audit_rows() == before


def test_a_visit_naming_a_voided_person_is_refused(homes, places, voided):
    """A visit form read before the void (the person was listed then) is refused when saved."""
    helper = save_helper(
        SYSTEM, ALL, {"name": "干部", "kind": "村干部", "village": places["V01"].id}
    )
    other = homes["kids"][1]
    values = {
        "visited_on": clock.today().isoformat(),
        "method": "上门",
        "helpers": [str(helper.id)],
        "persons": [str(voided.id), str(other.id)],
    }
    with pytest.raises(ValidationError) as e:
        record_visit(SYSTEM, ALL, [voided, other], values)
    assert "已作废" in e.value.errors["persons"]
    assert Visit.select().count() == 0


def _activity(homes, places, persons):
    return {
        "village": places["V01"].id,
        "kind": "义诊体检",
        "title": "义诊",
        "held_on": clock.today().isoformat(),
        "persons": [str(p.id) for p in persons],
        "attended": [str(p.id) for p in persons],
    }


def test_an_activity_listing_a_voided_person_is_refused(homes, places, voided):
    values = _activity(homes, places, [voided, homes["kids"][1]])
    with pytest.raises(ValidationError) as e:
        save_activity(SYSTEM, ALL, values)
    assert "已作废" in e.value.errors["persons"]
    assert Activity.select().count() == 0


def test_a_check_up_for_a_voided_activity_is_refused(app, homes, places):
    kid = homes["kids"][1]
    activity = save_activity(SYSTEM, ALL, _activity(homes, places, [kid]))
    void_activity(SYSTEM, ALL, activity, "录错")
    values = {"checked_on": clock.today().isoformat(), "activity": activity.id}
    with pytest.raises(ValidationError) as e:
        save_checkup(SYSTEM, kid, values)
    assert "已作废" in e.value.errors["_record"]
    # Through the page (its form opened from the activity before it was voided): 422.
    client = client_as(app, "cun1")
    url = f"/persons/{kid.id}/checkups/new?activity={activity.id}"
    response = post(client, url, {"checked_on": clock.today().isoformat()})
    assert response.status_code == 422
    assert "此活动已作废" in response.get_data(as_text=True)
    assert CheckUp.select().count() == 0


def test_approving_a_re_entry_of_a_person_voided_since_is_refused(users, homes):
    """A grid worker proposes a re-entry; the person is voided before the township approves:
    the approval is refused, the proposal stays pending, the person stays voided and out."""
    kid = homes["kids"][0]
    exit_person(SYSTEM, kid, {"exit_reason": "迁出", "exited_on": clock.today().isoformat()})
    review_on("reenter")
    item = reenter_person(actor(users, "grid1"), Person.get_by_id(kid.id))
    assert isinstance(item, ReviewItem)
    void_person(SYSTEM, Person.get_by_id(kid.id), "重复登记")
    with pytest.raises(ValidationError) as e:
        review_service.approve(actor(users, "township"), ALL, ReviewItem.get_by_id(item.id))
    assert "已作废" in e.value.errors["review"]
    assert ReviewItem.get_by_id(item.id).status == PENDING
    person = Person.get_by_id(kid.id)
    assert person.exited and person.voided_at is not None


# --- corrections through apply_changes: the audit rows stay as they were -------------------------


def _rows_since(first_id):
    return [
        (r.action, r.object_type, r.object_label, r.change_list)
        for r in AuditLog.select().where(AuditLog.id > first_id).order_by(AuditLog.id)
    ]


def _last_id():
    return AuditLog.select(AuditLog.id).order_by(AuditLog.id.desc()).first().id


def test_activity_pairing_and_visit_corrections_audit_one_row_each_as_before(homes, places):
    from liushou.models.visits import Pairing
    from liushou.services.activities import update_activity
    from liushou.services.visit_changes import update_pairing, update_visit
    from liushou.services.visits import pair

    kids = homes["kids"]
    one = save_helper(
        SYSTEM, ALL, {"name": "甲干部", "kind": "村干部", "village": places["V01"].id}
    )
    two = save_helper(
        SYSTEM, ALL, {"name": "乙干部", "kind": "村干部", "village": places["V01"].id}
    )
    day = clock.today()
    values = _activity(homes, places, kids)
    activity = save_activity(SYSTEM, ALL, values)
    start = _last_id()
    later = day.replace(day=1) if day.day > 1 else day
    update_activity(
        SYSTEM,
        ALL,
        Activity.get_by_id(activity.id),
        {**values, "title": "义诊二", "held_on": later.isoformat(), "attended": [str(kids[0].id)]},
    )
    assert _rows_since(start) == [
        ("update", "attendance", "童二 活动名单", [["attended", True, False]]),
        (
            "update",
            "activity",
            f"{later} 义诊二",
            [
                ["title", "义诊", "义诊二"],
                ["held_on", str(day), str(later)],
                ["attendance", "2/2", "1/2"],
            ],
        ),
    ]

    pairing = pair(SYSTEM, ALL, one, [kids[0]], primary=True, started_on=later)[0]
    start = _last_id()
    update_pairing(
        SYSTEM,
        ALL,
        Pairing.get_by_id(pairing.id),
        {"helper": str(two.id), "started_on": day.isoformat(), "primary": "1"},
    )
    assert _rows_since(start) == [
        (
            "update",
            "pairing",
            "乙干部 结对 童一",
            [["helper", "甲干部", "乙干部"], ["started_on", str(later), str(day)]],
        )
    ]
    assert Pairing.get_by_id(pairing.id).helper_id == two.id

    form = {
        "visited_on": later.isoformat(),
        "method": "上门",
        "helpers": [str(one.id)],
        "persons": [str(kids[0].id)],
        "life": "走访",
    }
    visit = record_visit(SYSTEM, ALL, [kids[0]], form)
    start = _last_id()
    changed = {
        **form,
        "method": "电话",
        "helpers": [str(two.id)],
        "persons": [str(k.id) for k in kids],
    }
    update_visit(SYSTEM, ALL, Visit.get_by_id(visit.id), kids, changed)
    rows = _rows_since(start)
    assert rows[0][:2] == ("update", "visit")
    assert rows[0][2].startswith("童一、童二 ")
    assert rows[0][3] == [
        ["method", "上门", "电话"],
        ["persons", ["童一"], ["童一", "童二"]],
        ["helpers", ["甲干部"], ["乙干部"]],
    ]
    assert Visit.get_by_id(visit.id).method == "电话"
