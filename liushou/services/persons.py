"""Persons: register, update (every change kept), categories by rule, review flags, exit,
re-entry."""

import json
import threading

from peewee import IntegrityError

from .. import clock, settings
from ..db import database, in_batches
from ..models import Setting
from ..models.households import FamilyAway, Household
from ..models.persons import (
    CARER_DISQUALIFIERS,
    DISABILITY_GRADES,
    DISABILITY_KINDS,
    LIVING,
    RISK_LEVELS,
    SELF_CARE,
    SEXES,
    Person,
)
from ..queries.visits import stale_states
from ..rules import carers, categories, family, idcard
from ..rules.categories import PARENT_STATUSES
from ..rules.pinyin import keys
from ..rules.privacy import ID_FIELDS, keep_masked
from . import (
    SYSTEM,
    ValidationError,
    _plain,
    agreement_events,
    completeness,
    diff,
    group_events,
    importing_review,
    review,
)
from .audit import record
from .forms import Reader, to_int
from .visits import ensure_states, refresh_state
from .voiding import void


def thresholds(on=None):
    g = lambda key: int(settings.get(key, on))  # noqa: E731
    return categories.Thresholds(
        child_max_age=g("child_max_age"),
        woman_min_age=g("woman_min_age"),
        woman_max_age=g("woman_max_age"),
        woman_months_away=g("woman_months_away"),
        elder_min_age=g("elder_min_age"),
        elder_months_away=g("elder_months_away"),
        difficult_max_age=g("difficult_max_age"),
    )


def difficulty_options(on=None):
    raw = str(settings.get("difficulty_kinds", on))
    return tuple(
        k.strip() for k in raw.replace(",", "、").replace("，", "、").split("、") if k.strip()
    )


def facts_of(data):
    """Rule facts from a person's values (a dict of column values)."""
    return categories.Facts(
        birth_date=data.get("birth_date"),
        sex=data.get("sex") or "",
        father_status=data.get("father_status") or "",
        mother_status=data.get("mother_status") or "",
        husband_away_since=data.get("husband_away_since"),
        children_away=bool(data.get("children_away")),
        children_away_since=data.get("children_away_since"),
        difficulty_kinds=tuple(k for k in (data.get("difficulty_kinds") or "").split(",") if k),
        exited=data.get("exited_on") is not None,
    )


def derive(data, on=None):
    """(groups string, reasons JSON) for the values given."""
    on = on or clock.today()
    result = categories.classify(facts_of(data), on, thresholds(on))
    ordered = [g for g in categories.GROUPS if g in result]
    return ",".join(ordered), json.dumps({g: result[g] for g in ordered}, ensure_ascii=False)


def validate(values, today=None):
    """(typed values, errors) for a person's raw values, without touching the database."""
    return _read(values, today or clock.today())


def _read(values, today):
    r = Reader(values)
    data = {
        "name": r.text("name", 64, "请填写姓名"),
        "ethnicity": r.text("ethnicity", 16) or "汉族",
        "phone": r.phone("phone"),
        "relation_to_head": r.text("relation_to_head", 16),
        "health": r.text("health", 100),
        "disability_kind": r.choice("disability_kind", DISABILITY_KINDS),
        "disability_grade": r.choice("disability_grade", DISABILITY_GRADES),
        "risk_level": r.choice("risk_level", RISK_LEVELS, default="低"),
        "notes": r.text("notes", 1000),
        "school": r.text("school", 64),
        "grade": r.text("grade", 16),
        "boarding": r.flag("boarding"),
        "father_status": r.choice("father_status", PARENT_STATUSES),
        "mother_status": r.choice("mother_status", PARENT_STATUSES),
        "difficulty_kinds": r.many("difficulty_kinds", difficulty_options()),
        "carer_name": r.text("carer_name", 64),
        "carer_relation": r.text("carer_relation", 16),
        "carer_phone": r.phone("carer_phone"),
        "carer_address": r.text("carer_address", 128),
        "carer_capable": r.tristate("carer_capable"),
        "carer_disqualifiers": r.many("carer_disqualifiers", CARER_DISQUALIFIERS),
        "agreement_signed_on": r.date("agreement_signed_on", not_future=True, today=today),
        "husband_away_since": r.date("husband_away_since", not_future=True, today=today),
        "training_need": r.text("training_need", 100),
        "employment_need": r.text("employment_need", 100),
        "living_arrangement": r.choice("living_arrangement", LIVING),
        "self_care": r.choice("self_care", SELF_CARE),
        "chronic_illnesses": r.text("chronic_illnesses", 100),
        "children_away": r.flag("children_away"),
        "children_away_since": r.date("children_away_since", not_future=True, today=today),
        "supporters": r.text("supporters", 200),
        "contact_name": r.text("contact_name", 64),
        "contact_relation": r.text("contact_relation", 16),
        "contact_phone": r.phone("contact_phone"),
    }
    if data["contact_name"] and not data["contact_phone"] and "contact_phone" not in r.errors:
        r.errors["contact_phone"] = "请填写方便联系人的电话"
    if data["disability_grade"] and not data["disability_kind"]:
        r.errors["disability_kind"] = "填写了残疾等级，请同时选择残疾类别"
    carer_id = r.text("carer_id_number", 24)
    data["carer_id_number"] = ""
    if carer_id:
        info, problem = idcard.parse(carer_id, today)
        if problem:
            r.errors["carer_id_number"] = "照护人" + problem
        else:
            data["carer_id_number"] = info.number
            minor = carers.capability_problem(data["carer_capable"], info.birth_date, today)
            if minor:
                r.errors["carer_capable"] = minor
    _identity(r, data, today)
    return data, r.errors


