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


def next_due(last_visit, tier, rules=TierRules(), since=None, asked=None):
    """The date the next visit is due.

    `asked` is the next-visit date the visitor wrote down (kept if earlier than the tier's);
    never visited: due from `since` (e.g. the pairing start), at once if unknown.
    """
    if last_visit is None:
        return since or date.min
    due = last_visit + timedelta(days=rules.days(tier))
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
