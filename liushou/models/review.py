"""Proposals waiting for the township's review (审核报送): a registration, an exit, a re-entry or a
category-changing edit a village or grid user made while review is on for that kind."""

import json

from peewee import CharField, DateTimeField, ForeignKeyField, TextField

from .. import clock
from ..db import BaseModel
from .accounts import User
from .households import Household
from .persons import Person
from .places import Grid, Village

KINDS = {
    "register": "新登记",
    "exit": "退出登记",
    "reenter": "重新登记",
    "category_edit": "改变类别的修改",
}
PENDING, APPROVED, RETURNED, WITHDRAWN = "待审核", "通过", "退回", "撤回"
STATUSES = (PENDING, APPROVED, RETURNED, WITHDRAWN)
# The statuses the author still has to act on (or wait for).
OPEN_STATUSES = (PENDING, RETURNED)


class ReviewItem(BaseModel):
    """One proposal, not applied until approved. `payload` holds the form's values as posted
    ("values") and the change field by field ("changes": [field, old, new]); `groups_before` /
    `groups_after` are the categories at submission, for the "含待审核" figures."""

    __scope__ = ("village", "grid")

    kind = CharField(max_length=16)
    person = ForeignKeyField(Person, null=True, backref="review_items", on_delete="RESTRICT")
    # None while an import row's new household waits with it (created on approval).
    household = ForeignKeyField(Household, null=True, backref="review_items", on_delete="RESTRICT")
    village = ForeignKeyField(Village, backref="review_items", on_delete="RESTRICT")
    grid = ForeignKeyField(Grid, null=True, backref="review_items", on_delete="RESTRICT")
    author = ForeignKeyField(User, backref="review_items", on_delete="RESTRICT")
    submitted_at = DateTimeField(default=clock.now)
    payload = TextField(default="{}")
    groups_before = CharField(max_length=64, default="")
    groups_after = CharField(max_length=64, default="")
    label = CharField(max_length=64, default="")  # the person's name, shown in lists
    status = CharField(max_length=8, default=PENDING, index=True)
    reviewer = ForeignKeyField(
        User, null=True, backref="reviewed_items", on_delete="RESTRICT", column_name="reviewer_id"
    )
    decided_at = DateTimeField(null=True)
    reason = CharField(max_length=200, default="")

    class Meta:
        table_name = "review_item"

    def __str__(self):
        return f"{KINDS.get(self.kind, self.kind)}：{self.label}"

    @property
    def kind_label(self):
        return KINDS.get(self.kind, self.kind)

    @property
    def data(self):
        return json.loads(self.payload or "{}")

    @property
    def values(self):
        return self.data.get("values", {})

    @property
    def changes(self):
        return self.data.get("changes", [])

    @property
    def new_household(self):
        """The values of the household an import row creates on approval, or None."""
        return (self.data.get("import") or {}).get("new_household")

    @property
    def household_label(self):
        """The household as lists show it: the registered one, or the one to be created."""
        if self.household_id is not None:
            return f"{self.household.head_name}户"
        new = self.new_household or {}
        where = new.get("address") or "未填住址"
        return f"新建 {new.get('head_name', '')}户（{where}，审核通过后建立）"
