"""Cross-checks (比对核实): a roster from another office compared with the register, kept with
each finding and what was done about it."""

import json

from peewee import (
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from .. import clock
from ..db import Voidable
from ..rules.crosscheck import CATEGORIES, KINDS
from .households import Household
from .persons import Person
from .places import Grid, Township, Village

ROW_STATUSES = {"open": "待处理", "applied": "已应用", "dismissed": "已忽略"}


class Crosscheck(Voidable):
    """One uploaded roster and its comparison. `village`: the uploader's village (a village
    cadre's upload); None for a township-wide upload, whose rows each village sees its part of.
    `township`: on a county's instance the uploader's township (a township-wide upload is seen
    by that township's users only); None on a township's own instance."""

    __scope__ = ("village", None)
    __scope_shared__ = True
    __scope_township__ = "township"

    kind = CharField(max_length=16)
    filename = CharField(max_length=100, default="")
    school_name = CharField(max_length=64, default="")
    village = ForeignKeyField(Village, null=True, on_delete="RESTRICT")
    lines = IntegerField(default=0)
    created_by = IntegerField(null=True)
    created_by_name = CharField(max_length=64, default="")
    created_at = DateTimeField(default=clock.now)
    township = ForeignKeyField(Township, null=True, backref="+", on_delete="RESTRICT")

    class Meta:
        table_name = "crosscheck"

    def __str__(self):
        return f"{self.kind_label}比对 {self.filename}"

    @property
    def kind_label(self):
        return KINDS.get(self.kind, self.kind)


class CrosscheckRow(Voidable):
    """One finding. In a village (the matched person's, or for a roster line matched to nobody
    the uploader's village; None in a township-wide upload: township users only). `township`:
    on a county's instance the village's township, or for a line matched to nobody in a
    township-wide upload the uploader's (its users only); None on a township's own instance."""

    __scope__ = ("village", "grid")
    __scope_township__ = "township"

    crosscheck = ForeignKeyField(Crosscheck, backref="rows", on_delete="RESTRICT")
    village = ForeignKeyField(Village, null=True, on_delete="RESTRICT")
    grid = ForeignKeyField(Grid, null=True, on_delete="RESTRICT")
    category = CharField(max_length=1)
    line_no = IntegerField(null=True)  # the roster's row number; None for "not in the roster"
    name = CharField(max_length=64)
    id_number = CharField(max_length=18, default="")
    birth_date = DateField(null=True)
    person = ForeignKeyField(Person, null=True, on_delete="RESTRICT")
    household = ForeignKeyField(Household, null=True, on_delete="RESTRICT")
    field = CharField(max_length=16, default="")
    old_value = CharField(max_length=100, default="")
    new_value = CharField(max_length=100, default="")
    note = CharField(max_length=200, default="")
    values = TextField(default="{}")  # JSON: what applying writes, or the roster line's values
    status = CharField(max_length=10, default="open", index=True)
    decided_by = IntegerField(null=True)
    decided_by_name = CharField(max_length=64, default="")
    decided_at = DateTimeField(null=True)
    reason = CharField(max_length=200, default="")
    township = ForeignKeyField(Township, null=True, backref="+", on_delete="RESTRICT")

    class Meta:
        table_name = "crosscheck_row"
        indexes = ((("crosscheck", "category"), False),)

    def __str__(self):
        return f"比对第 {self.line_no or '-'} 行 {self.name}"

    @property
    def category_label(self):
        return CATEGORIES.get(self.category, self.category)

    @property
    def status_label(self):
        return ROW_STATUSES.get(self.status, self.status)

    @property
    def value_map(self):
        return json.loads(self.values or "{}")

    @property
    def appliable(self):
        """Whether 应用 can change the register in one click (a registration opens a form)."""
        return self.status == "open" and bool(self.field) and bool(self.value_map)
