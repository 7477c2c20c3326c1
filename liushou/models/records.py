"""Benefits (救助与补贴), health check-ups, group activities with attendance, service sites."""

from peewee import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from .. import clock
from ..db import Voidable
from .orgs import Organisation
from .persons import Person
from .places import Village

BENEFIT_KINDS = ("低保", "特困供养", "临时救助", "医疗救助", "助学金", "高龄补贴", "其他")
PERIODS = ("每月", "一次性")
BENEFIT_STATUSES = ("享受中", "已停发", "待审核")
ACTIVITY_KINDS = (
    "四点半课堂",
    "义诊体检",
    "节日慰问",
    "生日会",
    "法治讲座",
    "技能培训",
    "文艺活动",
    "其他",
)
SITE_KINDS = (
    "留守儿童之家",
    "老年人活动室",
    "妇女之家",
    "日间照料中心",
    "幸福院",
    "农家书屋",
    "其他",
)


class Benefit(Voidable):
    """A benefit a person receives; 高龄补贴's monthly amount comes from the dated age bands."""

    __scope__ = "person"

    person = ForeignKeyField(Person, backref="benefits", on_delete="RESTRICT")
    kind = CharField(max_length=8)
    amount = DecimalField(max_digits=10, decimal_places=2, null=True)  # None for 高龄补贴
    period = CharField(max_length=8, default="每月")
    start_on = DateField()
    end_on = DateField(null=True)
    status = CharField(max_length=8, default="享受中")
    notes = CharField(max_length=200, default="")
    created_by = IntegerField(null=True)
    created_at = DateTimeField(default=clock.now)
    # When it left 待审核 and when its end date was set, if after it was added: a report of a
    # period closed before then reads it as it was (queries/records.py as_known).
    approved_at = DateTimeField(null=True)
    ended_at = DateTimeField(null=True)

    class Meta:
        table_name = "benefit"

    def __str__(self):
        return f"{self.kind} {self.start_on}"


class CheckUp(Voidable):
    """A health check-up."""

    __scope__ = "person"

    person = ForeignKeyField(Person, backref="checkups", on_delete="RESTRICT")
    checked_on = DateField()
    checked_by = CharField(max_length=64, default="")
    bp_high = IntegerField(null=True)
    bp_low = IntegerField(null=True)
    sugar = DecimalField(max_digits=5, decimal_places=1, null=True)
    weight = DecimalField(max_digits=5, decimal_places=1, null=True)
    notes = CharField(max_length=200, default="")
    activity = IntegerField(null=True)  # the 义诊 it was recorded at
    created_at = DateTimeField(default=clock.now)

    class Meta:
        table_name = "checkup"


class Site(Voidable):
    """A service site (服务阵地) of a village."""

    __scope__ = ("village", None)

    village = ForeignKeyField(Village, backref="sites", on_delete="RESTRICT")
    kind = CharField(max_length=16)
    name = CharField(max_length=64)
    address = CharField(max_length=128, default="")
    keeper = CharField(max_length=64, default="")
    phone = CharField(max_length=32, default="")
    hours = CharField(max_length=64, default="")
    active = BooleanField(default=True)
    closed_on = DateField(null=True)  # the day it was stopped (停用), while it is
    created_at = DateTimeField(default=clock.now)

    class Meta:
        table_name = "site"

    def __str__(self):
        return self.name


class Activity(Voidable):
    """A group activity held in a village."""

    __scope__ = ("village", None)

    village = ForeignKeyField(Village, backref="activities", on_delete="RESTRICT")
    site = ForeignKeyField(Site, null=True, backref="activities", on_delete="RESTRICT")
    kind = CharField(max_length=16)
    title = CharField(max_length=100)
    held_on = DateField(index=True)
    organiser = CharField(max_length=64, default="")
    # The association or team that organised it (the village's or a township-wide one).
    organisation = ForeignKeyField(
        Organisation, null=True, backref="activities", on_delete="RESTRICT"
    )
    helpers = CharField(max_length=200, default="")
    notes = TextField(default="")
    created_by = IntegerField(null=True)
    created_at = DateTimeField(default=clock.now)

    class Meta:
        table_name = "activity"

    def __str__(self):
        return f"{self.held_on} {self.title}"


class Attendance(Voidable):
    """A person invited to an activity, and whether he came."""

    activity = ForeignKeyField(Activity, backref="attendance", on_delete="CASCADE")
    person = ForeignKeyField(Person, backref="attendance", on_delete="RESTRICT")
    attended = BooleanField(default=True)

    class Meta:
        table_name = "attendance"
        indexes = ((("activity", "person"), True), (("person", "activity"), False))
