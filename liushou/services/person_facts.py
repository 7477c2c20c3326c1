"""A person's facts and the categories the rules derive from them: the dated thresholds, the
difficulty kinds on offer, and the rule inputs read from his column values."""

import json

from .. import clock, settings
from ..rules import categories, family


def thresholds(on=None):
    g = lambda key: int(settings.get(key, on))  # noqa: E731
    return categories.Thresholds(
        child_max_age=g("child_max_age"),
        woman_min_age=g("woman_min_age"),
        woman_max_age=g("woman_max_age"),
        woman_months_away=g("woman_months_away"),
        elder_min_age=g("elder_min_age"),
        elder_months_away=g("elder_months_away"),
        difficult_max_age=g("difficult_max_age"),
    )


def difficulty_options(on=None):
    raw = str(settings.get("difficulty_kinds", on))
    return tuple(
        k.strip() for k in raw.replace(",", "、").replace("，", "、").split("、") if k.strip()
    )


def _away(data):
    """The values both the category rules and the household rules read: sex, the parents'
    status and who has been away since when."""
    return {
        "sex": data.get("sex") or "",
        "father_status": data.get("father_status") or "",
        "mother_status": data.get("mother_status") or "",
        "husband_away_since": data.get("husband_away_since"),
        "children_away": bool(data.get("children_away")),
        "children_away_since": data.get("children_away_since"),
    }


def facts_of(data):
    """Rule facts from a person's values (a dict of column values)."""
    return categories.Facts(
        birth_date=data.get("birth_date"),
        difficulty_kinds=tuple(k for k in (data.get("difficulty_kinds") or "").split(",") if k),
        exited=data.get("exited_on") is not None,
        **_away(data),
    )


def derive(data, on=None):
    """(groups string, reasons JSON) for the values given."""
    on = on or clock.today()
    result = categories.classify(facts_of(data), on, thresholds(on))
    ordered = [g for g in categories.GROUPS if g in result]
    return ",".join(ordered), json.dumps({g: result[g] for g in ordered}, ensure_ascii=False)


def _member(person_id, data):
    return family.Member(
        id=person_id,
        birth_date=data["birth_date"],
        relation_to_head=data.get("relation_to_head") or "",
        **_away(data),
    )


def _said(reasons_json):
    """Stored reasons as one line: "留守儿童：父母均外出务工，未满16周岁"."""
    return "；".join(f"{g}：{r}" for g, r in json.loads(reasons_json or "{}").items())
