"""审核报送: village and grid users' registrations, exits, re-entries and category-changing edits
wait for a township user's approval while review is on for that kind."""

import json
from datetime import date

import pytest

from liushou import clock
from liushou.models import AuditLog
from liushou.models.persons import Person
from liushou.models.review import APPROVED, PENDING, WITHDRAWN, ReviewItem
from liushou.queries import history
from liushou.queries import review as queries
from liushou.queries.indicators import home_figures
from liushou.scope import Scope
from liushou.services import ValidationError
from liushou.services import review as service
from liushou.services.person_exits import exit_person, reenter_person
from liushou.services.persons import save_person
from tests.conftest import post
from tests.shared import review
from tests.shared.review import actor, child, child_id, register, review_on, scope

homes, today = review.homes, review.today  # the shared fixtures

ALL = Scope(everything=True)
TODAY = date(2026, 6, 10)


def test_review_is_off_by_default(users, homes):
    person = register(users, "cun1", homes["V01"])
    assert isinstance(person, Person) and person.group_list == ["留守儿童"]
    assert ReviewItem.select().count() == 0


def test_setting_is_per_kind_and_dated(users, homes):
    review_on("exit", since=date(2026, 1, 1))
    review_on("register", since=date(2026, 7, 1))
    # Registration review starts only on 7-01: before it, applied at once.
    person = register(users, "cun1", homes["V01"])
    assert isinstance(person, Person)
    item = exit_person(
        actor(users, "cun1"), person, {"exit_reason": "迁出", "exited_on": "2026-06-09"}
    )
    assert isinstance(item, ReviewItem) and item.status == PENDING
    assert Person.get_by_id(person.id).exited_on is None
    with clock.freeze(date(2026, 7, 2)):
        proposal = register(users, "grid1", homes["V01"], 2)
    assert isinstance(proposal, ReviewItem)
    assert Person.select().count() == 1


def test_township_changes_apply_at_once(users, homes):
    review_on("register", "exit", "category_edit")
    person = register(users, "township", homes["V01"])
    assert isinstance(person, Person)
    exit_person(actor(users, "admin"), person, {"exit_reason": "迁出", "exited_on": "2026-06-09"})
    assert Person.get_by_id(person.id).exited


def test_pending_registration_is_not_in_figures_or_lists(users, homes):
    review_on("register")
    item = register(users, "cun1", homes["V01"])
    assert item.status == PENDING and item.groups_after == "留守儿童"
    assert Person.select().count() == 0
    figures = home_figures(ALL, TODAY)
    assert figures["total"] == 0 and figures["groups"]["留守儿童"] == 0
    # The reviewer reads the key fields and the categories it will get; the ID masked.
    rows = queries.shown_changes(item, {"name": "姓名", "id_number": "身份证号"})
    assert ("姓名", "（空）", "王小1") in rows
    ids = [r for r in rows if r[0] == "身份证号"]
    assert ids and child_id(1) not in ids[0][2] and "*" in ids[0][2]
    assert ("groups", "（空）", "留守儿童") in rows


def test_validation_is_unchanged_and_nothing_is_stored(users, homes):
    review_on("register")
    with pytest.raises(ValidationError) as e:
        register(users, "cun1", homes["V01"], name="")
    assert "name" in e.value.errors
    assert ReviewItem.select().count() == 0


def test_approve_applies_as_the_author_with_the_approver_in_the_audit(users, homes):
    review_on("register")
    item = register(users, "cun1", homes["V01"])
    service.approve(actor(users, "township"), ALL, item)
    item = ReviewItem.get_by_id(item.id)
    person = Person.get(Person.id == item.person_id)
    assert item.status == APPROVED and item.reviewer_id == users["township"].id
    assert person.group_list == ["留守儿童"]
    created = AuditLog.get((AuditLog.object_type == "person") & (AuditLog.action == "create"))
    assert created.username == "cun1"
    note = dict((f, new) for f, _old, new in created.change_list)["reviewed"]
    assert "township 审核通过" in note and "cun1" in note and "2026-06-10 10:00" in note
    # The person's history shows who approved and when; the item's history its round trip.
    assert any(f == "reviewed" for row in history.of(person) for f, _o, _n in row.change_list)
    assert [a.action for a in history.of(item)] == ["submit", "approve"]
    assert home_figures(ALL, TODAY)["groups"]["留守儿童"] == 1


