"""Pairing helpers with persons and recording visits. Each person's visit state (tier, due
date) is kept in services/visit_tiers.py; its names are importable from here too."""

import json

from werkzeug.exceptions import NotFound

from .. import clock, figure_patch
from ..db import database, row_villages, touching
from ..models.care import Need
from ..models.helpers import Helper
from ..models.persons import Person
from ..models.visits import ASPECTS, VISIT_METHODS, Pairing, Visit, VisitHelper, VisitPerson
from ..queries.helpers import visible as visible_helpers
from ..queries.persons import household_members
from ..rules import visits as rules
from ..rules.text import clean
from . import ValidationError
from .audit import record
from .forms import Reader, bad_id, to_int
from .month_rates import reopen_periods
from .visit_tiers import (  # noqa: F401  (re-exported for callers)
    cycles,
    ensure_states,
    keep_duty_dates,
    override_tier,
    refresh_state,
    talk_days,
    tier_facts,
    tier_for,
    tier_rules,
)
from .voiding import refuse_voided_person, refuse_voided_persons_now


def person_to_visit(scope, person_id):
    """The person a new visit's page (its URL) names, in the user's area: 404 for one outside it
    or voided (a voided registration takes no visit, like a check-in)."""
    person = scope.get(Person, person_id)
    if person.voided_at is not None:
        raise NotFound()
    return person


def pair(actor, scope, helper, persons, *, primary=False, started_on=None, asked=None):
    """Pair one helper with one or more persons (skipping those already paired with him).

    `asked`: the person ids the form sent, when `persons` were looked up from them; an id that
    named no person of the user's area refuses the whole pairing."""
    started_on = started_on or clock.today()
    if started_on > clock.today():
        raise ValidationError({"started_on": "开始日期不能晚于今天"})
    if asked is not None and {str(i) for i in asked} - {str(p.id) for p in persons}:
        raise ValidationError({"persons": "只能选择您负责范围内的人员"})
    if any(not scope.allows_grid(p.village_id, p.grid_id) for p in persons):
        raise ValidationError({"persons": "只能选择您负责范围内的人员"})
    if not persons:
        raise ValidationError({"persons": "请至少选择一人"})
    for person in persons:
        refuse_voided_person(person)
    created = []
    with database.atomic():
        refuse_voided_persons_now(persons, "persons")  # voided since they were read
        for person in persons:
            exists = (
                Pairing.current()
                .where((Pairing.helper == helper) & (Pairing.person == person))
                .exists()
            )
            if exists:
                continue
            has_primary = (
                Pairing.current().where((Pairing.person == person) & Pairing.primary).exists()
            )
            p = Pairing.create(
                helper=helper,
                person=person,
                started_on=started_on,
                primary=not has_primary,
                created_by=actor.user_id,
            )
            if primary and has_primary:
                set_primary(actor, p)
            record(
                actor,
                "create",
                p,
                label=f"{helper.name} 结对 {person.name}",
                changes=[
                    ("helper", None, helper.id),
                    ("person", None, person.id),
                    ("primary", None, p.primary),
                ],
            )
            refresh_state(person)
            created.append(p)
    return created


def set_primary(actor, pairing):
    """Make this pairing the person's one primary pairing."""
    with database.atomic(), touching(row_villages(pairing)):
        (
            Pairing.update(primary=False)
            .where((Pairing.person == pairing.person_id) & (Pairing.id != pairing.id))
            .execute()
        )
        pairing.primary = True
        pairing.save()
        record(
            actor,
            "update",
            pairing,
            changes=[("primary", False, True)],
            label=f"{pairing.helper.name} 为主要帮扶人",
        )


def end_pairing(actor, pairing, ended_on=None, reason=""):
    """End a pairing; it stays in the history. Another current pairing becomes primary."""
    ended_on = ended_on or clock.today()
    if ended_on < pairing.started_on:
        raise ValidationError({"ended_on": "结束日期不能早于开始日期"})
    if ended_on > clock.today():
        raise ValidationError({"ended_on": "结束日期不能晚于今天"})
    with database.atomic():
        # Ended on a past day: the closed periods ending since no longer count it.
        reopen_periods(ranges=[(ended_on, None)])
        pairing.ended_on = ended_on
        pairing.end_reason = clean(reason, 200)
        was_primary, pairing.primary = pairing.primary, False
        pairing.save()
        if was_primary:
            other = Pairing.current().where(Pairing.person == pairing.person_id).first()
            if other:
                other.primary = True
                other.save()
        record(
            actor,
            "update",
            pairing,
            label=f"{pairing.helper.name} 结束结对",
            changes=[("ended_on", None, str(ended_on)), ("end_reason", "", pairing.end_reason)],
        )
    return pairing


