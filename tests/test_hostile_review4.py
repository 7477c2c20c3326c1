"""Hostile review of 审核报送 for imports, resubmission and cross-checks (issue 19, fourth pass)."""

from datetime import datetime

from liushou.models import Household
from liushou.models.persons import Person
from liushou.models.review import ReviewItem
from liushou.services import review as service
from liushou.services.voiding import void
from tests._helpers import ALL  # noqa: F401
from tests.shared.review import HEADER, actor, child_id, homes, import_as, review_on  # noqa: F401

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


def test_resubmitting_with_an_item_not_his_returned_one_is_refused(users, places, login_as):
    import threading

    from liushou.models.review import APPROVED, PENDING
    from tests.conftest import post
    from tests.shared.review import SHEET, counts

    review_on("register")
    import_as(users, places, "cun1", SHEET[:2])
    item = ReviewItem.get()
    before = counts()
    # Approved twice at once: one household, one person.
    errors = []

    def approve():
        try:
            service.approve(actor(users, "township"), ALL, ReviewItem.get_by_id(item.id))
        except Exception as e:  # noqa: BLE001 - the loser's refusal
            errors.append(e)

    threads = [threading.Thread(target=approve) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(errors) == 1 and ReviewItem.get_by_id(item.id).status == APPROVED
    assert counts() == (before[0] + 1, before[1] + 2, before[2] + 1)
    # The approved item, named in a fresh registration form, is refused (not his returned one).
    cun1 = login_as("cun1")
    assert cun1.get(f"/persons/new?review={item.id}").status_code == 404
    values = {**item.values, "name": "赵再一", "review_item": str(item.id)}
    values = {k: v for k, v in values.items() if not isinstance(v, list)}
    response = post(cun1, "/persons/new", values)
    assert response.status_code == 422
    assert ReviewItem.select().where(ReviewItem.status == PENDING).count() == 0
    assert not Person.select().where(Person.name == "赵再一").exists()
