"""Area scoping: the one place that decides which rows a user may see or change.

Every view reads area-bound rows through `Scope.query(Model)` or `Scope.get(Model, id)`; a row
outside the user's area simply does not exist for him (404 for reads and writes alike).
A model declares its area with `__scope__ = (village_field, grid_field)`, or names a foreign key
(`__scope__ = "person"`) to be in the area of the row it points to. `__scope_shared__ = True`
makes its rows of no village township-wide: seen by every user (writing them is the service's
call).

Townships: on a county's instance a township-level user (admin, township, leader) with a
township sees the villages of that township only (`township_ids`, with `village_ids` read from
it); county roles and users of no township see everything. Village-bound users are bound by
their village as before (its township is implied). A row of no village is outside a township
user's scope unless the model is `__scope_shared__`, or names its township
(`__scope_township__ = "township"`, a helper of no village): then his township's users see it,
and a shared one is seen by the users of its township only (every user's if it names none).

A helper's own login (role `helper`) has no area: his scope admits the persons currently paired
with his Helper record (pairing neither ended nor voided, person not voided), what hangs off
them (`__scope__ = "person"`), their households and visits, and his own Helper row; every other
area-bound row is outside it.
"""

from dataclasses import dataclass, field

from werkzeug.exceptions import NotFound

from . import memo
from .db import database
from .db_generation import shared_accounts
from .models.accounts import COUNTY_ROLES, HELPER_ROLES, TOWNSHIP_LEVEL_ROLES
from .models.helpers import Helper
from .models.households import Household
from .models.persons import Person
from .models.places import Grid, Village
from .models.visits import Pairing, Visit, VisitPerson


