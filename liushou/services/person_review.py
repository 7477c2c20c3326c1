"""审核报送 hooks of the registry: a registration or a category-changing edit stored as a
proposal, a change the household's family-away rows make held for review, and a flagged
person's review confirmed."""

from ..db import database
from . import _plain, review
from .audit import record
from .person_facts import derive


def _proposal(actor, values, person, household, data, today, replaced):
    """审核报送: a registration, or an edit that changes his categories, stored for review
    instead of applied when review is on for it (services/review); else None."""
    if person is None:
        if review.applies(actor, "register", today):
            groups = derive(data, today)[0]
            changes = [
                (k, None, _plain(v))
                for k, v in data.items()
                if v not in (None, "", False) and k != "household"
            ]
            return review.propose(
                actor,
                "register",
                household=household,
                values=values,
                changes=changes + [("groups", None, groups)],
                groups_after=groups,
                replaced=replaced,
            )
        return None
    if not review.applies(actor, "category_edit", today):
        return None
    before, after = derive(person.__data__, today)[0], derive({**person.__data__, **data}, today)[0]
    if before == after:
        return None
    changes = review.changes_of(person.__data__, data) + [("groups", before, after)]
    return review.propose(
        actor,
        "category_edit",
        household=household,
        person=person,
        values=values,
        changes=changes,
        groups_after=after,
    )


def _held(actor, person, facts, changes, on):
    """审核报送 for a change the household's family-away rows make (a parent left, a husband
    came back): when it changes his categories and category_edit review applies to the
    author, his facts and categories stay as they are and the change waits as a proposal; the
    row itself is saved. While a proposal from the rows waits (or was returned), no later
    follow (another edit, the nightly job) applies it unreviewed. True when held."""
    if actor.approval:
        return False
    waiting = review.held_by_rows(person)
    if waiting is not None and (
        waiting.status == review.PENDING or waiting.author_id != actor.user_id
    ):
        return True
    if waiting is None and actor.user is None:
        # A change its author withdrew stays unapplied by the nightly job until someone saves
        # the facts again (a user's follow applies it or proposes it anew).
        withdrawn = review.withdrawn_by_rows(person)
        if withdrawn is not None and all(
            withdrawn.values.get(k) == _form_value(facts[k]) for k, _, _ in changes
        ):
            return True
    # His author corrects the rows of a returned one: it is closed, proposed again if need be.
    before, after = derive(person.__data__, on)[0], derive({**person.__data__, **facts}, on)[0]
    if before == after or not review.applies(actor, "category_edit", on):
        review.close_replaced(actor, waiting)
        return False
    values = {k: _form_value(v) for k, v in facts.items()}
    review.propose(
        actor,
        "category_edit",
        household=person.household,
        person=person,
        values={**values, review.FROM_ROWS: "1"},
        changes=changes + [("groups", before, after)],
        groups_after=after,
    )
    return True


def _form_value(value):
    """A fact as the person's form posts it."""
    if isinstance(value, bool):
        return "1" if value else ""
    return "" if value is None else str(value)


def confirm_review(actor, person):
    """A user has looked at a flagged person: clear the flag (kept in the history)."""
    with database.atomic():
        record(
            actor,
            "update",
            person,
            changes=[("needs_review", True, False), ("review_note", person.review_note, "")],
        )
        person.needs_review, person.review_note = False, ""
        person.save()
