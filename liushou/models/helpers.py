"""Helpers (帮扶人): cadres, party members, doctors, volunteers … and the village posts they
hold."""

from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, TextField

from .. import clock
from ..db import BaseModel
from .accounts import User
from .places import Grid, Township, Village

HELPER_KINDS = (
    "包片干部",
    "村干部",
    "党员",
    "儿童主任",
    "儿童督导员",
    "网格员",
    "教师",
    "村医",
    "志愿者",
    "社工",
    "童伴妈妈",
    "民警",
    "法律顾问",
    "其他",
)
# The posts named on each village; they are printed on the contact card.
VILLAGE_POSTS = ("包片干部", "儿童主任", "村医", "民警", "法律顾问")


class Helper(BaseModel):
    """Someone who helps and visits; `village` is None for township-level helpers."""

    __scope__ = ("village", None)
    # A township-level helper (no village) of a county's instance belongs to a township.
    __scope_township__ = "township"

    name = CharField(max_length=64)
    kind = CharField(max_length=16)
    unit = CharField(max_length=64, default="")
    position = CharField(max_length=64, default="")
    phone = CharField(max_length=32, default="")
    village = ForeignKeyField(Village, null=True, backref="helpers", on_delete="RESTRICT")
    user = ForeignKeyField(User, null=True, backref="helpers", on_delete="SET NULL")
    active = BooleanField(default=True)
    notes = TextField(default="")
    created_at = DateTimeField(default=clock.now)
    # On a county's instance, the township of a helper of no village (None otherwise).
    township = ForeignKeyField(Township, null=True, backref="+", on_delete="RESTRICT")

    class Meta:
        table_name = "helper"

    def __str__(self):
        return self.name

    @classmethod
    def for_user(cls, user):
        """The helper records that are this user."""
        return cls.select().where((cls.user == user) & cls.active)


class HelperArea(BaseModel):
    """A village, or one grid of it, that a helper serves."""

    helper = ForeignKeyField(Helper, backref="areas", on_delete="CASCADE")
    village = ForeignKeyField(Village, on_delete="RESTRICT")
    grid = ForeignKeyField(Grid, null=True, on_delete="RESTRICT")

    class Meta:
        table_name = "helper_area"
        indexes = ((("helper", "village", "grid"), True),)


class VillagePost(BaseModel):
    """Who holds a post (包片干部, 儿童主任, 村医, 民警, 法律顾问) for a village."""

    __scope__ = ("village", None)

    village = ForeignKeyField(Village, backref="posts", on_delete="RESTRICT")
    post = CharField(max_length=16)
    helper = ForeignKeyField(Helper, backref="posts", on_delete="RESTRICT")

    class Meta:
        table_name = "village_post"
        indexes = ((("village", "post"), True),)
