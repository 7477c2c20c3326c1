"""The dated open/close history of each service site (服务阵地)."""

from peewee import CharField, DateField, DateTimeField, ForeignKeyField

from .. import clock
from ..db import BaseModel
from .records import Site

EVENTS = {"open": "启用", "close": "停用"}


class SiteEvent(BaseModel):
    """From `on`, the site is in use (open) or stopped (close); `recorded_at` is when it became
    known. One row when a site is added and each time it is stopped or started again, written
    in the same transaction. Append-only (triggers refuse updates and deletes): a report reads
    the last row dated on or before its last day and recorded before its cut-off, so a site
    stopped in March and started again in May reads as stopped in April."""

    __scope__ = "site"

    site = ForeignKeyField(Site, index=False, on_delete="RESTRICT")
    on = DateField()
    event = CharField(max_length=5)
    recorded_at = DateTimeField(default=clock.now)

    class Meta:
        table_name = "site_event"
        indexes = ((("site", "on"), False),)

    @property
    def label(self):
        return EVENTS.get(self.event, self.event)
