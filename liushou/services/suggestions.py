"""困境儿童 suggestions answered by a cadre: confirmed (the category set through the person's own
edit service) or dismissed with a reason."""

from .. import clock
from ..db import database
from ..models.suggestions import SuggestionDismissal
from ..queries.suggestions import for_person
from ..rules.privacy import ID_FIELDS
from . import ValidationError
from .audit import record
from .forms import Reader
from .persons import save_person

GONE = "此人目前没有待确认的困境儿童建议（可能已被别人处理，或情况已变化）"
LIST_FIELDS = ("difficulty_kinds", "carer_disqualifiers")


def _edit_values(person):
    """The person's record as his edit form would post it unchanged."""
    values = {}
    for name, value in person.__data__.items():
        if name in LIST_FIELDS:
            values[name] = [k for k in (value or "").split(",") if k]
        elif name == "carer_capable":
            values[name] = "" if value is None else ("1" if value else "0")
        elif isinstance(value, bool):
            values[name] = "1" if value else ""
        elif name in ID_FIELDS:
            values[name] = value or ""
        else:
            values[name] = value
    values.pop("household", None)  # he stays where he is
    return values


def confirm(actor, scope, person, today=None):
    """Set 困境儿童 as suggested: the suggested 困境类型 added through the same service as an
    edit, so the category, the review flag and the history follow as after any edit; the
    history says "按建议确认：<reasons>"."""
    today = today or clock.today()
    found = for_person(person, today)
    if found is None:
        raise ValidationError({"suggestion": GONE})
    if None in found.kinds:
        raise ValidationError(
            {
                "suggestion": "系统设置的困境儿童类型中没有“监护缺失”“残疾”或“其他”，"
                "请管理员先在系统设置中添加"
            }
        )
    values = _edit_values(person)
    values["difficulty_kinds"] = list(dict.fromkeys([*values["difficulty_kinds"], *found.kinds]))
    try:
        return save_person(
            actor, scope, values, person, today, category_reason="按建议确认：" + found.text
        )
    except ValidationError as e:
        # The record itself has a problem an edit must fix first: say so next to the suggestion.
        raise ValidationError(
            {"suggestion": "此人的登记信息需要先修改：" + "；".join(e.errors.values())}
        ) from e


def dismiss(actor, person, values, today=None):
    """Decide against the suggestion, with a reason; kept, and it stays away until its reasons
    change."""
    today = today or clock.today()
    r = Reader(values)
    reason = r.text("reason", 200, "请填写不认定的原因")
    found = for_person(person, today)
    if found is None:
        r.errors["reason"] = GONE
    if r.errors:
        raise ValidationError(r.errors)
    with database.atomic():
        row = SuggestionDismissal.create(
            person=person,
            reasons=found.text[:200],
            reason=reason,
            dismissed_by=actor.user.display_name if actor.user else actor.username,
            created_by=actor.user_id,
        )
        record(
            actor,
            "update",
            person,
            changes=[("difficulty_suggestion", found.text, f"不予认定：{reason}")],
        )
    return row
