"""Trend rates of closed months, kept once counted per place (queries/summary_months.trend)."""

from peewee import DateField, DateTimeField, FloatField, IntegerField, TextField

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


class PeriodFigures(BaseModel):
    """A village's raw counts (queries/summary_period.Figures, as JSON) for a period that has
    closed: a month, a quarter or a year, counted once by the start-of-day job
    (services/month_rates.keep_closed_periods) exactly as the live count gives them (the same
    code, the same cut-off: the period's next midnight) and never rewritten; dropped when a
    correction moves a fact of the period (services/month_rates.reopen_periods), kept again by
    the next day's job.

    Counted per place, as a report of the place counts it: `township_id` is the township whose
    count (its users' scope and settings) the row comes from, None for the whole instance's
    count (instance settings). One row per (start, end, township_id, village_id): a unique
    index over start, end, COALESCE(township_id, 0), village_id (migration 32)."""

    start = DateField()
    end = DateField()
    township_id = IntegerField(null=True)
    village_id = IntegerField()
    figures = TextField()  # JSON: {field: int, {key: int} or [values]}
    counted_at = DateTimeField(default=clock.now)

    class Meta:
        table_name = "period_figures"
