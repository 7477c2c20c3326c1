"""ID numbers, categories by rule (with boundaries and 29 February), pinyin keys."""

from datetime import date

import pytest

from liushou.rules.categories import (
    CHILD,
    DIFFICULT,
    ELDER,
    WOMAN,
    Facts,
    Thresholds,
    age_on,
    classify,
    months_between,
)
from liushou.rules.idcard import parse
from liushou.rules.pinyin import keys, prefix_range

TODAY = date(2026, 11, 22)


@pytest.mark.parametrize(
    "raw, number, born, sex",
    [
        ("11010519491231002X", "11010519491231002X", date(1949, 12, 31), "女"),
        ("11010519491231002x", "11010519491231002X", date(1949, 12, 31), "女"),
        (" 1101 0519 4912 3100 2x ", "11010519491231002X", date(1949, 12, 31), "女"),
        ("６２０１０２２０１５０３０７００１４", "620102201503070014", date(2015, 3, 7), "男"),
        ("620102201202290021", "620102201202290021", date(2012, 2, 29), "女"),
    ],
)
def test_valid_ids(raw, number, born, sex):
    info, problem = parse(raw, TODAY)
    assert problem is None
    assert (info.number, info.birth_date, info.sex) == (number, born, sex)


@pytest.mark.parametrize(
    "raw, message",
    [
        ("620102201503070015", "校验位"),
        ("62010220150307001", "18 位"),
        ("62010220150307001Y", "只能是数字"),
        ("620102201302300012", "不存在"),  # 30 February
        ("620102201302290011", "不存在"),  # 29 February in a common year
        ("620102203001010013", "不合理"),  # in the future
        ("", "18 位"),
    ],
)
def test_invalid_ids(raw, message):
    info, problem = parse(raw, TODAY)
    assert info is None and message in problem


@pytest.mark.parametrize(
    "birth, on, age",
    [
        (date(2010, 11, 22), date(2026, 11, 21), 15),
        (date(2010, 11, 22), date(2026, 11, 22), 16),
        (date(2012, 2, 29), date(2028, 2, 28), 15),
        (date(2012, 2, 29), date(2028, 2, 29), 16),
        (date(2012, 2, 29), date(2027, 2, 28), 14),
        (date(2012, 2, 29), date(2027, 3, 1), 15),
    ],
)
def test_age_on(birth, on, age):
    assert age_on(birth, on) == age


def test_months_between():
    assert months_between(date(2026, 1, 31), date(2026, 7, 30)) == 5
    assert months_between(date(2026, 1, 31), date(2026, 7, 31)) == 6
    assert months_between(date(2026, 5, 1), date(2026, 4, 1)) == 0


BOTH_AWAY = dict(father_status="外出务工", mother_status="外出务工")


@pytest.mark.parametrize(
    "facts, on, groups, reason",
    [
        (
            Facts(birth_date=date(2010, 11, 22), **BOTH_AWAY),
            date(2026, 11, 21),
            {CHILD},
            "父母均外出务工，未满16周岁",
        ),
        (Facts(birth_date=date(2010, 11, 22), **BOTH_AWAY), date(2026, 11, 22), set(), None),
        (Facts(birth_date=date(2010, 11, 22), **BOTH_AWAY), date(2026, 11, 23), set(), None),
        (Facts(birth_date=date(2012, 2, 29), **BOTH_AWAY), date(2028, 2, 28), {CHILD}, None),
        (Facts(birth_date=date(2012, 2, 29), **BOTH_AWAY), date(2028, 2, 29), set(), None),
        (
            Facts(
                birth_date=date(2015, 3, 7), father_status="外出务工", mother_status="无监护能力"
            ),
            TODAY,
            {CHILD},
            "父亲外出务工，母亲无监护能力，未满16周岁",
        ),
        (
            Facts(birth_date=date(2015, 3, 7), father_status="在家", mother_status="外出务工"),
            TODAY,
            set(),
            None,
        ),
        (
            Facts(birth_date=date(2015, 3, 7), father_status="死亡", mother_status="外出务工"),
            TODAY,
            {CHILD},
            "母亲外出务工，父亲已故，未满16周岁",
        ),
        (
            Facts(birth_date=date(2015, 3, 7), difficulty_kinds=("残疾",)),
            TODAY,
            {DIFFICULT},
            "残疾，未满18周岁",
        ),
        (
            Facts(birth_date=date(1990, 6, 15), sex="女", husband_away_since=date(2026, 5, 22)),
            TODAY,
            {WOMAN},
            "丈夫外出务工6个月（满6个月），20–59周岁",
        ),
        (
            Facts(birth_date=date(1990, 6, 15), sex="女", husband_away_since=date(2026, 5, 23)),
            TODAY,
            set(),
            None,
        ),
        (
            Facts(birth_date=date(1966, 11, 23), sex="女", husband_away_since=date(2020, 1, 1)),
            TODAY,
            {WOMAN},
            None,
        ),
        (
            Facts(birth_date=date(1966, 11, 22), sex="女", husband_away_since=date(2020, 1, 1)),
            TODAY,
            set(),
            None,
        ),
        (
            Facts(birth_date=date(1990, 6, 15), sex="男", husband_away_since=date(2020, 1, 1)),
            TODAY,
            set(),
            None,
        ),
        (
            Facts(
                birth_date=date(1966, 11, 22),
                children_away=True,
                children_away_since=date(2020, 1, 1),
            ),
            TODAY,
            {ELDER},
            "子女均外出82个月（满6个月），60周岁以上",
        ),
        (
            Facts(
                birth_date=date(1966, 11, 23),
                children_away=True,
                children_away_since=date(2020, 1, 1),
            ),
            TODAY,
            set(),
            None,
        ),
        (Facts(birth_date=date(1950, 3, 1), children_away=False), TODAY, set(), None),
        (Facts(birth_date=date(1950, 3, 1), children_away=True, exited=True), TODAY, set(), None),
    ],
)
def test_classify(facts, on, groups, reason):
    result = classify(facts, on)
    assert set(result) == groups
    if reason:
        assert reason in result.values()


def test_thresholds_change_the_result():
    facts = Facts(birth_date=date(1970, 1, 1), sex="女", husband_away_since=date(2026, 1, 1))
    assert WOMAN not in classify(facts, TODAY, Thresholds(woman_max_age=55))
    assert WOMAN in classify(facts, TODAY, Thresholds(woman_max_age=59))
    child = Facts(birth_date=date(2012, 1, 1), **BOTH_AWAY)
    assert CHILD in classify(child, TODAY, Thresholds(child_max_age=18))
    assert CHILD not in classify(child, TODAY, Thresholds(child_max_age=14))


@pytest.mark.parametrize(
    "name, initials, full",
    [
        ("张三", "zs", "zhangsan"),
        ("单声", "ss", "shansheng"),
        ("曾国", "zg", "zengguo"),
        ("解放", "xf", "xiefang"),
        ("区志强", "ozq", "ouzhiqiang"),
        ("仇明", "qm", "qiuming"),
        ("朴正", "pz", "piaozheng"),
        ("查良", "zl", "zhaliang"),
        ("盖伟", "gw", "gewei"),
        ("尉迟恭", "ycg", "yuchigong"),
        ("吕小龙", "lxl", "lvxiaolong"),
    ],
)
def test_pinyin_keys(name, initials, full):
    assert keys(name) == (initials, full)


def test_prefix_range():
    assert prefix_range("zs") == ("zs", "zt")