def read_visit(scope, persons, values, today):
    """Validate a visit form: (data for the Visit row, persons seen, helpers); raises
    ValidationError. `persons` were looked up from the posted ids (`values["persons"]`)."""
    r = Reader(values)
    visited_on = r.date("visited_on", required_msg="请填写走访日期")
    if visited_on and visited_on > today:
        r.errors["visited_on"] = "走访日期不能晚于今天"
    method = r.choice("method", VISIT_METHODS, "请选择走访方式")
    next_on = r.date("next_on")
    if next_on and visited_on and next_on <= visited_on:
        r.errors["next_on"] = "下次走访日期应晚于本次走访日期"
    persons = [p for p in persons if scope.allows_person(p)]
    asked = values.get("persons")
    asked = asked if isinstance(asked, (list, tuple)) else ([asked] if asked else [])
    if {str(i) for i in asked} - {str(p.id) for p in persons}:
        # An id that is not a member of this household in the user's area: refused, not dropped.
        r.errors["persons"] = "只能选择本户中您负责范围内的成员"
    elif not persons:
        r.errors["persons"] = "请选择走访对象"
    elif len({p.household_id for p in persons}) > 1:
        r.errors["persons"] = "一条走访记录只能包含同一户的成员"
    asked_helpers = values.get("helpers") or []
    helper_ids = [to_int(h) for h in asked_helpers if not bad_id(h)]
    helpers = list(visible_helpers(scope).where(Helper.id.in_(helper_ids or [0])))
    if any(bad_id(h) for h in asked_helpers):
        r.errors["helpers"] = "只能选择您负责范围内的走访人"
    elif not helpers:
        r.errors["helpers"] = "请选择走访人"
    elif len(helpers) < len(set(helper_ids)):
        r.errors["helpers"] = "只能选择您负责范围内的走访人"
    data = {name: r.text(name, 500) for name, _ in ASPECTS}
    data.update(visited_on=visited_on, method=method, needs=r.text("needs", 500), next_on=next_on)
    if r.errors:
        raise ValidationError(r.errors)
    return data, persons, helpers


def _listed(values, name):
    v = values.get(name)
    return list(v) if isinstance(v, (list, tuple)) else ([v] if v else [])


def read_items(scope, persons, values, kept=None):
    """{person id: JSON text of [[item, status, note]]} for the persons seen, from the form's
    aligned lists item_for (person ids), item_key, item_status, item_note. Each person is asked
    his groups' items, or those his visit was recorded with (`kept`: {person id: [items]}).
    A row naming someone who is not of the household in the user's area refuses the visit."""
    kept = kept or {}
    members = {str(m.id) for m in household_members(persons[0]) if scope.allows_person(m)} | {
        str(p.id) for p in persons
    }
    fors, keys = _listed(values, "item_for"), _listed(values, "item_key")
    statuses, notes = _listed(values, "item_status"), _listed(values, "item_note")
    errors, given = {}, {}
    for i, pid in enumerate(fors):
        if str(pid) not in members:
            raise ValidationError({"persons": "只能选择本户中您负责范围内的成员"})
        status = statuses[i] if i < len(statuses) else ""
        if status and status not in rules.ITEM_STATUSES:
            errors["items"] = "请为每一项选择正常、关注或有问题"
        key = keys[i] if i < len(keys) else ""
        given[str(pid), key] = (status, clean(notes[i] if i < len(notes) else "", 200))
    if errors:
        raise ValidationError(errors)
    out = {}
    for p in persons:
        names = kept.get(p.id) or rules.items_for(p.group_list)
        rows = [[n, *given.get((str(p.id), n), ("", ""))] for n in names]
        out[p.id] = json.dumps(rows, ensure_ascii=False) if rows else ""
    return out


def record_visit(actor, scope, persons, values, today=None):
    """Record one visit to one person or several members of one household.

    `values` (strings as a form sends them, or dates): visited_on, method, helpers (ids),
    the aspects (life, health, mind, safety, study), needs, next_on.
    """
    today = today or clock.today()
    data, persons, helpers = read_visit(scope, persons, values, today)
    items = read_items(scope, persons, values)
    visited_on, method, needs = data["visited_on"], data["method"], data["needs"]
    first = persons[0]
    # Kept worklists and duty lists patch these persons' rows (figure_patch.moving).
    with figure_patch.moving([p.id for p in persons]), database.atomic():
        refuse_voided_persons_now(persons, "persons")  # a voided registration takes no visit
        visit = Visit.create(
            village=first.village_id,
            grid=first.grid_id,
            household=first.household_id,
            created_by=actor.user_id,
            **data,
        )
        for p in persons:
            VisitPerson.create(visit=visit, person=p, items=items[p.id])
        for h in helpers:
            VisitHelper.create(visit=visit, helper=h)
        record(
            actor,
            "create",
            visit,
            label="、".join(p.name for p in persons) + f" {visited_on} {method}",
            changes=[
                ("visited_on", None, str(visited_on)),
                ("method", None, method),
                ("helpers", None, [h.name for h in helpers]),
                *[
                    (f"items:{p.name}", None, item_text(items[p.id]))
                    for p in persons
                    if item_text(items[p.id])
                ],
            ],
        )
        if needs:
            # A need raised in a visit is registered, to be followed to a service.
            need = Need.create(
                person=first,
                kind="其他",
                description=needs,
                raised_on=visited_on,
                raised_by=helpers[0].name,
                visit=visit,
                helper=helpers[0],
                created_by=actor.user_id,
            )
            record(actor, "create", need, label=f"{first.name} 走访中提出需求：{needs[:40]}")
        for p in persons:
            refresh_state(p, today, dates=True)
    return visit


def item_text(items_json):
    """The items answered, in one line for the history ("学习：关注 成绩下降；…")."""
    rows = json.loads(items_json) if items_json else []
    return "；".join(f"{n}：{st} {note}".strip() for n, st, note in rows if st or note)
