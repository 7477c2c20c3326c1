"""What a person's page and archive show.

Minimal version for the printouts branch (care, history); the full module lands from main.
"""

from ..models import AuditLog
from ..models.helpers import Helper
from ..models.visits import Pairing, Visit, VisitPerson, VisitState
from .helpers import visible as visible_helpers

HISTORY_ACTIONS = ("create", "update", "exit", "reenter")


def history(person, limit=100):
    """The person's registry changes, newest first (from the append-only audit log);
    `limit=None` for all of them."""
    return (
        AuditLog.select()
        .where(
            (AuditLog.object_type == "person")
            & (AuditLog.object_id == person.id)
            & AuditLog.action.in_(HISTORY_ACTIONS)
        )
        .order_by(AuditLog.id.desc())
        .limit(limit)
    )


def care(scope, person):
    """Pairings (current first), visit state, the last visits and the helpers one may pair."""
    return {
        "pairings": Pairing.select()
        .where(Pairing.person == person)
        .order_by(Pairing.ended_on.is_null(False), Pairing.primary.desc(), Pairing.started_on),
        "state": VisitState.get_or_none(VisitState.person == person),
        "visits": Visit.select()
        .join(VisitPerson)
        .where(VisitPerson.person == person)
        .order_by(Visit.visited_on.desc())
        .limit(10),
        "helpers": visible_helpers(scope).where(Helper.active).order_by(Helper.name),
    }
