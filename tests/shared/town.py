"""The builders the shared test towns are made of: a household in a grid, a helper of a
village, a person of a household, each written through the services as SYSTEM over the
whole township."""

from liushou.services import SYSTEM
from liushou.services.helpers import save_helper
from liushou.services.households import save_household
from liushou.services.persons import save_person
from tests._helpers import ALL, AWAY

CHILD_ID = "620102201503070014"  # born 2015-03-07, male


def household(places, grid, head, **values):
    """A household headed by `head` in the grid coded `grid` ("V01-G1") of the `places`
    fixture, with more form `values` (address, phone…)."""
    village = places[grid.split("-")[0]]
    return save_household(
        SYSTEM,
        ALL,
        {"village": village.id, "grid": places[grid].id, "head_name": head, **values},
    )


def helper(places, name, kind="村干部", village="V01", **values):
    """A helper of the village coded `village`, with more form `values` (phone, user…)."""
    return save_helper(
        SYSTEM, ALL, {"name": name, "kind": kind, "village": places[village].id, **values}
    )


def person(home, name, **values):
    """A person registered in the household `home` with the form `values`."""
    return save_person(SYSTEM, ALL, {"household": home.id, "name": name, **values})


def child(home, name, born="2016-05-01", sex="男", **values):
    """A left-behind child (both parents working away) of the household `home`."""
    return person(home, name, birth_date=born, sex=sex, **AWAY, **values)


def move(places, home, grid):
    """The household `home` moved to the grid coded `grid` (and its village)."""
    village = places[grid.split("-")[0]]
    return save_household(
        SYSTEM,
        ALL,
        {"village": village.id, "grid": places[grid].id, "head_name": home.head_name},
        home,
    )


def wang_xiaoming(home, **values):
    """The form values of 王小明 (ID CHILD_ID) of the household `home`: both parents working
    away, in the care of 王建国; more form `values` added or replacing."""
    return {
        "household": home.id,
        "name": "王小明",
        "id_number": CHILD_ID,
        **AWAY,
        "carer_name": "王建国",
        **values,
    }
