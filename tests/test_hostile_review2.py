"""Findings of the hostile review of this session's additions (helper login, attachments,
check-ins, the call list, suggestions, the 高龄补贴 roster): each test failed before its fix."""

from datetime import date, datetime

import pytest

from liushou import clock
from liushou.models.care import EmergencyCall
from liushou.queries import allowance
from liushou.queries.records import totals_in_month
from liushou.scope import Scope
from liushou.services import SYSTEM, ValidationError
from liushou.services.care import add_call
from liushou.services.households import save_household
from liushou.services.persons import save_person
from liushou.services.records import save_benefit, stop_benefit, update_benefit
from tests.shared.allowance import town  # noqa: F401
from tests.shared.callist import frozen, world  # noqa: F401

ALL = Scope(everything=True)
MARCH = date(2026, 3, 1)


@pytest.fixture
def elder(places):
    with clock.freeze(datetime(2026, 1, 5, 9, 0)):
        household = save_household(
            SYSTEM,
            ALL,
            {"village": places["V01"].id, "grid": places["V01-G1"].id, "head_name": "高"},
        )
        return save_person(
            SYSTEM,
            ALL,
            {"household": household.id, "name": "高寿", "sex": "男", "birth_date": "1940-05-05"},
        )


def _roster_total(month):
    return allowance.roster_total(allowance.roster(ALL, month))


def test_a_second_allowance_paying_in_the_same_month_is_refused(elder):
    """A double-submitted (or re-entered) 高龄补贴 put the person on the roster twice and paid
    him twice in every total."""
    with clock.freeze(datetime(2026, 3, 10, 9, 0)):  # March is the month open now
        first = save_benefit(SYSTEM, elder, {"kind": "高龄补贴", "start_on": "2025-01-01"})
        with pytest.raises(ValidationError) as caught:
            save_benefit(SYSTEM, elder, {"kind": "高龄补贴", "start_on": "2025-01-01"})
        assert "同一个月不能重复发放" in caught.value.errors["start_on"]
        # Pending, or starting later while the first still pays: refused as well.
        for values in (
            {"start_on": "2026-03-15", "status": "待审核"},
            {"start_on": "2024-06-01", "end_on": "2025-01-02"},
        ):
            with pytest.raises(ValidationError):
                save_benefit(SYSTEM, elder, {"kind": "高龄补贴", **values})
        assert _roster_total(MARCH) == (1, 25)
        assert totals_in_month(ALL, MARCH)[elder.village_id]["高龄补贴"] == 25

        # Stopped on 20 March it still pays March: a new one pays from April, not March.
        stop_benefit(SYSTEM, first, {"end_on": "2026-03-20"})
        with pytest.raises(ValidationError):
            save_benefit(SYSTEM, elder, {"kind": "高龄补贴", "start_on": "2026-03-25"})
        second = save_benefit(SYSTEM, elder, {"kind": "高龄补贴", "start_on": "2026-04-01"})
        assert _roster_total(MARCH) == _roster_total(date(2026, 4, 1)) == (1, 25)

        # Correcting the new one back into March is refused too; other kinds are not concerned.
        with pytest.raises(ValidationError):
            update_benefit(SYSTEM, second, {"kind": "高龄补贴", "start_on": "2026-03-01"})
        save_benefit(SYSTEM, elder, {"kind": "临时救助", "amount": "300", "start_on": "2026-03-02"})
        save_benefit(SYSTEM, elder, {"kind": "临时救助", "amount": "200", "start_on": "2026-03-09"})


def test_two_taps_of_one_call_row_at_once_stamp_it_once(world, users, monkeypatch):  # noqa: F811
    """The double-tap check ran before the write transaction: two 已拨打 taps arriving together
    both found no stamp and both wrote one (6 parallel taps on the demo gave 3 stamps)."""
    from liushou.services import Actor
    from liushou.services import emergencies as emergency_service

    actor = Actor(users["cun1"], "127.0.0.1")
    real, taps = emergency_service.database, []

    class OtherTapLandsFirst:
        """The other request's tap is written just before ours takes the write lock."""

        def atomic(self):
            if not taps:
                taps.append(None)
                taps[0] = add_call(actor, world["emergency"], {"target": "carer"})
            return real.atomic()

    monkeypatch.setattr(emergency_service, "database", OtherTapLandsFirst())
    ours = add_call(actor, world["emergency"], {"target": "carer"})
    assert EmergencyCall.select().count() == 1 and ours.id == taps[0].id


