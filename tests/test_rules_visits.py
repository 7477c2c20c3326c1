"""Visit tiers and due dates."""

from datetime import date

import pytest

from liushou.rules.visits import TierFacts, TierRules, bucket, next_due, tier_for

ELDER = frozenset({"留守老人"})
CHILD = frozenset({"留守儿童"})


@pytest.mark.parametrize(
    "facts, tier",
    [
        (TierFacts(age=80, groups=ELDER, living_alone=True), "high"),
        (TierFacts(age=79, groups=ELDER, living_alone=True), "key"),
        (TierFacts(age=85, groups=ELDER, living_alone=False), "general"),
        (TierFacts(age=69, groups=ELDER, living_alone=True), "general"),
        (TierFacts(age=70, groups=ELDER, living_alone=True), "key"),
        (TierFacts(age=66, groups=ELDER, self_care="失能"), "high"),
        (TierFacts(age=66, groups=ELDER, self_care="半失能"), "key"),
        (TierFacts(age=9, groups=CHILD, carer_qualified=False), "high"),
        (TierFacts(age=9, groups=CHILD, carer_qualified=None), "general"),
        (TierFacts(age=9, groups=CHILD | {"困境儿童"}), "key"),
        (TierFacts(age=40, groups=frozenset({"留守妇女"}), disabled=True), "key"),
        (TierFacts(age=40, groups=frozenset({"留守妇女"}), tekun=True), "key"),
        (TierFacts(age=40, groups=frozenset({"留守妇女"})), "general"),
    ],
)
def test_tiers(facts, tier):
    assert tier_for(facts)[0] == tier


def test_tier_thresholds_are_settings():
    facts = TierFacts(age=75, groups=ELDER, living_alone=True)
    assert tier_for(facts, TierRules(high_age=75))[0] == "high"
    assert "75周岁以上独居老人" in tier_for(facts, TierRules(high_age=75))[1]


def test_next_due():
    rules = TierRules()
    assert next_due(date(2026, 1, 1), "high", rules) == date(2026, 1, 8)
    assert next_due(date(2026, 1, 1), "key", rules) == date(2026, 1, 31)
    assert next_due(date(2026, 1, 1), "general", rules) == date(2026, 4, 1)
    assert next_due(date(2026, 1, 1), "general", rules, asked=date(2026, 1, 10)) == date(
        2026, 1, 10
    )
    assert next_due(date(2026, 1, 1), "high", rules, asked=date(2026, 3, 1)) == date(2026, 1, 8)
    assert next_due(None, "high", rules, since=date(2026, 2, 1)) == date(2026, 2, 1)
    assert next_due(None, "high", rules) == date.min


@pytest.mark.parametrize(
    "due, expected",
    [
        (date(2026, 5, 9), "overdue"),
        (date(2026, 5, 10), "today"),
        (date(2026, 5, 17), "week"),
        (date(2026, 5, 18), "later"),
    ],
)
def test_bucket(due, expected):
    assert bucket(due, date(2026, 5, 10)) == expected
