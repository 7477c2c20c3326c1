"""Villages and grids: in the township's order, within a user's area."""

from peewee import fn

from ..models import Grid, Village
from ..models.places import Township


def villages(scope, active_only=False):
    """The villages of the area, in the township's order."""
    query = scope.filter(Village.ordered(), Village)
    return query.where(Village.active) if active_only else query


def grids(scope, active_only=False):
    """The grids of the area, by village then in each village's order."""
    query = scope.query(Grid).order_by(Grid.village, Grid.sort_order, Grid.code)
    return query.where(Grid.active) if active_only else query


def all_grids(scope=None):
    """Every grid (of the admin's area) with its village, in the township's order."""
    query = (
        Grid.select(Grid, Village)
        .join(Village)
        .order_by(Village.sort_order, Village.code, Grid.sort_order, Grid.code)
    )
    return query if scope is None else scope.filter(query, Grid)


def grids_by_village(scope=None):
    """{village id: [grids in order]} for the whole township (admin pages; of the admin's area)."""
    out = {}
    query = Grid.select().order_by(Grid.sort_order, Grid.code)
    for grid in query if scope is None else scope.filter(query, Grid):
        out.setdefault(grid.village_id, []).append(grid)
    return out


def village(pk, scope=None):
    """A village by id (of the admin's area), or None."""
    query = Village.select() if scope is None else scope.query(Village)
    return query.where(Village.id == pk).first()


def grid(pk, scope=None):
    """A grid by id (of the admin's area), or None."""
    query = Grid.select() if scope is None else scope.query(Grid)
    return query.where(Grid.id == pk).first()


def townships(scope=None):
    """The townships (of the user's area) in the county's order; none on a township's own
    instance."""
    query = Township.select().order_by(Township.sort_order, Township.code)
    if scope is not None and not scope.everything:
        query = query.where(Township.id.in_(list(scope.township_ids or []) or [0]))
    return query


def has_townships():
    """Whether this is a county's instance (township rows exist)."""
    return Township.select().exists()


def township(pk):
    """A township by id, or None (county admin pages)."""
    return Township.get_or_none(Township.id == pk)


def village_counts():
    """{township id: number of its villages} (county admin pages)."""
    query = (
        Village.select(Village.township, fn.COUNT(Village.id))
        .where(Village.township.is_null(False))
        .group_by(Village.township)
    )
    return dict(query.tuples())
