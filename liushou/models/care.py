"""Care records: needs and services, child emergencies with their reporting steps."""

from peewee import CharField, DateField, DateTimeField, ForeignKeyField, IntegerField, TextField

from .. import clock
from ..db import BaseModel, Voidable
from .helpers import Helper
from .persons import Person
from .visits import Visit

NEED_KINDS = (
    "生活照料",
    "心理抚慰",
    "健康保健",
    "帮扶救助",
    "法律援助",
    "文化娱乐",
    "课业辅导",
    "就业培训",
    "安全教育",
    "其他",
)
NEED_STATUSES = ("待处理", "处理中", "已解决", "已转介", "无法解决")
CLOSED_STATUSES = ("已解决", "已转介", "无法解决")


class Need(Voidable):
    """A registered need (需求登记), followed until it is solved, referred or cannot be."""

    __scope__ = "person"

    person = ForeignKeyField(Person, backref="needs", on_delete="RESTRICT")
    kind = CharField(max_length=8)
    description = TextField()
    raised_on = DateField()
    raised_by = CharField(max_length=64, default="")
    visit = ForeignKeyField(Visit, null=True, backref="raised_needs", on_delete="RESTRICT")
    helper = ForeignKeyField(Helper, null=True, backref="needs", on_delete="RESTRICT")
    unit = CharField(max_length=64, default="")
    due_on = DateField(null=True, index=True)
    status = CharField(max_length=8, default="待处理", index=True)
    status_reason = CharField(max_length=200, default="")
    closed_on = DateField(null=True)
    created_by = IntegerField(null=True)
    created_at = DateTimeField(default=clock.now)

    class Meta:
        table_name = "need"

    def __str__(self):
        return f"{self.kind}：{self.description[:20]}"

    @property
    def open(self):
        return self.status not in CLOSED_STATUSES


class Service(Voidable):
    """A service delivered (服务记录), against a need or on its own."""

    __scope__ = "person"

    person = ForeignKeyField(Person, backref="services", on_delete="RESTRICT")
    need = ForeignKeyField(Need, null=True, backref="services", on_delete="RESTRICT")
    kind = CharField(max_length=8)
    served_on = DateField(index=True)
    helper = ForeignKeyField(Helper, null=True, backref="services", on_delete="RESTRICT")
    description = TextField(default="")
    created_by = IntegerField(null=True)
    created_at = DateTimeField(default=clock.now)

    class Meta:
        table_name = "service"

    def __str__(self):
        return f"{self.served_on} {self.kind}"


class Emergency(Voidable):
    """A child emergency (突发事件); its clock starts at discovery."""

    __scope__ = "person"

    person = ForeignKeyField(Person, backref="emergencies", on_delete="RESTRICT")
    kind = CharField(max_length=8)
    happened_at = DateTimeField(null=True)
    discovered_at = DateTimeField()
    reported_by = CharField(max_length=64)
    description = TextField(default="")
    closed_at = DateTimeField(null=True, index=True)
    summary = TextField(default="")
    created_by = IntegerField(null=True)
    created_at = DateTimeField(default=clock.now)

    class Meta:
        table_name = "emergency"

    def __str__(self):
        return f"{self.kind} {self.discovered_at:%Y-%m-%d %H:%M}"


class EmergencyStep(BaseModel):
    """One reporting step with its deadline, and when, by whom and how it was done."""

    __village_of__ = "emergency"  # its writes change that village's figures (db.data_generation)
    emergency = ForeignKeyField(Emergency, backref="steps", on_delete="CASCADE")
    code = CharField(max_length=16)
    label = CharField(max_length=32)
    due_at = DateTimeField(index=True)
    done_at = DateTimeField(null=True)
    done_by = CharField(max_length=64, default="")
    how = CharField(max_length=16, default="")
    note = CharField(max_length=200, default="")
    # The reporting clock is evidence: a corrected time keeps the first one recorded and why.
    original_done_at = DateTimeField(null=True)
    correction_reason = CharField(max_length=200, default="")
    corrected_by = IntegerField(null=True)
    corrected_at = DateTimeField(null=True)

    class Meta:
        table_name = "emergency_step"


class EmergencyCall(Voidable):
    """A call made from an emergency's call list (已拨打): whom, which number, when, by whom.
    Name and number are kept as they were called, so the record stays true after the registry
    changes."""

    __scope__ = "emergency"

    emergency = ForeignKeyField(Emergency, backref="calls", on_delete="RESTRICT")
    target = CharField(max_length=32)  # the row of the call list: carer, away-12, helper-3 ...
    label = CharField(max_length=32)
    name = CharField(max_length=64, default="")
    phone = CharField(max_length=32, default="")
    called_at = DateTimeField()
    called_by = CharField(max_length=64, default="")
    created_by = IntegerField(null=True)
    created_at = DateTimeField(default=clock.now)

    class Meta:
        table_name = "emergency_call"

    def __str__(self):
        return f"{self.label} {self.name}".strip()

    @property
    def private(self):
        """A family number (carer, home, family away): masked where the person's phones are."""
        return self.target.startswith(PRIVATE_TARGETS)


# Call-list rows whose number is a family's own, not a public contact number.
PRIVATE_TARGETS = ("carer", "home", "away-")
