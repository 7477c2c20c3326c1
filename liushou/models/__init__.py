"""Peewee models. No Flask in here."""
from .accounts import ROLES, User, UserGrid
from .audit import AuditLog
from .helpers import Helper, HelperArea, VillagePost
from .places import Grid, Village
from .settings import Setting

ALL_MODELS = [Village, Grid, User, UserGrid, Setting, AuditLog, Helper, HelperArea, VillagePost]
