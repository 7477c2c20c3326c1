"""The dated history of a child's entrusted-care agreement (委托照护责任确认书) signing date."""

from peewee import DateField, DateTimeField, ForeignKeyField

from .. import clock
from ..db import BaseModel
from .persons import Person


class AgreementEvent(BaseModel):
    """From `recorded_at`, the person's agreement is known as signed on `signed_on` (None: not
    signed, or the date was cleared). One row each time Person.agreement_signed_on is set,
    corrected or cleared, written in the same transaction. Append-only (triggers refuse
    updates and deletes): a report counts the last row recorded before its cut-off, so a
    signing back-dated or a date corrected later leaves a past period's 签订率 as it was."""

    __scope__ = "person"

    person = ForeignKeyField(Person, index=False, on_delete="RESTRICT")
    signed_on = DateField(null=True)
    recorded_at = DateTimeField(default=clock.now)

    class Meta:
        table_name = "agreement_event"
        indexes = ((("person", "recorded_at"), False),)