def test_exit_and_reentry_wait_and_apply(users, homes):
    person = register(users, "cun1", homes["V01"])
    review_on("exit", "reenter")
    item = exit_person(
        actor(users, "grid1"), person, {"exit_reason": "迁出", "exited_on": "2026-06-09"}
    )
    assert (item.groups_before, item.groups_after) == ("留守儿童", "")
    # A second proposal for him while one waits is refused.
    with pytest.raises(ValidationError) as e:
        exit_person(
            actor(users, "cun1"), person, {"exit_reason": "迁出", "exited_on": "2026-06-09"}
        )
    assert "等待乡镇审核" in e.value.errors["_record"]
    assert queries.pending_for_person(scope(users, "cun1"), person).id == item.id
    service.approve(actor(users, "township"), ALL, item)
    person = Person.get_by_id(person.id)
    assert person.exited and person.exited_on == date(2026, 6, 9) and person.groups == ""
    back = reenter_person(actor(users, "cun1"), person)
    assert isinstance(back, ReviewItem) and back.groups_after == "留守儿童"
    assert Person.get_by_id(person.id).exited
    service.approve(actor(users, "admin"), ALL, back)
    assert Person.get_by_id(person.id).groups == "留守儿童"


def test_only_category_changing_edits_wait(users, homes):
    person = register(users, "cun1", homes["V01"])
    review_on("category_edit")
    values = child(homes["V01"], 1, school="一小")
    same = save_person(actor(users, "cun1"), scope(users, "cun1"), values, person)
    assert isinstance(same, Person) and Person.get_by_id(person.id).school == "一小"
    values = child(homes["V01"], 1, school="二小", father_status="在家")
    item = save_person(
        actor(users, "cun1"), scope(users, "cun1"), values, Person.get_by_id(person.id)
    )
    assert isinstance(item, ReviewItem) and item.kind == "category_edit"
    assert (item.groups_before, item.groups_after) == ("留守儿童", "")
    fields = {f: (old, new) for f, old, new in item.changes}
    assert fields["father_status"] == ("外出务工", "在家") and fields["school"] == ("一小", "二小")
    assert Person.get_by_id(person.id).father_status == "外出务工"
    # Meanwhile the township changes another field: approving keeps it.
    save_person(
        actor(users, "township"),
        ALL,
        child(homes["V01"], 1, school="一小", phone="13912345678"),
        Person.get_by_id(person.id),
    )
    service.approve(actor(users, "township"), ALL, item)
    person = Person.get_by_id(person.id)
    assert (person.father_status, person.school, person.phone) == ("在家", "二小", "13912345678")
    assert person.groups == ""


def test_stale_proposal_stays_pending_with_its_error(users, homes):
    review_on("register")
    item = register(users, "cun1", homes["V01"])
    register(users, "township", homes["V01"], 1, name="王重名")  # the same ID, meanwhile
    with pytest.raises(ValidationError) as e:
        service.approve(actor(users, "township"), ALL, item)
    assert "已登记" in e.value.errors["id_number"]
    assert ReviewItem.get_by_id(item.id).status == PENDING
    assert Person.select().count() == 1


def test_bulk_approve_reports_the_stale_item_and_applies_the_others(users, homes):
    review_on("register")
    items = [register(users, "cun1", homes["V01"], n) for n in (1, 2, 3)]
    register(users, "township", homes["V01"], 2, name="王抢先")
    done, failed = service.decide_many(
        actor(users, "township"), ALL, [str(i.id) for i in items], "approve"
    )
    assert [i.id for i in done] == [items[0].id, items[2].id]
    assert [(i.id, "已登记" in m) for i, m in failed] == [(items[1].id, True)]
    assert ReviewItem.get_by_id(items[1].id).status == PENDING
    assert Person.select().count() == 3


def test_return_resubmit_and_withdraw(users, homes):
    review_on("register", "exit")
    item = register(users, "grid1", homes["V01"])
    with pytest.raises(ValidationError):
        service.return_item(actor(users, "township"), item, "")
    service.return_item(actor(users, "township"), item, "父母情况请核实")
    assert [i.id for i in queries.returned_to(scope(users, "grid1"), users["grid1"])] == [item.id]
    assert queries.returned_to(scope(users, "cun1"), users["cun1"]) == []
    values = queries.resubmit_values(scope(users, "grid1"), users["grid1"], item.id)
    assert values["name"] == "王小1" and values["review_item"] == item.id
    again = save_person(
        actor(users, "grid1"), scope(users, "grid1"), {**values, "mother_status": "在家"}
    )
    assert again.status == PENDING and again.id != item.id
    assert ReviewItem.get_by_id(item.id).status == WITHDRAWN
    assert queries.returned_to(scope(users, "grid1"), users["grid1"]) == []
    # Someone else cannot withdraw it; its author can.
    with pytest.raises(ValidationError):
        service.withdraw(actor(users, "cun1"), again)
    service.withdraw(actor(users, "grid1"), again)
    assert ReviewItem.get_by_id(again.id).status == WITHDRAWN
    with pytest.raises(ValidationError):
        service.approve(actor(users, "township"), ALL, ReviewItem.get_by_id(again.id))


