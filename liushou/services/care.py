"""Needs and services: validate, write atomically, audit. Child emergencies are in
services/emergencies.py (their names are importable from here too)."""

from .. import clock
from ..db import database
from ..models.care import CLOSED_STATUSES, NEED_KINDS, NEED_STATUSES, Need, Service
from ..models.helpers import Helper
from ..queries.helpers import visible as visible_helpers
from . import ValidationError
from .audit import record
from .changes import apply_changes
from .emergencies import (  # noqa: F401  (re-exported for callers)
    CLOCK_FIELDS,
    add_call,
    close_emergency,
    complete_step,
    correct_step,
    deadlines,
    open_emergency,
    update_emergency,
    void_call,
    void_emergency,
)
from .forms import Reader, to_int
from .voiding import refuse_if_voided, refuse_voided_persons_now, void


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


def _refuse_voided_person(person):
    """A registration voided by mistake gets no new needs or services."""
    if person.voided_at is not None:
        raise ValidationError({"_record": f"{person.name}的登记已作废，不能再登记需求或服务"})


def need_fields(r, today, raised_by):
    """A need's own fields read from Reader `r` (its helper apart); errors left in r.errors.
    The demo reads its needs through this too."""
    data = {
        "kind": r.choice("kind", NEED_KINDS, "请选择需求类别"),
        "description": r.text("description", 1000, "请写明需求内容"),
        "raised_on": r.date("raised_on", not_future=True, today=today) or today,
        "raised_by": r.text("raised_by", 64) or raised_by,
        "unit": r.text("unit", 64),
        "due_on": r.date("due_on"),
        "status": r.choice("status", NEED_STATUSES, default="待处理"),
        "status_reason": r.text("status_reason", 200),
    }
    if data["status"] in ("已转介", "无法解决") and not data["status_reason"]:
        r.errors["status_reason"] = "请说明转介去向或无法解决的原因"
    return data


def save_need(actor, person, values, need=None, visit=None, today=None, scope=None):
    """Register a need or update it; a closing status needs a reason unless solved."""
    today = today or clock.today()
    _refuse_voided_person(person)
    if need is not None:
        refuse_if_voided(need)
    r = Reader(values)
    data = need_fields(r, today, actor.username)
    helper = _helper(r, values, person, scope)
    data["helper"] = helper.id if helper else None
    if r.errors:
        raise ValidationError(r.errors)
    data["closed_on"] = (
        (need.closed_on if need and need.closed_on else today)
        if data["status"] in CLOSED_STATUSES
        else None
    )
    with database.atomic():
        refuse_voided_persons_now([person], "_record")  # voided since it was read
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
            apply_changes(actor, need, data, label=lambda n: f"{person.name} 需求：{n}")
    return need


def service_fields(r, today):
    """A service's own fields read from Reader `r` (its need and helper apart); errors left in
    r.errors. The demo reads its services through this too."""
    return {
        "kind": r.choice("kind", NEED_KINDS, "请选择服务类别"),
        "served_on": r.date(
            "served_on", required_msg="请填写服务日期", not_future=True, today=today
        ),
        "description": r.text("description", 1000, "请写明服务内容"),
    }


def _read_service(values, person, today, scope, current_need=None):
    """Validate a service form: (data, need, helper); raises ValidationError. The need is one of
    the person's needs in force (a voided one only as the need the service already answered)."""
    r = Reader(values)
    need = None
    if values.get("need"):
        need = (
            Need.with_voided()
            .where((Need.id == to_int(values.get("need"))) & (Need.person == person))
            .first()
        )
        if need is None:
            r.errors["need"] = "请选择此人的需求"
        elif need.voided and need.id != current_need:
            r.errors["need"] = "此需求已作废，请选择其他需求"
    data = service_fields(r, today)
    helper = _helper(r, values, person, scope)
    if r.errors:
        raise ValidationError(r.errors)
    return data, need, helper


def _need_in_progress(need):
    if need is not None and not need.voided and need.status == "待处理":
        need.status = "处理中"
        need.save()


def save_service(actor, person, values, today=None, scope=None):
    """Record a service delivered, against one of the person's needs or on its own."""
    today = today or clock.today()
    _refuse_voided_person(person)
    data, need, helper = _read_service(values, person, today, scope)
    with database.atomic():
        refuse_voided_persons_now([person], "_record")  # voided since it was read
        service = Service.create(
            person=person, need=need, helper=helper, created_by=actor.user_id, **data
        )
        _need_in_progress(need)
        record(
            actor,
            "create",
            service,
            label=f"{person.name} 服务：{service}",
            changes=[(k, None, v) for k, v in data.items() if v],
        )
    return service


def update_service(actor, service, values, today=None, scope=None):
    """Correct a service record: kind, date, content, helper, the need it answered."""
    today = today or clock.today()
    refuse_if_voided(service)
    person = service.person
    data, need, helper = _read_service(values, person, today, scope, service.need_id)
    data.update(need=need.id if need else None, helper=helper.id if helper else None)
    with database.atomic():
        if apply_changes(actor, service, data, label=lambda s: f"{person.name} 服务：{s}"):
            _need_in_progress(need)
    return service


def void_service(actor, service, reason):
    """Void a service record entered by mistake."""
    return void(actor, service, reason)


def void_need(actor, need, reason):
    """Void a need registered by mistake (the services recorded against it stay)."""
    return void(actor, need, reason)
