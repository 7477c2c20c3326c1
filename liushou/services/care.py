"""Needs, services and child emergencies: validate, write atomically, audit."""

from datetime import datetime

from .. import clock, settings
from ..db import database
from ..models.care import (
    CLOSED_STATUSES,
    NEED_KINDS,
    NEED_STATUSES,
    Emergency,
    EmergencyStep,
    Need,
    Service,
)
from ..models.helpers import Helper
from ..queries.helpers import visible as visible_helpers
from ..rules import emergency as rules
from . import ValidationError, diff
from .audit import record
from .forms import Reader, to_int


def _helper(r, values, person, scope):
    """The helper named in the form: one the user may see (`scope`, when a user acts) who
    serves the person's village or the whole township."""
    raw = values.get("helper")
    if not raw:
        return None
    query = visible_helpers(scope) if scope is not None else Helper.select()
    helper = query.where(Helper.id == to_int(raw)).first()
    if helper is None or helper.village_id not in (None, person.village_id):
        r.errors["helper"] = "请选择本村或乡镇的帮扶人"
        return None
    return helper


def save_need(actor, person, values, need=None, visit=None, today=None, scope=None):
    """Register a need or update it; a closing status needs a reason unless solved."""
    today = today or clock.today()
    r = Reader(values)
    data = {
        "kind": r.choice("kind", NEED_KINDS, "请选择需求类别"),
        "description": r.text("description", 1000, "请写明需求内容"),
        "raised_on": r.date("raised_on", not_future=True, today=today) or today,
        "raised_by": r.text("raised_by", 64) or actor.username,
        "unit": r.text("unit", 64),
        "due_on": r.date("due_on"),
        "status": r.choice("status", NEED_STATUSES, default="待处理"),
        "status_reason": r.text("status_reason", 200),
    }
    helper = _helper(r, values, person, scope)
    data["helper"] = helper.id if helper else None
    if data["status"] in ("已转介", "无法解决") and not data["status_reason"]:
        r.errors["status_reason"] = "请说明转介去向或无法解决的原因"
    if r.errors:
        raise ValidationError(r.errors)
    data["closed_on"] = (
        (need.closed_on if need and need.closed_on else today)
        if data["status"] in CLOSED_STATUSES
        else None
    )
    with database.atomic():
        if need is None:
            need = Need.create(person=person, visit=visit, created_by=actor.user_id, **data)
            record(
                actor,
                "create",
                need,
                label=f"{person.name} 需求：{need}",
                changes=[(k, None, v) for k, v in data.items() if v],
            )
        else:
            changes = diff(need, data)
            for k, v in data.items():
                setattr(need, k, v)
            need.save()
            if changes:
                record(actor, "update", need, label=f"{person.name} 需求：{need}", changes=changes)
    return need


def save_service(actor, person, values, today=None, scope=None):
    """Record a service delivered, against one of the person's needs or on its own."""
    today = today or clock.today()
    r = Reader(values)
    need = None
    if values.get("need"):
        need = Need.get_or_none((Need.id == values.get("need")) & (Need.person == person))
        if need is None:
            r.errors["need"] = "请选择此人的需求"
    data = {
        "kind": r.choice("kind", NEED_KINDS, "请选择服务类别"),
        "served_on": r.date(
            "served_on", required_msg="请填写服务日期", not_future=True, today=today
        ),
        "description": r.text("description", 1000, "请写明服务内容"),
    }
    helper = _helper(r, values, person, scope)
    if r.errors:
        raise ValidationError(r.errors)
    with database.atomic():
        service = Service.create(
            person=person, need=need, helper=helper, created_by=actor.user_id, **data
        )
        if need is not None and need.status == "待处理":
            need.status = "处理中"
            need.save()
        record(
            actor,
            "create",
            service,
            label=f"{person.name} 服务：{service}",
            changes=[(k, None, v) for k, v in data.items() if v],
        )
    return service


