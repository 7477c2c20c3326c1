"""The township's trend rates of closed months, kept once counted (queries/summary.trend)."""

from peewee import DateField, DateTimeField, FloatField

from .. import clock
from ..db import BaseModel


class MonthRates(BaseModel):
    """The township's rates for a month that has closed (its figures are final: counted from
    dated facts as known at its cut-off, they never change). Written once per month by the
    start-of-day job (services/month_rates.py), never rewritten; None: nothing to divide by."""

    month = DateField(unique=True)  # the month's first day
    pairing = FloatField(null=True)
    signing = FloatField(null=True)
    within = FloatField(null=True)
    closed30 = FloatField(null=True)
    counted_at = DateTimeField(default=clock.now)

    class Meta:
        table_name = "month_rates"

    RATES = ("pairing", "signing", "within", "closed30")