def test_pending_registration_of_the_same_id_is_refused(users, homes):
    review_on("register")
    register(users, "cun1", homes["V01"])
    with pytest.raises(ValidationError) as e:
        register(users, "grid1", homes["V01"], 1, name="另一人")
    assert "等待乡镇审核" in e.value.errors["id_number"]


def test_with_pending_figures_hand_counted(users, homes):
    # Approved: V01 two children (a, b), V02 one child (c).
    a = register(users, "cun1", homes["V01"], 1)
    register(users, "cun1", homes["V01"], 2)
    register(users, "cun2", homes["V02"], 3)
    review_on("register", "exit", "category_edit")
    register(users, "cun1", homes["V01"], 4)  # V01 +1 child
    register(users, "cun2", homes["V02"], 5)  # V02 +1 child
    exit_person(
        actor(users, "cun1"), a, {"exit_reason": "迁出", "exited_on": "2026-06-09"}
    )  # V01 -1
    figures = home_figures(ALL, TODAY)
    assert figures["groups"]["留守儿童"] == 3
    rows, total = queries.with_pending(ALL, figures["by_village"], figures["villages"])
    child_col = 0
    assert [(name, cells[child_col]) for name, cells in rows] == [
        ("第1村", (2, 1, 1, 2)),
        ("第2村", (1, 1, 0, 2)),
    ]
    assert total[1][child_col] == (3, 2, 1, 4)
    # A village user's switch counts only his village.
    mine = scope(users, "cun1")
    f = home_figures(mine, TODAY)
    rows, total = queries.with_pending(mine, f["by_village"], f["villages"])
    assert total[1][child_col] == (2, 1, 1, 2)


def test_payload_keeps_the_form_values(users, homes):
    review_on("register")
    item = register(users, "cun1", homes["V01"])
    stored = json.loads(item.payload)
    assert stored["values"]["name"] == "王小1" and "csrf_token" not in stored["values"]


# --- Through the web client -------------------------------------------------------------------


def test_village_user_registers_through_the_form_and_township_approves(users, homes, login_as):
    review_on("register")
    client = login_as("cun1")
    form = {k: v for k, v in child(homes["V01"]).items()}
    r = post(client, "/persons/new", form, token_url=f"/persons/new?household={homes['V01'].id}")
    assert r.status_code == 303 and "/review/" in r.headers["Location"]
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "已提交，待乡镇审核" in page and "王小1" in page and "留守儿童" in page
    assert client.get("/persons").get_data(as_text=True).count("王小1") == 0
    item = ReviewItem.get()
    # A village user cannot approve (403), and his queue lists his own items.
    assert (
        post(client, "/review/decide", {"items": item.id, "action": "approve"}).status_code == 403
    )
    assert "王小1" in client.get("/review").get_data(as_text=True)
    client = login_as("township")
    home = client.get("/").get_data(as_text=True)
    assert "1 项修改待审核" in home
    queue = client.get("/review").get_data(as_text=True)
    assert f'name="items" value="{item.id}"' in queue
    r = post(client, "/review/decide", {"items": item.id, "action": "approve"}, token_url="/review")
    assert r.status_code == 303
    assert ReviewItem.get_by_id(item.id).status == APPROVED
    assert "王小1" in client.get("/persons").get_data(as_text=True)
    page = client.get(f"/review/{item.id}").get_data(as_text=True)
    assert "cun1 提交审核" in page and "township 审核通过" in page


def test_returned_item_shows_on_the_authors_home_and_he_resubmits(users, homes, login_as):
    review_on("register")
    item = register(users, "cun1", homes["V01"])
    client = login_as("township")
    r = post(
        client,
        "/review/decide",
        {"items": item.id, "action": "return", "reason": "母亲情况请核实", "back": "detail"},
        token_url="/review",
    )
    assert r.headers["Location"].endswith(f"/review/{item.id}")
    client = login_as("cun1")
    home = client.get("/").get_data(as_text=True)
    assert "被退回的修改" in home and "母亲情况请核实" in home
    form_url = f"/persons/new?household={homes['V01'].id}&review={item.id}"
    page = client.get(form_url).get_data(as_text=True)
    assert 'value="王小1"' in page and f'name="review_item" value="{item.id}"' in page
    # Another user cannot open his returned item's values.
    other = login_as("grid1")
    assert other.get(form_url).status_code == 404
    client = login_as("cun1")
    form = {**child(homes["V01"]), "mother_status": "在家", "review_item": item.id}
    r = post(client, "/persons/new", form, token_url=form_url)
    assert r.status_code == 303
    assert ReviewItem.get_by_id(item.id).status == WITHDRAWN
    assert "被退回的修改" not in client.get("/").get_data(as_text=True)


