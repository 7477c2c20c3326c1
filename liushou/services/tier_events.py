"""The dated history of each person's effective visit tier (models/tier_events.py), written in
the same transaction as every change of his visit state (services/visit_tiers.py)."""

from .. import clock
from ..models.tier_events import TierEvent


def follow(person_id, before, after, overridden, on, recorded_at=None):
    """Append a row when the effective tier moves from `before` (None: no state yet) to
    `after` on `on`. A row never sorts before one already recorded for the person (its date is
    at least that one's), so the last row decides. Returns the row written, or None."""
    if before == after:
        return None
    last = (
        TierEvent.select(TierEvent.on)
        .where(TierEvent.person == person_id)
        .order_by(TierEvent.on.desc(), TierEvent.id.desc())
        .first()
    )
    day = max(on, last.on) if last else on
    return TierEvent.create(
        person=person_id,
        tier=after,
        overridden=overridden,
        on=day,
        recorded_at=recorded_at or clock.now(),
    )