def _identity(r, data, today):
    """ID number, birth date and sex: the ID decides; an entered value that disagrees is an
    error."""
    raw_id = r.text("id_number", 30)
    birth = r.date("birth_date", not_future=True, today=today)
    sex = r.choice("sex", SEXES)
    data["id_number"] = None
    if raw_id:
        info, problem = idcard.parse(raw_id, today)
        if problem:
            r.errors["id_number"] = problem
        else:
            data["id_number"] = info.number
            if birth and birth != info.birth_date:
                r.errors["birth_date"] = f"与身份证号中的出生日期 {info.birth_date:%Y-%m-%d} 不一致"
            if sex and sex != info.sex:
                r.errors["sex"] = f"与身份证号中的性别（{info.sex}）不一致"
            birth, sex = info.birth_date, info.sex
    if birth is None and "birth_date" not in r.errors:
        r.errors["birth_date"] = "请填写出生日期或身份证号"
    if not sex and "sex" not in r.errors:
        r.errors["sex"] = "请选择性别"
    data["birth_date"], data["sex"] = birth, sex


def save_person(actor, scope, values, person=None, today=None, category_reason=None):
    """Register a person in a household (values['household']) or update one. `category_reason`:
    said instead of the rule's reason when his categories change (a confirmed suggestion)."""
    today = today or clock.today()
    if person is not None:  # the edit form shows ID numbers masked: an unchanged mask keeps them
        kept = {f: keep_masked(values.get(f), getattr(person, f)) for f in ID_FIELDS}
        values = {**values, **kept}
    data, errors = _read(values, today)
    household = person.household if person else None
    # A returned registration its author fixed and sends again (审核报送); a returned import
    # row brings its household and family-away parts (importing_review).
    replaced = review.replaced(actor, scope, values, errors) if person is None else None
    carried = importing_review.part_of(replaced)
    if carried and carried.get("new_household") and not values.get("household"):
        pass  # the import's new household, created when the registration is written
    elif person is None or values.get("household"):
        household = (
            scope.query(Household).where(Household.id == to_int(values.get("household"))).first()
        )
        if household is None:
            errors["household"] = "请选择所在户"
        elif not scope.allows_grid(household.village_id, household.grid_id):
            errors["household"] = "只能登记到您负责的户"
    if data["id_number"]:
        clash = Person.select().where(Person.id_number == data["id_number"])
        if person is not None:
            clash = clash.where(Person.id != person.id)
        clash = clash.first()
        if clash:
            visible = scope.query(Person).where(Person.id == clash.id).exists()
            errors["id_number"] = (
                f"该身份证号已登记：{clash.name}"
                if visible
                else "该身份证号已在其他村（网格）登记，请联系乡镇核实"
            )
    if household is not None and data["birth_date"] and not (person and person.exited):
        decided, conflicts = household_facts(household.id, person, data, today)
        for key, message in conflicts.items():
            errors.setdefault(key, message)
        data.update(decided)
    if errors:
        raise ValidationError(errors)
    if carried is not None:
        return importing_review.resubmit(actor, scope, values, data, household, replaced, today)
    data["household"] = household.id
    data["village"], data["grid"] = household.village_id, household.grid_id
    data["name_initials"], data["name_pinyin"] = keys(data["name"])
    data["exited_on"] = person.exited_on if person else None
    proposal = _proposal(actor, values, person, household, data, today, replaced)
    if proposal is not None:
        return proposal
    try:
        with database.atomic():
            if person is None:
                data["groups"], data["group_reasons"] = derive(data, today)
                data["collected_by"] = actor.user_id  # 采集人: who registered him
                person = Person.create(**data)
                group_events.follow(person, today, "registered")
                agreement_events.follow(person)
                review.close_replaced(actor, replaced)
                record(
                    actor,
                    "create",
                    person,
                    changes=[
                        (k, None, v)
                        for k, v in data.items()
                        if v not in (None, "", False, "{}")
                        and k not in ("name_initials", "name_pinyin", "group_reasons")
                    ],
                )
                _visit_state(person)
            else:
                moved_from = person.household_id
                before = facts_of(person.__data__)
                signed_before = person.agreement_signed_on
                changes = [
                    c for c in diff(person, data) if c[0] not in ("name_initials", "name_pinyin")
                ]
                for k, v in data.items():
                    setattr(person, k, v)
                _settle(actor, person, today, changes, before, why=category_reason)
                agreement_events.follow(person, signed_before)
                if moved_from != household.id:
                    follow_household(actor, moved_from, today)
            # A new or changed member may change whom the household's rows concern.
            follow_household(actor, household.id, today)
    except IntegrityError as e:
        # Two registrations of one ID number at once: the unique index refuses the second.
        if "id_number" not in str(e):
            raise
        raise ValidationError({"id_number": "该身份证号刚刚已被登记，请刷新后核实"}) from e
    return person


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


