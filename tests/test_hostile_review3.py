"""Findings of the hostile review of 审核报送, 比对核实 and the full-record export (issue 19):
each test failed before its fix."""

import pytest

from liushou.models import AuditLog
from liushou.models.persons import Person
from liushou.models.review import APPROVED, PENDING, ReviewItem
from liushou.services import SYSTEM, ValidationError
from liushou.services import review as service
from liushou.services.persons import save_person
from tests._helpers import ALL  # noqa: F401
from tests.shared.review import actor, child, homes, register, review_on, today  # noqa: F401


def test_withdraw_racing_an_approval_does_not_mark_an_applied_change_withdrawn(users, homes):  # noqa: F811
    """The author's withdraw read the item before the reviewer's approval committed: the
    registration was applied but the item then said 已撤回."""
    review_on("register")
    item = register(users, "cun1", homes["V01"])
    stale = ReviewItem.get_by_id(item.id)  # the withdraw request's copy, read before approval
    service.approve(actor(users, "township"), ALL, item)
    with pytest.raises(ValidationError):
        service.withdraw(actor(users, "cun1"), stale)
    assert ReviewItem.get_by_id(item.id).status == APPROVED
    assert Person.select().count() == 1


def test_two_approvals_at_once_apply_the_change_once(users, homes):  # noqa: F811
    """Two reviewers (or a double click) approving the same edit both passed the status check
    made before the write lock: the change was applied and audited twice."""
    person = register(users, "cun1", homes["V01"])
    review_on("category_edit")
    values = child(homes["V01"], 1, father_status="在家")
    item = save_person(actor(users, "cun1"), Scope_of(users, "cun1"), values, person)
    stale = ReviewItem.get_by_id(item.id)
    service.approve(actor(users, "township"), ALL, item)
    with pytest.raises(ValidationError):
        service.approve(actor(users, "admin"), ALL, stale)
    approvals = AuditLog.select().where(
        (AuditLog.object_type == "review_item") & (AuditLog.action == "approve")
    )
    assert approvals.count() == 1
    assert ReviewItem.get_by_id(item.id).reviewer_id == users["township"].id


def test_approving_an_edit_does_not_move_the_person_back(users, homes):  # noqa: F811
    """A category edit proposed while the person lived in V01; the township moved him to V02
    meanwhile. Approving the old proposal put him back into the V01 household."""
    person = register(users, "cun1", homes["V01"])
    review_on("category_edit")
    values = child(homes["V01"], 1, father_status="在家")
    item = save_person(actor(users, "cun1"), Scope_of(users, "cun1"), values, person)
    assert item.status == PENDING
    moved = child(homes["V02"], 1)
    save_person(SYSTEM, ALL, moved, Person.get_by_id(person.id))
    assert Person.get_by_id(person.id).household_id == homes["V02"].id
    try:
        service.approve(actor(users, "township"), ALL, ReviewItem.get_by_id(item.id))
    except ValidationError:
        pass  # refused is fine too: the person is no longer in the author's area
    assert Person.get_by_id(person.id).household_id == homes["V02"].id


def Scope_of(users, name):  # noqa: N802
    from liushou.scope import Scope

    return Scope.for_user(users[name])


def test_a_registration_whose_household_left_the_authors_village_is_not_applied(
    users,
    homes,  # noqa: F811
    places,
):
    """cun1 proposed a child for a V01 household; the household was moved to V02 before the
    approval. Approving registered a V01 cadre's child into V02 (outside his area)."""
    from liushou.services.households import save_household

    review_on("register")
    item = register(users, "cun1", homes["V01"])
    home = homes["V01"]
    save_household(
        SYSTEM,
        ALL,
        {"village": places["V02"].id, "grid": places["V02-G1"].id, "head_name": home.head_name},
        home,
    )
    with pytest.raises(ValidationError) as caught:
        service.approve(actor(users, "township"), ALL, ReviewItem.get_by_id(item.id))
    assert "household" in caught.value.errors
    assert ReviewItem.get_by_id(item.id).status == PENDING
    assert Person.select().count() == 0
