"""Visit tiers and due dates: how often someone must be visited, and when next."""

from dataclasses import dataclass, field
from datetime import date, timedelta

TIERS = {"high": "高风险", "key": "重点", "general": "一般"}


@dataclass(frozen=True)
class TierFacts:
    """What the tier depends on, as plain values."""

    age: int | None = None
    groups: frozenset = field(default_factory=frozenset)  # e.g. {"留守儿童", "困境儿童"}
    living_alone: bool = False
    self_care: str = ""  # 自理 / 半失能 / 失能
    disabled: bool = False
    tekun: bool = False  # 特困
    carer_qualified: bool | None = None  # children: None when unknown
    carer_named: bool | None = None  # children: False when no carer is recorded at all


@dataclass(frozen=True)
class TierRules:
    """Thresholds from settings (defaults: DOMAIN.md's published elder-visit rules)."""

    high_age: int = 80
    key_age: int = 70
    high_days: int = 7
    key_days: int = 30
    general_days: int = 90

    def days(self, tier):
        return {"high": self.high_days, "key": self.key_days}.get(tier, self.general_days)


def tier_for(facts, rules=TierRules()):
    """(tier, reason in plain Chinese) for a person."""
    elder = facts.age is not None and "留守老人" in facts.groups
    child = bool(facts.groups & {"留守儿童", "困境儿童"})
    if elder and facts.living_alone and facts.age >= rules.high_age:
        return "high", f"{rules.high_age}周岁以上独居老人"
    if facts.self_care == "失能":
        return "high", "失能"
    if child and facts.carer_qualified is False:
        return "high", "儿童无合格监护（照护）人"
    # Both parents away (or one away, one unable) and nobody recorded as carer: as far as the
    # register knows, the child lives alone.
    if "留守儿童" in facts.groups and facts.carer_named is False:
        return "high", "留守儿童未登记监护（照护）人"
    if facts.disabled:
        return "key", "残疾"
    if facts.tekun:
        return "key", "特困供养"
    if "困境儿童" in facts.groups:
        return "key", "困境儿童"
    if elder and facts.living_alone and facts.age >= rules.key_age:
        return "key", f"{rules.key_age}周岁以上独居老人"
    if facts.self_care == "半失能":
        return "key", "半失能"
    return "general", "一般对象"


def next_due(last_visit, tier, rules=TierRules(), since=None, asked=None, days=None):
    """The date the next visit is due.

    `asked` is the next-visit date the visitor wrote down (kept if earlier than the tier's);
    never visited: due from `since` (e.g. the pairing start), at once if unknown. `days`: the
    cycle when it is not the tier's own (the paired helper's talk cycle, already no longer than
    the tier's).
    """
    if last_visit is None:
        return since or date.min
    due = last_visit + timedelta(days=days or rules.days(tier))
    if asked is not None and asked < due:
        return asked
    return due


def bucket(due, today):
    """overdue / today / week / later, with days overdue for sorting."""
    if due < today:
        return "overdue"
    if due == today:
        return "today"
    if due <= today + timedelta(days=7):
        return "week"
    return "later"


# Visit cycles by role (seed 004, 洋墩村): village cadres at least weekly at the door (一登门),
# grid patrollers and volunteers daily knocking (一敲门) on elders, the paired helper a monthly
# talk (谈心). Each duty has a cycle per group, in days (0: the duty does not apply to the group).
DUTIES = {"door": "一登门", "knock": "一敲门", "talk": "谈心"}
# The helper kinds that owe each duty; the paired helper's talk is owed by whoever is paired.
DUTY_KINDS = {"door": ("村干部", "包片干部"), "knock": ("网格员", "志愿者")}
# Setting key part of each group a cycle is set for; 困境儿童 follow the children's cycle.
CYCLE_GROUPS = {"child": "留守儿童", "woman": "留守妇女", "elder": "留守老人"}
GROUP_ALIASES = {"困境儿童": "留守儿童"}
# Defaults: the seed's, and today's general tier (90 days) where the seed is silent.
CYCLE_DEFAULTS = {
    "door": {"child": 7, "woman": 7, "elder": 7},
    "knock": {"child": 0, "woman": 0, "elder": 1},
    "talk": {"child": 30, "woman": 30, "elder": 90},
}


@dataclass(frozen=True)
class Cycles:
    """{duty: {group name: days}} in force on a date (0 or absent: no such duty)."""

    days: dict = field(default_factory=dict)

    def for_groups(self, duty, groups, tier_days=None):
        """The cycle a person in `groups` is owed `duty` on: the shortest of his groups', never
        longer than his tier's (`tier_days`); None when the duty does not apply to him."""
        per_group = self.days.get(duty, {})
        found = [
            per_group.get(GROUP_ALIASES.get(g, g), 0)
            for g in groups
            if per_group.get(GROUP_ALIASES.get(g, g), 0) > 0
        ]
        if not found:
            return None
        days = min(found)
        return min(days, tier_days) if tier_days else days


def default_cycles():
    return Cycles(
        {
            duty: {CYCLE_GROUPS[code]: days for code, days in by_group.items()}
            for duty, by_group in CYCLE_DEFAULTS.items()
        }
    )


def duties_of(kinds, role=""):
    """The duties (door/knock) a user owes by his helper kinds and his account's role; the
    talk duty follows from pairings, not from the kind."""
    owed = [d for d, ks in DUTY_KINDS.items() if set(kinds) & set(ks)]
    if role == "village" and "door" not in owed:
        owed.insert(0, "door")
    if role == "grid" and "knock" not in owed:
        owed.append("knock")
    return owed


def due_after(last, days, today):
    """The next due date of a duty: `days` after the last time it was done, today if never."""
    return today if last is None else last + timedelta(days=days)


# What a visit asks about, by group (issue 16 item 6); each a status and a note.
VISIT_ITEMS = {
    "留守儿童": ("学习", "安全", "心理", "监护落实"),
    "困境儿童": ("学习", "安全", "心理", "监护落实"),
    "留守老人": ("生活自理", "健康与用药", "居住安全", "精神慰藉"),
    "留守妇女": ("家庭", "健康", "就业与技能", "权益"),
}
ITEM_STATUSES = ("正常", "关注", "有问题")
ITEM_PROBLEM = "有问题"


def items_for(groups):
    """The items a visit asks about a person in `groups`, in order, without repeats."""
    out = []
    for g in ("留守儿童", "困境儿童", "留守老人", "留守妇女"):
        if g in groups:
            out += [i for i in VISIT_ITEMS[g] if i not in out]
    return out


# Which groups each kind of helper fits (结对 by fitness): a 儿童主任 with children, not elders.
# Kinds absent here (cadres, grid workers, party members, social workers …) fit everyone.
CHILDREN = frozenset({"留守儿童", "困境儿童"})
HELPER_FIT = {
    "儿童主任": CHILDREN,
    "儿童督导员": CHILDREN,
    "童伴妈妈": CHILDREN,
    "教师": CHILDREN,
    "村医": frozenset({"留守老人", "留守妇女"}),
}


def fits(kind, groups):
    """True when a helper of `kind` suits a person in `groups` (or the person has no group)."""
    fit = HELPER_FIT.get(kind)
    return fit is None or not groups or bool(fit & set(groups))


# A light 一敲门 check-in: how it was done, and the window in which a second tap is the same one.
CHECKIN_METHODS = ("上门", "电话", "视频")
DOUBLE_TAP_MINUTES = 5
