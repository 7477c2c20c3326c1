"""The dated history of each person's effective visit tier (override, else by rule)."""

from peewee import BooleanField, CharField, DateField, DateTimeField, ForeignKeyField

from .. import clock
from ..db import BaseModel
from .persons import Person


class TierEvent(BaseModel):
    """From `on`, the person's effective visit tier is `tier` (`overridden`: set by hand);
    `recorded_at` is when it became known. One row each time the effective tier changes,
    written in the transaction that changes the visit state. Append-only (triggers refuse
    updates and deletes): a report of a past period reads the last row dated on or before its
    last day and recorded before its cut-off."""

    __scope__ = "person"

    person = ForeignKeyField(Person, index=False, on_delete="RESTRICT")
    tier = CharField(max_length=8)
    overridden = BooleanField(default=False)
    on = DateField()
    recorded_at = DateTimeField(default=clock.now)

    class Meta:
        table_name = "tier_event"
        indexes = ((("person", "on"), False),)
