"""Trend rates of closed months, kept once counted per place (queries/summary_months.trend)."""

from peewee import DateField, DateTimeField, FloatField, IntegerField

from .. import clock
from ..db import BaseModel


class MonthRates(BaseModel):
    """A place's rates for a month that has closed (its figures are final: counted from dated
    facts as known at its cut-off, they never change). Written once per month and place by the
    start-of-day job (services/month_rates.py), never rewritten; None: nothing to divide by.

    The place: the whole instance (township_id and village_id both None), a township of a
    county's instance (township_id), or a village (village_id). One row per month and place
    (a unique index over month, COALESCE(township_id, 0), COALESCE(village_id, 0): migration
    28)."""

    month = DateField()  # the month's first day
    township_id = IntegerField(null=True)
    village_id = IntegerField(null=True)
    pairing = FloatField(null=True)
    signing = FloatField(null=True)
    within = FloatField(null=True)
    closed30 = FloatField(null=True)
    counted_at = DateTimeField(default=clock.now)

    class Meta:
        table_name = "month_rates"

    RATES = ("pairing", "signing", "within", "closed30")
