"""The catalogue of admin-editable settings: key, label, type, default. Values live in `Setting`."""

import copy
import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass

from . import clock, memo
from .models import Setting
from .models.review import KINDS as REVIEW_KINDS
from .rules import visits as visit_rules

_held = threading.local()
_reading = threading.local()  # reading_for(): the township a block reads, whoever asks
_UNSET = object()


@dataclass(frozen=True)
class Definition:
    key: str
    label: str
    group: str
    default: object
    kind: str = "text"  # text | phone | int | url
    help: str = ""


# Who owes each duty, as the settings page names them.
_DUTY_WHO = {"door": "村干部、包片干部", "knock": "网格员、志愿者", "talk": "结对帮扶人"}

DEFINITIONS = [
    # No default: every card and printout carries it, so nothing prints until it is set.
    Definition("township_name", "乡镇（街道）名称", "乡镇信息", ""),
    Definition("township_address", "乡镇地址", "乡镇信息", ""),
    Definition("office_phone", "办公室电话", "乡镇信息", "", "phone"),
    Definition(
        "medical_phone", "医疗求助电话", "便民卡号码", "120", "phone", "印在便民服务联系卡上"
    ),
    Definition("emergency_phone", "应急求助电话", "便民卡号码", "110", "phone"),
    Definition("police_phone", "派出所电话", "便民卡号码", "110", "phone"),
    # No national family hotline exists: empty (not printed) until the township sets its own.
    Definition(
        "family_hotline", "亲情热线", "便民卡号码", "", "phone", "本乡镇设立后填写；留空则卡上不印"
    ),
    Definition(
        "base_url",
        "本系统内网地址",
        "系统",
        "http://192.168.1.10:8080",
        "url",
        "打印二维码时使用，如 http://192.168.1.10:8080",
    ),
    Definition("session_idle_minutes", "无操作自动退出（分钟）", "系统", 30, "int"),
    Definition("child_max_age", "留守儿童：未满（周岁）", "类别认定", 16, "int"),
    Definition("difficult_max_age", "困境儿童：未满（周岁）", "类别认定", 18, "int"),
    Definition("woman_min_age", "留守妇女：最低年龄（周岁）", "类别认定", 20, "int"),
    Definition("woman_max_age", "留守妇女：最高年龄（周岁）", "类别认定", 59, "int"),
    Definition("woman_months_away", "留守妇女：丈夫外出满（月）", "类别认定", 6, "int"),
    Definition("elder_min_age", "留守老人：最低年龄（周岁）", "类别认定", 60, "int"),
    Definition("elder_months_away", "留守老人：子女外出满（月）", "类别认定", 6, "int"),
    Definition(
        "difficulty_kinds",
        "困境儿童类型（用顿号分隔）",
        "类别认定",
        "贫困、残疾、重病、监护缺失、监护不当、其他",
    ),
    Definition(
        "emergency_police_minutes",
        "突发事件：向公安报告时限（分钟）",
        "突发事件报告时限",
        0,
        "int0",
        "走失、独居无人照护、疑似遭受侵害时须立即报告，0 表示立即",
    ),
    Definition(
        "emergency_township_minutes",
        "报告乡镇政府和教育部门（分钟）",
        "突发事件报告时限",
        15,
        "int",
    ),
    Definition("emergency_carer_minutes", "告知委托照护人（分钟）", "突发事件报告时限", 30, "int"),
    Definition(
        "emergency_parents_minutes", "告知外出务工的父母（分钟）", "突发事件报告时限", 60, "int"
    ),
    Definition(
        "elder_subsidy_bands",
        "高龄补贴标准（年龄段:元/月）",
        "高龄补贴",
        "80-89:25, 90-99:120, 100-:350",
        "bands",
        "如 80-89:25, 90-99:120, 100-:350；新标准从生效日起执行，以前月份按旧标准",
    ),
    Definition(
        "visit_high_age",
        "高风险：独居老人年龄（周岁以上）",
        "走访等级",
        80,
        "int",
        "独居且达到此年龄，或失能、儿童无合格照护人，列为高风险",
    ),
    Definition(
        "visit_key_age",
        "重点：独居老人年龄（周岁以上）",
        "走访等级",
        70,
        "int",
        "独居且达到此年龄，或残疾、特困、困境儿童，列为重点",
    ),
    Definition("visit_high_days", "高风险走访间隔（天）", "走访等级", 7, "int"),
    Definition("visit_key_days", "重点走访间隔（天）", "走访等级", 30, "int"),
    Definition("visit_general_days", "一般走访间隔（天）", "走访等级", 90, "int"),
    # 审核报送: off by default (nothing changes for a township until it turns review on).
    *(
        Definition(
            f"review_{kind}",
            f"须经乡镇审核：{label}",
            "审核报送",
            0,
            "int0",
            "填 1：村干部、网格员提交后须经乡镇审核通过才生效；填 0：直接生效"
            if kind == "register"
            else "",
        )
        for kind, label in REVIEW_KINDS.items()
    ),
    *(
        Definition(
            f"cycle_{duty}_{code}",
            f"{_DUTY_WHO[duty]}{visit_rules.DUTIES[duty]}：{group}（天）",
            "走访周期（按角色）",
            days,
            "int0",
            "0 表示不要求；风险等级的间隔更短时按等级" if code == "child" else "",
        )
        for duty, by_group in visit_rules.CYCLE_DEFAULTS.items()
        for code, days in by_group.items()
        for group in [visit_rules.CYCLE_GROUPS[code]]
    ),
]
BY_KEY = {d.key: d for d in DEFINITIONS}
# The instance's own, never a township's (one server, one address, one session rule).
INSTANCE_ONLY = frozenset(["base_url", "session_idle_minutes"])


