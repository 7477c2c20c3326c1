"""The child-emergency reporting clock: which steps, and their deadlines from discovery."""

from dataclasses import dataclass
from datetime import timedelta

from .categories import age_on

KINDS = ("意外伤害", "走失", "独居无人照护", "疑似遭受侵害", "疾病", "其他")
# Kinds where the law requires an immediate report to the police (强制报告).
POLICE_KINDS = ("走失", "独居无人照护", "疑似遭受侵害")
STEPS = {
    "police": "向公安机关报告",
    "township": "报告乡镇政府和教育部门",
    "carer": "告知委托照护人",
    "parents": "告知外出务工的父母",
}
HOW = ("电话", "当面", "短信/微信", "书面", "其他")
# A child in law (未成年人保护法): under 18. National, not a local number, so not a setting.
CHILD_UNDER = 18


def not_a_child(birth, on):
    """Why an emergency (with its carer and parents steps) cannot be opened for someone born on
    `birth`, in Chinese; None for a child."""
    if birth is None:
        return "未登记出生日期，无法确认是未满18周岁的儿童"
    age = age_on(birth, on)
    if age >= CHILD_UNDER:
        return f"突发事件报告只适用于未满{CHILD_UNDER}周岁的儿童，此人{age}周岁"
    return None


@dataclass(frozen=True)
class Deadlines:
    """Minutes after discovery (settings; defaults from the seed document)."""

    police: int = 0
    township: int = 15
    carer: int = 30
    parents: int = 60


def steps_for(kind, discovered_at, deadlines=Deadlines()):
    """[(code, label, due_at)] in the order they fall due."""
    codes = (["police"] if kind in POLICE_KINDS else []) + ["township", "carer", "parents"]
    steps = [(c, STEPS[c], discovered_at + timedelta(minutes=getattr(deadlines, c))) for c in codes]
    return sorted(steps, key=lambda s: s[2])


def late(due_at, done_at, now):
    """True when a step is past its deadline and not done (or was done late)."""
    return (done_at or now) > due_at
