"""Registering a member re-settles every member of his household (derived categories, visit
tiers) in one transaction: each setting is read once per registration, not once per member
(issue 18; the memo of settings is bypassed inside a transaction). Counts are deterministic;
PostgreSQL with LIUSHOU_TEST_POSTGRES=1."""

from liushou.db import database
from liushou.scope import Scope
from liushou.services import SYSTEM
from liushou.services.households import save_household
from tests.conftest import POSTGRES
from tests.shared.statements import MEMBERS, _register, _statements

EVERYTHING = Scope(everything=True)


# What registering the 4th member of a household runs today (both engines): 173 statements, 120
# of them reads of settings, before the settings were held for the write.
REGISTRATION_MAX = 75
SETTING_READS_MAX = 22  # each setting the write reads, once


def test_registering_the_fourth_member_reads_each_setting_once(places):
    home = save_household(
        SYSTEM,
        EVERYTHING,
        {"village": places["V01"].id, "grid": places["V01-G1"].id, "head_name": "户主"},
    )
    _register(home, *MEMBERS[0])
    second = _statements(lambda: _register(home, *MEMBERS[1]))
    _register(home, *MEMBERS[2])
    fourth = _statements(lambda: _register(home, *MEMBERS[3]))
    reads = [s for s in fourth if 'FROM "setting"' in s]
    assert len(reads) <= SETTING_READS_MAX, len(reads)
    # Not once per member settled: a larger household reads no more settings.
    assert len(reads) == len([s for s in second if 'FROM "setting"' in s])
    assert len(fourth) <= REGISTRATION_MAX, (POSTGRES, len(fourth))


def test_a_setting_written_inside_a_held_block_is_read_anew(places):
    from datetime import date

    from liushou import settings
    from liushou.services.settings import update_settings

    with settings.held():
        assert settings.get("child_max_age", date(2030, 1, 1)) == 16
        with database.atomic():
            update_settings(SYSTEM, {"child_max_age": "15"}, date(2030, 1, 1))
            assert settings.get("child_max_age", date(2030, 1, 1)) == 15
        bands = settings.get("elder_subsidy_bands")
        assert settings.get("elder_subsidy_bands") == bands


def test_registration_derives_with_the_held_thresholds(places):
    """The values held for the write are the ones in force: a child is a child."""
    home = save_household(
        SYSTEM,
        EVERYTHING,
        {"village": places["V01"].id, "grid": places["V01-G1"].id, "head_name": "户主"},
    )
    kid = _register(home, *MEMBERS[3])
    assert "留守儿童" in kid.groups
