"""Where the demo builds: a township's own instance (the whole database), or one township added
to a county's instance (`demo --township CODE`): its villages' codes and its users' names carry
the township's code, its made-up ID numbers their own region codes, and every part of the demo
reads back only the rows of its own villages."""

from contextlib import contextmanager

# Region codes of a county's townships: the first six digits of ID numbers, 8 per township
# (the demo moves on to the next when 500 persons share a birth date in one), none of them
# those of fixtures/township.toml (620102 …), so no two townships make the same number.
REGIONS_PER_TOWNSHIP = 8


class Area:
    def __init__(self, township=None, index=0):
        self.township = township  # None: the whole instance
        self.index = index  # the township's place among the county's (0, 1, …)
        self.prefix = township.code if township is not None else ""

    @property
    def township_id(self):
        return self.township.id if self.township is not None else None

    def village_code(self, i):
        return f"{self.prefix}V{i:02d}"

    def username(self, base, village=None):
        """The demo user `base` ("admin", "cun" + a village's number …) of this area."""
        return self.prefix.lower() + base + (village.code[-2:] if village is not None else "")

    def regions(self, own):
        """The ID numbers' region codes: fixtures' `own` list, or the township's."""
        if self.township is None:
            return own
        prefecture = 2 + self.index  # 6202…, 6203…: fixtures' codes are 6201…
        if prefecture > 99:
            raise ValueError("a county of more than 98 demo townships")
        return [f"62{prefecture:02d}{j:02d}" for j in range(1, REGIONS_PER_TOWNSHIP + 1)]

    def only(self, query, village_field, villages):
        """`query` limited to the area's villages (unchanged for the whole instance)."""
        if self.township is None:
            return query
        return query.where(village_field.in_([v.id for v in villages]))


WHOLE = Area()


@contextmanager
def reading_settings_of(area):
    """Within the block the services read the township's own settings, as they do in a request
    of one of its users (settings.current_township). Nothing changes for the whole instance."""
    if area.township is None:
        yield
        return
    from flask import g

    before = g.get("township_id")
    g.township_id = area.township_id
    try:
        yield
    finally:
        g.township_id = before