def test_a_helpers_own_login_is_not_shown_files_he_cannot_open(app, places, users, client):
    """His paired person's page listed the attachments (names, captions, thumbnails) and offered
    the upload and void forms, all of them answering him 404."""
    import io

    from PIL import Image

    from liushou.services.accounts import create_user
    from liushou.services.files import attach
    from liushou.services.helpers import save_helper
    from liushou.services.visits import pair
    from tests.conftest import PASSWORD, login

    household = save_household(
        SYSTEM,
        ALL,
        {"village": places["V01"].id, "grid": places["V01-G1"].id, "head_name": "张户主"},
    )
    kid = save_person(
        SYSTEM,
        ALL,
        {
            "household": household.id,
            "name": "小明",
            "birth_date": "2016-04-01",
            "sex": "男",
            "father_status": "外出务工",
            "mother_status": "外出务工",
        },
    )
    teacher = save_helper(
        SYSTEM, ALL, {"name": "王老师", "kind": "教师", "village": places["V01"].id}
    )
    pair(SYSTEM, ALL, teacher, [kid])
    create_user(
        SYSTEM, {"username": "wanglaoshi", "role": "helper", "helper": teacher.id}, PASSWORD
    )
    photo = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(photo, "JPEG")
    for kind in ("person", "agreement"):
        attach(SYSTEM, app.config["FILES_DIR"], kind, kid, (photo.getvalue(), "病历.jpg"), "诊断")
    assert login(client, "wanglaoshi").status_code == 303
    page = client.get(f"/persons/{kid.id}").get_data(as_text=True)
    assert "小明" in page
    assert "/files/" not in page and "病历" not in page and "诊断" not in page
    # A cadre of the village still sees them and the forms.
    client.delete_cookie(app.config["SESSION_COOKIE_NAME"])
    assert login(client, "cun1").status_code == 303
    page = client.get(f"/persons/{kid.id}").get_data(as_text=True)
    assert "诊断" in page and 'action="/files/new"' in page


def _image(mode, size, fmt, **options):
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new(mode, size).save(out, fmt, **options)
    return out.getvalue()


def test_a_png_or_webp_decoded_at_full_size_has_a_lower_pixel_limit():
    """A PNG or lossless WebP of a few KB declaring 49 MP passed the 50 MP limit and took 0.4 to
    0.75 GB to decode (a JPEG is decoded at a reduced scale, so it keeps the higher limit)."""
    from liushou.services.files import check_upload

    tiny = _image("1", (6000, 5000), "PNG")  # 30 MP in a few KB
    assert len(tiny) < 100_000
    with pytest.raises(ValidationError) as caught:
        check_upload(tiny, "scan.png")
    assert "像素过多（超过 2500 万像素）" in caught.value.errors["file"]
    with pytest.raises(ValidationError):
        check_upload(_image("L", (6000, 5000), "WEBP", lossless=True), "a.webp")
    assert check_upload(_image("1", (4000, 5000), "PNG"), "scan.png")[2:4] == (1280, 1600)


def test_at_most_two_photos_are_decoded_at_once(monkeypatch):
    """Eight uploads at once decoded eight photos at once (each up to 0.75 GB)."""
    import threading

    from liushou.services import files

    state = {"now": 0, "most": 0}
    lock, go = threading.Lock(), threading.Event()

    def decode(data):
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
            if state["now"] >= 3:
                go.set()  # more than two at once: no need to wait any longer
        go.wait(timeout=0.3)  # long enough for the others to pile in, were they let in
        with lock:
            state["now"] -= 1
        return b"jpeg", 1, 1, b"thumb"

    monkeypatch.setattr(files, "_photo", decode)
    photo = _image("RGB", (8, 8), "JPEG")
    threads = [threading.Thread(target=files.check_upload, args=(photo, "a.jpg")) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert state["most"] <= 2


def test_a_grid_workers_roster_says_it_is_his_grids_not_the_village(town, login_as):  # noqa: F811
    """A grid worker's roster and list hold his grids' people only, but were titled as his
    whole village's (第1村高龄补贴发放花名册 … 合计 0人) and could be signed as such."""
    import io

    from openpyxl import load_workbook

    with clock.freeze(datetime(2026, 4, 10, 9, 0)):
        client = login_as("grid2")
        book = load_workbook(io.BytesIO(client.get("/reports/allowance/roster.xlsx").data))
        assert book.active["A1"].value == "第1村（2组）高龄补贴发放花名册（2026年04月）"
        page = client.get("/reports/allowance/roster").get_data(as_text=True)
        assert "· 第1村（2组） ·" in page
        preview = client.get("/reports/allowance/roster.html").get_data(as_text=True)
        assert "发放单位：测试镇第1村（2组）" in preview
        missing = client.get("/reports/allowance/missing").get_data(as_text=True)
        assert "未享受高龄补贴人员 · 第1村（2组）" in missing and "丙" in missing
        # A village cadre's is his village's, as before.
        client = login_as("cun1")
        book = load_workbook(io.BytesIO(client.get("/reports/allowance/roster.xlsx").data))
        assert book.active["A1"].value == "第1村高龄补贴发放花名册（2026年04月）"
