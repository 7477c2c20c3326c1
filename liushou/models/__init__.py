"""Peewee models. No Flask in here."""
from .accounts import ROLES, User, UserGrid
from .audit import AuditLog
from .places import Grid, Village
from .settings import Setting

ALL_MODELS = [Village, Grid, User, UserGrid, Setting, AuditLog]
