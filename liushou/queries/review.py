"""审核报送 reads: the review queue, a person's waiting proposal, the author's returned items, and
how the figures would change with the pending proposals ("含待审核")."""

from ..models.accounts import User
from ..models.places import Village
from ..models.review import KINDS, PENDING, RETURNED, STATUSES, ReviewItem
from ..rules.categories import GROUPS
from ..rules.privacy import ID_FIELDS, PHONE_FIELDS
from ..rules.text import mask_id_number, mask_phone
from ..services.review import REVIEWER_ROLES


def sees_all(user):
    """Reviewers and the read-only leader see every item of their scope; a village or grid user
    sees the items he submitted."""
    return user.role in (*REVIEWER_ROLES, "leader")


def _base(scope, user):
    q = scope.query(ReviewItem)
    return q if sees_all(user) else q.where(ReviewItem.author == user.id)


def listing(scope, user, filters):
    """The queue: pending first by default; filtered by village, kind and status."""
    status = filters.get("status", PENDING)
    q = (
        _base(scope, user)
        .select(ReviewItem, Village, User)
        .join(Village)
        .switch(ReviewItem)
        .join(User, on=ReviewItem.author == User.id)
        .switch(ReviewItem)
    )
    if status in STATUSES:
        q = q.where(ReviewItem.status == status)
    if filters.get("kind") in KINDS:
        q = q.where(ReviewItem.kind == filters["kind"])
    village = filters.get("village", "")
    if str(village).isdigit():
        q = q.where(ReviewItem.village == int(village))
    return list(q.order_by(ReviewItem.submitted_at, ReviewItem.id).limit(500))


def get(scope, user, item_id):
    """One item the user may see (404 otherwise: another area's, or another author's for a
    village user)."""
    from werkzeug.exceptions import NotFound

    item = scope.get(ReviewItem, item_id)
    if not sees_all(user) and item.author_id != user.id:
        raise NotFound()
    return item


def pending_count(scope):
    return scope.query(ReviewItem).where(ReviewItem.status == PENDING).count()


def returned_to(scope, user):
    """The author's items a reviewer sent back (被退回的修改), newest first."""
    return list(
        scope.query(ReviewItem)
        .where((ReviewItem.author == user.id) & (ReviewItem.status == RETURNED))
        .order_by(ReviewItem.decided_at.desc())
    )


def pending_for_person(scope, person):
    return (
        scope.query(ReviewItem)
        .where((ReviewItem.person == person.id) & (ReviewItem.status == PENDING))
        .first()
    )


def shown_changes(item, labels):
    """[(label, old, new)] of a proposal as a reviewer reads it; ID numbers and phones
    masked."""

    def show(field, value):
        if value in (None, "", False):
            return "（空）"
        if value is True:
            return "是"
        if field in ID_FIELDS:
            return mask_id_number(str(value))
        if field in PHONE_FIELDS:
            return mask_phone(str(value))
        return str(value).replace(",", "、")

    return [(labels.get(f, f), show(f, old), show(f, new)) for f, old, new in item.changes]


def pending_effect(scope):
    """{village id: {group: (added, removed)}} the pending proposals of the area would make."""
    out = {}
    rows = scope.query(ReviewItem).where(ReviewItem.status == PENDING)
    for item in rows:
        before = {g for g in item.groups_before.split(",") if g}
        after = {g for g in item.groups_after.split(",") if g}
        village = out.setdefault(item.village_id, {g: [0, 0] for g in GROUPS})
        for g in after - before:
            village[g][0] += 1
        for g in before - after:
            village[g][1] += 1
    return out


def with_pending(scope, by_village, villages):
    """Rows (village name, [(approved, added, removed, with pending)] per group) and the total
    row, for the "含待审核" switch on home and the reports page."""
    effect = pending_effect(scope)
    rows, total = [], {g: [0, 0, 0] for g in GROUPS}
    for v in villages:
        counts, change = by_village.get(v.id, {}), effect.get(v.id, {})
        cells = []
        for g in GROUPS:
            n, (plus, minus) = counts.get(g, 0), change.get(g, (0, 0))
            cells.append((n, plus, minus, n + plus - minus))
            for i, x in enumerate((n, plus, minus)):
                total[g][i] += x
        rows.append((v.name, cells))
    total_cells = [(n, p, m, n + p - m) for n, p, m in (total[g] for g in GROUPS)]
    return rows, ("合计", total_cells)


def resubmit_values(scope, user, item_id):
    """The form values of the author's returned item, to prefill the form he fixes it in (404
    for anyone else's or an item not returned)."""
    from werkzeug.exceptions import NotFound

    item = scope.get(ReviewItem, item_id)
    if item.author_id != user.id or item.status != RETURNED:
        raise NotFound()
    values = dict(item.values)
    if item.kind == "register":
        values["review_item"] = item.id
    else:  # an edit form shows stored ID numbers masked (kept when left as shown)
        values.update({f: mask_id_number(values.get(f) or "") for f in ID_FIELDS if f in values})
    return values


def new_household_of(scope, user, item_id):
    """The household a returned import row of the user's creates once approved, as the person's
    form shows it in place of the household choice; None for anything else."""
    if not str(item_id or "").isdigit():
        return None
    item = scope.query(ReviewItem).where(ReviewItem.id == int(item_id)).first()
    if item is None or item.author_id != user.id or item.status != RETURNED:
        return None
    return item.household_label if item.new_household else None
