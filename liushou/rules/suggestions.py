"""When to suggest 困境儿童 to a cadre, with the reasons in words.

Suggested, never set by itself: the register cannot see poverty or how a guardian behaves, and
the national collection form is a cadre's call. Two situations are plain from the record:
- neither parent can look after the child: each is dead, missing or without the capacity to
  guard (事实无人抚养 / 监护缺失);
- the child has a disability (残疾).
The suggestion reads as its reasons; a dismissed one stays away while the reasons read the same.
"""

from dataclasses import dataclass

from .categories import DECEASED, DIFFICULT, INCAPABLE, MISSING

# A parent who cannot look after the child, and how the reason says it.
CANNOT_GUARD = {DECEASED: "已故", MISSING: "失踪", INCAPABLE: "无监护能力"}
# The 困境类型 each reason suggests, first one the township's list offers.
GUARDIANSHIP_KINDS = ("监护缺失", "其他")
DISABILITY_KINDS = ("残疾", "其他")


@dataclass(frozen=True)
class Suggestion:
    """Why 困境儿童 is suggested, and the 困境类型 a confirmation adds (None where the
    township's list offers none that fits)."""

    reasons: tuple
    kinds: tuple

    @property
    def text(self):
        return "；".join(self.reasons)


def _first(wanted, options):
    return next((k for k in wanted if k in options), None)


def guardianship_reason(father, mother):
    """'父母均已故', '父亲已故，母亲失踪' … or None when a parent can look after the child."""
    if father not in CANNOT_GUARD or mother not in CANNOT_GUARD:
        return None
    if father == mother:
        return f"父母均{CANNOT_GUARD[father]}"
    return f"父亲{CANNOT_GUARD[father]}，母亲{CANNOT_GUARD[mother]}"


def disability_reason(kind, grade):
    """'本人残疾（肢体二级）' or None."""
    if not kind:
        return None
    return f"本人残疾（{kind}{grade}）"


def suggest(
    *,
    age,
    max_age,
    groups,
    father_status="",
    mother_status="",
    disability_kind="",
    disability_grade="",
    options=(),
    dismissed=(),
):
    """The Suggestion for a person, or None: none for someone of `max_age` (the 困境儿童 age) or
    older or of unknown age, none when he is already 困境儿童 (`groups`), none when a cadre
    dismissed a suggestion reading the same (`dismissed`: texts of his dismissed ones).
    `options`: the township's 困境类型 list."""
    if age is None or age >= max_age or DIFFICULT in groups:
        return None
    reasons, kinds = [], []
    parents = guardianship_reason(father_status, mother_status)
    if parents:
        reasons.append(parents)
        kinds.append(_first(GUARDIANSHIP_KINDS, options))
    body = disability_reason(disability_kind, disability_grade)
    if body:
        reasons.append(body)
        kinds.append(_first(DISABILITY_KINDS, options))
    if not reasons:
        return None
    found = Suggestion(tuple(reasons), tuple(kinds))
    return None if found.text in dismissed else found
