"""Villages and grids: in the township's order, within a user's area."""

from ..models import Grid, Village


def villages(scope, active_only=False):
    """The villages of the area, in the township's order."""
    query = scope.filter(Village.ordered(), Village)
    return query.where(Village.active) if active_only else query


def grids(scope, active_only=False):
    """The grids of the area, by village then in each village's order."""
    query = scope.query(Grid).order_by(Grid.village, Grid.sort_order, Grid.code)
    return query.where(Grid.active) if active_only else query


def all_grids():
    """Every grid with its village, in the township's order (admin pages)."""
    return (
        Grid.select(Grid, Village)
        .join(Village)
        .order_by(Village.sort_order, Village.code, Grid.sort_order, Grid.code)
    )


def grids_by_village():
    """{village id: [grids in order]} for the whole township (admin pages)."""
    out = {}
    for grid in Grid.select().order_by(Grid.sort_order, Grid.code):
        out.setdefault(grid.village_id, []).append(grid)
    return out


def village(pk):
    """Any village by id, or None (admin pages, which see the whole township)."""
    return Village.get_or_none(Village.id == pk)


def grid(pk):
    """Any grid by id, or None (admin pages)."""
    return Grid.get_or_none(Grid.id == pk)