def household_facts(household_id, person, data, on):
    """(facts the household's family-away rows decide for a person about to be saved with
    `data`, {field: message} where `data` contradicts them); an importer's preview can ask too."""
    others = Person.active().where(Person.household == household_id)
    if person is not None:
        others = others.where(Person.id != person.id)
    me = _member(person.id if person else 0, data)
    decided = family.facts_for(
        [me, *(_member(p.id, p.__data__) for p in others)],
        away_rows(household_id),
        on,
        thresholds(on),
    )[me.id]
    return decided, family.conflicts(me, decided, away_rows(household_id))


def _member(person_id, data):
    return family.Member(
        id=person_id,
        sex=data.get("sex") or "",
        birth_date=data["birth_date"],
        relation_to_head=data.get("relation_to_head") or "",
        father_status=data.get("father_status") or "",
        mother_status=data.get("mother_status") or "",
        husband_away_since=data.get("husband_away_since"),
        children_away=bool(data.get("children_away")),
        children_away_since=data.get("children_away_since"),
    )


def away_rows(household_id):
    """A household's family-away rows as the family rules read them (the one place to leave
    out voided rows, and to read a row's end by death, once the table records them)."""
    return [
        family.AwayRow(r.id, r.name, r.relation, r.away_since, r.returned_on, r.died_on)
        for r in FamilyAway.select().where(FamilyAway.household == household_id)
    ]


# What a fact is when no family-away row decides it any more (a row voided as a mistake).
UNDECIDED = {
    "father_status": "",
    "mother_status": "",
    "husband_away_since": None,
    "children_away": False,
    "children_away_since": None,
}


def follow_household(actor, household_id, on=None, forget=None):
    """Bring every active member of a household into line with its family-away rows (children's
    parents, a woman's husband, elders' children) and re-derive each one's categories, in the
    caller's transaction. `forget`: the rows as they were before one was voided; a fact only
    that row decided goes back to unknown."""
    on = on or clock.today()
    members = list(Person.active().where(Person.household == household_id).order_by(Person.id))
    facts = [_member(p.id, p.__data__) for p in members]
    decided = family.facts_for(facts, away_rows(household_id), on, thresholds(on))
    if forget is not None:
        for pid, was in family.facts_for(facts, forget, on, thresholds(on)).items():
            for k in was:
                decided[pid].setdefault(k, UNDECIDED[k])
    changed = []
    with database.atomic():
        for person in members:
            before = facts_of(person.__data__)
            changes = [
                (k, _plain(person.__data__[k]), _plain(v))
                for k, v in decided[person.id].items()
                if person.__data__[k] != v
            ]
            if changes and _held(actor, person, decided[person.id], changes, on):
                continue  # his change waits for the township's review (审核报送)
            for k, v in decided[person.id].items():
                setattr(person, k, v)
            if _settle(actor, person, on, changes, before):
                changed.append(person)
        completeness.refresh_household(household_id, on)
    return changed


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


def _settle(actor, person, on, changes, before, flag=True, action="update", why=None):
    """Re-derive a person's categories from his facts (already set on him) and save him: a
    category change is flagged for review and written to his history, with the rule's reason,
    in the same audit row as the changes that caused it (`why` said instead, when given); then
    his visit state. True when his categories changed."""
    groups, reasons = derive(person.__data__, on)
    old_groups, old_reasons = person.groups, person.group_reasons
    changes = list(changes)
    if groups != old_groups:
        why = why or categories.change_reason(
            before,
            facts_of(person.__data__),
            json.loads(old_reasons or "{}"),
            json.loads(reasons),
            on,
            thresholds(on),
        )
        changes += [("groups", old_groups, groups), ("category_reason", _said(old_reasons), why)]
        if flag:
            _flag(person, old_groups, groups, on, why)
    person.groups, person.group_reasons = groups, reasons
    _follow_groups(person, on, action)
    if changes:
        person.updated_at = clock.now()
        record(actor, action, person, changes=changes)
    if changes or reasons != old_reasons:
        person.save()
    _visit_state(person)
    return groups != old_groups


