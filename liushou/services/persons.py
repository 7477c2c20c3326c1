"""Persons: register and update (every change kept), with their values validated; the household's
family-away rows decide some facts, and review may hold the change (审核报送). Exits, the review
hooks, the categories' follow-up and the rules' inputs live in person_exits, person_review,
categories_follow and person_facts: import them from there."""

from peewee import IntegrityError

from .. import clock, settings
from ..db import database
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
from ..rules import carers, idcard
from ..rules.categories import PARENT_STATUSES
from ..rules.pinyin import keys
from ..rules.privacy import ID_FIELDS, keep_masked
from . import ValidationError, agreement_events, diff, group_events, importing_review, review
from .audit import record
from .categories_follow import _settle, _visit_state, follow_household, household_facts
from .form_versions import hold
from .forms import Reader, to_int
from .person_facts import derive, difficulty_options, facts_of
from .person_review import _proposal
from .voiding import refuse_voided_person


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
    said instead of the rule's reason when his categories change (a confirmed suggestion).

    Every member of the household is settled again in the transaction, each reading the
    thresholds: the settings are read once for the whole write (settings.held)."""
    with settings.held():
        return _save_person(actor, scope, values, person, today, category_reason)


def _save_person(actor, scope, values, person, today, category_reason):
    today = today or clock.today()
    if person is not None:
        refuse_voided_person(person)
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
        elif household.voided_at is not None:
            errors["household"] = "此户已作废，请选择其他户"
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
                hold(person)  # the edit form's version checked again (services/form_versions)
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
