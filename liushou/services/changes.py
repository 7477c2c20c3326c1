"""Correcting a stored record: write the fields that changed and audit them old → new."""

from datetime import date, datetime

from . import diff
from .audit import record
from .form_versions import hold
from .month_rates import reopen_periods
from .voiding import refuse_if_voided_now

# Dated facts whose corrections move a closed period's figures (queries/summary_period): the
# kept figures of the periods holding their dates, before and after, are dropped
# (services/month_rates.reopen_periods). A visit's correction does the same (visit_changes).
_DATED = {
    "need": ("raised_on", "closed_on"),
    "service": ("served_on",),
    "emergency": ("discovered_at", "closed_at"),
}


def _days(obj, changes):
    """The days a correction of `obj` moves figures on: its dated fields' old and new values."""
    fields = _DATED.get(obj._meta.table_name, ())
    values = [v for k, old, new in changes if k in fields for v in (old, new)]
    values += [getattr(obj, f, None) for f in fields]
    out = []
    for v in values:
        if isinstance(v, str):
            try:
                v = datetime.fromisoformat(v)
            except ValueError:
                continue
        if isinstance(v, datetime):
            v = v.date()
        if isinstance(v, date):
            out.append(v)
    return out


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
    hold(obj)  # a form's version checked again in this transaction (services/form_versions)
    if "voided_at" in obj._meta.fields and obj._pk is not None:
        refuse_if_voided_now(obj)  # voided by another request since the caller read it
    written = {k: data[k] for k, _old, _new in changes if k in data} | (quiet or {})
    for k, v in written.items():
        setattr(obj, k, v)
    if written:
        obj.save(only=[getattr(type(obj), k) for k in written])
    label = label(obj) if callable(label) else label
    record(actor, action, obj, label=label, changes=changes)
    if obj._meta.table_name in _DATED:
        reopen_periods(_days(obj, changes))
    return changes
