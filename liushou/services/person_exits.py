"""A person leaving and coming back: exit (退出) with a reason and a date, re-entry, and 作废 of
a registration made by mistake; his household's members follow each at once."""

from .. import clock, settings
from ..db import database
from . import ValidationError, group_events, review
from .categories_follow import _settle, follow_household
from .forms import Reader
from .person_facts import derive, facts_of
from .voiding import void


# Every member of the household is settled again: each setting is read once for the write.
@settings.held()
def exit_person(actor, person, values, today=None):
    """Take a person out of the registry (退出) with a reason and a date; nothing is deleted."""
    today = today or clock.today()
    r = Reader(values)
    reason = r.text("exit_reason", 200, "请填写退出原因")
    on = r.date("exited_on", required_msg="请填写退出日期", not_future=True, today=today)
    if person.exited:
        r.errors["exit_reason"] = "此人已退出"
    if r.errors:
        raise ValidationError(r.errors)
    changes = [("exited_on", None, str(on)), ("exit_reason", "", reason)]
    if review.applies(actor, "exit", today):
        return review.propose(
            actor,
            "exit",
            household=person.household,
            person=person,
            values={"exit_reason": reason, "exited_on": str(on)},
            changes=changes,
            groups_after="",
        )
    with database.atomic():
        before = facts_of(person.__data__)
        person.exited_on, person.exit_reason = on, reason
        person.exited_at = clock.now()  # a past period's report reads the exit as known then
        person.needs_review, person.review_note = False, ""
        _settle(actor, person, today, changes, before, flag=False, action="exit")
        person.save()
        follow_household(actor, person.household_id, today)
    return person


@settings.held()
def reenter_person(actor, person, today=None):
    """Bring an exited person back into the registry."""
    today = today or clock.today()
    if not person.exited:
        raise ValidationError({"exit_reason": "此人未退出"})
    changes = [("exited_on", str(person.exited_on), None), ("exit_reason", person.exit_reason, "")]
    if review.applies(actor, "reenter", today):
        return review.propose(
            actor,
            "reenter",
            household=person.household,
            person=person,
            values={},
            changes=changes,
            groups_after=derive({**person.__data__, "exited_on": None}, today)[0],
        )
    with database.atomic():
        before = facts_of(person.__data__)
        person.exited_on, person.exit_reason, person.exited_at = None, "", None
        _settle(actor, person, today, changes, before, flag=False, action="reenter")
        person.save()
        # Back in the household: its rows decide his facts again.
        follow_household(actor, person.household_id, today)
    return person


@settings.held()
def void_person(actor, person, reason, today=None):
    """作废 a registration made by mistake (a duplicate, the wrong person): kept with who, when
    and why, in no list, figure or reminder; his household's members follow at once."""
    today = today or clock.today()

    def after(p):
        group_events.follow(p, today, "voided")
        follow_household(actor, p.household_id, today)

    return void(actor, person, reason, after=after)
