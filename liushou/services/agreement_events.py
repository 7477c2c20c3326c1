"""The history of a child's agreement signing date (models/agreement_events.py), written in the
same transaction as Person.agreement_signed_on is set, corrected or cleared."""

from datetime import date, datetime, time

from .. import clock
from ..models.agreement_events import AgreementEvent


def follow(person, before=None, recorded_at=None):
    """Append a row when the person's agreement date (as he is now, saved or about to be)
    differs from his last row. `before`: the date he had until this change; a person with no
    row yet (a record older than the history, or written by a bulk path) first gets that one,
    known from its own day as the upgrade's backfill has it, so a past period keeps counting it.
    Returns the rows written."""
    now = recorded_at or clock.now()
    before, signed = _day(before), _day(person.agreement_signed_on)
    last = (
        AgreementEvent.select(AgreementEvent.signed_on)
        .where(AgreementEvent.person == person.id)
        .order_by(AgreementEvent.id.desc())
        .first()
    )
    rows = []
    if last is None and before is not None:
        known = min(datetime.combine(before, time.min), now)
        rows.append(AgreementEvent.create(person=person.id, signed_on=before, recorded_at=known))
    current = last.signed_on if last is not None else before
    if signed != current:
        rows.append(AgreementEvent.create(person=person.id, signed_on=signed, recorded_at=now))
    return rows


def _day(value):
    return date.fromisoformat(value) if isinstance(value, str) and value else (value or None)
