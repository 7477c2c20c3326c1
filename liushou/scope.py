"""Area scoping: the one place that decides which rows a user may see or change.

Every view reads area-bound rows through `Scope.query(Model)` or `Scope.get(Model, id)`; a row
outside the user's area simply does not exist for him (404 for reads and writes alike).
A model declares its area with `__scope__ = (village_field, grid_field)`, or names a foreign key
(`__scope__ = "person"`) to be in the area of the row it points to. `__scope_shared__ = True`
makes its rows of no village township-wide: seen by every user (writing them is the service's
call).
"""

from dataclasses import dataclass, field

from werkzeug.exceptions import NotFound

from .models.accounts import ALL_AREA_ROLES
from .models.places import Grid


@dataclass(frozen=True)
class Scope:
    """What part of the township a user covers."""

    everything: bool = False
    village_ids: frozenset = field(default_factory=frozenset)
    grid_ids: frozenset | None = None  # None: every grid of the villages above

    @classmethod
    def for_user(cls, user):
        if user is None:
            return cls(village_ids=frozenset())
        if user.role in ALL_AREA_ROLES:
            return cls(everything=True)
        if user.role == "village":
            return cls(village_ids=frozenset([user.village_id] if user.village_id else []))
        if user.role == "grid":
            grids = user.grid_ids
            villages = {g.village_id for g in Grid.select(Grid.village).where(Grid.id.in_(grids))}
            return cls(village_ids=frozenset(villages), grid_ids=frozenset(grids))
        return cls(village_ids=frozenset())

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
        village_name, grid_name = model.__scope__
        cond = self._field(model, village_name).in_(list(self.village_ids) or [0])
        if self.grid_ids is not None:
            if grid_name is None:
                # A grid worker sees his villages' rows that belong to no grid (e.g. the
                # village itself).
                pass
            else:
                cond &= self._field(model, grid_name).in_(list(self.grid_ids) or [0])
        if getattr(model, "__scope_shared__", False):
            # A row of no village is township-wide (e.g. an organisation): everyone sees it.
            cond |= self._field(model, village_name).is_null()
        return cond

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

    def allows_village(self, village_id):
        return self.everything or (village_id in self.village_ids and self.grid_ids is None)

    def allows_grid(self, village_id, grid_id):
        if self.everything:
            return True
        if village_id not in self.village_ids:
            return False
        return self.grid_ids is None or grid_id in self.grid_ids
