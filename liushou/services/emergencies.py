"""Child emergencies: opening, correcting and closing them, their reporting steps and
deadlines, and the call list's 已拨打 stamps: validate, write atomically, audit."""

from datetime import datetime

from .. import clock, settings
from ..db import database
from ..models.care import Emergency, EmergencyCall, EmergencyStep
from ..queries.care import call_list
from ..rules import emergency as rules
from . import ValidationError, diff
from .audit import record
from .changes import apply_changes
from .forms import Reader
from .month_rates import reopen_periods
from .voiding import refuse_if_voided, refuse_voided_person, refuse_voided_persons_now, void


def deadlines(on=None):
    return rules.Deadlines(
        police=int(settings.get("emergency_police_minutes", on)),
        township=int(settings.get("emergency_township_minutes", on)),
        carer=int(settings.get("emergency_carer_minutes", on)),
        parents=int(settings.get("emergency_parents_minutes", on)),
    )


def _read_emergency(values, now):
    r = Reader(values)
    data = {
        "kind": r.choice("kind", rules.KINDS, "请选择事件类型"),
        "discovered_at": _datetime(r, "discovered_at", now, required=True),
        "happened_at": _datetime(r, "happened_at", now),
        "reported_by": r.text("reported_by", 64, "请填写报告人"),
        "description": r.text("description", 2000),
    }
    happened, discovered = data["happened_at"], data["discovered_at"]
    if happened and discovered and happened > discovered:
        r.errors["happened_at"] = "发生时间不能晚于发现时间"
    return r, data


def open_emergency(actor, person, values, now=None):
    """Open an emergency for a child; its reporting steps get their deadlines from discovery."""
    refuse_voided_person(person)
    now = now or clock.now()
    r, data = _read_emergency(values, now)
    problem = rules.not_a_child(person.birth_date, (data["discovered_at"] or now).date())
    if problem:
        r.errors["kind"] = problem
    if r.errors:
        raise ValidationError(r.errors)
    kind, discovered = data["kind"], data["discovered_at"]
    with database.atomic():
        refuse_voided_persons_now([person], "_record")  # voided since it was read
        emergency = Emergency.create(person=person, created_by=actor.user_id, **data)
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


# Changing these moves the reporting deadlines: the change needs a reason.
CLOCK_FIELDS = ("kind", "discovered_at", "happened_at")


def update_emergency(actor, emergency, values, now=None):
    """Correct an emergency. A new kind or time needs a reason (the deadlines move with it):
    every step's deadline is recomputed from the discovery time, a step the new kind requires
    is added; a step already done keeps its time and is judged against its new deadline."""
    now = now or clock.now()
    refuse_if_voided(emergency)
    r, data = _read_emergency(values, now)
    reason = r.text("correction_reason", 200)
    changes = diff(emergency, data)
    if any(k in CLOCK_FIELDS for k, _b, _a in changes) and not reason:
        r.errors["correction_reason"] = "修改事件类型或时间会改变报告时限，请说明原因"
    first_done = min((s.done_at for s in emergency.steps if s.done_at), default=None)
    if data["discovered_at"] and first_done and data["discovered_at"] > first_done:
        r.errors["discovered_at"] = "发现时间不能晚于已完成步骤的时间"
    if r.errors:
        raise ValidationError(r.errors)
    if not changes:
        return emergency
    with database.atomic():
        apply_changes(
            actor,
            emergency,
            data,
            label=lambda e: f"{e.person.name} 突发事件：{e}",
            extra=[("correction_reason", "", reason)] if reason else [],
        )
        steps = {s.code: s for s in emergency.steps}
        on = emergency.discovered_at.date()
        for code, label, due in rules.steps_for(
            emergency.kind, emergency.discovered_at, deadlines(on)
        ):
            if code in steps:
                steps[code].due_at = due
                steps[code].save(only=[EmergencyStep.due_at])
            else:
                EmergencyStep.create(emergency=emergency, code=code, label=label, due_at=due)
    return emergency


