"""The dated history of group membership: who entered or left which group, when, where."""

from peewee import CharField, DateField, DateTimeField, ForeignKeyField

from .. import clock
from ..db import BaseModel
from .persons import Person
from .places import Grid, Village

EVENTS = ("in", "out")
# Why a person entered or left a group (the rule's own reason is in the person's history).
REASONS = {
    "registered": "新登记",
    "category": "类别变化",
    "exit": "退出",
    "death": "死亡",
    "voided": "作废",
    "reentry": "重新登记",
    "moved": "迁移",
}


class GroupEvent(BaseModel):
    """A person entered (in) or left (out) a group on a date, in the village and grid he lived
    in then; `recorded_at` is when it became known. Append-only (triggers refuse updates and
    deletes): a report of a past period reads the rows recorded before its close."""

    __scope__ = ("village", "grid")

    # The composite indexes below serve every read; no index of each foreign key on its own.
    person = ForeignKeyField(Person, index=False, on_delete="RESTRICT")
    village = ForeignKeyField(Village, index=False, on_delete="RESTRICT")
    grid = ForeignKeyField(Grid, null=True, index=False, on_delete="RESTRICT")
    group_name = CharField(max_length=8)
    on = DateField()
    event = CharField(max_length=3)
    reason = CharField(max_length=16)
    exit_reason = CharField(max_length=200, default="")
    recorded_at = DateTimeField(default=clock.now)

    class Meta:
        table_name = "group_event"
        indexes = (
            (("person", "group_name", "on"), False),
            (("group_name", "on"), False),
            (("village", "group_name", "on"), False),
        )

    @property
    def reason_label(self):
        if self.reason == "exit":
            return self.exit_reason or REASONS["exit"]
        return REASONS.get(self.reason, self.reason)
