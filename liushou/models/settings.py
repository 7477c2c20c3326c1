"""Dated settings: each change is a new row valid from a date, so the past keeps its values."""

import json

from peewee import CharField, DateField, DateTimeField, ForeignKeyField, IntegerField, TextField

from .. import clock
from ..db import BaseModel
from .places import Township


class Setting(BaseModel):
    """One value of one setting, valid from `valid_from` until a later row replaces it."""

    key = CharField(max_length=64)
    value = TextField()  # JSON
    valid_from = DateField(default=clock.today)
    created_at = DateTimeField(default=clock.now)
    created_by = IntegerField(null=True)
    # A county's instance: one township's own value (None: the instance-wide value).
    township = ForeignKeyField(Township, null=True, backref="+", on_delete="RESTRICT")

    class Meta:
        table_name = "setting"
        indexes = ((("key", "valid_from"), False),)

    @classmethod
    def _of(cls, township_id):
        if township_id is None:
            return cls.township.is_null()
        return cls.township == township_id

    @classmethod
    def value_on(cls, key, on=None, township_id=None):
        """The JSON-decoded value in force on a date, or None if never set: a township's own
        value if `township_id` has one, else the instance-wide one."""
        for of in ([township_id] if township_id is not None else []) + [None]:
            row = (
                cls.select()
                .where((cls.key == key) & cls._of(of) & (cls.valid_from <= (on or clock.today())))
                .order_by(cls.valid_from.desc(), cls.id.desc())
                .first()
            )
            if row is not None:
                return json.loads(row.value)
        return None

    @classmethod
    def history(cls, key, township_id=None):
        return (
            cls.select()
            .where((cls.key == key) & cls._of(township_id))
            .order_by(cls.valid_from.desc(), cls.id.desc())
        )
