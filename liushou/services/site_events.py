"""A service site's dated open/close history (models/site_events.py), written in the same
transaction as the site is added, stopped (停用) or started again (启用)."""

from .. import clock
from ..models.site_events import SiteEvent


def follow(site, on=None, recorded_at=None):
    """Append a row saying the site is open or closed (as `site.active` now says) from `on`
    (default today) when that differs from its last row. A row never sorts before one already
    recorded for the site (its date is at least that one's), so the last row decides. Returns
    the row written, or None."""
    event = "open" if site.active else "close"
    on = on or clock.today()
    last = (
        SiteEvent.select(SiteEvent.on, SiteEvent.event)
        .where(SiteEvent.site == site.id)
        .order_by(SiteEvent.on.desc(), SiteEvent.id.desc())
        .first()
    )
    if last is not None:
        if last.event == event:
            return None
        on = max(on, last.on)
    return SiteEvent.create(
        site=site.id, on=on, event=event, recorded_at=recorded_at or clock.now()
    )
