"""Correcting a stored record: write the fields that changed and audit them old → new."""

from . import diff
from .audit import record
from .voiding import refuse_if_voided_now


def apply_changes(actor, obj, data, label=None, action="update", extra=(), quiet=None):
    """Write the fields of `data` that differ from `obj` and audit them as one `action` row with
    [(field, old, new)] (as services.diff gives them: a foreign key by its id); nothing is written
    when nothing differs. `label` is the row's text, or a function of `obj` called once the new
    values are set. `extra`: more (field, old, new) the caller worked out (a list of areas, a
    correction's reason), put on the same row after the fields; `quiet`: fields written along
    with any change but not audited (a record's updated_at). The caller holds the transaction.
    A record voided meanwhile (by another request since the caller read it) is refused.
    Returns the changes audited."""
    changes = diff(obj, data) + list(extra)
    if not changes:
        return changes
    if "voided_at" in obj._meta.fields and obj._pk is not None:
        refuse_if_voided_now(obj)  # voided by another request since the caller read it
    written = {k: data[k] for k, _old, _new in changes if k in data} | (quiet or {})
    for k, v in written.items():
        setattr(obj, k, v)
    if written:
        obj.save(only=[getattr(type(obj), k) for k in written])
    label = label(obj) if callable(label) else label
    record(actor, action, obj, label=label, changes=changes)
    return changes
