"""一敲门 check-ins: one tap records that someone looked in on a person and all was well."""

from datetime import timedelta

from werkzeug.exceptions import NotFound

from .. import clock, figure_patch
from ..db import database
from ..models.helpers import Helper
from ..models.persons import Person
from ..models.visits import CheckIn
from ..rules import visits as rules
from . import ValidationError
from .audit import record
from .visit_tiers import keep_duty_dates
from .voiding import void, voided_since


def check_in(actor, scope, person_id, method="", helper_ids=None):
    """Record a "平安" check-in for the person `person_id` (looked up in the user's area, 404
    otherwise) by `how` (上门 by default). Returns (check-in, created): a second tap within a few
    minutes returns the first one instead of recording another."""
    person = scope.get(Person, person_id)
    if person.voided_at is not None:
        raise NotFound()  # a voided registration takes no check-in (its page is struck through)
    method = method or rules.CHECKIN_METHODS[0]
    if method not in rules.CHECKIN_METHODS:
        raise ValidationError({"method": "请选择上门、电话或视频"})
    if person.exited_on is not None:
        raise ValidationError({"person": f"{person.name}已不在册，不能登记一敲门"})
    now = clock.now()
    with figure_patch.moving([person.id]), database.atomic():
        if voided_since(person):  # voided by another request since it was read
            raise NotFound()
        recent = (
            CheckIn.select()
            .where(
                (CheckIn.person == person)
                & (CheckIn.at >= now - timedelta(minutes=rules.DOUBLE_TAP_MINUTES))
            )
            .order_by(CheckIn.at.desc())
            .first()
        )
        if recent is not None:
            return recent, False
        helper = (
            Helper.select().where(Helper.id.in_(list(helper_ids)) & Helper.active).first()
            if helper_ids
            else None
        )
        checkin = CheckIn.create(
            person=person,
            helper=helper,
            at=now,
            on=now.date(),
            method=method,
            created_by=actor.user_id,
        )
        record(
            actor,
            "create",
            checkin,
            label=f"{person.name} 一敲门 平安",
            changes=[
                ("at", None, f"{now:%Y-%m-%d %H:%M}"),
                ("method", None, method),
                ("helper", None, helper.name if helper else None),
            ],
        )
        keep_duty_dates([person.id], [person.village_id])  # his 一敲门 is done today
    return checkin, True


def void_checkin(actor, checkin, reason):
    """Void a check-in tapped by mistake: it no longer satisfies the 一敲门 cycle or counts."""
    person = checkin.person
    with figure_patch.moving([person.id]):
        return void(
            actor,
            checkin,
            reason,
            after=lambda c: keep_duty_dates([person.id], [person.village_id]),
        )
