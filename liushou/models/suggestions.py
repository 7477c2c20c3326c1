"""Suggestions a cadre answered: a 困境儿童 suggestion dismissed with a reason."""

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField

from .. import clock
from ..db import Voidable
from .persons import Person


class SuggestionDismissal(Voidable):
    """A 困境儿童 suggestion a cadre decided against, with why. `reasons` is the suggestion as it
    was shown; while the person's suggestion reads the same it stays dismissed."""

    __scope__ = "person"

    person = ForeignKeyField(Person, backref="dismissed_suggestions", on_delete="RESTRICT")
    reasons = CharField(max_length=200)
    reason = CharField(max_length=200)
    dismissed_by = CharField(max_length=64, default="")
    created_by = IntegerField(null=True)
    created_at = DateTimeField(default=clock.now)

    class Meta:
        table_name = "suggestion_dismissal"

    def __str__(self):
        return f"{self.person_id} 不予认定：{self.reason}"