def void_emergency(actor, emergency, reason):
    """Void an emergency registered by mistake: it leaves the lists and the overdue alarms."""
    return void(actor, emergency, reason)


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
    refuse_if_voided(step.emergency)
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
        # Its time may be given after the period of the emergency closed (the step was done
        # then, recorded late): the kept figures of the closed periods holding its discovery
        # counted it as not done; they are dropped and the period counted live.
        reopen_periods([step.emergency.discovered_at.date()])
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
    refuse_if_voided(emergency)
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


def correct_step(actor, step, values, now=None):
    """Correct the time a done step was recorded at, with a reason. The reporting clock is
    evidence: the first recorded time is kept beside the corrected one, with who corrected it,
    when and why; the step is judged on time or late against the corrected time."""
    now = now or clock.now()
    refuse_if_voided(step.emergency)
    r = Reader(values)
    done_at = _datetime(r, "done_at", now)
    reason = r.text("correction_reason", 200, "更正完成时间须说明原因")
    if step.done_at is None:
        r.errors["done_at"] = "此步骤尚未完成，不能更正时间"
    elif done_at is None and "done_at" not in r.errors:
        r.errors["done_at"] = "请填写更正后的完成时间"
    elif done_at and done_at < step.emergency.discovered_at:
        r.errors["done_at"] = "完成时间不能早于发现时间"
    elif done_at == step.done_at:
        r.errors["done_at"] = "更正后的时间与现在记录的相同"
    if r.errors:
        raise ValidationError(r.errors)
    before = step.done_at
    with database.atomic():
        if step.original_done_at is None:
            step.original_done_at = before
        step.done_at = done_at
        step.correction_reason = reason
        step.corrected_by = actor.user_id
        step.corrected_at = now
        step.save()
        record(
            actor,
            "update",
            step.emergency,
            label=f"突发事件 {step.label} 更正时间",
            changes=[
                (step.code, f"{before:%Y-%m-%d %H:%M}", f"{done_at:%Y-%m-%d %H:%M}"),
                ("correction_reason", "", reason),
            ],
        )
    return step


def add_call(actor, emergency, values, now=None):
    """已拨打: stamp when a row of the emergency's call list was called, and by whom. The row is
    looked up in the list built from the child's own record, so nobody else's number can be
    named; a second tap by the same user on the same row within the minute adds nothing."""
    now = now or clock.now()
    refuse_if_voided(emergency)
    target = str(values.get("target") or "")
    row = next((r for r in call_list(emergency, now.date()) if r.key == target), None)
    if emergency.closed_at is not None:
        raise ValidationError({"target": "此事件已结案，不能再记录拨打"})
    if row is None:
        raise ValidationError({"target": "请从本事件的通话名单中选择"})
    if not row.phone:
        raise ValidationError({"target": f"{row.label}没有登记电话"})
    minute = now.replace(second=0, microsecond=0)
    # The double-tap check inside the write transaction (BEGIN IMMEDIATE): two taps at once
    # are serialised, and the second finds the first.
    with database.atomic():
        again = (
            EmergencyCall.select()
            .where(
                (EmergencyCall.emergency == emergency)
                & (EmergencyCall.target == target)
                & (EmergencyCall.created_by == actor.user_id)
                & (EmergencyCall.called_at >= minute)
            )
            .first()
        )
        if again is not None:
            return again
        call = EmergencyCall.create(
            emergency=emergency,
            target=target,
            label=row.label[:32],
            name=row.name[:64],
            phone=row.phone,
            called_at=now,
            called_by=actor.user.display_name if actor.user else actor.username,
            created_by=actor.user_id,
        )
        record(
            actor,
            "update",
            emergency,
            label=f"{emergency.person.name} 突发事件 已拨打",
            changes=[("call", None, f"{now:%Y-%m-%d %H:%M} {call}")],
        )
    return call


def void_call(actor, call, reason):
    """Void a call stamped by mistake (the wrong row tapped)."""
    if call.emergency.closed_at is not None:
        raise ValidationError({"void_reason": "此事件已结案，通话记录不能再作废"})
    return void(actor, call, reason)
