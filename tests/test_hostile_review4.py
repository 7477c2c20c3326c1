"""Hostile review of 审核报送 for imports, resubmission and cross-checks (issue 19, fourth pass)."""

from datetime import datetime

from liushou.models import Household
from liushou.models.persons import Person
from liushou.models.review import ReviewItem
from liushou.services import review as service
from liushou.services.voiding import void
from tests.test_review import ALL, actor, child_id, homes, review_on  # noqa: F401
from tests.test_review_import import HEADER, import_as

NO_ADDRESS = [HEADER, ["王建国", child_id(21), "1组", "", "王大", "广东省深圳市", "浙江省杭州市"]]


def test_approving_an_import_row_never_joins_a_voided_household(users, places, homes):  # noqa: F811
    review_on("register")
    void(actor(users, "township"), homes["V01"], "重复建档")
    import_as(users, places, "cun1", NO_ADDRESS)
    service.approve(actor(users, "township"), ALL, ReviewItem.get())
    kid = Person.get(Person.name == "王建国")
    assert kid.household_id != homes["V01"].id
    assert Household.get_by_id(kid.household_id).voided_at is None


def test_approving_an_import_row_does_not_join_an_older_household_of_the_same_head(
    users,
    places,
    homes,  # noqa: F811
):
    # The preview said a new household; an unrelated family registered before with the same
    # head name and no address is not where the approval puts him.
    review_on("register")
    Household.update(created_at=datetime(2026, 1, 5, 9, 0)).execute()  # registered long ago
    import_as(users, places, "cun1", NO_ADDRESS)
    service.approve(actor(users, "township"), ALL, ReviewItem.get())
    kid = Person.get(Person.name == "王建国")
    assert kid.household_id != homes["V01"].id
