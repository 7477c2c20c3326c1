"""The record of each township database loaded into a county's instance (county-load)."""

import json

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from .. import clock
from ..db import BaseModel
from .places import Township


class CountyLoad(BaseModel):
    """One load of a township's SQLite file: which file (sha256), its schema version, the rows
    per table (source, loaded), the new ids it made (`row_ids`: {table: [[first, last], ...]},
    what a later --replace removes), the file's settings (kept here, not applied: settings are
    instance-wide) and the usernames and codes renamed on a clash. `replaced_at` is set when a
    later load of the same township replaced it."""

    township = ForeignKeyField(Township, backref="loads", on_delete="RESTRICT")
    file_name = CharField(max_length=255)
    sha256 = CharField(max_length=64)
    schema_version = IntegerField()
    counts = TextField(default="{}")  # JSON {table: [source rows, loaded rows]}
    row_ids = TextField(default="{}")
    settings = TextField(default="[]")  # JSON [[key, value, valid_from], ...]
    renamed = TextField(default="[]")  # JSON [[what, old, new], ...]
    loaded_at = DateTimeField(default=clock.now)
    loaded_by = CharField(max_length=64, default="")
    replaced_at = DateTimeField(null=True)

    class Meta:
        table_name = "county_load"

    def __str__(self):
        return f"{self.township.code} {self.loaded_at:%Y-%m-%d %H:%M}"

    @property
    def count_map(self):
        return json.loads(self.counts or "{}")

    @property
    def id_ranges(self):
        return json.loads(self.row_ids or "{}")
