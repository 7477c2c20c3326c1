"""Who counts as 留守儿童, 留守妇女, 留守老人 and 困境儿童, with the reason in plain words.

Every number comes from `Thresholds`, built from dated settings: policy texts are national,
their numbers local.
"""

from dataclasses import dataclass, field
from datetime import date

CHILD, WOMAN, ELDER, DIFFICULT = "留守儿童", "留守妇女", "留守老人", "困境儿童"
GROUPS = (CHILD, WOMAN, ELDER, DIFFICULT)

# A parent's status, stored for father and mother separately.
PARENT_STATUSES = ("在家", "外出务工", "无监护能力", "死亡", "其他")
AWAY, INCAPABLE, DECEASED = "外出务工", "无监护能力", "死亡"


@dataclass(frozen=True)
class Thresholds:
    child_max_age: int = 16  # under this age
    woman_min_age: int = 20
    woman_max_age: int = 59
    woman_months_away: int = 6
    elder_min_age: int = 60
    elder_months_away: int = 6
    difficult_max_age: int = 18  # 困境儿童: under this age


@dataclass(frozen=True)
class Facts:
    """What the rules look at, as plain values."""

    birth_date: date | None = None
    sex: str = ""
    father_status: str = ""
    mother_status: str = ""
    husband_away_since: date | None = None
    children_away: bool = False
    children_away_since: date | None = None
    difficulty_kinds: tuple = field(default_factory=tuple)
    exited: bool = False


def age_on(birth, on):
    """Full years on a date; someone born on 29 February turns a year older on 1 March
    in common years (the day after 28 February)."""
    years = on.year - birth.year
    if (on.month, on.day) < (birth.month, birth.day):
        years -= 1
    return years


def months_between(start, end):
    """Full months from start to end (0 if end is before start)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if end.day < start.day:
        months -= 1
    return max(months, 0)


def classify(facts, on, t=Thresholds()):
    """{group: reason} for every group the person belongs to on `on`."""
    out = {}
    if facts.exited or facts.birth_date is None:
        return out
    age = age_on(facts.birth_date, on)
    if age < t.child_max_age:
        reason = _child_reason(facts.father_status, facts.mother_status)
        if reason:
            out[CHILD] = f"{reason}，未满{t.child_max_age}周岁"
    if age < t.difficult_max_age and facts.difficulty_kinds:
        out[DIFFICULT] = "、".join(facts.difficulty_kinds) + f"，未满{t.difficult_max_age}周岁"
    if (
        facts.sex == "女"
        and t.woman_min_age <= age <= t.woman_max_age
        and facts.husband_away_since is not None
    ):
        months = months_between(facts.husband_away_since, on)
        if months >= t.woman_months_away:
            out[WOMAN] = (
                f"丈夫外出务工{months}个月（满{t.woman_months_away}个月），"
                f"{t.woman_min_age}–{t.woman_max_age}周岁"
            )
    if age >= t.elder_min_age and facts.children_away:
        if facts.children_away_since is None:
            out[ELDER] = f"子女均在外，{t.elder_min_age}周岁以上（外出时间未填）"
        else:
            months = months_between(facts.children_away_since, on)
            if months >= t.elder_months_away:
                out[ELDER] = (
                    f"子女均外出{months}个月（满{t.elder_months_away}个月），{t.elder_min_age}周岁以上"
                )
    return out


def _child_reason(father, mother):
    if father == AWAY and mother == AWAY:
        return "父母均外出务工"
    for away, other, away_name, other_name in (
        (father, mother, "父亲", "母亲"),
        (mother, father, "母亲", "父亲"),
    ):
        if away == AWAY and other == INCAPABLE:
            return f"{away_name}外出务工，{other_name}无监护能力"
        if away == AWAY and other == DECEASED:
            return f"{away_name}外出务工，{other_name}已故"
    return None