def test_exit_form_and_person_page_show_pending(users, homes, login_as):
    person = register(users, "cun1", homes["V01"])
    review_on("exit")
    client = login_as("grid1")
    url = f"/persons/{person.id}"
    r = post(
        client, url + "/exit", {"exit_reason": "迁出", "exited_on": "2026-06-01"}, token_url=url
    )
    assert r.status_code == 303
    page = client.get(url).get_data(as_text=True)
    assert "已提交，待乡镇审核" in page and "有待审核的修改" in page
    assert not Person.get_by_id(person.id).exited
    r = post(
        client, url + "/exit", {"exit_reason": "迁出", "exited_on": "2026-06-01"}, token_url=url
    )
    assert "等待乡镇审核" in client.get(url).get_data(as_text=True)
    assert ReviewItem.select().count() == 1


def test_scope_other_areas_items_are_404_and_leader_reads_only(users, homes, login_as):
    review_on("register")
    mine = register(users, "cun1", homes["V01"])
    theirs = register(users, "cun2", homes["V02"], 2)
    client = login_as("cun1")
    assert client.get(f"/review/{theirs.id}").status_code == 404
    assert post(client, f"/review/{theirs.id}/withdraw", token_url="/review").status_code == 404
    # A grid worker of the same village does not see a colleague's item either.
    client = login_as("grid2")
    assert client.get(f"/review/{mine.id}").status_code == 404
    leader = login_as("leader")
    page = leader.get("/review").get_data(as_text=True)
    assert "王小1" in page and "王小2" in page and 'name="items"' not in page
    assert (
        post(leader, "/review/decide", {"items": mine.id, "action": "approve"}).status_code == 403
    )
    # A township user deciding on an id that does not exist: 404, nothing written.
    client = login_as("township")
    r = post(client, "/review/decide", {"items": [mine.id, 99999], "action": "approve"})
    assert r.status_code == 404
    assert ReviewItem.get_by_id(mine.id).status == PENDING


def test_bulk_return_needs_a_reason(users, homes, login_as):
    review_on("register")
    item = register(users, "cun1", homes["V01"])
    client = login_as("township")
    post(client, "/review/decide", {"items": item.id, "action": "return"}, token_url="/review")
    assert "请填写退回原因" in client.get("/review").get_data(as_text=True)
    assert ReviewItem.get_by_id(item.id).status == PENDING


def test_with_pending_switch_on_home_and_reports(users, homes, login_as):
    register(users, "cun1", homes["V01"], 1)
    review_on("register")
    register(users, "cun1", homes["V01"], 2)
    client = login_as("township")
    plain = client.get("/").get_data(as_text=True)
    assert "含待审核" in plain and "含待审核：各村各类人数" not in plain
    page = client.get("/?pending=1").get_data(as_text=True)
    assert "含待审核：各村各类人数" in page and "1（+1）→ <b>2</b>" in page
    report = client.get("/reports?pending=1").get_data(as_text=True)
    assert "含待审核：各村各类人数" in report and "1（+1）→ <b>2</b>" in report
    assert "含待审核：各村各类人数" not in client.get("/reports").get_data(as_text=True)


def test_person_page_history_says_who_approved(users, homes, login_as):
    review_on("register")
    item = register(users, "cun1", homes["V01"])
    service.approve(actor(users, "township"), ALL, item)
    client = login_as("cun1")
    page = client.get(f"/persons/{ReviewItem.get_by_id(item.id).person_id}").get_data(as_text=True)
    assert "cun1 新增" in page and "审核：township 审核通过（2026-06-10 10:00" in page


def test_approved_edit_keeps_the_fields_it_did_not_change(users, homes):
    extra = {"carer_name": "王建国", "carer_capable": "0", "difficulty_kinds": ["贫困"]}
    person = register(users, "township", homes["V01"], 1, **extra)
    review_on("category_edit")
    values = child(homes["V01"], 1, father_status="在家", **extra)
    item = save_person(actor(users, "cun1"), scope(users, "cun1"), values, person)
    assert [f for f, _o, _n in item.changes] == ["father_status", "groups"]
    service.approve(actor(users, "township"), ALL, item)
    person = Person.get_by_id(person.id)
    assert person.father_status == "在家" and person.carer_capable is False
    assert person.difficulty_kinds == "贫困" and person.groups == "困境儿童"
