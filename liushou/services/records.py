"""Benefits (with 高龄补贴 by dated bands), check-ups, activities with attendance, service sites."""

from decimal import Decimal, InvalidOperation

from .. import clock
from ..db import database
from ..models import Village
from ..models.orgs import Organisation
from ..models.persons import Person
from ..models.records import (
    ACTIVITY_KINDS,
    BENEFIT_KINDS,
    BENEFIT_STATUSES,
    PERIODS,
    SITE_KINDS,
    Activity,
    Attendance,
    Benefit,
    CheckUp,
    Site,
)
from ..queries.records import bands, monthly_amount  # noqa: F401  (re-exported for callers)
from ..rules.subsidy import band_in_month
from . import ValidationError
from .audit import record
from .forms import Reader, to_int


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
    if value < 0 or value > 1000000:
        r.errors[name] = "金额不合理"
        return None
    return value.quantize(Decimal("0.01"))


def save_benefit(actor, person, values, today=None):
    """Add a benefit; 高龄补贴 needs no amount: it follows the age bands month by month."""
    today = today or clock.today()
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
    if data["end_on"] and data["start_on"] and data["end_on"] < data["start_on"]:
        r.errors["end_on"] = "结束日期不能早于开始日期"
    if (
        kind == "高龄补贴"
        and data["start_on"]
        and band_in_month(
            person.birth_date, data["start_on"].replace(day=1), bands(data["start_on"])
        )
        is None
    ):
        r.errors["kind"] = "按现行标准，此人在开始月份还不满高龄补贴年龄"
    if r.errors:
        raise ValidationError(r.errors)
    with database.atomic():
        benefit = Benefit.create(person=person, created_by=actor.user_id, **data)
        record(
            actor,
            "create",
            benefit,
            label=f"{person.name} {kind}",
            changes=[(k, None, v) for k, v in data.items() if v],
        )
    return benefit


def stop_benefit(actor, benefit, values, today=None):
    """Stop paying a benefit from a date (kept, with its history)."""
    today = today or clock.today()
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
        benefit.save()
    return benefit


def save_checkup(actor, person, values, today=None):
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
        "activity": values.get("activity"),
    }
    if r.errors:
        raise ValidationError(r.errors)
    with database.atomic():
        checkup = CheckUp.create(person=person, **data)
        record(actor, "create", checkup, label=f"{person.name} 体检 {data['checked_on']}")
    return checkup


def _ids(raw):
    """A form's list of ids as strings (one value or a list; blanks dropped)."""
    items = raw if isinstance(raw, (list, tuple, set)) else ([raw] if raw not in (None, "") else [])
    return [str(i).strip() for i in items if str(i).strip()]


def save_site(actor, scope, values):
    r = Reader(values)
    village = (
        Village.get_or_none(Village.id == values.get("village"))
        if str(values.get("village") or "").isdigit()
        else None
    )
    if village is None or not scope.allows_village(village.id):
        r.errors["village"] = "请选择您负责的村（社区）"
    data = {
        "kind": r.choice("kind", SITE_KINDS, "请选择阵地类型"),
        "name": r.text("name", 64, "请填写名称"),
        "address": r.text("address", 128),
        "keeper": r.text("keeper", 64),
        "phone": r.phone("phone"),
        "hours": r.text("hours", 64),
    }
    if r.errors:
        raise ValidationError(r.errors)
    with database.atomic():
        site = Site.create(village=village, **data)
        record(actor, "create", site, changes=[(k, None, v) for k, v in data.items() if v])
    return site


def save_activity(actor, scope, values, today=None):
    """An activity with its participants (ids in values['persons']) and who attended."""
    today = today or clock.today()
    r = Reader(values)
    village = (
        Village.get_or_none(Village.id == values.get("village"))
        if str(values.get("village") or "").isdigit()
        else None
    )
    if village is None or not (scope.everything or village.id in scope.village_ids):
        r.errors["village"] = "请选择您负责的村（社区）"
    data = {
        "kind": r.choice("kind", ACTIVITY_KINDS, "请选择活动类型"),
        "title": r.text("title", 100, "请填写活动名称"),
        "held_on": r.date("held_on", required_msg="请填写活动日期", not_future=True, today=today),
        "organiser": r.text("organiser", 64),
        "helpers": r.text("helpers", 200),
        "notes": r.text("notes", 1000),
    }
    site = None
    if values.get("site"):
        site = scope.query(Site).where(Site.id == to_int(values.get("site"))).first()
        if site is None or village is None or site.village_id != village.id:
            r.errors["site"] = "请选择本村（社区）的服务阵地"
    organisation = None
    if values.get("organisation"):
        organisation = (
            scope.query(Organisation)
            .where(Organisation.id == to_int(values.get("organisation")))
            .first()
        )
        village_id = village.id if village else None
        if organisation is None or organisation.village_id not in (None, village_id):
            r.errors["organisation"] = "请选择本村（社区）或全乡（镇）的协会、队伍"
    invited = [str(i) for i in _ids(values.get("persons"))]
    attended = {str(i) for i in _ids(values.get("attended"))}
    query = scope.filter(Person.select(), Person).where(
        Person.id.in_([int(i) for i in invited if i.isdigit()] or [0])
    )
    if village is not None:
        query = query.where(Person.village == village.id)
    persons = list(query)
    if set(invited) - {str(p.id) for p in persons}:
        r.errors["persons"] = "只能选择本村（社区）中您负责范围内的人员"
    elif not persons:
        r.errors["persons"] = "请选择参加人员"
    if attended - set(invited):
        r.errors["attended"] = "实到人员须在参加人员之中"
    attended = {int(i) for i in attended if i.isdigit()}
    if r.errors:
        raise ValidationError(r.errors)
    with database.atomic():
        activity = Activity.create(
            village=village,
            site=site,
            organisation=organisation,
            created_by=actor.user_id,
            **data,
        )
        for p in persons:
            Attendance.create(activity=activity, person=p, attended=p.id in attended)
        record(
            actor,
            "create",
            activity,
            changes=[(k, None, v) for k, v in data.items() if v]
            + ([("organisation", None, organisation.name)] if organisation else [])
            + [("attendance", None, f"{len(attended & {p.id for p in persons})}/{len(persons)}")],
        )
    return activity