@dataclass(frozen=True)
class Scope:
    """What part of the township a user covers."""

    everything: bool = False
    village_ids: frozenset = field(default_factory=frozenset)
    grid_ids: frozenset | None = None  # None: every grid of the villages above
    # A township user's township (village_ids are its villages); None: not bound to a township.
    township_ids: frozenset | None = None
    # The helper role: his active Helper ids and the persons currently paired with them.
    helper_ids: frozenset | None = None
    person_ids: frozenset = field(default_factory=frozenset)

    @classmethod
    def for_user(cls, user):
        if user is None:
            return cls(village_ids=frozenset())
        if user.role in COUNTY_ROLES:
            return cls(everything=True)
        if user.role in TOWNSHIP_LEVEL_ROLES:
            if user.township_id is None:
                return cls(everything=True)  # a township's own instance: the whole of it
            key = ("scope", user.id, user.role, "township", user.township_id)
            return memo.get(key, lambda: cls.for_townships([user.township_id]))
        if user.role == "village":
            return cls(village_ids=frozenset([user.village_id] if user.village_id else []))
        if user.role == "grid" or user.role in HELPER_ROLES:
            # Read once per data generation (memo): his grids, helpers and pairings are rows
            # whose writes move it on; his role and village come from his row, read anew. His
            # grids and Helper link change with his account: another process's account change
            # moves the accounts' shared counter (even one whose writes move no generation).
            accounts = shared_accounts(database.database)
            key = ("scope", user.id, user.role, user.village_id, accounts)
            return memo.get(key, lambda: cls._read_for(user))
        return cls(village_ids=frozenset())

    @classmethod
    def _read_for(cls, user):
        if user.role == "grid":
            grids = user.grid_ids
            villages = {g.village_id for g in Grid.select(Grid.village).where(Grid.id.in_(grids))}
            return cls(village_ids=frozenset(villages), grid_ids=frozenset(grids))
        return cls.for_helpers([h.id for h in Helper.for_user(user)])

    @classmethod
    def for_townships(cls, township_ids):
        """The scope of a user of these townships: every village of them (one query)."""
        ids = list(township_ids)
        villages = Village.select(Village.id).where(Village.township.in_(ids or [0]))
        return cls(village_ids=frozenset(v.id for v in villages), township_ids=frozenset(ids))

    @classmethod
    def for_helpers(cls, helper_ids):
        """The helper role's scope: the persons paired with these helpers today."""
        paired = (
            Pairing.select(Pairing.person)
            .join(Person)
            .where(
                Pairing.ended_on.is_null()
                & Pairing.helper.in_(list(helper_ids) or [0])
                & Person.voided_at.is_null()
            )
        )
        return cls(
            helper_ids=frozenset(helper_ids),
            person_ids=frozenset(p.person_id for p in paired),
        )

    @property
    def is_helper(self):
        return self.helper_ids is not None

    @property
    def whole_township(self):
        """Whether the scope covers a whole township (or every township): a township-level
        user's, not a village's or grid's."""
        return self.everything or self.township_ids is not None

    @property
    def own_township(self):
        """The one township of a township user's scope (what a row of no village he writes
        belongs to), else None."""
        if self.township_ids is not None and len(self.township_ids) == 1:
            return next(iter(self.township_ids))
        return None

    @staticmethod
    def _field(model, name):
        return model._meta.primary_key if name == "id" else getattr(model, name)

    def condition(self, model):
        """A peewee expression true for the rows of `model` inside this scope (None: all rows)."""
        if self.everything or model.__scope__ is None:
            return None
        if isinstance(model.__scope__, str):
            fk = getattr(model, model.__scope__)
            related = fk.rel_model
            inner = self.condition(related)
            if inner is None:
                return None
            return fk.in_(related.select(related._meta.primary_key).where(inner))
        if self.is_helper:
            return self._helper_condition(model)
        village_name, grid_name = model.__scope__
        cond = self._field(model, village_name).in_(list(self.village_ids) or [0])
        if self.grid_ids is not None:
            if grid_name is None:
                # A grid worker sees his villages' rows that belong to no grid (e.g. the
                # village itself).
                pass
            else:
                cond &= self._field(model, grid_name).in_(list(self.grid_ids) or [0])
        town_name = getattr(model, "__scope_township__", None)
        if getattr(model, "__scope_shared__", False):
            # A row of no village is township-wide (e.g. an organisation): everyone sees it;
            # on a county's instance, everyone of its township (or of every one: none named).
            cond |= self.no_village(model)
        elif town_name is not None and self.township_ids is not None and self.grid_ids is None:
            # A township-level row of no village (a township helper): his township's users.
            town = self._field(model, town_name).in_(list(self.township_ids) or [0])
            cond |= self._field(model, village_name).is_null() & town
        return cond

    def no_village(self, model):
        """The rows of `model` of no village this user's townships share: all of them on a
        township's own instance; on a county's, those of his township(s) or of none."""
        village_name, _grid = model.__scope__
        cond = self._field(model, village_name).is_null()
        town_name = getattr(model, "__scope_township__", None)
        if town_name is not None and not self.everything:
            town = self._field(model, town_name)
            cond &= town.is_null() | town.in_(self._townships())
        return cond

    def _townships(self):
        """The townships of this scope: a township user's, or those of his villages."""
        if self.township_ids is not None:
            return list(self.township_ids) or [0]
        return Village.select(Village.township).where(
            Village.id.in_(list(self.village_ids) or [0]) & Village.township.is_null(False)
        )

    def _helper_condition(self, model):
        """Rows of an area-bound model a helper's own login sees (deny unless named here)."""
        persons = list(self.person_ids) or [0]
        if model is Person:
            return Person.id.in_(persons)
        if model is Household:
            return Household.id.in_(Person.select(Person.household).where(Person.id.in_(persons)))
        if model is Visit:
            return Visit.id.in_(
                VisitPerson.select(VisitPerson.visit).where(VisitPerson.person.in_(persons))
            )
        if model is Helper:
            return Helper.id.in_(list(self.helper_ids) or [0])
        return model._meta.primary_key.in_([0])

    def filter(self, query, model):
        cond = self.condition(model)
        return query if cond is None else query.where(cond)

    def query(self, model, *fields):
        return self.filter(model.select(*fields), model)

    def get(self, model, pk):
        """The row with this id if the user may see it; NotFound (404) otherwise."""
        try:
            pk = int(pk)
        except (TypeError, ValueError):
            raise NotFound() from None
        if not 0 < pk < 2**63:
            raise NotFound()
        # A voided record keeps its page (struck through); lists and figures leave it out.
        base = model.with_voided() if hasattr(model, "with_voided") else model.select()
        row = self.filter(base, model).where(model._meta.primary_key == pk).first()
        if row is None:
            raise NotFound()
        return row

    def allows_person(self, person):
        """Whether `person` is inside this scope (a helper: paired with him)."""
        if self.is_helper:
            return person.id in self.person_ids
        return self.allows_grid(person.village_id, person.grid_id)

    def allows_village(self, village_id):
        return self.everything or (village_id in self.village_ids and self.grid_ids is None)

    def allows_grid(self, village_id, grid_id):
        if self.everything:
            return True
        if village_id not in self.village_ids:
            return False
        return self.grid_ids is None or grid_id in self.grid_ids
