"""Each person's visit state: the tier the rules give him (or a user's override), his visit
cycle and next due date, recomputed from his facts and his last visit."""

import re
from datetime import date

from peewee import fn

from .. import clock, settings
from ..db import database, touching
from ..models.visits import CheckIn, Pairing, Visit, VisitPerson, VisitState
from ..rules import carers, idcard
from ..rules import visits as rules
from ..rules.categories import age_on
from ..rules.text import clean
from . import ValidationError, tier_events
from .audit import record


def tier_rules(on=None):
    """The visit-tier thresholds in force (dated settings)."""
    return rules.TierRules(
        high_age=int(settings.get("visit_high_age", on)),
        key_age=int(settings.get("visit_key_age", on)),
        high_days=int(settings.get("visit_high_days", on)),
        key_days=int(settings.get("visit_key_days", on)),
        general_days=int(settings.get("visit_general_days", on)),
    )


def cycles(on=None):
    """The visit cycles by role in force on a date (dated settings)."""
    return rules.Cycles(
        {
            duty: {
                group: int(settings.get(f"cycle_{duty}_{code}", on))
                for code, group in rules.CYCLE_GROUPS.items()
            }
            for duty in rules.DUTIES
        }
    )


def talk_days(person, tier, tr, cyc):
    """The paired helper's cycle for a person: his groups' talk cycle, never longer than his
    tier's; his tier's where no talk cycle is set for his groups."""
    tier_days = tr.days(tier)
    return cyc.for_groups("talk", person.group_list, tier_days) or tier_days


def _first_pairing_start(person):
    row = (
        Pairing.select(Pairing.started_on)
        .where(Pairing.person == person)
        .order_by(Pairing.started_on)
        .first()
    )
    return row.started_on if row else None


def tier_facts(person, on):
    """The facts the visit tier depends on, read from a person and his household."""
    return rules.TierFacts(
        age=age_on(person.birth_date, on),
        groups=frozenset(person.group_list),
        living_alone=person.living_arrangement == "独居",
        self_care=person.self_care,
        disabled=bool(person.disability_kind),
        tekun=bool(person.household.tekun),
        carer_qualified=carers.qualified(
            person.carer_name,
            person.carer_capable,
            person.carer_disqualifiers,
            _born(person.carer_id_number, on),
            on,
        ),
        carer_named=bool(person.carer_name),
    )


def _born(id_number, on):
    """The birth date in a stored ID number (None if absent)."""
    info, _ = idcard.parse(id_number, on) if id_number else (None, None)
    return info.birth_date if info else None


def tier_for(person, on):
    """The tier the rules give a person on a date (without his override; nothing is written)."""
    return rules.tier_for(tier_facts(person, on), tier_rules(on))[0]


# The last day of each duty (VisitState.last_door_on, last_contact_on) for the persons chosen by
# {filter} (an SQL condition on a person id column, or "1=1"): cleared, then set from one grouped
# pass over their non-voided visits and one over their non-voided check-ins. The same SQL as
# migration step 30's backfill, on both engines.
_DUTY_DATES = (
    'UPDATE "visit_state" SET "last_door_on" = NULL, "last_contact_on" = NULL'
    ' WHERE {filter:visit_state."person_id"}',
    'UPDATE "visit_state" SET "last_door_on" = d."door", "last_contact_on" = d."seen" FROM'
    ' (SELECT vp."person_id" AS "person_id",'
    ' MAX(CASE WHEN v."method" = \'上门\' THEN v."visited_on" END) AS "door",'
    ' MAX(v."visited_on") AS "seen" FROM "visit_person" vp JOIN "visit" v ON v."id" = vp."visit_id"'
    ' WHERE v."voided_at" IS NULL AND {filter:vp."person_id"} GROUP BY vp."person_id") AS d'
    ' WHERE d."person_id" = "visit_state"."person_id"',
    'UPDATE "visit_state" SET "last_contact_on" = c."on" FROM'
    ' (SELECT "person_id", MAX("on") AS "on" FROM "checkin"'
    ' WHERE "voided_at" IS NULL AND {filter:"person_id"} GROUP BY "person_id") AS c'
    ' WHERE c."person_id" = "visit_state"."person_id"'
    ' AND ("visit_state"."last_contact_on" IS NULL OR "visit_state"."last_contact_on" < c."on")',
)


def keep_duty_dates(person_ids=None, villages=None, where=None):
    """Recount, set-based, the last day of each duty for the persons `person_ids` (ids), or
    those matching `where` (an SQL condition on the column "{col}", e.g. an id range), or
    everyone (both None); in the caller's transaction. The check-in and its voiding, and every
    bulk writer of visits (demo, county load), call it; refresh_state counts one person's.
    `villages`: where the persons live (the figures' generations; None: every village)."""
    if person_ids is not None and not person_ids:
        return
    args = []

    def condition(match):
        col = match.group(1)
        if person_ids is not None:
            args.extend(int(i) for i in person_ids)
            return f"{col} IN ({', '.join([database.param] * len(person_ids))})"
        return where.replace("{col}", col) if where is not None else "1=1"

    with database.atomic(), touching(villages):
        for sql in _DUTY_DATES:
            args.clear()
            database.execute_sql(re.sub(r"\{filter:([^}]*)\}", condition, sql), list(args))


