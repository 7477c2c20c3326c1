"""The time, in one place, so tests can move it instead of waiting.

Every "today" and "now" in the code is `clock.today()` / `clock.now()` (called through the
module, never imported by name), so a test can freeze or move time everywhere at once with
`clock.freeze(...)` or by monkeypatching `clock.now`.
"""

from contextlib import contextmanager
from datetime import date, datetime

_frozen: datetime | None = None


def now() -> datetime:
    """The current local time, to the second (or the frozen time in a test)."""
    if _frozen is not None:
        return _frozen
    return datetime.now().replace(microsecond=0)


def today() -> date:
    """Today's date, derived from `now()` so that moving one moves both."""
    return now().date()


@contextmanager
def freeze(at):
    """Within the block, `now()` answers `at` (a datetime, or a date taken at 09:00)."""
    global _frozen
    if not isinstance(at, datetime):
        at = datetime(at.year, at.month, at.day, 9, 0)
    before, _frozen = _frozen, at
    try:
        yield at
    finally:
        _frozen = before
