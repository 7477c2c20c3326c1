"""Organisations: associations and teams (外出务工者协会, 老年协会, 互助组, 志愿服务队, 五老 …)
of a village or of the whole township, their leaders and members."""

from peewee import CharField, DateField, DateTimeField, ForeignKeyField, IntegerField, TextField

from .. import clock
from ..db import Voidable
from .helpers import Helper
from .households import FamilyAway
from .persons import Person
from .places import Township, Village

# The kinds the seed documents name; 五老 are retired cadres, teachers, veterans … who volunteer.
ORG_KINDS = ("外出务工者协会", "老年协会", "互助组", "志愿服务队", "五老", "其他")
LEADER_ROLES = ("会长", "副会长", "小组长", "联络员")
MEMBER_ROLES = (*LEADER_ROLES, "成员")
# Who a member is: exactly one of these is set (a CHECK in the schema says so too).
MEMBER_SOURCES = {"person": "登记人员", "away": "外出务工人员", "helper": "帮扶人"}


class Organisation(Voidable):
    """An association or team; `village` is None for a township-wide one."""

    # A township-wide organisation (no village) is seen by every user; writes are checked apart.
    __scope__ = ("village", None)
    __scope_shared__ = True
    # On a county's instance a township-wide one belongs to a township: seen by its users only.
    __scope_township__ = "township"

    village = ForeignKeyField(Village, null=True, backref="organisations", on_delete="RESTRICT")
    kind = CharField(max_length=16)
    name = CharField(max_length=64)
    phone = CharField(max_length=32, default="")
    founded_on = DateField(null=True)
    notes = TextField(default="")
    created_by = IntegerField(null=True)
    created_at = DateTimeField(default=clock.now)
    # On a county's instance, the township of a township-wide organisation (None otherwise).
    township = ForeignKeyField(Township, null=True, backref="+", on_delete="RESTRICT")

    class Meta:
        table_name = "organisation"

    def __str__(self):
        return self.name

    @property
    def area_name(self):
        return self.village.name if self.village_id else "全乡（镇）"


class Membership(Voidable):
    """One member of an organisation, with his role; leaving keeps the row (left_on)."""

    __scope__ = "organisation"

    organisation = ForeignKeyField(Organisation, backref="memberships", on_delete="RESTRICT")
    person = ForeignKeyField(Person, null=True, backref="memberships", on_delete="RESTRICT")
    away = ForeignKeyField(FamilyAway, null=True, backref="memberships", on_delete="RESTRICT")
    helper = ForeignKeyField(Helper, null=True, backref="memberships", on_delete="RESTRICT")
    role = CharField(max_length=8, default="成员")
    phone = CharField(max_length=32, default="")  # when the member gives another number here
    joined_on = DateField()
    left_on = DateField(null=True)
    left_reason = CharField(max_length=200, default="")
    notes = CharField(max_length=200, default="")
    created_by = IntegerField(null=True)
    created_at = DateTimeField(default=clock.now)

    class Meta:
        table_name = "org_member"

    @property
    def source(self):
        """'person', 'away' or 'helper'."""
        if self.person_id:
            return "person"
        return "away" if self.away_id else "helper"

    @property
    def member(self):
        return getattr(self, self.source)

    @property
    def member_name(self):
        return self.member.name

    @property
    def source_label(self):
        return MEMBER_SOURCES[self.source]

    @property
    def contact_phone(self):
        """The member's number: the one given here, else the one on his record."""
        if self.phone:
            return self.phone
        if self.source == "person":
            return self.person.phone or self.person.household.phone
        return self.member.phone

    @property
    def is_leader(self):
        return self.role in LEADER_ROLES

    def __str__(self):
        return f"{self.organisation.name} {self.member_name}"
