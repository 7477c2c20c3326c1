"""审核报送: a village or grid user's registration, exit, re-entry or category-changing edit is
stored as a proposal while review is on for that kind; a township user approves it (applied then,
through the same service, as its author) or returns it with a reason; the author may withdraw it.
"""

import json

from .. import clock, settings
from ..db import database
from ..models.accounts import AREA_BOUND_ROLES
from ..models.review import APPROVED, PENDING, RETURNED, WITHDRAWN, ReviewItem
from ..scope import Scope
from . import Actor, ValidationError, _plain
from .audit import record
from .forms import to_int
from .voiding import voided_since

# Who decides: township staff and the admin (a leader reads only).
REVIEWER_ROLES = ("admin", "township")
REASON_MAX = 200
SUBMITTED = "已提交，待乡镇审核"
# Bookkeeping a proposal's changes do not show.
_HIDDEN = {"name_initials", "name_pinyin", "group_reasons", "village", "grid"}


def applies(actor, kind, on=None):
    """Whether `actor`'s change of this kind waits for review: review is on for the kind (a
    dated setting) and he is a village or grid user; township and admin changes apply at once,
    and so does a proposal being approved."""
    user = actor.user
    if user is None or actor.approval or user.role not in AREA_BOUND_ROLES:
        return False
    return bool(int(settings.get(f"review_{kind}", on) or 0))


# Marks a proposal the household's family-away rows made (services.person_review._held).
FROM_ROWS = "_from_family_rows"


def held_by_rows(person):
    """The category change the household's rows made for him that still waits: pending, or
    returned to its author to correct the rows (until then nothing applies it); or None."""
    return (
        ReviewItem.select()
        .where(
            (ReviewItem.person == person.id)
            & (ReviewItem.kind == "category_edit")
            & ReviewItem.status.in_((PENDING, RETURNED))
            & ReviewItem.payload.contains(json.dumps(FROM_ROWS))
        )
        .first()
    )


def withdrawn_by_rows(person):
    """The last category change the household's rows made for him, when its author withdrew
    it (not merged into or replaced by a newer one); or None."""
    last = (
        ReviewItem.select()
        .where(
            (ReviewItem.person == person.id)
            & (ReviewItem.kind == "category_edit")
            & ReviewItem.payload.contains(json.dumps(FROM_ROWS))
        )
        .order_by(ReviewItem.id.desc())
        .first()
    )
    return last if last is not None and last.status == WITHDRAWN else None


def pending_for(person):
    """The person's proposal waiting for review, or None."""
    return (
        ReviewItem.select()
        .where((ReviewItem.person == person.id) & (ReviewItem.status == PENDING))
        .first()
    )


