"""Correcting a stored record: write the fields that changed and audit them old → new."""

from ..db import Voidable
from . import diff
from .audit import record
from .voiding import refuse_if_voided_now


def apply_changes(actor, obj, data, label=None, action="update"):
    """Write the fields of `data` that differ from `obj` and audit them as one `action` row with
    [(field, old, new)] (as services.diff gives them: a foreign key by its id); nothing is written
    when nothing differs. `label` is the row's text, or a function of `obj` called once the new
    values are set. The caller holds the transaction. A record voided meanwhile (by another
    request since the caller read it) is refused. Returns the changes."""
    changes = diff(obj, data)
    if changes and isinstance(obj, Voidable) and obj._pk is not None:
        refuse_if_voided_now(obj)  # voided by another request since the caller read it
    for k, _old, _new in changes:
        setattr(obj, k, data[k])
    if changes:
        obj.save(only=[getattr(type(obj), k) for k, _old, _new in changes])
        label = label(obj) if callable(label) else label
        record(actor, action, obj, label=label, changes=changes)
    return changes
