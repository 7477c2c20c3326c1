"""Each person's visit state: the tier the rules give him (or a user's override), his visit
cycle and next due date, recomputed from his facts and his last visit."""

from .. import clock, settings
from ..db import database
from ..models.visits import Pairing, Visit, VisitPerson, VisitState
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


def refresh_state(person, on=None, rules_in_force=None, cycles_in_force=None):
    """Recompute one person's tier and due date from his facts and his last visit."""
    on = on or clock.today()
    tr = rules_in_force or tier_rules(on)
    cyc = cycles_in_force or cycles(on)
    tier, reason = rules.tier_for(tier_facts(person, on), tr)
    state = VisitState.get_or_none(VisitState.person == person)
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
    before = state.effective_tier if state else None
    if state is None:
        state = VisitState.create(person=person, **values)
    else:
        for k, v in values.items():
            setattr(state, k, v)
        state.save()
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
            refresh_state(person, on, tr, cyc)