def _follow_groups(person, on, action):
    """His group history follows, dated by the exit's own date for an exit."""
    if action == "exit":
        group_events.follow(person, person.exited_on, group_events.exit_kind(person.exit_reason))
    else:
        group_events.follow(person, on, "reentry" if action == "reenter" else "category")


def _said(reasons_json):
    """Stored reasons as one line: "留守儿童：父母均外出务工，未满16周岁"."""
    return "；".join(f"{g}：{r}" for g, r in json.loads(reasons_json or "{}").items())


def _flag(person, old, new, on, why=""):
    person.needs_review = True
    before, after = old.replace(",", "、") or "无", new.replace(",", "、") or "无"
    note = f"{on:%Y-%m-%d} 类别变化：{before} → {after}" + (f"（{why}）" if why else "")
    person.review_note = note[:200]


def recheck(persons, on=None):
    """Re-derive categories (ages and months away move with the calendar); flag changes.

    Returns the persons whose categories changed.
    """
    on = on or clock.today()
    changed = []
    with database.atomic():
        for person in persons:
            groups, reasons = derive(person.__data__, on)
            if groups == person.groups and reasons == person.group_reasons:
                continue
            if groups != person.groups:
                changed.append(person)
            _settle(SYSTEM, person, on, [], facts_of(person.__data__))
        completeness.refresh_persons(changed, on)  # his groups decide which items apply
    return changed


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


def reenter_person(actor, person, today=None):
    """Bring an exited person back into the registry."""
    today = today or clock.today()
    if not person.exited:
        raise ValidationError({"exit_reason": "此人未退出"})
    if review.applies(actor, "reenter", today):
        return review.propose(
            actor,
            "reenter",
            household=person.household,
            person=person,
            values={},
            changes=[
                ("exited_on", str(person.exited_on), None),
                ("exit_reason", person.exit_reason, ""),
            ],
            groups_after=derive({**person.__data__, "exited_on": None}, today)[0],
        )
    with database.atomic():
        changes = [
            ("exited_on", str(person.exited_on), None),
            ("exit_reason", person.exit_reason, ""),
        ]
        before = facts_of(person.__data__)
        person.exited_on, person.exit_reason, person.exited_at = None, "", None
        _settle(actor, person, today, changes, before, flag=False, action="reenter")
        person.save()
        # Back in the household: its rows decide his facts again.
        follow_household(actor, person.household_id, today)
    return person


def void_person(actor, person, reason, today=None):
    """作废 a registration made by mistake (a duplicate, the wrong person): kept with who, when
    and why, in no list, figure or reminder; his household's members follow at once."""
    today = today or clock.today()

    def after(p):
        group_events.follow(p, today, "voided")
        follow_household(actor, p.household_id, today)

    return void(actor, person, reason, after=after)


_RECHECK_LOCK = threading.Lock()


def daily_recheck(today=None):
    """Once a day, re-derive every active person's categories (a child turns 16, months away
    pass a threshold) and bring every visit state up to the day; returns the number of persons
    whose categories changed, or None when already done today (or being done right now by
    another thread: only one does the work)."""
    today = today or clock.today()
    if Setting.value_on("categories_checked_on", today) == today.isoformat():
        return None
    if not _RECHECK_LOCK.acquire(blocking=False):
        return None
    try:
        if Setting.value_on("categories_checked_on", today) == today.isoformat():
            return None
        # In short batches, each its own transaction: writers never wait long behind the job.
        changed = recheck_all(today)
        in_batches(Person, stale_states(today), lambda batch: ensure_states(batch, today))
        with database.atomic():
            Setting.create(
                key="categories_checked_on",
                value=json.dumps(today.isoformat()),
                valid_from=today,
                created_by=None,
            )
        return len(changed)
    finally:
        _RECHECK_LOCK.release()


def recheck_all(today):
    """The nightly work: follow every household with family-away rows (ages move: a child turns
    18, someone turns 60, and whom the rows concern moves with them), then re-derive every
    active person; returns the ids of persons whose categories changed. In short batches, each
    its own transaction (db.in_batches)."""
    with_rows = Household.select().where(Household.id.in_(FamilyAway.select(FamilyAway.household)))
    moved = in_batches(
        Household,
        with_rows,
        lambda batch: {p.id for h in batch for p in follow_household(SYSTEM, h.id, today)},
    )
    rechecked = in_batches(
        Person, Person.active(), lambda batch: {p.id for p in recheck(batch, today)}
    )
    return set().union(*moved, *rechecked)


def _visit_state(person):
    """A person's facts decide his visit tier and due date: keep them current."""
    refresh_state(person)
