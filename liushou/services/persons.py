"""Persons: register, update (every change kept), categories by rule, review flags, exit,
re-entry."""

import json
import threading

from .. import clock, settings
from ..db import database, in_batches
from ..models import Setting
from ..models.households import Household
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
from ..rules import categories, idcard
from ..rules.categories import PARENT_STATUSES
from ..rules.pinyin import keys
from . import SYSTEM, ValidationError, diff
from .audit import record
from .forms import Reader, to_int
from .visits import ensure_states, refresh_state


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
    }
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


def save_person(actor, scope, values, person=None, today=None):
    """Register a person in a household (values['household']) or update one."""
    today = today or clock.today()
    data, errors = _read(values, today)
    household = person.household if person else None
    if person is None or values.get("household"):
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
    if errors:
        raise ValidationError(errors)
    data["household"] = household.id
    data["village"], data["grid"] = household.village_id, household.grid_id
    data["name_initials"], data["name_pinyin"] = keys(data["name"])
    data["exited_on"] = person.exited_on if person else None
    data["groups"], data["group_reasons"] = derive(data, today)
    with database.atomic():
        if person is None:
            person = Person.create(**data)
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
        else:
            old_groups = person.groups
            changes = [
                c
                for c in diff(person, data)
                if c[0] not in ("name_initials", "name_pinyin", "group_reasons")
            ]
            for k, v in data.items():
                setattr(person, k, v)
            if old_groups != data["groups"]:
                _flag(person, old_groups, data["groups"], today)
            if changes:
                person.updated_at = clock.now()
                person.save()
                record(actor, "update", person, changes=changes)
        _visit_state(person)
    return person


def _flag(person, old, new, on):
    person.needs_review = True
    before, after = old.replace(",", "、") or "无", new.replace(",", "、") or "无"
    person.review_note = f"{on:%Y-%m-%d} 类别变化：{before} → {after}"


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
                record(SYSTEM, "update", person, changes=[("groups", person.groups, groups)])
                _flag(person, person.groups, groups, on)
                changed.append(person)
            person.groups, person.group_reasons = groups, reasons
            person.save()
            _visit_state(person)
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
    with database.atomic():
        record(
            actor,
            "exit",
            person,
            changes=[("exited_on", None, str(on)), ("exit_reason", "", reason)],
        )
        person.exited_on, person.exit_reason = on, reason
        person.groups, person.group_reasons = derive(person.__data__, today)
        person.needs_review, person.review_note = False, ""
        person.save()
        _visit_state(person)
    return person


def reenter_person(actor, person, today=None):
    """Bring an exited person back into the registry."""
    today = today or clock.today()
    if not person.exited:
        raise ValidationError({"exit_reason": "此人未退出"})
    with database.atomic():
        record(
            actor,
            "reenter",
            person,
            changes=[
                ("exited_on", str(person.exited_on), None),
                ("exit_reason", person.exit_reason, ""),
            ],
        )
        person.exited_on, person.exit_reason = None, ""
        person.groups, person.group_reasons = derive(person.__data__, today)
        person.save()
        _visit_state(person)
    return person


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
        # In batches, each its own short transaction: writers never wait long behind the job.
        changed = sum(in_batches(Person, Person.active(), lambda batch: recheck(batch, today)), [])
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


def _visit_state(person):
    """A person's facts decide his visit tier and due date: keep them current."""
    refresh_state(person)
