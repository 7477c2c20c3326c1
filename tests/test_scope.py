"""Area scoping: every role sees only its area; outside objects answer 404."""

import pytest
from werkzeug.exceptions import NotFound

from liushou.models import Grid, Village
from liushou.scope import Scope


def test_scopes_per_role(users, places):
    assert Scope.for_user(users["admin"]).everything
    assert Scope.for_user(users["leader"]).everything
    cun1 = Scope.for_user(users["cun1"])
    assert {v.code for v in cun1.query(Village)} == {"V01"}
    assert {g.code for g in cun1.query(Grid)} == {"V01-G1", "V01-G2"}
    grid1 = Scope.for_user(users["grid1"])
    assert {g.code for g in grid1.query(Grid)} == {"V01-G1"}
    assert grid1.allows_grid(places["V01"].id, places["V01-G1"].id)
    assert not grid1.allows_grid(places["V01"].id, places["V01-G2"].id)
    assert not grid1.allows_village(places["V01"].id)
    assert cun1.allows_village(places["V01"].id) and not cun1.allows_village(places["V02"].id)


def test_get_outside_area_is_not_found(users, places):
    cun2 = Scope.for_user(users["cun2"])
    with pytest.raises(NotFound):
        cun2.get(Grid, places["V01-G1"].id)
    with pytest.raises(NotFound):
        cun2.get(Grid, "not-a-number")
    assert cun2.get(Grid, places["V02-G1"].id).code == "V02-G1"


def test_logged_out_scope_sees_nothing(places):
    assert Scope.for_user(None).query(Village).count() == 0


def test_home_shows_only_own_area(login_as, places):
    page = login_as("cun2").get("/").get_data(as_text=True)
    assert "第2村" in page and "第1村" not in page
