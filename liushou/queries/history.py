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
        # id + 0: by the (object, action) index and a sort of its few rows, never a walk
        # down the whole log by id (a child's page read 200,000 times has as many view rows)
        .order_by((AuditLog.id + 0).desc())
        .limit(limit)
    )
    return list(rows)[::-1]
