"""The dated history of group membership, written in the same transaction as every change of
a person's groups, exit, re-entry, voiding or move (models/group_events.py)."""

from .. import clock
from ..db import touching
from ..models.group_events import GroupEvent
from ..rules.categories import GROUPS


def follow(person, on, reason, recorded_at=None):
    """Append the events that bring a person's group history in line with him as he is now
    (saved or about to be): out of the groups he has left, into the ones he has entered, out
    of the old place and into the new one when he has moved. `reason` says why (registered,
    category, exit, death, voided, reentry); a move is "moved". An event never sorts before
    one already recorded for the same person and group (its date is at least that one's), so
    the last event decides. Returns the rows written."""
    recorded_at = recorded_at or clock.now()
    rows = changes(person, _last_events(person.id), on, reason, recorded_at)
    if rows:
        # Each row names its village: the write moves those villages' figures only.
        with touching(row["village"] for row in rows):
            GroupEvent.insert_many(rows).execute()
    return rows


def changes(person, last, on, reason, recorded_at):
    """The event rows (dicts) from `last` ({group: (event, on, village id, grid id)}) to the
    person as he is; the one place the difference is computed (the demo's bulk builder too)."""
    member_of = set() if person_gone(person) else set(_groups(person))
    exit_reason = _value(person, "exit_reason") if reason in ("exit", "death") else ""
    village, grid = _value(person, "village"), _value(person, "grid")
    rows = []
    for group in GROUPS:
        event, last_on, last_village, last_grid = last.get(group, ("out", on, None, None))
        day = max(on, last_on)
        was_in = event == "in"
        same_place = was_in and (last_village, last_grid) == (village, grid)

        left = (last_village, last_grid)
        if was_in and group not in member_of:
            rows.append(_row(person, group, day, "out", reason, left, exit_reason, recorded_at))
        elif was_in and not same_place:
            rows.append(_row(person, group, day, "out", "moved", left, "", recorded_at))
        if group in member_of and not same_place:
            why = "moved" if was_in else reason
            rows.append(_row(person, group, day, "in", why, (village, grid), "", recorded_at))
    return rows


def _row(person, group, day, event, reason, place, exit_reason, recorded_at):
    return {
        "person": _value(person, "id"),
        "village": place[0],
        "grid": place[1],
        "group_name": group,
        "on": day,
        "event": event,
        "reason": reason,
        "exit_reason": exit_reason,
        "recorded_at": recorded_at,
    }


def exit_kind(exit_reason):
    """The event reason of an exit: a death is told apart from the other reasons."""
    return "death" if exit_reason == "死亡" else "exit"


def person_gone(person):
    return _value(person, "exited_on") is not None or _value(person, "voided_at") is not None


def _last_events(person_id):
    last = {}
    query = (
        GroupEvent.select(
            GroupEvent.group_name,
            GroupEvent.event,
            GroupEvent.on,
            GroupEvent.village,
            GroupEvent.grid,
        )
        .where(GroupEvent.person == person_id)
        .order_by(GroupEvent.on, GroupEvent.id)
        .tuples()
    )
    for group, event, on, village, grid in query:
        last[group] = (event, on, village, grid)
    return last


def _groups(person):
    return [g for g in (_value(person, "groups") or "").split(",") if g]


def _value(person, name):
    """A column of a Person or of a dict of column values (the demo's rows)."""
    if isinstance(person, dict):
        return person.get(name)
    return getattr(person, f"{name}_id" if name in ("village", "grid") else name)