def deadlines(on=None):
    return rules.Deadlines(
        police=int(settings.get("emergency_police_minutes", on)),
        township=int(settings.get("emergency_township_minutes", on)),
        carer=int(settings.get("emergency_carer_minutes", on)),
        parents=int(settings.get("emergency_parents_minutes", on)),
    )


def open_emergency(actor, person, values, now=None):
    """Open an emergency for a child; its reporting steps get their deadlines from discovery."""
    now = now or clock.now()
    r = Reader(values)
    kind = r.choice("kind", rules.KINDS, "请选择事件类型")
    discovered = _datetime(r, "discovered_at", now, required=True)
    happened = _datetime(r, "happened_at", now)
    reported_by = r.text("reported_by", 64, "请填写报告人")
    description = r.text("description", 2000)
    if happened and discovered and happened > discovered:
        r.errors["happened_at"] = "发生时间不能晚于发现时间"
    problem = rules.not_a_child(person.birth_date, (discovered or now).date())
    if problem:
        r.errors["kind"] = problem
    if r.errors:
        raise ValidationError(r.errors)
    with database.atomic():
        emergency = Emergency.create(
            person=person,
            kind=kind,
            happened_at=happened,
            discovered_at=discovered,
            reported_by=reported_by,
            description=description,
            created_by=actor.user_id,
        )
        for code, label, due in rules.steps_for(kind, discovered, deadlines()):
            EmergencyStep.create(emergency=emergency, code=code, label=label, due_at=due)
        record(
            actor,
            "create",
            emergency,
            label=f"{person.name} 突发事件：{emergency}",
            changes=[("kind", None, kind), ("discovered_at", None, str(discovered))],
        )
    return emergency


def _datetime(r, name, now, required=False):
    """A datetime-local input (2026-11-22T08:30) or a date with a time."""
    raw = str(r.raw(name)).strip().replace("T", " ")
    if not raw:
        if required:
            r.errors[name] = "请填写时间"
        return None
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"):
        try:
            value = datetime.strptime(raw, fmt)
            break
        except ValueError:
            continue
    else:
        r.errors[name] = "时间格式不对（如 2026-11-22 08:30）"
        return None
    if value > now:
        r.errors[name] = "时间不能晚于现在"
        return None
    return value


def complete_step(actor, step, values, now=None):
    """Record when, by whom and how a reporting step was done."""
    now = now or clock.now()
    r = Reader(values)
    done_at = _datetime(r, "done_at", now) or now
    done_by = r.text("done_by", 64) or actor.username
    how = r.choice("how", rules.HOW, "请选择报告方式")
    note = r.text("note", 200)
    if done_at < step.emergency.discovered_at:
        r.errors["done_at"] = "完成时间不能早于发现时间"
    if step.done_at is not None:
        r.errors["how"] = "此步骤已完成"
    if r.errors:
        raise ValidationError(r.errors)
    with database.atomic():
        step.done_at, step.done_by, step.how, step.note = done_at, done_by, how, note
        step.save()
        record(
            actor,
            "update",
            step.emergency,
            label=f"突发事件 {step.label}",
            changes=[(step.code, None, f"{done_at:%Y-%m-%d %H:%M} {done_by} {how}")],
        )
    return step


def close_emergency(actor, emergency, values, now=None):
    """Close an emergency; a summary is required."""
    now = now or clock.now()
    r = Reader(values)
    summary = r.text("summary", 2000, "结案须填写处置情况小结")
    if emergency.closed_at is not None:
        r.errors["summary"] = "此事件已结案"
    if r.errors:
        raise ValidationError(r.errors)
    with database.atomic():
        emergency.closed_at, emergency.summary = now, summary
        emergency.save()
        record(
            actor,
            "update",
            emergency,
            changes=[("closed_at", None, str(now)), ("summary", "", summary)],
        )
    return emergency
