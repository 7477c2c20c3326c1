"""Benefits (with 高龄补贴 by dated bands) and check-ups: add, correct, stop, void.
Activities and sites: services/activities.py."""

from datetime import timedelta
from decimal import Decimal, InvalidOperation

from .. import clock
from ..db import database
from ..models.records import (
    BENEFIT_KINDS,
    BENEFIT_STATUSES,
    PERIODS,
    Activity,
    Benefit,
    CheckUp,
)
from ..queries.records import bands, monthly_amount  # noqa: F401  (re-exported for callers)
from ..rules.dates import month_start
from ..rules.subsidy import band_in_month
from . import ValidationError
from .activities import save_activity, save_site  # noqa: F401  (re-exported for callers)
from .audit import record
from .changes import apply_changes
from .forms import Reader, to_int
from .month_rates import reopen_periods
from .voiding import (
    refuse_if_voided,
    refuse_voided_person,
    refuse_voided_persons_now,
    void,
    voided_since,
)


def _money(r, name, required_msg=None):
    raw = str(r.raw(name)).strip()
    if not raw:
        if required_msg:
            r.errors[name] = required_msg
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        r.errors[name] = "金额应为数字（元）"
        return None
    if not value.is_finite() or value <= 0:
        r.errors[name] = "金额应大于 0"
        return None
    if value > 1000000:
        r.errors[name] = "金额不合理"
        return None
    return value.quantize(Decimal("0.01"))


def _benefit_data(person, values):
    """A benefit's fields from a form, refusing the combinations that make no sense."""
    r = Reader(values)
    kind = r.choice("kind", BENEFIT_KINDS, "请选择救助补贴类别")
    data = {
        "kind": kind,
        "amount": None if kind == "高龄补贴" else _money(r, "amount", "请填写金额"),
        "period": r.choice("period", PERIODS, default="每月"),
        "start_on": r.date("start_on", required_msg="请填写开始日期"),
        "end_on": r.date("end_on"),
        "status": r.choice("status", BENEFIT_STATUSES, default="享受中"),
        "notes": r.text("notes", 200),
    }
    start, end = data["start_on"], data["end_on"]
    if end and start and end < start:
        r.errors["end_on"] = "结束日期不能早于开始日期"
    elif end and data["period"] == "一次性":
        r.errors["end_on"] = "一次性发放不用填结束日期"
    elif not end and data["status"] == "已停发" and "end_on" not in r.errors:
        r.errors["end_on"] = "已停发的请填写停发日期"
    if kind == "高龄补贴" and data["period"] == "一次性":
        r.errors["period"] = "高龄补贴按月发放，不能选“一次性”"
    if (
        kind == "高龄补贴"
        and start
        and band_in_month(person.birth_date, start.replace(day=1), bands(start)) is None
    ):
        r.errors["kind"] = "按现行标准，此人在开始月份还不满高龄补贴年龄"
    if r.errors:
        raise ValidationError(r.errors)
    return data


def _paid_months(start, end, status):
    """(first month, last month or None) a benefit pays in (monthly_amount's rule: from its
    start month to the month before its 停发日期); None when it never pays."""
    if start is None or (end is None and status == "已停发"):
        return None
    return month_start(start), (month_start(end - timedelta(days=1)) if end else None)


def _refuse_second_allowance(person, data, benefit=None):
    """高龄补贴 is paid once a month per person: refuse one that would pay in a month another
    of his (not voided; pending included, it pays once approved) already pays in; otherwise
    the roster and the totals would pay him twice. Called inside the write transaction, so
    two submissions at once cannot both pass."""
    if data["kind"] != "高龄补贴":
        return
    mine = _paid_months(data["start_on"], data["end_on"], data["status"])
    if mine is None:
        return
    others = Benefit.select().where((Benefit.person == person) & (Benefit.kind == "高龄补贴"))
    if benefit is not None:
        others = others.where(Benefit.id != benefit.id)
    for other in others:
        theirs = _paid_months(other.start_on, other.end_on, other.status)
        if theirs is None:
            continue
        if (theirs[1] is None or mine[0] <= theirs[1]) and (
            mine[1] is None or theirs[0] <= mine[1]
        ):
            raise ValidationError(
                {
                    "start_on": f"此人已有一条高龄补贴（{other.start_on:%Y-%m-%d} 起），"
                    "同一个月不能重复发放。请修改或停发原来那条，或从它停发后的月份开始"
                }
            )


def save_benefit(actor, person, values, today=None):
    """Add a benefit; 高龄补贴 needs no amount: it follows the age bands month by month."""
    refuse_voided_person(person)
    data = _benefit_data(person, values)
    with database.atomic():
        refuse_voided_persons_now([person], "_record")  # voided since it was read
        _refuse_second_allowance(person, data)
        benefit = Benefit.create(person=person, created_by=actor.user_id, **data)
        record(
            actor,
            "create",
            benefit,
            label=f"{person.name} {data['kind']}",
            changes=[(k, None, v) for k, v in data.items() if v],
        )
    return benefit