def _day(value):
    return date.fromisoformat(value) if isinstance(value, str) else value


def _last_and_dates(person):
    """(his last non-voided visit or None, last 上门 visit day, last check-in day), in one
    statement (then the visit itself, if any): his last_door_on and last_contact_on as
    keep_duty_dates counts them."""
    parts = [
        Visit.select(Visit.id)
        .join(VisitPerson)
        .where(VisitPerson.person == person)
        .order_by(Visit.visited_on.desc(), Visit.id.desc())
        .limit(1),
        Visit.select(fn.MAX(Visit.visited_on))
        .join(VisitPerson)
        .where((VisitPerson.person == person) & (Visit.method == "上门")),
        CheckIn.select(fn.MAX(CheckIn.on)).where(CheckIn.person == person),
    ]
    texts, params = [], []
    for query in parts:
        sql, args = query.sql()
        texts.append(f"({sql})")
        params += args
    last_id, door, checked = database.execute_sql(f"SELECT {', '.join(texts)}", params).fetchone()
    last = Visit.get_by_id(last_id) if last_id else None
    return last, _day(door), _day(checked)


def refresh_state(person, on=None, rules_in_force=None, cycles_in_force=None, dates=False):
    """Recompute one person's tier and due date from his facts and his last visit; with
    `dates` (the writes of a visit: its recording, correction, voiding) also the last day of
    each duty. A state created here always counts them; other writes leave them as kept."""
    on = on or clock.today()
    tr = rules_in_force or tier_rules(on)
    cyc = cycles_in_force or cycles(on)
    tier, reason = rules.tier_for(tier_facts(person, on), tr)
    state = VisitState.get_or_none(VisitState.person == person)
    counted = {}
    if state is None or dates:
        last, door, checked = _last_and_dates(person)
        seen = [d for d in (last.visited_on if last else None, checked) if d is not None]
        counted = {"last_door_on": door, "last_contact_on": max(seen, default=None)}
    else:
        last = (
            Visit.select(Visit)
            .join(VisitPerson)
            .where(VisitPerson.person == person)
            .order_by(Visit.visited_on.desc(), Visit.id.desc())
            .first()
        )
    effective = state.override if state and state.override else tier
    due = rules.next_due(
        last.visited_on if last else None,
        effective,
        tr,
        since=_first_pairing_start(person) or on,
        asked=last.next_on if last else None,
        days=talk_days(person, effective, tr, cyc),
    )
    values = {
        "tier": tier,
        "tier_reason": reason,
        "due_on": due,
        "refreshed_on": on,
        "last_visit_on": last.visited_on if last else None,
        "last_summary": last.summary[:300] if last else "",
    }
    values.update(counted)
    before = state.effective_tier if state else None
    if state is None:
        state = VisitState.create(person=person, **values)
    else:
        # Only what was counted here: a write without `dates` (the day's recheck) never writes
        # back duty dates read before a check-in committed beside it (PostgreSQL). And only
        # what differs from the stored row: the day's job, run again or on a day when nothing
        # moved, writes nothing any page reads, so its batches move no data generation.
        moved = [k for k, v in values.items() if k != "refreshed_on" and getattr(state, k) != v]
        if moved or state.refreshed_on != on:
            for k, v in values.items():
                setattr(state, k, v)
            # refreshed_on alone (the job's own mark, which no page reads) is a statement the
            # data generation leaves alone (db_generation._UNCOUNTED_STATEMENTS)
            state.save(only=[getattr(VisitState, k) for k in [*moved, "refreshed_on"]])
    tier_events.follow(person.id, before, state.effective_tier, bool(state.override), on)
    return state


def override_tier(actor, person, tier, reason):
    """A user with the right role sets a person's tier by hand, with a reason ('' clears it)."""
    if tier and tier not in rules.TIERS:
        raise ValidationError({"tier": "请选择走访等级"})
    reason = clean(reason, 200)
    if tier and not reason:
        raise ValidationError({"override_reason": "请说明调整等级的原因"})
    with database.atomic():
        state = refresh_state(person)
        before = (state.override, state.override_reason)
        effective = state.effective_tier
        state.override, state.override_reason = tier, reason if tier else ""
        state.save()
        tier_events.follow(person.id, effective, state.effective_tier, bool(tier), clock.today())
        state = refresh_state(person)
        record(
            actor,
            "update",
            person,
            changes=[
                ("visit_tier", before[0] or None, tier or None),
                ("visit_tier_reason", before[1], reason),
            ],
        )
    return state


def ensure_states(persons, on=None):
    """Create or refresh the visit state of persons that have none or an old one."""
    on = on or clock.today()
    tr, cyc = tier_rules(on), cycles(on)
    with database.atomic():
        for person in persons:
            # The duty dates move with visits and check-ins only (kept by their writes).
            refresh_state(person, on, tr, cyc)
