"""Visit cycles by role (一登门, 一敲门, 谈心), 一敲门 check-ins, visit items by group, fitness."""

from datetime import date, datetime, timedelta

import pytest

from liushou import clock
from liushou.models.visits import CheckIn, VisitPerson, VisitState
from liushou.queries import visit_duties
from liushou.queries.facts import cutoff_for
from liushou.queries.visits import checkins_between, items_seen
from liushou.rules import visits as rules
from liushou.scope import Scope
from liushou.services import SYSTEM, ValidationError
from liushou.services.checkins import check_in, void_checkin
from liushou.services.helpers import save_helper
from liushou.services.settings import update_settings
from liushou.services.visit_changes import update_visit
from liushou.services.visits import cycles, pair, record_visit, tier_rules
from tests.conftest import post
from tests.shared.visits import world  # noqa: F401

ALL = Scope(everything=True)


def _visit(persons, helper, day, method="上门", **extra):
    return record_visit(
        SYSTEM,
        ALL,
        persons,
        {"visited_on": day.isoformat(), "method": method, "helpers": [helper.id], **extra},
    )


def test_cycle_is_the_shortest_of_groups_and_tier_never_longer():
    cyc = rules.default_cycles()
    assert cyc.for_groups("door", ["留守老人"]) == 7
    assert cyc.for_groups("knock", ["留守老人"]) == 1
    assert cyc.for_groups("knock", ["留守儿童"]) is None  # the seed asks no daily knock on children
    assert cyc.for_groups("talk", ["留守儿童"], tier_days=90) == 30
    assert cyc.for_groups("talk", ["困境儿童"], tier_days=90) == 30
    assert cyc.for_groups("talk", ["留守儿童"], tier_days=7) == 7  # high risk shortens
    assert cyc.for_groups("talk", ["留守老人"], tier_days=30) == 30  # never lengthens
    assert rules.duties_of(["网格员"]) == ["knock"]
    assert rules.duties_of(["教师"], "village") == ["door"]


def test_cycles_are_dated_settings(app, places):
    today = clock.today()
    update_settings(SYSTEM, {"cycle_talk_child": "14"}, today + timedelta(days=10))
    assert cycles(today).days["talk"]["留守儿童"] == 30  # the present keeps the old cycle
    assert cycles(today + timedelta(days=10)).days["talk"]["留守儿童"] == 14
    with pytest.raises(ValidationError):
        update_settings(SYSTEM, {"cycle_knock_elder": "每天"})


def test_settings_page_shows_the_cycles(login_as):
    page = login_as("admin").get("/admin/settings").get_data(as_text=True)
    assert "走访周期（按角色）" in page and "网格员、志愿者一敲门：留守老人（天）" in page


def test_paired_talk_cycle_uses_settings_and_tier(world):  # noqa: F811
    kid = world["kid1"]
    _visit([kid], world["helper"], clock.today() - timedelta(days=3))
    state = VisitState.get(VisitState.person == kid)
    assert state.due_on == clock.today() - timedelta(days=3) + timedelta(days=30)
    elder = world["elder"]  # 85, alone: high tier (7 days) wins over the elders' 90
    _visit([elder], world["helper"], clock.today() - timedelta(days=3))
    assert VisitState.get(VisitState.person == elder).due_on == clock.today() + timedelta(days=4)


def test_worklist_per_role(world, users, places):  # noqa: F811
    today = clock.today()
    cyc, tr = cycles(today), tier_rules(today)
    village = Scope.for_user(users["cun1"])
    door = visit_duties.of_user(village, today, cyc, tr, [world["helper"].id], "village")
    assert [d for d, _label, _rows in door] == ["door"]
    assert {d.person.name for d in door[0][2]} == {"王小明", "王小红", "王老汉"}
    # A door visit done this week takes the person off the cadre's list; a phone call does not.
    _visit([world["kid1"]], world["helper"], today - timedelta(days=2))
    _visit([world["kid2"]], world["helper"], today - timedelta(days=2), method="电话")
    door = visit_duties.owed(village, "door", today, cyc, tr, [], "village")
    assert {d.person.name for d in door} == {"王小红", "王老汉"}
    # A volunteer paired with the elder owes him a daily knock; a grid account its grid's elders.
    volunteer = save_helper(
        SYSTEM, ALL, {"name": "钱志愿", "kind": "志愿者", "village": places["V01"].id}
    )
    pair(SYSTEM, ALL, volunteer, [world["elder"], world["kid1"]])
    knock = visit_duties.of_user(ALL, today, cyc, tr, [volunteer.id], "")
    assert [(d, [r.person.name for r in rows]) for d, _l, rows in knock] == [("knock", ["王老汉"])]
    grid = Scope.for_user(users["grid1"])
    assert [
        r.person.name for r in visit_duties.owed(grid, "knock", today, cyc, tr, [], "grid")
    ] == ["王老汉"]