def update_benefit(actor, benefit, values):
    """Correct a benefit (kind, amount, period, dates, status, notes), validated as on creation;
    each changed field is audited old → new."""
    refuse_if_voided(benefit)
    data = _benefit_data(benefit.person, values)
    with database.atomic():
        _refuse_second_allowance(benefit.person, data, benefit)
        was = (benefit.status, benefit.end_on)
        span = (benefit.start_on, benefit.end_on)
        if apply_changes(actor, benefit, data, label=f"{benefit.person.name} {benefit.kind}"):
            _dated(benefit, *was)
            # A closed period the old or the new range overlaps counted it as it was: its
            # kept figures are dropped (an end moved reads as not known then: up to today).
            ended = benefit.end_on == span[1]
            reopen_periods(
                ranges=[
                    (span[0], span[1] if ended else None),
                    (benefit.start_on, benefit.end_on if ended else None),
                ]
            )
    return benefit


def _dated(benefit, status_before, end_before):
    """Stamp when an approval (out of 待审核) and an end date became known, so a report of a
    period closed before then reads the benefit as it was (queries/records.as_known)."""
    fields = []
    if status_before == "待审核" and benefit.status != "待审核":
        benefit.approved_at = clock.now()
        fields.append(Benefit.approved_at)
    if benefit.end_on != end_before:
        benefit.ended_at = clock.now()
        fields.append(Benefit.ended_at)
    if fields:
        benefit.save(only=fields)


def void_benefit(actor, benefit, reason):
    """作废 a benefit entered by mistake: it leaves every total, stays on the person's page."""
    return void(actor, benefit, reason)


def stop_benefit(actor, benefit, values, today=None):
    """Stop paying a benefit from a date (kept, with its history)."""
    refuse_if_voided(benefit)
    r = Reader(values)
    end_on = r.date("end_on", required_msg="请填写停发日期")
    if end_on and end_on < benefit.start_on:
        r.errors["end_on"] = "停发日期不能早于开始日期"
    reason = r.text("notes", 200)
    if benefit.status == "已停发":
        r.errors["end_on"] = "已停发"
    if r.errors:
        raise ValidationError(r.errors)
    with database.atomic():
        record(
            actor,
            "update",
            benefit,
            label=f"{benefit.person.name} {benefit.kind} 停发",
            changes=[
                ("status", benefit.status, "已停发"),
                ("end_on", benefit.end_on, end_on),
                ("notes", benefit.notes, reason or benefit.notes),
            ],
        )
        benefit.status, benefit.end_on = "已停发", end_on
        benefit.notes = reason or benefit.notes
        benefit.ended_at = clock.now()
        benefit.save()
    return benefit


def _checkup_data(values, today=None):
    r = Reader(values)

    def number(name, low, high, cast=int):
        raw = str(r.raw(name)).strip()
        if not raw:
            return None
        try:
            value = cast(raw)
        except (ValueError, InvalidOperation):
            r.errors[name] = "请填写数字"
            return None
        if not low <= value <= high:
            r.errors[name] = f"数值应在 {low}–{high} 之间"
            return None
        return value

    data = {
        "checked_on": r.date(
            "checked_on", required_msg="请填写检查日期", not_future=True, today=today
        ),
        "checked_by": r.text("checked_by", 64),
        "bp_high": number("bp_high", 50, 300),
        "bp_low": number("bp_low", 30, 200),
        "sugar": number("sugar", Decimal("1"), Decimal("40"), Decimal),
        "weight": number("weight", Decimal("2"), Decimal("300"), Decimal),
        "notes": r.text("notes", 200),
    }
    if data["bp_high"] and data["bp_low"] and data["bp_low"] >= data["bp_high"]:
        r.errors["bp_low"] = "低压应低于高压"
    if r.errors:
        raise ValidationError(r.errors)
    return data


def _activity(raw):
    """The activity a check-up is recorded for (a 义诊, resolved in the user's scope by the
    caller), read again in the caller's transaction: a voided one takes no new check-up."""
    if raw in (None, ""):
        return None
    activity = Activity.with_voided().where(Activity.id == to_int(raw)).first()
    if activity is None or activity.voided_at is not None or voided_since(activity):
        raise ValidationError({"_record": "此活动已作废，不能再登记体检"})  # shown atop the form
    return activity.id


def save_checkup(actor, person, values, today=None):
    refuse_voided_person(person)
    data = _checkup_data(values, today)
    with database.atomic():
        refuse_voided_persons_now([person], "_record")
        data["activity"] = _activity(values.get("activity"))
        checkup = CheckUp.create(person=person, **data)
        record(actor, "create", checkup, label=f"{person.name} 体检 {data['checked_on']}")
    return checkup


def update_checkup(actor, checkup, values, today=None):
    """Correct a check-up's date, examiner, readings or notes; each change audited old → new."""
    refuse_if_voided(checkup)
    data = _checkup_data(values, today)
    with database.atomic():
        apply_changes(actor, checkup, data, label=f"{checkup.person.name} 体检")
    return checkup


def void_checkup(actor, checkup, reason):
    return void(actor, checkup, reason)
