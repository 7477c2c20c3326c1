"""Changing settings: each change is a new dated row, audited."""

import json

from .. import clock
from ..db import database
from ..models import Setting
from ..rules.subsidy import parse_bands
from ..rules.text import clean, normalize_phone, phone_problem
from ..settings import DEFINITIONS, INSTANCE, INSTANCE_ONLY, changed, get
from . import ValidationError
from .audit import record


def _parse(definition, raw, errors):
    if definition.kind in ("int", "int0"):
        text = clean(raw)
        low = 0 if definition.kind == "int0" else 1
        if not text.isdigit() or not low <= int(text) <= 100000:
            errors[definition.key] = "请填写正整数" if low else "请填写 0 或正整数"
            return None
        return int(text)
    if definition.kind == "phone":
        phone = normalize_phone(raw)
        problem = phone_problem(phone, allow_short=True)
        if problem:
            errors[definition.key] = problem
        return phone
    if definition.kind == "bands":
        text = clean(raw, 200)
        try:
            parse_bands(text)
        except ValueError as e:
            errors[definition.key] = str(e)
        return text
    if definition.kind == "url":
        text = clean(raw, 200)
        if text and not text.startswith(("http://", "https://")):
            errors[definition.key] = "地址须以 http:// 或 https:// 开头"
        return text.rstrip("/")
    return clean(raw, 200)


def update_settings(actor, form, valid_from=None, township=None):
    """Store every changed value from `form` as of `valid_from` (default today): the
    instance-wide values, or (a county's instance) `township`'s own."""
    valid_from = valid_from or clock.today()
    of = township if township is not None else INSTANCE
    errors, changes = {}, []
    for d in DEFINITIONS:
        if d.key not in form or (township is not None and d.key in INSTANCE_ONLY):
            continue
        value = _parse(d, form[d.key], errors)
        if d.key not in errors and value != get(d.key, valid_from, township=of):
            changes.append((d, value))
    if errors:
        raise ValidationError(errors)
    with database.atomic():
        for d, value in changes:
            before = get(d.key, valid_from, township=of)
            Setting.create(
                key=d.key,
                value=json.dumps(value, ensure_ascii=False),
                valid_from=valid_from,
                created_by=actor.user_id,
                township=township,
            )
            record(
                actor,
                "settings",
                object_type="setting",
                label=f"{d.label}（{township.name}）" if township is not None else d.label,
                changes=[(d.key, before, value)],
            )
            changed()  # a held block (settings.held) reads the new value
    return [d.key for d, _ in changes]
