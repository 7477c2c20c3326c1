"""User accounts, their roles and the grids a grid worker serves."""

from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField

from .. import clock
from ..db import BaseModel
from .places import Grid, Township, Village

# role code -> Chinese label; the codes are what `create-user --role` takes.
ROLES = {
    "admin": "管理员",
    "township": "乡镇干部",
    "village": "村干部",
    "grid": "网格员",
    "leader": "领导",
    "helper": "帮扶人",
    "county_admin": "县级管理员",
    "county_leader": "县级领导",
}
# On a county's instance (township rows exist), a user of these roles belongs to one township
# (User.township) and sees every village of it; with no township (a township's own instance) he
# sees every village, as before townships existed.
TOWNSHIP_LEVEL_ROLES = ("admin", "township", "leader")
COUNTY_ROLES = ("county_admin", "county_leader")  # see every township; no township of their own
ALL_AREA_ROLES = (*TOWNSHIP_LEVEL_ROLES, *COUNTY_ROLES)  # see every village of their area
ADMIN_ROLES = ("admin", "county_admin")  # accounts and places (of their township, or all)
READ_ONLY_ROLES = ("leader", "county_leader")  # change nothing
FULL_ID_ROLES = ("admin", "township", "village")  # may see full ID numbers where a page shows them
TIER_ROLES = ("admin", "township", "village")  # may override a person's visit tier
CHECK_ROLES = ("admin", "township", "village")  # may mark a record checked (采集人 block, 核实)
AREA_BOUND_ROLES = ("village", "grid")  # tied to one village (and grids)
WORKLIST_ROLES = AREA_BOUND_ROLES  # open on their visit worklist
# Tied to one Helper record (Helper.user): sees only the persons currently paired with him, and
# only the endpoints auth.HELPER_ENDPOINTS lists.
HELPER_ROLES = ("helper",)
MASKED_PHONE_ROLES = (*READ_ONLY_ROLES, *HELPER_ROLES)  # never shown a full phone


class User(BaseModel):
    """A person who logs in; the role and village/grids decide what he sees."""

    username = CharField(unique=True, max_length=64)
    display_name = CharField(max_length=64)
    role = CharField(max_length=16)
    village = ForeignKeyField(Village, null=True, backref="users", on_delete="RESTRICT")
    # On a county's instance, the township a township-level user belongs to (None: all of them).
    township = ForeignKeyField(Township, null=True, backref="users", on_delete="RESTRICT")
    phone = CharField(max_length=32, default="")
    password_hash = CharField(max_length=256)
    active = BooleanField(default=True)
    failed_logins = IntegerField(default=0)
    locked_until = DateTimeField(null=True)
    last_login_at = DateTimeField(null=True)
    # In every session cookie; bumping it ends all of this user's sessions.
    session_version = IntegerField(default=0)
    # Set when someone else chose the password (created or reset by an admin): every page
    # sends him to the password page until he has chosen his own.
    must_change_password = BooleanField(default=False)
    created_at = DateTimeField(default=clock.now)

    class Meta:
        table_name = "app_user"

    def __str__(self):
        return self.display_name or self.username

    @property
    def role_label(self):
        return ROLES.get(self.role, self.role)

    @property
    def read_only(self):
        return self.role in READ_ONLY_ROLES

    @property
    def grid_ids(self):
        return [ug.grid_id for ug in UserGrid.select().where(UserGrid.user == self)]

    def is_locked(self, now=None):
        return bool(self.locked_until and self.locked_until > (now or clock.now()))


class UserGrid(BaseModel):
    """A grid served by a grid worker (网格员)."""

    user = ForeignKeyField(User, backref="grid_links", on_delete="CASCADE")
    grid = ForeignKeyField(Grid, backref="user_links", on_delete="RESTRICT")

    class Meta:
        table_name = "user_grid"
        indexes = ((("user", "grid"), True),)
