"""Pairing (结对帮扶) of helpers with persons, visits, check-ins, and each person's visit state."""

import json

from peewee import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from .. import clock
from ..db import BaseModel, Voidable
from .helpers import Helper
from .households import Household
from .persons import Person
from .places import Grid, Village

VISIT_METHODS = ("上门", "电话", "视频", "在校", "其他")
# (field name, label) of the aspects a visit looks at.
ASPECTS = (
    ("life", "生活"),
    ("health", "健康"),
    ("mind", "心理"),
    ("safety", "安全"),
    ("study", "学习/就业"),
)


class Pairing(Voidable):
    """A helper paired with a person from `started_on` until `ended_on` (kept after it ends)."""

    __scope__ = "person"

    helper = ForeignKeyField(Helper, backref="pairings", on_delete="RESTRICT")
    person = ForeignKeyField(Person, backref="pairings", on_delete="RESTRICT")
    primary = BooleanField(default=False)
    started_on = DateField(default=clock.today)
    ended_on = DateField(null=True)
    end_reason = CharField(max_length=200, default="")
    created_by = IntegerField(null=True)
    created_at = DateTimeField(default=clock.now)

    class Meta:
        table_name = "pairing"
        indexes = ((("person", "ended_on"), False), (("helper", "ended_on"), False))

    @property
    def active(self):
        return self.ended_on is None

    @classmethod
    def current(cls):
        return cls.select().where(cls.ended_on.is_null())


class Visit(Voidable):
    """One visit to one person, or to several members of one household, by one or more helpers."""

    __scope__ = ("village", "grid")

    village = ForeignKeyField(Village, on_delete="RESTRICT")
    grid = ForeignKeyField(Grid, null=True, on_delete="RESTRICT")
    household = ForeignKeyField(Household, null=True, on_delete="RESTRICT")
    visited_on = DateField(index=True)
    method = CharField(max_length=8)
    life = TextField(default="")
    health = TextField(default="")
    mind = TextField(default="")
    safety = TextField(default="")
    study = TextField(default="")
    needs = TextField(default="")
    next_on = DateField(null=True)
    created_by = IntegerField(null=True)
    created_at = DateTimeField(default=clock.now)

    class Meta:
        table_name = "visit"
        # Counts by month over 1.6 M visits read these alone, never the table (migration 24).
        indexes = (
            (("visited_on", "voided_at", "created_at"), False),
            (("village", "visited_on", "voided_at", "created_at"), False),
        )

    def __str__(self):
        return f"{self.visited_on} {self.method}"

    @property
    def summary(self):
        """The findings in one line."""
        parts = [
            f"{label}：{getattr(self, name)}" for name, label in ASPECTS if getattr(self, name)
        ]
        if self.needs:
            parts.append(f"需求：{self.needs}")
        return "；".join(parts)


class VisitPerson(BaseModel):
    """A person seen in a visit, with the items asked about him (JSON: [[item, status, note]],
    the list as it was on the day, so old visits keep the items they were recorded with)."""

    __village_of__ = "visit"  # its writes change its visit's village's figures (db.data_generation)
    visit = ForeignKeyField(Visit, backref="person_links", on_delete="CASCADE")
    person = ForeignKeyField(Person, backref="visit_links", on_delete="RESTRICT")
    items = TextField(default="")

    @property
    def item_rows(self):
        """[(item, status, note)] as recorded."""
        return [tuple(row) for row in json.loads(self.items)] if self.items else []

    class Meta:
        table_name = "visit_person"
        indexes = ((("visit", "person"), True), (("person", "visit"), False))


class VisitHelper(BaseModel):
    """A helper who made a visit."""

    __village_of__ = "visit"  # its writes change its visit's village's figures (db.data_generation)
    visit = ForeignKeyField(Visit, backref="helper_links", on_delete="CASCADE")
    helper = ForeignKeyField(Helper, backref="visit_links", on_delete="RESTRICT")

    class Meta:
        table_name = "visit_helper"
        indexes = ((("visit", "helper"), True), (("helper", "visit"), False))


class CheckIn(Voidable):
    """A light 一敲门 check-in ("平安"): someone looked in on a person, without a visit form."""

    __scope__ = "person"

    person = ForeignKeyField(Person, backref="checkins", on_delete="RESTRICT")
    helper = ForeignKeyField(Helper, null=True, backref="checkins", on_delete="RESTRICT")
    at = DateTimeField(default=clock.now)
    on = DateField(index=True)
    method = CharField(max_length=8)
    created_by = IntegerField(null=True)
    created_at = DateTimeField(default=clock.now)

    class Meta:
        table_name = "checkin"
        indexes = ((("person", "on"), False),)

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} 一敲门（{self.method}）"


class VisitState(BaseModel):
    """Per person: tier (by rule or overridden), last visit and next due date, kept current on
    every visit and person change so the worklist is one indexed query."""

    __scope__ = "person"

    person = ForeignKeyField(Person, unique=True, on_delete="CASCADE")
    tier = CharField(max_length=8, default="general")
    tier_reason = CharField(max_length=64, default="")
    override = CharField(max_length=8, default="")
    override_reason = CharField(max_length=200, default="")
    last_visit_on = DateField(null=True)
    last_summary = TextField(default="")
    due_on = DateField(index=True)
    refreshed_on = DateField(null=True)
    # The last day of each role's duty (queries/visit_duties.py), kept by every write that
    # moves them (services/visit_tiers.keep_duty_dates): the last non-voided 上门 visit (一登门),
    # the last non-voided visit of any method or check-in (一敲门).
    last_door_on = DateField(null=True)
    last_contact_on = DateField(null=True)

    class Meta:
        table_name = "visit_state"

    @property
    def effective_tier(self):
        return self.override or self.tier