# `township=INSTANCE`: the instance-wide value, whoever asks (the county admin's settings page).
INSTANCE = 0


def current_township():
    """The township whose values a request reads: its user's (a township user's own, or his
    village's), or the one a county user's request is about (`for_township`); None outside a
    request, for county users and on a township's own instance. Inside `reading_for(...)`,
    that block's."""
    override = getattr(_reading, "township", _UNSET)
    if override is not _UNSET:
        return override
    try:
        from flask import g

        return g.get("township_id")
    except RuntimeError:  # no application context: a job or a command
        return None


@contextmanager
def reading_for(township_id):
    """Within the block, this thread reads `township_id`'s values (None: the instance-wide
    ones), request or not: for figures counted for a request in another thread (figure_cache's
    recount) or kept for whoever asks next."""
    before = getattr(_reading, "township", _UNSET)
    _reading.township = township_id
    try:
        yield
    finally:
        if before is _UNSET:
            del _reading.township
        else:
            _reading.township = before


def for_township(township_id):
    """A county user's request about one township's rows (its report, a print of one of its
    villages): from here on the request reads that township's values (its name on paper, its
    thresholds). A township's or village's own user reads his own township's already."""
    from flask import g

    if township_id is not None and g.get("township_id") is None:
        g.township_id = township_id


def for_village(village):
    """`for_township` of a village's (a Village or its id) township; a village of none, or a
    user who reads his own township's values: nothing changes (and nothing is read)."""
    from flask import g

    if village is None or g.get("township_id") is not None:
        return
    town = getattr(village, "township_id", _UNSET)
    for_township(village_township(village) if town is _UNSET else town)


def village_township(village_id):
    """The township of a village (by id), or None; read once per data generation."""
    from .models.places import Village

    return memo.get(
        ("village-township", village_id),
        lambda: Village.select(Village.township).where(Village.id == village_id).scalar(),
    )


def township_of(user):
    """The township a user works in (his own, else his village's), or None."""
    if user is None:
        return None
    if user.township_id is not None:
        return user.township_id
    if user.village_id is None:
        return None
    return village_township(user.village_id)


def _township_id(township):
    if township is None:
        return current_township()
    if township == INSTANCE:
        return None
    return getattr(township, "id", township)


def get(key, on=None, township=None):
    """The value in force (on a date), falling back to the built-in default. On a county's
    instance a township's own value comes first (`township`: a Township, its id, or None for
    the requesting user's township), then the instance-wide one."""
    township_id = None if key in INSTANCE_ONLY else _township_id(township)
    held_values = getattr(_held, "values", None)
    if held_values is not None and (key, on, township_id) in held_values:
        value = held_values[key, on, township_id]
        return copy.deepcopy(value) if isinstance(value, (list, dict)) else value
    # Read once per data generation (memo): every page reads a few settings.
    value = memo.get(
        ("setting", key, on or clock.today(), township_id),
        lambda: Setting.value_on(key, on, township_id),
    )
    value = BY_KEY[key].default if value is None else value
    if isinstance(value, (list, dict)):
        value = copy.deepcopy(value)  # the kept one stays as read
    if held_values is not None:
        held_values[key, on, township_id] = value
    return value


@contextmanager
def held():
    """Within the block, this thread reads each setting once: for long jobs (the demo build,
    bulk rechecks) that would otherwise query the same values for every person, and around a
    write that settles many rows in one transaction (where the memo is bypassed). Nested: the
    outermost block holds. A setting written inside the block is read anew (`changed`)."""
    if getattr(_held, "values", None) is not None:
        yield
        return
    _held.values = {}
    try:
        yield
    finally:
        _held.values = None


def changed():
    """A setting was written: a held block reads every value anew."""
    if getattr(_held, "values", None) is not None:
        _held.values.clear()


_PLACEHOLDER = re.compile(r"^(示范|某某|某|XX|××|\*\*|＊＊|ＸＸ)?(镇|乡|街道)?$", re.IGNORECASE)


def township_name_problem(name=None, township=None):
    """Why the township's name cannot go on paper (empty, or a placeholder such as 示范镇), or
    None."""
    name = (get("township_name", township=township) if name is None else name or "").strip()
    if _PLACEHOLDER.match(name):
        return (
            "乡镇（街道）名称还没有填写（或仍是“示范镇”之类的示例），"
            "请管理员先到“系统设置”填写本乡镇的名称"
        )
    return None


def all_current(township=None):
    return {d.key: get(d.key, township=township) for d in DEFINITIONS}
