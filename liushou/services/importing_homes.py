"""Where an imported person lives: the household he joins, creates or changes (address,
grid), and his parents working away, merged with what is stored and never added twice."""

from ..models.households import FamilyAway, Household
from ..rules.cells import LABELS
from .importing_cells import away_entries, cell_text, form_values


def plan_household(row, raw, grid, typed, state):
    """Which household the person is in, and what the row changes or creates there."""
    address = cell_text(raw.get("address"))
    scope, village = state.scope, state.village
    if row.person is not None:
        household = row.household = row.person.household
        edits = {}
        if address and address != household.address:
            edits["address"] = address
        if grid is not None and grid.id != household.grid_id:
            edits["grid"] = grid.id
        target = edits.get("grid", household.grid_id)
        if not scope.allows_grid(household.village_id, target):
            row.errors.append((LABELS["grid"], "不在您负责的网格内"))
            return
        if not edits:
            return
        first = state.household_edits.setdefault(household.id, (row.number, edits))
        if first[1] != edits:
            row.errors.append(("户", f"与第 {first[0]} 行（同一户）的住址或网格不一致"))
            return
        if first[0] != row.number:
            return  # the same change is already planned (and shown) on that row
        names = {g.id: g.name for g in state.grids.values()}
        for name, new in edits.items():
            old = household.__data__.get(name)
            if name == "grid":
                old, new = names.get(old, "不分网格" if old is None else old), names[new]
            row.changes.append(("户", name, old, new))
        row.household_values = {**form_values(household), **edits}
        return
    if not scope.allows_grid(village.id, grid.id if grid else None):
        row.errors.append((LABELS["grid"], "不在您负责的网格内"))
        return
    key = (grid.id if grid else None, address or typed.get("carer_name") or row.name)
    if key in state.new_households:
        row.new_household_key = key
        row.changes.append(("", "household", None, f"与第 {state.new_households[key]} 行同户"))
        return
    existing = find_household(village, grid, address)
    if existing is not None:
        row.household = existing
        row.changes.append(("", "household", None, f"加入已登记的 {existing}（{address}）"))
        return
    state.new_households[key] = row.number
    head = typed.get("carer_name") or row.name
    values = {
        "village": village.id,
        "grid": grid.id if grid else "",
        "address": address,
        "head_name": head,
        "phone": typed.get("carer_phone") or typed.get("phone") or "",
    }
    row.new_household = (key, values)
    row.new_household_key = key
    row.changes.append(("", "household", None, f"新建 {head}户（{address or '未填住址'}）"))


def plan_away(row, raw, state):
    """Father and mother working away: update the registered record, or add one; never twice."""
    household = row.household
    hkey = household.id if household is not None else ("new", row.new_household_key)
    for entry, problems in away_entries(raw):
        relation = entry["relation"]
        for label, message in problems:
            row.errors.append((label, message))
        if problems:
            continue
        record_ = find_away(household, relation, entry.get("name")) if household else None
        base = form_values(record_) if record_ is not None else {"relation": relation}
        if record_ is None:
            base["name"] = relation
        values = {**base, **entry}
        key = (hkey, relation, values["name"])
        if key in state.away:
            first, planned = state.away[key]
            if planned != values:
                row.errors.append((relation, f"与第 {first} 行的{relation}信息不一致"))
            continue
        state.away[key] = (row.number, values)
        if record_ is None:
            place = f"{values.get('province', '')}{values.get('city', '')}"
            row.changes.append(
                (relation, "away", None, f"新增外出务工人员 {values['name']} {place}")
            )
            row.away.append((None, values))
            continue
        edits = [
            (relation, k, record_.__data__.get(k), v)
            for k, v in entry.items()
            if k != "relation" and record_.__data__.get(k) != v
        ]
        if edits:
            row.changes.extend(edits)
            row.away.append((record_, values))


def find_away(household, relation, name):
    """The family member away this entry is about: same relation, same name (or no name in
    the sheet, or only the relation stored as a name); one still away comes first."""
    candidates = [
        a
        for a in FamilyAway.select()
        .where((FamilyAway.household == household) & (FamilyAway.relation == relation))
        .order_by(FamilyAway.returned_on.is_null(False), FamilyAway.id)
        if not name or a.name in (name, relation)
    ]
    return candidates[0] if candidates else None


def find_household(village, grid, address):
    if not address:
        return None
    query = Household.select().where(
        (Household.village == village)
        & (Household.address == address)
        & Household.voided_at.is_null()
    )
    if grid is not None:
        query = query.where(Household.grid == grid)
    return query.first()
