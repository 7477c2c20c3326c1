"""Persons read back from the database as light rows (only the columns the demo needs, no
model instances): a county's 100,000 persons are read several times while building."""

from types import SimpleNamespace

from ..models.households import Household
from ..models.persons import Person

# What care.py and records.py use of a person in a group.
IN_GROUPS = ("id", "name", "village", "grid", "household", "groups", "school", "birth_date")
IN_GROUPS += ("created_at",)
# What a visit tier is decided from (services.visit_tiers.tier_facts, talk_days).
FOR_TIER = ("id", "groups", "birth_date", "living_arrangement", "self_care", "disability_kind")
FOR_TIER += ("carer_name", "carer_capable", "carer_disqualifiers", "carer_id_number")
FOR_TIER += ("created_at", "household")


class Light(SimpleNamespace):
    """A person's columns as attributes, foreign keys as `<name>_id` as on a model."""

    @property
    def group_list(self):
        return [g for g in self.groups.split(",") if g]


def persons(area, villages, names, active_in_groups=True):
    """The area's persons (active ones in a group, or all), in id order, as Light rows."""
    fields = [getattr(Person, n) for n in names]
    keys = [f"{n}_id" if n in ("village", "grid", "household") else n for n in names]
    query = Person.active().where(Person.groups != "") if active_in_groups else Person.select()
    query = area.only(query.select(*fields), Person.village, villages).order_by(Person.id)
    return [Light(**dict(zip(keys, row, strict=True))) for row in query.tuples()]


def tekun_households(area, villages):
    """The ids of the area's 特困 households."""
    query = Household.select(Household.id).where(Household.tekun)
    return {h for (h,) in area.only(query, Household.village, villages).tuples()}
