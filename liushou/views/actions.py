"""Small POST actions (exit, end a pairing, complete a step…): run the service, say the outcome."""
from flask import flash

from ..services import ValidationError


def run(action, ok_message):
    """Call `action()`; flash its validation errors or `ok_message`. True when it succeeded."""
    try:
        action()
    except ValidationError as e:
        flash("；".join(e.errors.values()), "error")
        return False
    flash(ok_message, "ok")
    return True
