"""Townships, their villages/communities and the villages' grids."""

from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField

from .. import clock
from ..db import BaseModel

VILLAGE_KINDS = ("村", "社区")


class Township(BaseModel):
    """A township (乡镇/街道) of a county's instance. A township's own instance needs none: a
    village of no township is the instance's own (nothing changes for its users)."""

    code = CharField(unique=True, max_length=32)
    name = CharField(max_length=64)
    sort_order = IntegerField(default=0)
    active = BooleanField(default=True)
    created_at = DateTimeField(default=clock.now)

    class Meta:
        table_name = "township"

    def __str__(self):
        return self.name


class Village(BaseModel):
    """A village (村) or community (社区) of the township."""

    __scope__ = ("id", None)

    # None on a township's own instance; on a county's, the township it belongs to.
    township = ForeignKeyField(Township, null=True, backref="villages", on_delete="RESTRICT")
    code = CharField(unique=True, max_length=32)
    name = CharField(max_length=64)
    kind = CharField(max_length=8, default="村")
    sort_order = IntegerField(default=0)
    active = BooleanField(default=True)
    created_at = DateTimeField(default=clock.now)

    class Meta:
        table_name = "village"

    def __str__(self):
        return self.name

    @classmethod
    def ordered(cls):
        """Villages in the township's own order."""
        return cls.select().order_by(cls.sort_order, cls.code)


class Grid(BaseModel):
    """A grid (网格): a lane, hamlet or 村民小组 inside one village."""

    __scope__ = ("village", "id")

    village = ForeignKeyField(Village, backref="grids", on_delete="RESTRICT")
    code = CharField(unique=True, max_length=32)
    name = CharField(max_length=64)
    sort_order = IntegerField(default=0)
    active = BooleanField(default=True)
    created_at = DateTimeField(default=clock.now)

    class Meta:
        table_name = "grid"

    def __str__(self):
        return f"{self.village.name}·{self.name}"