def propose(
    actor,
    kind,
    *,
    household,
    person=None,
    values,
    changes,
    groups_after,
    replaced=None,
    place=None,
    extra=None,
):
    """Store a proposal (already validated by the caller's service) instead of applying it.
    A second proposal for a person while one waits is refused; a returned one of the same kind
    for him (or `replaced`, the returned registration the form named) is superseded.
    `household` is None for an import row whose new household waits with it: `place` is then
    its (village id, grid id) and `extra` the payload's household and family-away parts."""
    waiting = pending_for(person) if person is not None else None
    merged = None
    if waiting is not None:
        if not _joins(actor, kind, waiting):
            raise ValidationError(
                {"_record": "此人已有一项修改在等待乡镇审核，请等审核后再提交，或先撤回那一项"}
            )
        # His own edit on top of the change his family rows made (one import row, say): one
        # proposal with both, still held against the rows (FROM_ROWS).
        merged, values = waiting, {**values, FROM_ROWS: "1"}
        mine = {c[0] for c in changes}
        changes = [tuple(c) for c in waiting.changes if c[0] not in mine] + list(changes)
    number = values.get("id_number") if kind == "register" else None
    if number and _pending_registration(number, replaced):
        raise ValidationError({"id_number": "该身份证号已提交登记，正在等待乡镇审核"})
    clean = {k: v for k, v in values.items() if k not in ("csrf_token", "_version", "review_item")}
    with database.atomic():
        item = ReviewItem.create(
            kind=kind,
            person=person.id if person else None,
            household=household.id if household else None,
            village=household.village_id if household else place[0],
            grid=household.grid_id if household else place[1],
            author=actor.user_id,
            payload=json.dumps(
                {
                    "values": clean,
                    "changes": [c for c in changes if c[0] not in _HIDDEN],
                    **(extra or {}),
                },
                ensure_ascii=False,
                default=str,
            ),
            groups_before=person.groups if person else "",
            groups_after=groups_after,
            label=(person.name if person else values.get("name") or "")[:64],
        )
        record(actor, "submit", item, changes=[("status", None, PENDING)])
        # Only the author's own returned items are closed: another user's stays his to fix.
        olds = {replaced.id: replaced} if replaced else {}
        if person is not None:
            olds.update(
                (old.id, old)
                for old in ReviewItem.select().where(
                    (ReviewItem.person == person.id)
                    & (ReviewItem.kind == kind)
                    & (ReviewItem.status == RETURNED)
                    & (ReviewItem.author == actor.user_id)
                )
            )
        for old in olds.values():
            _set_status(actor, old, WITHDRAWN, f"已修改后重新提交（第 {item.id} 号）")
        if merged is not None:
            _set_status(actor, merged, WITHDRAWN, f"已并入第 {item.id} 号")
    return item


def _joins(actor, kind, waiting):
    """Whether a new category edit may take in the waiting one: the same author's, made by
    his family rows."""
    return (
        kind == waiting.kind == "category_edit"
        and waiting.author_id == actor.user_id
        and FROM_ROWS in waiting.values
    )


def replaced(actor, scope, values, errors):
    """The returned registration a resubmitted form names (`review_item`), resolved in the
    author's scope; a message in `errors` for anything else."""
    raw = values.get("review_item")
    if not raw:
        return None
    item = scope.query(ReviewItem).where(ReviewItem.id == to_int(raw)).first()
    if item is None or item.author_id != actor.user_id or item.status != RETURNED:
        errors["review_item"] = "要重新提交的退回项不存在或已处理"
        return None
    return item


def close_replaced(actor, item):
    """A returned registration its author sent again when it no longer needed review (review
    turned off meanwhile): closed, the registration applied."""
    if item is not None:
        _set_status(actor, item, WITHDRAWN, "已修改后直接登记")


def _pending_registration(number, replaced):
    q = ReviewItem.select().where(
        (ReviewItem.kind == "register")
        & (ReviewItem.status == PENDING)
        & ReviewItem.payload.contains(json.dumps(number))
    )
    if replaced is not None:
        q = q.where(ReviewItem.id != replaced.id)
    return q.exists()


def _set_status(actor, item, status, reason=""):
    old = item.status
    item.status, item.decided_at = status, clock.now()
    if status in (APPROVED, RETURNED):
        item.reviewer = actor.user_id
        item.reason = reason
    item.save()
    action = {APPROVED: "approve", RETURNED: "return", WITHDRAWN: "withdraw"}[status]
    record(actor, action, item, changes=[("status", old, status), ("reason", "", reason)])


def _note(reviewer, item):
    who = reviewer.user.display_name if reviewer.user else "系统"
    return (
        f"{who} 审核通过（{clock.now():%Y-%m-%d %H:%M}；{item.author.display_name} "
        f"提交于 {item.submitted_at:%Y-%m-%d %H:%M}，审核单第 {item.id} 号）"
    )


