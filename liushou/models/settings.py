"""Dated settings: each change is a new row valid from a date, so the past keeps its values."""

import json

from peewee import CharField, DateField, DateTimeField, IntegerField, TextField

from .. import clock
from ..db import BaseModel


class Setting(BaseModel):
    """One value of one setting, valid from `valid_from` until a later row replaces it."""

    key = CharField(max_length=64)
    value = TextField()  # JSON
    valid_from = DateField(default=clock.today)
    created_at = DateTimeField(default=clock.now)
    created_by = IntegerField(null=True)

    class Meta:
        table_name = "setting"
        indexes = ((("key", "valid_from"), False),)

    @classmethod
    def value_on(cls, key, on=None):
        """The JSON-decoded value in force on a date, or None if never set."""
        row = (
            cls.select()
            .where((cls.key == key) & (cls.valid_from <= (on or clock.today())))
            .order_by(cls.valid_from.desc(), cls.id.desc())
            .first()
        )
        return json.loads(row.value) if row else None

    @classmethod
    def history(cls, key):
        return cls.select().where(cls.key == key).order_by(cls.valid_from.desc(), cls.id.desc())
