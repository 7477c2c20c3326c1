"""Correcting a stored record: write the fields that changed and audit them old → new."""

from .audit import record


def apply_changes(actor, obj, data, label=None):
    """Write the fields of `data` that differ from `obj` and audit them as one "update" row with
    [(field, old, new)]; the caller holds the transaction. Returns the changes."""
    changes = [(k, getattr(obj, k), v) for k, v in data.items() if getattr(obj, k) != v]
    for k, _old, v in changes:
        setattr(obj, k, v)
    if changes:
        obj.save(only=[getattr(type(obj), k) for k, _old, _new in changes])
        record(actor, "update", obj, label=label, changes=changes)
    return changes
