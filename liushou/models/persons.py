"""Persons in the registry: the common record plus the child, woman and elder details."""

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
from ..db import BaseModel
from ..rules.categories import age_on
from ..rules.pinyin import prefix_range
from .households import Household
from .places import Grid, Village

SEXES = ("男", "女")
RISK_LEVELS = ("低", "中", "高")
DISABILITY_KINDS = ("视力", "听力", "言语", "肢体", "智力", "精神", "多重")
DISABILITY_GRADES = ("一级", "二级", "三级", "四级")
LIVING = ("独居", "与配偶同住", "与孙辈同住", "其他")
SELF_CARE = ("自理", "半失能", "失能")
# The qualification checklist for a guardian or entrusted carer (DOMAIN.md): ticked = a problem.
CARER_DISQUALIFIERS = (
    "曾有虐待、遗弃行为",
    "有拐卖、暴力等违法犯罪记录",
    "吸毒、酗酒或赌博",
    "拒不履行照护职责",
)
EXIT_REASONS = ("迁出", "死亡", "年龄超出", "家人返乡", "其他")


class Person(BaseModel):
    """One person of the registry; leaves by exit (退出), never by deletion."""

    __scope__ = ("village", "grid")

    household = ForeignKeyField(Household, backref="members", on_delete="RESTRICT")
    village = ForeignKeyField(Village, on_delete="RESTRICT")
    grid = ForeignKeyField(Grid, null=True, on_delete="RESTRICT")
    name = CharField(max_length=64)
    name_initials = CharField(max_length=32, default="", index=True)
    name_pinyin = CharField(max_length=128, default="", index=True)
    sex = CharField(max_length=2)
    ethnicity = CharField(max_length=16, default="汉族")
    id_number = CharField(max_length=18, null=True, unique=True)
    birth_date = DateField()
    phone = CharField(max_length=32, default="")
    relation_to_head = CharField(max_length=16, default="")
    health = CharField(max_length=100, default="")
    disability_kind = CharField(max_length=8, default="")
    disability_grade = CharField(max_length=8, default="")
    risk_level = CharField(max_length=4, default="低")
    notes = TextField(default="")
    # child
    school = CharField(max_length=64, default="")
    grade = CharField(max_length=16, default="")
    boarding = BooleanField(default=False)
    father_status = CharField(max_length=8, default="")
    mother_status = CharField(max_length=8, default="")
    difficulty_kinds = CharField(max_length=100, default="")  # comma-separated
    carer_name = CharField(max_length=64, default="")
    carer_relation = CharField(max_length=16, default="")
    carer_phone = CharField(max_length=32, default="")
    carer_id_number = CharField(max_length=18, default="")
    carer_address = CharField(max_length=128, default="")
    carer_capable = BooleanField(null=True)  # adult with capacity; None = not checked yet
    carer_disqualifiers = CharField(max_length=200, default="")  # comma-separated
    agreement_signed_on = DateField(null=True)
    # woman
    husband_away_since = DateField(null=True)
    training_need = CharField(max_length=100, default="")
    employment_need = CharField(max_length=100, default="")
    # elder
    living_arrangement = CharField(max_length=8, default="")
    self_care = CharField(max_length=4, default="")
    chronic_illnesses = CharField(max_length=100, default="")
    children_away = BooleanField(default=False)
    children_away_since = DateField(null=True)
    supporters = CharField(max_length=200, default="")
    # the national form's convenient contact (方便联系人) and collector (采集人)
    contact_name = CharField(max_length=64, default="")
    contact_relation = CharField(max_length=16, default="")
    contact_phone = CharField(max_length=32, default="")
    collected_by = IntegerField(null=True)  # the user who registered him
    checked_by = IntegerField(null=True)  # the user who checked the record (核实)
    checked_on = DateField(null=True)
    # Share of the national form's applicable items present (rules/completeness), kept with
    # every change in the writer's transaction (services/completeness).
    completeness = IntegerField(null=True, index=True)
    # derived and dynamic management
    groups = CharField(max_length=64, default="", index=True)  # comma-separated categories
    group_reasons = TextField(default="{}")  # JSON {group: reason}
    needs_review = BooleanField(default=False, index=True)
    review_note = CharField(max_length=200, default="")
    exited_on = DateField(null=True, index=True)
    exited_at = DateTimeField(null=True)  # when the exit was recorded (exited_on may be earlier)
    exit_reason = CharField(max_length=200, default="")
    # Voided (作废): registered by mistake; kept, but in no list or figure.
    voided_at = DateTimeField(null=True, index=True)  # migration 34
    voided_by = IntegerField(null=True)
    void_reason = CharField(max_length=200, default="")
    created_at = DateTimeField(default=clock.now)
    updated_at = DateTimeField(default=clock.now)

    class Meta:
        table_name = "person"

    def __str__(self):
        return self.name

    @property
    def age(self):
        return age_on(self.birth_date, clock.today()) if self.birth_date else None

    @property
    def group_list(self):
        return [g for g in self.groups.split(",") if g]

    @property
    def reasons(self):
        return json.loads(self.group_reasons or "{}")

    @property
    def exited(self):
        return self.exited_on is not None

    @property
    def is_child(self):
        return self.age is not None and self.age < 18

    @property
    def carer_qualified(self):
        """True/False once the checklist is filled in; None while unknown."""
        if not self.carer_name or self.carer_capable is None:
            return None
        return bool(self.carer_capable) and not self.carer_disqualifiers

    @classmethod
    def active(cls):
        return cls.select().where(cls.exited_on.is_null() & cls.voided_at.is_null())

    @classmethod
    def search(cls, query, text):
        """Narrow `query` by what a cadre types: pinyin initials or full pinyin (zs, zhangsan),
        a part of the name (张三), or the tail of an ID number (1234, 002X)."""
        text = (text or "").strip()
        if not text:
            return query
        if text.isascii() and text.isalpha():
            low, high = prefix_range(text.lower())
            return query.where(
                ((cls.name_initials >= low) & (cls.name_initials < high))
                | ((cls.name_pinyin >= low) & (cls.name_pinyin < high))
            )
        digits = text.upper()
        if digits.isdigit() or (digits[:-1].isdigit() and digits.endswith("X")):
            return query.where(cls.id_number.endswith(digits) | (cls.phone == digits))
        return query.where(cls.name.contains(text))