def test_checkin_js_off_double_tap_and_cycles(world, login_as):  # noqa: F811
    elder = world["elder"]
    client = login_as("grid1")
    page = client.get("/visits/due").get_data(as_text=True)
    assert "今天一敲门" in page and f"/persons/{elder.id}/checkin" in page and "有情况" in page
    response = post(client, f"/persons/{elder.id}/checkin?next=/visits/due", {"method": "上门"})
    assert response.status_code == 303 and response.location == "/visits/due"
    page = client.get("/visits/due").get_data(as_text=True)
    assert "已记录 王老汉 平安" in page and "今天的一敲门都已完成" in page
    post(client, f"/persons/{elder.id}/checkin", {"method": "上门"})  # a double tap
    assert CheckIn.select().count() == 1
    checkin = CheckIn.get()
    assert checkin.method == "上门" and checkin.on == clock.today()
    # A check-in satisfies the knock, never the door visit nor the talk.
    cadre = login_as("cun1").get("/visits/due").get_data(as_text=True)
    assert "王老汉" in cadre.split('id="duty-door"')[1]
    assert VisitState.get(VisitState.person == elder).last_visit_on is None


def test_checkin_with_htmx_returns_the_row(world, login_as):  # noqa: F811
    client = login_as("grid1")
    elder = world["elder"]
    response = post(
        client, f"/persons/{elder.id}/checkin", {"method": "电话"}, token_url="/visits/due"
    )
    assert response.status_code == 303
    CheckIn.update(at=clock.now() - timedelta(minutes=10)).execute()  # past the double-tap window
    from tests.conftest import csrf_token

    response = client.post(
        f"/persons/{elder.id}/checkin",
        data={"method": "视频", "csrf_token": csrf_token(client, "/visits/due")},
        headers={"HX-Request": "true"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.startswith("<li") or html.lstrip().startswith("<li")
    assert "已报平安" in html and "视频" in html and "<html" not in html
    assert CheckIn.select().count() == 2


def test_checkin_outside_the_area_is_404_and_refuses_bad_method(world, login_as, users):  # noqa: F811
    client = login_as("grid2")  # grid V01-G2: the elder lives in V01-G1
    response = post(client, f"/persons/{world['elder'].id}/checkin", {"method": "上门"})
    assert response.status_code == 404 and CheckIn.select().count() == 0
    with pytest.raises(ValidationError):
        check_in(SYSTEM, ALL, world["elder"].id, "写信")
    assert CheckIn.select().count() == 0


def test_void_checkin_and_counts_apart_from_visits(world, login_as):  # noqa: F811
    elder = world["elder"]
    with clock.freeze(clock.now() - timedelta(minutes=1)):
        first, created = check_in(SYSTEM, ALL, elder.id, "上门")
    assert created
    today = clock.today()
    _visit([elder], world["helper"], today)
    assert checkins_between(ALL, today, today, clock.now() + timedelta(seconds=1)).count() == 1
    client = login_as("cun1")
    assert "本月一敲门" in client.get("/").get_data(as_text=True)
    person_page = client.get(f"/persons/{elder.id}").get_data(as_text=True)
    assert "一敲门（平安）" in person_page and "共 1 次" in person_page
    response = post(client, f"/checkins/{first.id}/void", {"void_reason": ""}, "/visits/due")
    assert response.status_code == 422
    response = post(client, f"/checkins/{first.id}/void", {"void_reason": "点错了"}, "/visits/due")
    assert response.status_code == 303
    assert checkins_between(ALL, today, today, clock.now() + timedelta(seconds=1)).count() == 0
    # As known before the void, the check-in still counted (facts.known).
    assert checkins_between(ALL, today, today, first.created_at + timedelta(seconds=1)).count() == 1
    with pytest.raises(ValidationError):
        void_checkin(SYSTEM, CheckIn.get_by_id(first.id), "再次")


def test_checkins_between_a_closed_period_ignores_later_records(world):  # noqa: F811
    day = date(2026, 1, 5)
    with clock.freeze(datetime(2026, 1, 5, 10, 0)):
        check_in(SYSTEM, ALL, world["elder"].id)
    with clock.freeze(datetime(2026, 2, 3, 10, 0)):
        # Entered for January after January closed: not in January's figures as printed then.
        CheckIn.create(person=world["elder"], on=day, at=clock.now(), method="电话")
        assert (
            checkins_between(ALL, day, date(2026, 1, 31), cutoff_for(date(2026, 1, 31))).count()
            == 1
        )


def test_items_stored_per_person_and_old_visit_keeps_them(world, monkeypatch):  # noqa: F811
    kid, elder = world["kid1"], world["elder"]
    values = {
        "item_for": [kid.id, kid.id, elder.id],
        "item_key": ["学习", "安全", "健康与用药"],
        "item_status": ["关注", "正常", "有问题"],
        "item_note": ["成绩下降", "", "药快吃完"],
    }
    visit = _visit([kid, elder], world["helper"], clock.today(), **values)
    seen = dict((p.name, rows) for p, rows in items_seen(visit))
    assert seen["王小明"][:2] == [("学习", "关注", "成绩下降"), ("安全", "正常", "")]
    assert [r[0] for r in seen["王小明"]] == ["学习", "安全", "心理", "监护落实"]
    assert ("健康与用药", "有问题", "药快吃完") in seen["王老汉"]
    # The items change later; the old visit keeps, and is corrected with, its own.
    monkeypatch.setitem(rules.VISIT_ITEMS, "留守儿童", ("学习", "新项目"))
    update_visit(
        SYSTEM,
        ALL,
        visit,
        [kid, elder],
        {
            "visited_on": clock.today().isoformat(),
            "method": "上门",
            "helpers": [world["helper"].id],
            **values,
            "item_status": ["有问题", "正常", "有问题"],
        },
    )
    link = VisitPerson.get((VisitPerson.visit == visit) & (VisitPerson.person == kid))
    assert [r[0] for r in link.item_rows] == ["学习", "安全", "心理", "监护落实"]
    assert link.item_rows[0][1] == "有问题"


def test_item_of_someone_outside_the_household_refuses(world, places):  # noqa: F811
    from liushou.services.households import save_household
    from liushou.services.persons import save_person

    other = save_household(SYSTEM, ALL, {"village": places["V02"].id, "head_name": "外村"})
    stranger = save_person(
        SYSTEM,
        ALL,
        {"household": other.id, "name": "外人", "birth_date": "1950-01-01", "sex": "男"},
    )
    with pytest.raises(ValidationError) as e:
        _visit(
            [world["kid1"]],
            world["helper"],
            clock.today(),
            item_for=[stranger.id],
            item_key=["学习"],
            item_status=["正常"],
        )
    assert "persons" in e.value.errors
    with pytest.raises(ValidationError) as e:
        _visit(
            [world["kid1"]],
            world["helper"],
            clock.today(),
            item_for=[world["kid1"].id],
            item_key=["学习"],
            item_status=["很好"],
        )
    assert "items" in e.value.errors


def test_visit_form_asks_items_by_group_and_problem_offers_a_need(world, login_as):  # noqa: F811
    client = login_as("cun1")
    form = client.get(f"/persons/{world['kid1'].id}/visits/new").get_data(as_text=True)
    assert "监护落实" in form and "健康与用药" in form  # each member his own items
    response = post(
        client,
        f"/persons/{world['kid1'].id}/visits/new",
        {
            "persons": [world["kid1"].id],
            "visited_on": clock.today().isoformat(),
            "method": "上门",
            "helpers": [world["helper"].id],
            "item_for": [world["kid1"].id],
            "item_key": ["心理"],
            "item_status": ["有问题"],
            "item_note": ["想念父母"],
        },
    )
    assert response.status_code == 303
    link = VisitPerson.get(VisitPerson.person == world["kid1"])
    page = client.get(f"/visits/{link.visit_id}").get_data(as_text=True)
    assert "想念父母" in page and f"/persons/{world['kid1'].id}/needs/new" in page


def test_fitness_table_and_bulk_pairing_warns(world, login_as, places):  # noqa: F811
    assert not rules.fits("儿童主任", ["留守老人"]) and rules.fits("儿童主任", ["困境儿童"])
    assert rules.fits("村干部", ["留守老人"]) and not rules.fits("村医", ["留守儿童"])
    teacher = save_helper(
        SYSTEM, ALL, {"name": "孙老师", "kind": "教师", "village": places["V01"].id}
    )
    client = login_as("cun1")
    response = post(
        client,
        "/pairings/bulk",
        {"helper": teacher.id, "grid": places["V01-G1"].id, "persons": [world["elder"].id]},
    )
    assert response.status_code == 303
    page = client.get(response.location).get_data(as_text=True)
    assert "教师一般不与王老汉" in page and "新结对 1 人" in page  # warned, not refused


def test_demo_fixture_agrees_with_the_fitness_table():
    from liushou.demo import vocab

    for row in vocab.helpers():
        served = set(row["serves"].split("|")) - {"", vocab.ANYONE}
        assert all(rules.fits(row["kind"], [g]) for g in served), row["kind"]
