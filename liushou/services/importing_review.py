"""审核报送 for an import: a new person's row, with registration review on for its author, waits
as a whole. Nothing of it is written at the import: one register proposal per row carries the
person's values, the household he joins (or the new household's values) and his family members
away. On approval (or when its author sends it again once review is off) the household is found
or created, then the family-away rows, then the person: in one transaction, in the author's area.
"""

from datetime import datetime

from .. import clock
from ..db import database
from ..models.households import FamilyAway, Household
from ..rules.privacy import ID_FIELDS, PHONE_FIELDS
from ..rules.text import mask_id_number, mask_phone
from . import ValidationError, _plain, review
from .importing_homes import find_away, find_household
from .person_facts import derive

PART = "import"  # the payload key of the household and family-away parts
NOT_HIS = "该村（网格）已不在提交人负责的范围内，不能按此登记"


def waits(actor, row, today):
    """Whether this import row is stored as a proposal instead of written."""
    return row.action == "new" and review.applies(actor, "register", today)


def propose_row(actor, village, row, planned, groups_after):
    """Store the row as one register proposal. `planned`: {new household key: values} of the
    households earlier rows of the sheet planned (a row may join one)."""
    new_household = None
    if row.household is None:
        key = row.new_household[0] if row.new_household else row.new_household_key
        new_household = row.new_household[1] if row.new_household else planned[key]
    part = {
        "new_household": new_household,
        "away": [[a.id if a else None, _plain_values(v)] for a, v in row.away],
        "shown": [_shown(c) for c in row.changes if c[0] != ""],
        "since": clock.now().isoformat(),
    }
    values = dict(row.values)
    if row.household is not None:
        values["household"] = row.household.id
    person = [(f, _plain(old), _plain(new)) for whose, f, old, new in row.changes if whose == ""]
    return propose(actor, values, row.household, village.id, part, person, groups_after)


def propose(actor, values, household, village_id, part, changes, groups_after, replaced=None):
    """The register proposal of an import row (sent first, or again after a return)."""
    new = part.get("new_household")
    grid = (new or {}).get("grid") or None
    place = (new["village"] if new else village_id, int(grid) if grid else None)
    shown = [tuple(c) for c in part.get("shown", [])]
    if new is not None:  # the household line says which household it creates
        what = f"新建 {new['head_name']}户（{new.get('address') or '未填住址'}）"
        changes = [c for c in changes if c[0] != "household"] + [("household", None, what)]
    return review.propose(
        actor,
        "register",
        household=household,
        values=values,
        changes=list(changes) + shown + [("groups", None, groups_after)],
        groups_after=groups_after,
        replaced=replaced,
        place=place,
        extra={PART: part},
    )


def register(actor, scope, part, household, values, since):
    """Write the row as its proposal holds it: the household (found or created), the family
    away, then the person; one transaction. `since`: when the row was first proposed.
    Returns the person."""
    from .households import save_away
    from .persons import save_person  # persons and households hook into this module

    with database.atomic():
        if household is None:
            household = _household(actor, scope, part["new_household"], since)
        elif not scope.allows_grid(household.village_id, household.grid_id):
            raise ValidationError({"household": NOT_HIS})
        for away_id, away_values in part.get("away", []):
            away = None
            if away_id:
                away = FamilyAway.get_or_none(
                    (FamilyAway.id == away_id) & (FamilyAway.household == household)
                )
            else:
                found = find_away(household, away_values["relation"], away_values.get("name"))
                away = found if found is not None and found.returned_on is None else None
            save_away(actor, household, away_values, away)
        clean = {k: v for k, v in values.items() if k != "review_item"}
        return save_person(actor, scope, {**clean, "household": household.id})


def _household(actor, scope, values, since):
    """The new household the proposal names: found when it exists by now (another row of the
    same sheet approved first), by village, grid and address, or head name without an address
    (then only one created since the row was proposed: an older family of the same head name is
    not his); never a voided one; created otherwise. Refused when the place is no longer in the
    author's area."""
    village, grid = int(values["village"]), int(values["grid"]) if values.get("grid") else None
    if not scope.allows_grid(village, grid):
        raise ValidationError({"household": NOT_HIS})
    address = values.get("address") or ""
    if address:
        found = find_household(village, grid, address)
    else:
        found = (
            Household.select()
            .where(
                (Household.village == village)
                & (Household.grid.is_null() if grid is None else Household.grid == grid)
                & (Household.address == "")
                & (Household.head_name == values.get("head_name"))
                & (Household.created_at >= since)
                & Household.voided_at.is_null()
            )
            .first()
        )
    if found is not None and not scope.allows_grid(found.village_id, found.grid_id):
        raise ValidationError({"household": NOT_HIS})
    from .households import save_household

    return found or save_household(actor, scope, values)


def approve(author, scope, item):
    """审核通过 of an import row's proposal, as its author (review.approve's transaction)."""
    person = register(author, scope, item.data[PART], item.household, item.values, _since(item))
    item.household = person.household_id
    return person


def resubmit(actor, scope, values, data, household, replaced, today):
    """A returned import row its author fixed in the person's form: proposed again with its
    household and family-away parts, or written at once when review is off for him now."""
    part = replaced.data[PART]
    if household is not None:  # he chose an existing household instead of the new one
        part = {**part, "new_household": None}
    if not review.applies(actor, "register", today):
        with database.atomic():
            person = register(actor, scope, part, household, values, _since(replaced))
            review.close_replaced(actor, replaced)
        return person
    groups = derive(data, today)[0]
    changes = [
        (k, None, _plain(v))
        for k, v in data.items()
        if v not in (None, "", False) and k not in ("household", "village", "grid")
    ]
    return propose(actor, values, household, None, part, changes, groups, replaced)


def _since(item):
    """When the import row was first proposed (a row sent again keeps its first time)."""
    first = item.data[PART].get("since")
    return datetime.fromisoformat(first) if first else item.submitted_at


def part_of(item):
    """The household and family-away parts of an import row's proposal, or None."""
    return item.data.get(PART) if item is not None else None


def _plain_values(values):
    return {k: _plain(v) for k, v in values.items()}


def _shown(change):
    """A household or family-away line of the import's preview as a proposal's change."""
    whose, name, old, new = change
    if name in PHONE_FIELDS or name == "phone":
        old, new = mask_phone(str(old or "")), mask_phone(str(new or ""))
    elif name in ID_FIELDS or name == "id_number":
        old, new = mask_id_number(str(old or "")), mask_id_number(str(new or ""))
    if whose == "户":
        return (f"户·{name}", _plain(old), _plain(new))
    return (f"{whose}·{name}" if name != "away" else whose, _plain(old), _plain(new))
