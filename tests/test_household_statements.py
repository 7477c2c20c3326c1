"""Moving a household and a member's exit, re-entry or 作废 re-settle every member of the
household in one transaction: each setting is read once per write (settings.held), not once
per member, as registering one is (tests/test_save_person_statements.py). Counts are
deterministic; PostgreSQL with LIUSHOU_TEST_POSTGRES=1."""

from liushou.scope import Scope
from liushou.services import SYSTEM
from liushou.services.households import save_household
from liushou.services.person_exits import exit_person, reenter_person, void_person
from tests.shared.statements import MEMBERS, _register, _statements

EVERYTHING = Scope(everything=True)
# Each setting the write reads, once (about as many as registering a member reads).
SETTING_READS_MAX = 22


def _home(places, members):
    home = save_household(
        SYSTEM,
        EVERYTHING,
        {"village": places["V01"].id, "grid": places["V01-G1"].id, "head_name": "户主"},
    )
    return home, [_register(home, *m) for m in members]


def _reads(statements):
    return len([s for s in statements if 'FROM "setting"' in s])


def _moved(home, places):
    values = {"village": places["V01"].id, "grid": places["V01-G2"].id, "head_name": "户主"}
    return lambda: save_household(SYSTEM, EVERYTHING, values, home)


def test_moving_a_household_reads_each_setting_once(places):
    small, _ = _home(places, MEMBERS[:2])
    large, _ = _home(places, MEMBERS)
    few = _reads(_statements(_moved(small, places)))
    many = _reads(_statements(_moved(large, places)))
    assert many <= SETTING_READS_MAX, many
    assert many == few, (few, many)  # not once per member


def test_a_members_exit_reentry_and_voiding_read_each_setting_once(places):
    _small, (first, second) = _home(places, MEMBERS[:2])
    _large, members = _home(places, MEMBERS)
    values = {"exit_reason": "迁出", "exited_on": "2026-01-02"}
    for person, other in ((first, members[0]),):
        counts = []
        for who in (person, other):
            counts.append(
                [
                    _reads(_statements(lambda p=who: exit_person(SYSTEM, p, values))),
                    _reads(_statements(lambda p=who: reenter_person(SYSTEM, p))),
                ]
            )
        assert counts[0] == counts[1], counts
        assert max(counts[1]) <= SETTING_READS_MAX, counts
    few = _reads(_statements(lambda: void_person(SYSTEM, second, "重复登记")))
    many = _reads(_statements(lambda: void_person(SYSTEM, members[1], "重复登记")))
    assert many == few and many <= SETTING_READS_MAX, (few, many)
