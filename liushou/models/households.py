"""Households (户) and their family members working away (外出务工人员)."""

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
from .places import Grid, Village

AWAY_RELATIONS = ("父亲", "母亲", "丈夫", "妻子", "儿子", "女儿", "儿媳", "女婿", "孙子女", "其他")


class Household(BaseModel):
    """A household in a village grid: its head, phones, economics and flags."""

    __scope__ = ("village", "grid")

    village = ForeignKeyField(Village, backref="households", on_delete="RESTRICT")
    grid = ForeignKeyField(Grid, null=True, backref="households", on_delete="RESTRICT")
    address = CharField(max_length=128, default="")
    head_name = CharField(max_length=64)
    phone = CharField(max_length=32, default="")
    phone2 = CharField(max_length=32, default="")
    economic_sources = CharField(max_length=200, default="")
    dibao = BooleanField(default=False)  # 低保
    dibao_since = DateField(null=True)
    tekun = BooleanField(default=False)  # 特困
    tekun_since = DateField(null=True)
    monitored = BooleanField(default=False)  # 防返贫监测
    monitored_since = DateField(null=True)
    notes = TextField(default="")
    # Voided (作废): registered by mistake; kept, but in no list or figure.
    voided_at = DateTimeField(null=True)
    voided_by = IntegerField(null=True)
    void_reason = CharField(max_length=200, default="")
    created_at = DateTimeField(default=clock.now)
    updated_at = DateTimeField(default=clock.now)

    class Meta:
        table_name = "household"

    def __str__(self):
        return f"{self.head_name}户"


class FamilyAway(Voidable):
    """A family member working away from home."""

    __scope__ = "household"

    household = ForeignKeyField(Household, backref="away", on_delete="RESTRICT")
    name = CharField(max_length=64)
    relation = CharField(max_length=16)
    id_number = CharField(max_length=18, default="")
    province = CharField(max_length=32, default="")
    city = CharField(max_length=32, default="")
    phone = CharField(max_length=32, default="")
    away_since = DateField(null=True)
    expected_return = CharField(max_length=32, default="")
    returned_on = DateField(null=True)
    died_on = DateField(null=True)  # died while away: his row ends by death
    notes = CharField(max_length=200, default="")
    created_at = DateTimeField(default=clock.now)

    class Meta:
        table_name = "family_away"

    def __str__(self):
        return f"{self.name}（{self.relation}）"

    @property
    def place(self):
        return f"{self.province}{self.city}"
