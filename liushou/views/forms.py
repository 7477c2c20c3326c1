"""The two ways a view handles a form: a form page, and a small POST action.

A form page: GET shows the form; POST reads it and calls the service; a ValidationError shows
the form again with each message next to its field (status 422); success flashes and redirects
with 303 (POST-redirect-GET). A small POST action (exit, end a pairing, complete a step…) runs
the service and flashes its outcome; the caller redirects. A 作废 (void_action) either redirects
or shows the record's page again with the message next to the reason.
"""

import zlib
from datetime import date, datetime
from decimal import Decimal

from flask import flash, g, redirect, render_template, request

from ..db import retry_write
from ..rules.privacy import ID_FIELDS
from ..rules.text import mask_id_number
from ..services import ValidationError, form_versions
from ..services.form_versions import Conflict
from .labels import FIELD_LABELS

VERSION_FIELD = "_version"
# Bookkeeping that no form shows; a change to it is not a conflicting edit.
_UNVERSIONED = {"id", "created_at", "updated_at", "created_by", "voided_at", "voided_by"}


def _versioned_keys(values):
    return sorted(k for k in values if k not in _UNVERSIONED)


def _norm(value):
    """A field's value as the form shows it, so a stored value and a posted one compare."""
    if value is None or value is False:
        return ""
    if value is True:
        return "1"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ",".join(sorted(_norm(v) for v in value if _norm(v)))
    return str(value).strip()


def _digest(value):
    return format(zlib.crc32(_norm(value).encode()) & 0xFFFFFF, "06x")


def fingerprint(values):
    """A short digest per field of what an edit form showed, in field-name order."""
    return ".".join(_digest(values[k]) for k in _versioned_keys(values))


def _shown(version, current):
    """{field: digest of the value the form showed}; None when the version is malformed."""
    keys = _versioned_keys(current)
    digests = (version or "").split(".")
    return dict(zip(keys, digests, strict=True)) if len(digests) == len(keys) else None


def _display(value):
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value if v not in ("", None)) or "（空）"
    return _norm(value) or "（空）"


def _merge(version, current, values):
    """Compare a posted form with the record as stored now.

    Returns (rows, merged): rows are (label, theirs, yours) for each field the form writes that
    someone else changed since the form was shown (empty: no conflict); merged are the posted
    values with the others' value kept wherever this user left a field as it was shown.
    """
    shown = _shown(version, current)
    rows, merged = [], dict(values)
    for key in _versioned_keys(current):
        if key not in values:
            continue
        now = _digest(current[key])
        if shown is not None and shown[key] == now:
            continue  # nobody else changed it
        if _norm(values[key]) == _norm(current[key]):
            continue  # changed to the same value
        untouched = shown is not None and _digest(values[key]) == shown[key]
        label = FIELD_LABELS.get(key, key)
        if untouched:
            merged[key] = current[key]
            rows.append((label, _display(current[key]), "（未改动，采用别人保存的值）"))
        else:
            rows.append((label, _display(current[key]), _display(values[key])))
    return rows, merged


def form_page(template, *, initial, save, done, read=None, context=None, record=None, current=None):
    """Handle a create or edit page.

    initial: the form's values on GET (a dict).
    save(values): calls the service with the posted values; raises ValidationError.
    done(result): (flash message, URL to redirect to) after a successful save.
    read(): the posted values (default: the form's fields as a dict).
    context: extra template values, a dict or a function of the form's values (called only when
        the page is rendered, so choices are not queried on a successful POST).
    record: the stored record an edit page shows (`initial` is read from it). The form then
        carries a version of what it showed; saving over fields someone else changed since is
        refused (409) with theirs and yours side by side; the form comes back with the user's
        own changes on top of theirs and the new version, so saving again reapplies them.
        The version is compared before the save and once more inside its writing transaction
        (services/form_versions: two saves of one version at the same instant, one passes).
    current(): `initial` as stored now, read in that transaction, for a form whose version
        covers more than the record's row (a visit's persons and answers); by default the
        fields of the row changed since this request read it replace those of `initial`.
    """
    errors, values, conflict = {}, initial, []
    shown = initial  # what the form's version is of, when the page is drawn
    if request.method == "POST":
        values = read() if read else request.form.to_dict()
        version = request.form.get(VERSION_FIELD)
        checked = record is not None and version is not None
        if checked:
            # A form page always carries its version; a bare POST (a script) is not checked.
            conflict, values = _merge(version, initial, values)
        if not conflict:
            try:
                if checked:
                    check = _in_transaction(version, values, initial, record, current)
                    result = retry_write(lambda: _checked(record, check, save, values))
                else:
                    result = retry_write(lambda: save(values))
            except ValidationError as e:
                errors = e.errors
            except Conflict as e:
                conflict, values, shown = e.rows, e.merged, e.now
            else:
                message, url = done(result)
                flash(message, "ok")
                return redirect(url, 303)
        if conflict:
            errors = {VERSION_FIELD: "保存前，别人已修改了这条记录。请核对下面的差异后再保存。"}
    if record is not None:
        g.form_version = fingerprint(shown)
    extra = context(values) if callable(context) else (context or {})
    status = 409 if conflict else (422 if errors else 200)
    page = render_template(template, form=values, errors=errors, conflict=conflict, **extra)
    return page, status


def _checked(record, check, save, values):
    with form_versions.checking(record, check):
        return save(values)


def _in_transaction(version, values, initial, record, current):
    """The comparison of a posted form's version made again in the save's transaction, with
    `fresh` (the record read again, locked): Conflict when someone else changed what it
    showed since this request read it."""
    read = dict(record.__data__)

    def check(fresh):
        if current is not None:
            now = current()
        else:
            now = dict(initial)
            for key in initial:
                if key in fresh.__data__ and fresh.__data__[key] != read.get(key):
                    value = fresh.__data__[key]
                    now[key] = mask_id_number(value) if key in ID_FIELDS else value
        rows, merged = _merge(version, now, values)
        if rows:
            raise Conflict(rows, merged, now)

    return check


def run(action, ok_message):
    """Call `action()`; flash its validation errors, or `ok_message` (text, or a function of the
    action's result). Returns (True, result) when it succeeded, else (False, None)."""
    try:
        result = retry_write(action)
    except ValidationError as e:
        flash("；".join(e.errors.values()), "error")
        return False, None
    flash(ok_message(result) if callable(ok_message) else ok_message, "ok")
    return True, result


def record_page(template, initial, **context):
    """A record's edit page rendered outside form_page (after a refused 作废), carrying the
    version of what it shows."""
    g.form_version = fingerprint(initial)
    return render_template(template, form=initial, errors={}, conflict=[], **context)


def void_action(void, done_url, page, ok_message="已作废"):
    """作废: call `void(reason)` with the posted reason. Refused (no reason, already voided):
    `page(errors)`, the record's page again with the message next to the reason (422); else
    flash `ok_message` and redirect to `done_url` (303)."""
    try:
        void(request.form.get("void_reason", ""))
    except ValidationError as e:
        return page(e.errors), 422
    flash(ok_message, "ok")
    return redirect(done_url, 303)
