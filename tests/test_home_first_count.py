"""Home's area figures: the check-ins and the reminders count what the user's own area holds
and read the settings of the user's township; the whole instance's check-ins are counted without
the join to Person, and count the same."""

import re
from datetime import date, datetime

from liushou import clock, figure_cache, page_cache
from liushou.models.visits import CheckIn
from liushou.scope import Scope
from liushou.services import SYSTEM
from liushou.services.checkins import check_in, void_checkin
from liushou.services.settings import update_settings
from tests.conftest import client_as  # noqa: F401
from tests.shared.county import _household_with_child, county  # noqa: F401

CHECKINS = re.compile(r"<b>(\d+)</b>本月一敲门")


def _home(app, username):
    figure_cache.clear()
    page_cache.clear()
    return client_as(app, username).get("/").get_data(as_text=True)


def _checkins(page):
    return int(CHECKINS.search(page).group(1))


def test_county_township_home_counts_its_own_checkins_with_its_own_ages(app, county):  # noqa: F811
    t1 = county["towns"]["T1"]
    update_settings(SYSTEM, {"child_max_age": "15"}, date(2001, 1, 1), t1)
    _home1, kid1, _visit1 = county["T1"]
    _home2, kid2, _visit2 = county["T2"]
    everything = Scope(everything=True)
    with clock.freeze(datetime(2026, 1, 20, 9, 0)):
        check_in(SYSTEM, everything, kid1.id)
        check_in(SYSTEM, everything, kid2.id)
        t1_page = _home(app, "t1cadre")
        t2_page = _home(app, "t2admin")
        county_page = _home(app, "countyadmin")
    assert "60天内满15周岁的留守儿童" in t1_page  # T1's own age
    assert "60天内满16周岁的留守儿童" in t2_page  # the built-in one
    assert _checkins(t1_page) == 1 and _checkins(t2_page) == 1
    assert _checkins(county_page) == 2


def test_township_home_counts_the_months_checkins_neither_voided_nor_earlier(app, places, users):
    everything = Scope(everything=True)
    _h1, kid1 = _household_with_child(places, "V01", "甲户主", "甲儿童")
    _h2, kid2 = _household_with_child(places, "V02", "乙户主", "乙儿童")
    with clock.freeze(datetime(2026, 2, 27, 9, 0)):
        check_in(SYSTEM, everything, kid1.id)  # last month
    with clock.freeze(datetime(2026, 3, 2, 9, 0)):
        check_in(SYSTEM, everything, kid1.id)
        mistaken, _ = check_in(SYSTEM, everything, kid2.id)
        void_checkin(SYSTEM, CheckIn.get_by_id(mistaken.id), "点错了")
    with clock.freeze(datetime(2026, 3, 3, 9, 0)):
        check_in(SYSTEM, everything, kid2.id)
        township = _home(app, "township")
        village = _home(app, "cun1")
    assert _checkins(township) == 2  # the whole township's: no join to Person
    assert _checkins(village) == 1  # V01's: kid1's of this month
