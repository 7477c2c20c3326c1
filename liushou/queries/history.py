"""A record's history: who changed what and when, from the append-only audit log."""

from ..models import AuditLog

RECORD_ACTIONS = (
    "create",
    "update",
    "void",
    "exit",
    "reenter",
    "submit",
    "approve",
    "return",
    "withdraw",
)


def of(obj, limit=200):
    """The changes of one record (any kind), oldest first. The record was already resolved
    through the user's scope."""
    rows = (
        AuditLog.select()
        .where(
            (AuditLog.object_type == obj._meta.table_name)
            & (AuditLog.object_id == obj.id)
            & AuditLog.action.in_(RECORD_ACTIONS)
        )
        .order_by(AuditLog.id.desc())
        .limit(limit)
    )
    return list(rows)[::-1]
