"""The two ways a view handles a form: a form page, and a small POST action.

A form page: GET shows the form; POST reads it and calls the service; a ValidationError shows
the form again with each message next to its field (status 422); success flashes and redirects
with 303 (POST-redirect-GET). A small POST action (exit, end a pairing, complete a step…) runs
the service and flashes its outcome; the caller redirects.
"""

from flask import flash, redirect, render_template, request

from ..services import ValidationError


def form_page(template, *, initial, save, done, read=None, context=None):
    """Handle a create or edit page.

    initial: the form's values on GET (a dict).
    save(values): calls the service with the posted values; raises ValidationError.
    done(result): (flash message, URL to redirect to) after a successful save.
    read(): the posted values (default: the form's fields as a dict).
    context: extra template values, a dict or a function of the form's values (called only when
        the page is rendered, so choices are not queried on a successful POST).
    """
    errors, values = {}, initial
    if request.method == "POST":
        values = read() if read else request.form.to_dict()
        try:
            result = save(values)
        except ValidationError as e:
            errors = e.errors
        else:
            message, url = done(result)
            flash(message, "ok")
            return redirect(url, 303)
    extra = context(values) if callable(context) else (context or {})
    return render_template(template, form=values, errors=errors, **extra), (422 if errors else 200)


def run(action, ok_message):
    """Call `action()`; flash its validation errors, or `ok_message` (text, or a function of the
    action's result). Returns (True, result) when it succeeded, else (False, None)."""
    try:
        result = action()
    except ValidationError as e:
        flash("；".join(e.errors.values()), "error")
        return False, None
    flash(ok_message(result) if callable(ok_message) else ok_message, "ok")
    return True, result
