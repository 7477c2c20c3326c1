"""The admin's first-day checklist on home (tests/test_warm_up_page.py,
tests/test_hostile_review10.py): reading it, and doing its steps."""

import re
from datetime import date

from liushou.scope import Scope
from liushou.services import SYSTEM
from liushou.services.audit import record
from liushou.services.helpers import save_helper, set_village_posts
from liushou.services.settings import update_settings


def checklist(page):
    """{label start: done} of the first-day checklist on home ({}: not shown)."""
    return {
        label[:4]: bool(done)
        for done, label in re.findall(r'<li( class="done")?><a href="[^"]+">([^<]+)</a>', page)
    }


def finish_all_but_cards(places):
    """Every step of the checklist done but printing the households' cards (the users fixture
    made the accounts): the township's settings, and a helper in every post of V01 and V02."""
    update_settings(
        SYSTEM,
        {
            "township_name": "柳河镇",
            "township_address": "柳河路 1 号",
            "office_phone": "0931-5551234",
            "base_url": "http://10.0.0.5:8080",
        },
        date(2000, 1, 1),
    )
    everything = Scope(everything=True)
    helper = save_helper(SYSTEM, everything, {"name": "王包片", "kind": "包片干部"})
    for code in ("V01", "V02"):
        set_village_posts(
            SYSTEM,
            everything,
            places[code],
            {post: helper.id for post in ("包片干部", "村医", "民警", "法律顾问")},
        )


def print_card(home):
    """The contact card of the household `home` printed (its audited print)."""
    record(SYSTEM, "print", home, object_type="household", label="联系卡")


def finish_checklist(places, homes):
    """Every step of the checklist done: all but the cards, then 甲's card printed."""
    finish_all_but_cards(places)
    print_card(homes["h1"])
