"""The demo's last weeks, as a cadre finds them on the pages he opens: the open emergencies on
home and on every page (one step past its limit), the call list partly dialled, a 困境儿童
suggestion, the review queue, 一敲门 check-ins and visit items on a person's pages, the 低保
roster compared, photos; all dated before now, and the same for the same seed."""

import json
from datetime import datetime

import pytest

from liushou import clock, create_app
from liushou.db import database
from liushou.demo import build
from liushou.migrations import migrate
from liushou.models.care import Emergency, EmergencyCall
from liushou.models.crosscheck import Crosscheck, CrosscheckRow
from liushou.models.files import Attachment
from liushou.models.persons import Person
from liushou.models.review import ReviewItem
from liushou.models.visits import CheckIn, VisitPerson
from tests.conftest import login


@pytest.fixture
def demo(demo_app):
    """The demo app, its database open for the test's own reads (no app context held: each
    request gets its own)."""
    database.connect(reuse_if_open=True)
    return demo_app


def _as(app, username):
    client = app.test_client()
    assert login(client, username).status_code == 303
    return client


def _page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_home_shows_the_open_emergencies_and_the_overdue_step(demo):
    open_ = list(Emergency.select().where(Emergency.closed_at.is_null()).order_by(Emergency.id))
    assert len(open_) == 2
    home = _page(_as(demo, "cun01"), "/")
    assert "<b>2</b>处置中突发事件" in home
    # The older one's parents were not told within the hour: red on every page.
    late = open_[1]
    assert f"突发事件：{late.person.name}（{late.kind}）“告知外出务工的父母”已超过时限" in home
    assert "已超过时限" in _page(_as(demo, "xiangzhen"), "/persons")


def test_an_open_emergency_has_steps_done_and_calls_stamped(demo):
    first = Emergency.select().where(Emergency.closed_at.is_null()).order_by(Emergency.id).first()
    done = [s.code for s in first.steps if s.done_at]
    assert done == ["police", "township"]  # the carer and parents steps still running
    calls = list(EmergencyCall.select().where(EmergencyCall.emergency == first))
    assert [c.target for c in calls][:1] == ["carer"] and len(calls) == 2
    page = _page(_as(demo, "cun01"), f"/emergencies/{first.id}")
    assert first.person.name in page and "已拨打" in page
    assert calls[0].called_at.strftime("%H:%M") in page
    for call in calls:
        assert first.discovered_at <= call.called_at <= clock.now()


def test_suggestions_list_a_child_with_a_disability(demo):
    page = _page(_as(demo, "cun01"), "/suggestions")
    assert "本人残疾（肢体三级）" in page
    home = _page(_as(demo, "cun01"), "/")
    assert "1 条待确认困境儿童建议" in home


def test_review_has_pending_items_and_one_returned(demo):
    statuses = [i.status for i in ReviewItem.select()]
    assert statuses.count("待审核") >= 3 and statuses.count("退回") == 1
    queue = _page(_as(demo, "xiangzhen"), "/review")
    pending = ReviewItem.select().where(ReviewItem.status == "待审核").first()
    assert pending.label in queue
    returned = ReviewItem.get(ReviewItem.status == "退回")
    home = _page(_as(demo, returned.author.username), "/")
    assert "被退回的修改" in home and "请补充父母外出务工地点" in home


def test_a_person_page_shows_his_check_ins(demo):
    checkin = CheckIn.select().order_by(CheckIn.at.desc()).first()
    person = checkin.person
    assert "留守老人" in person.group_list
    count = CheckIn.select().where(CheckIn.person == person).count()
    assert count >= 5  # most days of the last four weeks
    page = _page(_as(demo, "xiangzhen"), f"/persons/{person.id}")
    assert f"共 {count} 次" in page
    assert checkin.at.strftime("%Y-%m-%d %H:%M") in page
    assert checkin.helper.name in page
    # Done before today, by the grid worker of his grid; today's are still owed.
    today = clock.today()
    assert not CheckIn.select().where(CheckIn.on >= today).exists()
    assert (
        checkin.helper.kind == "网格员" and checkin.helper.areas.first().grid_id == person.grid_id
    )


def test_recent_visits_note_each_persons_items(demo):
    noted = list(
        VisitPerson.select().where(VisitPerson.items.contains("有问题")).order_by(VisitPerson.id)
    )
    assert noted
    link = noted[-1]
    item, status, note = next(r for r in link.item_rows if r[1] == "有问题")
    assert note
    page = _page(_as(demo, "xiangzhen"), f"/visits/{link.visit_id}")
    assert f"{item}：" in page and note in page and "登记需求" in page
    # Items are those of the person's groups, every one answered.
    rows = json.loads(link.items)
    assert all(status in ("正常", "关注", "有问题") for _i, status, _n in rows)


def test_a_roster_comparison_is_kept(demo):
    check = Crosscheck.get()
    assert check.created_at.date() < clock.today()
    categories = {r.category for r in CrosscheckRow.select()}
    assert {"a", "c", "x"} <= categories
    client = _as(demo, "xiangzhen")
    assert check.filename in _page(client, "/crosscheck")
    detail = _page(client, f"/crosscheck/{check.id}")
    assert "名单中有、登记册中没有此人" in detail


def test_photos_on_an_activity_and_a_visit(demo):
    photos = {a.owner_kind: a for a in Attachment.select()}
    assert set(photos) == {"activity", "visit"}
    client = _as(demo, "cun01")
    page = _page(client, f"/activities/{photos['activity'].owner_id}")
    assert photos["activity"].caption in page
    thumb = client.get(f"/files/{photos['visit'].id}/thumb")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    today_start = datetime.combine(clock.today(), datetime.min.time())
    assert all(a.uploaded_at < today_start for a in photos.values())


def _recent(tmp_path, name, seed):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE": str(tmp_path / f"{name}.sqlite3"),
            "FILES_DIR": str(tmp_path / f"{name}-files"),
            "SECRET_KEY": "t",
        }
    )
    with app.app_context(), database.connection_context():
        migrate()
        build(persons=80, seed=seed, password="pw123456")
        return (
            [(c.person_id, c.on, c.method, c.at) for c in CheckIn.select().order_by(CheckIn.id)],
            [v.items for v in VisitPerson.select().order_by(VisitPerson.id)],
            [(e.person_id, e.kind) for e in Emergency.select().order_by(Emergency.id)],
            [(r.category, r.name) for r in CrosscheckRow.select().order_by(CrosscheckRow.id)],
            [a.sha256 for a in Attachment.select().order_by(Attachment.id)],
            [p.name for p in Person.select().where(Person.disability_kind != "")],
        )


def test_the_same_seed_gives_the_same_last_weeks(tmp_path, monkeypatch):
    monkeypatch.setenv("LIUSHOU_INSTANCE", str(tmp_path / "instance"))
    with clock.freeze(datetime(2026, 5, 20, 10, 0)):
        first = _recent(tmp_path, "a", 5)
        assert first[0] and first[2] and first[3] and first[4]
        assert first == _recent(tmp_path, "b", 5)