def approve(reviewer, scope, item):
    """审核通过: apply the proposal through its own service, as its author, re-validated against
    today's state, in one transaction with the item's new status. A proposal that no longer
    applies raises its ValidationError and stays pending."""
    from . import importing_review, person_exits, persons  # they hook into this module

    author = Actor(item.author, reviewer.ip, approval=_note(reviewer, item))
    # Applied as the author, so within his area: a household or person moved out of it since
    # the proposal makes it no longer apply (it stays pending with the message).
    scope = Scope.for_user(item.author)
    with database.atomic():
        _may_decide(reviewer, _reread(item))
        _refuse_voided_target(item)
        if item.kind == "register" and importing_review.part_of(item) is not None:
            item.person = importing_review.approve(author, scope, item)
        elif item.kind == "register":
            item.person = persons.save_person(author, scope, item.values)
        elif item.kind == "category_edit":
            persons.save_person(author, scope, _edit_values(item), item.person)
        elif item.kind == "exit":
            person_exits.exit_person(author, item.person, item.values)
        elif item.kind == "reenter":
            person_exits.reenter_person(author, item.person)
        _set_status(reviewer, item, APPROVED)
    return item


def _refuse_voided_target(item):
    """In the approval's transaction: a proposal about a person or household voided since (read
    again now) no longer applies; it stays pending with the message."""
    for obj, name in ((item.person, "登记"), (item.household, "户")):
        if obj is not None and (obj.voided_at is not None or voided_since(obj)):
            raise ValidationError({"review": f"此{name}已作废，这项修改不能再审核通过"})


def _edit_values(item):
    """The person's form values now, with the proposal's changed fields on top: fields someone
    else changed since the proposal keep their new value."""
    from .suggestions import _edit_values as as_posted  # the record as his form posts it

    values = {**as_posted(item.person), "household": item.person.household_id}
    proposed = item.values
    # Only what the proposal changed: a move made by someone else since is kept.
    for field in {c[0] for c in item.changes}:
        if field in proposed:
            values[field] = proposed[field]
    return values


def return_item(reviewer, item, reason):
    """退回 with a reason: the author sees it on his home page, fixes and resubmits, or
    withdraws it."""
    _may_decide(reviewer, item)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写退回原因"})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": f"退回原因不能超过 {REASON_MAX} 个字"})
    with database.atomic():
        _may_decide(reviewer, _reread(item))
        _set_status(reviewer, item, RETURNED, reason)
    return item


def withdraw(actor, item):
    """撤回: the author takes back a pending or returned proposal."""
    if item.author_id != actor.user_id:
        raise ValidationError({"review": "只能撤回自己提交的修改"})
    with database.atomic():
        if _reread(item).status not in (PENDING, RETURNED):
            raise ValidationError({"review": "这一项已处理，不能撤回"})
        _set_status(actor, item, WITHDRAWN)
    return item


def decide_many(reviewer, scope, ids, action, reason=""):
    """Approve or return several items, one transaction each (one failure does not block the
    others). Returns (done, failed): items, and (item, message) pairs. Every id is resolved in
    the reviewer's scope (404 outside it)."""
    if action not in ("approve", "return"):
        raise ValidationError({"action": "请选择审核通过或退回"})
    if not ids:
        raise ValidationError({"items": "请先勾选要处理的修改"})
    if action == "return" and not (reason or "").strip():
        raise ValidationError({"reason": "请填写退回原因"})
    items = [scope.get(ReviewItem, i) for i in ids]
    done, failed = [], []
    for item in items:
        try:
            if action == "approve":
                approve(reviewer, scope, item)
            else:
                return_item(reviewer, item, reason)
        except ValidationError as e:
            failed.append((item, "；".join(e.errors.values())))
        else:
            done.append(item)
    return done, failed


def _reread(item):
    """The item with its status as stored now: called inside the write transaction, so a
    decision or withdrawal that committed meanwhile (another request) is seen."""
    item.status = ReviewItem.get_by_id(item.id).status
    return item


def _may_decide(reviewer, item):
    if reviewer.user is None or reviewer.user.role not in REVIEWER_ROLES:
        raise ValidationError({"review": "只有乡镇干部可以审核"})
    if item.status != PENDING:
        raise ValidationError({"review": f"这一项已{item.status}，不能再审核"})


def changes_of(values_before, data):
    """[(field, old, new)] for a proposal: the typed values that differ."""
    return [
        (k, _plain(values_before.get(k)), _plain(v))
        for k, v in data.items()
        if values_before.get(k) != v and k not in _HIDDEN
    ]
