"""A person leaving and coming back: exit (退出) with a reason and a date, re-entry, and 作废 of
a registration made by mistake; his household's members follow each at once."""

from .. import clock, settings
from ..db import database
from . import ValidationError, group_events, review
from .categories_follow import _settle, follow_household
from .forms import Reader
from .month_rates import reopen_periods
from .person_facts import derive, facts_of
from .voiding import refuse_voided_person, refuse_voided_persons_now, void


# Every member of the household is settled again: each setting is read once for the write.
@settings.held()
def exit_person(actor, person, values, today=None):
    """Take a person out of the registry (退出) with a reason and a date; nothing is deleted."""
    refuse_voided_person(person)
    today = today or clock.today()
    r = Reader(values)
    reason = r.text("exit_reason", 200, "请填写退出原因")
    on = r.date("exited_on", required_msg="请填写退出日期", not_future=True, today=today)
    if person.exited:
        r.errors["exit_reason"] = "此人已退出"
    if r.errors:
        raise ValidationError(r.errors)
    values = {"exit_reason": reason, "exited_on": on}
    # exited_at: a past period's report reads the exit as known then.
    values |= {"exited_at": clock.now(), "needs_review": False, "review_note": ""}
    proposed = {"exit_reason": reason, "exited_on": str(on)}
    return _move(actor, person, "exit", values, proposed, "", today)


@settings.held()
def reenter_person(actor, person, today=None):
    """Bring an exited person back into the registry."""
    refuse_voided_person(person)
    today = today or clock.today()
    if not person.exited:
        raise ValidationError({"exit_reason": "此人未退出"})
    values = {"exited_on": None, "exit_reason": "", "exited_at": None}
    groups_after = derive({**person.__data__, "exited_on": None}, today)[0]
    return _move(actor, person, "reenter", values, {}, groups_after, today)


def _move(actor, person, action, values, proposed, groups_after, today):
    """Exit or re-enter: `proposed` for review where the township reviews `action`, else the
    person's columns set to `values`, his categories settled and his household's members
    following (their rows decide his facts again, or no more)."""
    changes = [
        ("exited_on", _str(person.exited_on), _str(values["exited_on"])),
        ("exit_reason", person.exit_reason, values["exit_reason"]),
    ]
    if review.applies(actor, action, today):
        return review.propose(
            actor,
            action,
            household=person.household,
            person=person,
            values=proposed,
            changes=changes,
            groups_after=groups_after,
        )
    with database.atomic():
        refuse_voided_persons_now([person], "_record")  # voided since it was read
        if action == "reenter":
            # Back from his exit: the closed periods since it counted his benefits as ended.
            reopen_periods(ranges=[(person.exited_on, None)])
        before = facts_of(person.__data__)
        for field, value in values.items():
            setattr(person, field, value)
        _settle(actor, person, today, changes, before, flag=False, action=action)
        person.save()
        follow_household(actor, person.household_id, today)
    return person


def _str(day):
    return None if day is None else str(day)


@settings.held()
def void_person(actor, person, reason, today=None):
    """作废 a registration made by mistake (a duplicate, the wrong person): kept with who, when
    and why, in no list, figure or reminder; his household's members follow at once."""
    today = today or clock.today()

    def after(p):
        group_events.follow(p, today, "voided")
        follow_household(actor, p.household_id, today)

    return void(actor, person, reason, after=after)
