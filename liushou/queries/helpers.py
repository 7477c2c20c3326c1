"""Helpers (帮扶人) within a user's area.

Minimal version for the printouts branch (visible, get); the full module lands from main.
"""

from peewee import JOIN
from werkzeug.exceptions import NotFound

from ..models import Village
from ..models.helpers import Helper


def visible(scope):
    """Helpers of the user's villages plus the township-level ones (no village)."""
    query = Helper.select(Helper, Village).join(Village, JOIN.LEFT_OUTER)
    cond = scope.condition(Helper)
    if cond is not None:
        query = query.where(cond | Helper.village.is_null())
    return query


def get(scope, helper_id, for_write=False):
    """A helper the user may see (NotFound otherwise); township-level helpers are changed only by
    users who cover the whole township."""
    helper = visible(scope).where(Helper.id == helper_id).first()
    if helper is None or (for_write and helper.village_id is None and not scope.everything):
        raise NotFound()
    return helper
