"""The small gaps left by the last reviews: a voided person's new-visit page, a birth-date
correction against the kept periods, the warm-up page on a county, the first-day checklist's
accounts, account changes seen by another process (two saves of one form version at once:
tests/test_lost_updates.py)."""

from datetime import date

import pytest

from liushou import clock
from liushou.models import Person
from liushou.models.visits import Visit
from tests.conftest import client_as, post
from tests.shared.county import county  # noqa: F401 - a fixture

pytestmark = pytest.mark.usefixtures("never_slow")


# --- a voided person's new-visit page ---------------------------------------------------------


def test_the_new_visit_page_of_a_voided_person_is_not_found(app, homes):
    """A cadre keeps a printed QR code of a child whose registration was voided (a duplicate):
    its new-visit page answers 404 like any other page of an id that is not his, and a posted
    visit writes nothing."""
    kid = homes["kids"][0]
    township = client_as(app, "township")
    voided = post(township, f"/persons/{kid.id}/void", {"void_reason": "重复登记"})
    assert voided.status_code in (302, 303)
    cadre = client_as(app, "cun1")
    url = f"/persons/{kid.id}/visits/new"
    assert cadre.get(url).status_code == 404
    today = clock.today().isoformat()
    posted = post(cadre, url, {"visited_on": today, "method": "上门", "persons": str(kid.id)})
    assert posted.status_code == 404
    assert Visit.select().count() == 0


# --- the first-day checklist's accounts --------------------------------------------------------


def test_the_checklist_counts_no_disabled_account(app, users):
    """The accounts step counts the accounts that can work: an admin disables every cadre's and
    grid worker's account (they left): the step is undone and says nothing of them."""
    from liushou.queries.accounts import first_day_steps
    from liushou.services import SYSTEM
    from liushou.services.accounts import update_user

    def accounts_step():
        return next(s for s in first_day_steps() if s[0] == "accounts")

    assert accounts_step()[2] is True
    for name in ("township", "leader", "cun1", "cun2"):
        user = users[name]
        values = {
            "display_name": user.display_name,
            "role": user.role,
            "village": user.village_id,
            "grids": [],
        }
        update_user(SYSTEM, user, values, active=False)
    assert accounts_step()[2] is True
    assert accounts_step()[3] == "已有 2 个账号"  # the two grid workers
    for name in ("grid1", "grid2"):
        user = users[name]
        values = {
            "display_name": user.display_name,
            "role": user.role,
            "village": user.village_id,
            "grids": user.grid_ids,
        }
        update_user(SYSTEM, user, values, active=False)
    key, _label, done, detail = accounts_step()
    assert (done, detail) == (False, "")
    home = client_as(app, "admin")
    assert "为乡镇干部、村干部和网格员建账号" in home.get("/").get_data(as_text=True)


# --- the warm-up page on a county's instance ---------------------------------------------------


def test_on_a_county_only_the_county_admin_reads_the_warm_up_page(app, county):  # noqa: F811
    """The start-of-day round and its error text are the whole server's: a township's admin of
    a county's instance is refused (403, as for the instance's settings), the county admin
    reads it."""
    assert client_as(app, "t1admin").get("/admin/warm-up").status_code == 403
    page = client_as(app, "countyadmin").get("/admin/warm-up")
    assert page.status_code == 200 and 'id="warm-up" data-state="none"' in page.get_data(
        as_text=True
    )


# --- a birth-date correction against the kept periods -----------------------------------------


def test_a_birth_date_correction_leaves_kept_equal_to_live(app, places, users, monkeypatch):
    """An elder's 高龄补贴 pays by his age band (80-89: 25 a month, 90-99: 120). The month is
    closed and kept; then the township corrects his birth date (he is 95, not 85) on his edit
    page: the month's report read from its kept rows must say what the live count says."""
    from tests.formdata import editor, replace
    from tests.shared.allowance import _benefit, _person
    from tests.shared.kept import live_and_kept, this_month_kept
    from tests.shared.town import household

    today = clock.today()
    home = household(places, "V01-G1", "一")
    elder = _person(home, "老甲", f"{today.year - 85}-01-01")
    _benefit(elder, f"{today.year - 1}-01-01")
    with this_month_kept() as (start, end):
        live, kept = live_and_kept(monkeypatch, start, end)
        assert live == kept
        client, form = editor(app, f"/persons/{elder.id}/edit")
        saved = client.post(
            f"/persons/{elder.id}/edit", data=replace(form, birth_date=f"{today.year - 95}-01-01")
        )
        assert saved.status_code == 303, saved.get_data(as_text=True)
        assert Person.get_by_id(elder.id).birth_date == date(today.year - 95, 1, 1)
        live, kept = live_and_kept(monkeypatch, start, end)
        assert live == kept


# --- an account changed by another process ----------------------------------------------------

_RENAME = """
import sys
from liushou.db import database
from liushou.models import User
from liushou.services import SYSTEM
from liushou.services.accounts import update_user
from liushou import create_app

create_app({"TESTING": True, "DATABASE": sys.argv[1], "SECRET_KEY": "test"})
database.connect(reuse_if_open=True)
user = User.get(User.username == sys.argv[2])
values = {"display_name": sys.argv[3], "role": user.role, "village": user.village_id, "grids": []}
update_user(SYSTEM, user, values)
database.close()
"""


def test_a_rename_by_another_process_shows_on_a_childs_kept_page(app, homes, users, monkeypatch):
    """A child's page names who registered him and is kept between writes. A second server
    process on the same database (its own memory) renames that account: this server's next
    view of the page names him as he is now called."""
    import os
    import subprocess
    import sys

    from liushou import db_generation
    from tests._helpers import text

    # The shared counters read at every page, as SQLite does (PostgreSQL: every half second).
    monkeypatch.setitem(db_generation.CHECK_EVERY, "postgres", 0.0)
    kid = homes["kids"][0]
    Person.update(collected_by=users["cun1"].id).where(Person.id == kid.id).execute()
    township = client_as(app, "township")
    assert "采集人：cun1" in text(township, f"/persons/{kid.id}")
    assert "采集人：cun1" in text(township, f"/persons/{kid.id}")  # kept
    done = subprocess.run(
        [sys.executable, "-c", _RENAME, str(app.config["DATABASE"]), "cun1", "张采集"],
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        env={**os.environ},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    page = text(township, f"/persons/{kid.id}")
    assert "采集人：张采集" in page and "采集人：cun1" not in page
