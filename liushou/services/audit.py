"""Writing to the audit log."""

import json

from ..models import AuditLog


def record(actor, action, obj=None, *, changes=None, object_type=None, label=None, object_id=None):
    """Append one audit row; `changes` is [(field, before, after)]."""
    if actor.approval and action != "view":
        changes = [*(changes or []), ("reviewed", None, actor.approval)]
    if obj is not None:
        object_type = object_type or obj._meta.table_name
        object_id = obj.id if object_id is None else object_id
        label = label if label is not None else str(obj)
    return AuditLog.create(
        user_id=actor.user_id,
        username=actor.username,
        ip=actor.ip or "",
        action=action,
        object_type=object_type or "",
        object_id=object_id,
        object_label=(label or "")[:128],
        changes=json.dumps(changes, ensure_ascii=False, default=str) if changes else "",
    )
