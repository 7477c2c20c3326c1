"""Voiding (作废): a record entered by mistake is kept with who, when and why, and leaves every
list, figure and reminder (Voidable.select() no longer returns it)."""

from .. import clock
from ..db import database
from . import ValidationError
from .audit import record as audit

REASON_MAX = 200

# Records whose void moves state kept elsewhere (visit states, tiers, duty dates, categories,
# group histories): only their own service voids them, recomputing that state in the same
# transaction. Model name → that service.
VOIDED_BY = {
    "Visit": "services.visit_changes.void_visit",
    "Pairing": "services.visit_changes.void_pairing",
    "CheckIn": "services.checkins.void_checkin",
    "Person": "services.person_exits.void_person",
    "FamilyAway": "services.households.void_away",
}


def refuse_voided_person(person):
    """A registration voided by mistake takes no edit, exit, pairing or new record (a benefit, a
    check-up, an emergency): it stays as it was voided."""
    if getattr(person, "voided_at", None) is not None:
        raise ValidationError({"_record": f"{person.name}的登记已作废，不能再修改或登记"})


def refuse_voided_persons_now(persons, field):
    """In the caller's transaction: a person voided (by another request since he was read, or
    before) takes no new record; the Chinese message goes next to `field`."""
    for person in persons:
        if getattr(person, "voided_at", None) is not None or voided_since(person):
            raise ValidationError({field: f"{person.name}的登记已作废，不能再登记"})


def void(actor, obj, reason, *, after=None):
    """Void `obj` with a reason (required). `after(obj)` runs in the same transaction, for the
    state derived from it (a person's visit state after a visit is voided, …): a record of
    VOIDED_BY is refused without it (void it through its service)."""
    service = VOIDED_BY.get(type(obj).__name__)
    if service is not None and after is None:
        raise TypeError(
            f"voiding a {type(obj).__name__} recomputes state derived from it: use {service}"
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"void_reason": "请填写作废原因"})
    if len(reason) > REASON_MAX:
        raise ValidationError({"void_reason": f"作废原因不能超过 {REASON_MAX} 个字"})
    if obj.voided_at is not None:
        raise ValidationError({"void_reason": "这条记录已经作废"})
    with database.atomic():
        # Read again in the transaction: another request may have voided it since it was read.
        if voided_since(obj):
            raise ValidationError({"void_reason": "这条记录已经作废"})
        obj.voided_at = clock.now()
        obj.voided_by = actor.user_id
        obj.void_reason = reason
        obj.save(only=[type(obj).voided_at, type(obj).voided_by, type(obj).void_reason])
        audit(actor, "void", obj, changes=[("void_reason", "", reason)])
        if after is not None:
            after(obj)
    return obj


def refuse_if_voided(obj):
    """An edit of a voided record is refused (void it again from a copy instead)."""
    if getattr(obj, "voided_at", None) is not None:
        raise ValidationError({"_record": "这条记录已作废，不能再修改"})


def voided_since(obj):
    """Whether `obj`, read as not voided, is voided now (or gone), read inside the caller's
    transaction: on SQLite it holds the write lock from BEGIN, on PostgreSQL the row is locked
    (FOR UPDATE) until it ends, so a write that checks it never races a void committed by
    another request meanwhile."""
    model = type(obj)
    every = getattr(model, "with_voided", model.select)  # a Person is voided too, not Voidable
    query = every(model.voided_at).where(model._meta.primary_key == obj._pk)
    if database.is_postgres:
        query = query.for_update()
    row = query.first()
    return row is None or row.voided_at is not None


def refuse_if_voided_now(obj):
    """refuse_if_voided, read again inside the caller's transaction (voided_since)."""
    refuse_if_voided(obj)
    if voided_since(obj):
        raise ValidationError({"_record": "这条记录已作废，不能再修改"})
