"""Who counts as 留守儿童, 留守妇女, 留守老人 and 困境儿童, with the reason in plain words.

Every number comes from `Thresholds`, built from dated settings: policy texts are national,
their numbers local.
"""

from dataclasses import dataclass, field
from datetime import date

CHILD, WOMAN, ELDER, DIFFICULT = "留守儿童", "留守妇女", "留守老人", "困境儿童"
GROUPS = (CHILD, WOMAN, ELDER, DIFFICULT)

# A parent's status, stored for father and mother separately.
PARENT_STATUSES = ("在家", "外出务工", "无监护能力", "死亡", "失踪", "其他")
AWAY, INCAPABLE, DECEASED, MISSING = "外出务工", "无监护能力", "死亡", "失踪"


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


def change_reason(before, after, old, new, on, t=Thresholds()):
    """Why a person's categories went from `old` to `new` ({group: reason} each), in plain
    words, e.g. "父母均已返乡，不再属于留守儿童"; `before`/`after` are his Facts."""
    parts = []
    for group in GROUPS:
        if group in old and group not in new:
            parts.append(f"{_why_not(group, before, after, on, t)}，不再属于{group}")
        elif group in new and group not in old:
            parts.append(f"{new[group]}，认定为{group}")
    return "；".join(parts)


def _why_not(group, before, after, on, t):
    if after.exited:
        return "已退出登记"
    age = age_on(after.birth_date, on) if after.birth_date else None
    if group == CHILD:
        if age is not None and age >= t.child_max_age:
            return f"已满{t.child_max_age}周岁"
        return _parents_changed(before, after)
    if group == DIFFICULT:
        if age is not None and age >= t.difficult_max_age:
            return f"已满{t.difficult_max_age}周岁"
        return "困境情形已解除"
    if group == WOMAN:
        if after.sex != "女":
            return "性别已更正"
        if age is not None and not t.woman_min_age <= age <= t.woman_max_age:
            return f"年龄不在{t.woman_min_age}–{t.woman_max_age}周岁"
        if after.husband_away_since is None:
            return "丈夫已返乡" if before.husband_away_since else "丈夫外出时间已清除"
        return f"丈夫外出不满{t.woman_months_away}个月"
    if age is not None and age < t.elder_min_age:
        return f"未满{t.elder_min_age}周岁"
    if not after.children_away:
        return "子女已返乡" if before.children_away else "子女不再均在外"
    return f"子女外出不满{t.elder_months_away}个月"


def _parents_changed(before, after):
    said = []
    for who, was, now in (
        ("父亲", before.father_status, after.father_status),
        ("母亲", before.mother_status, after.mother_status),
    ):
        if was == AWAY and now == "在家":
            said.append((who, "已返乡"))
        elif was != now:
            said.append((who, f"状况改为{now or '未填'}"))
    if len(said) == 2 and said[0][1] == said[1][1] == "已返乡":
        return "父母均已返乡"
    if said:
        return "，".join(who + what for who, what in said)
    return f"父亲{after.father_status or '状况未填'}，母亲{after.mother_status or '状况未填'}"
