"""Photos and scanned papers (留痕): uploaded cleaned, stored by hash, served only in the area."""

import io
import os
import stat
import struct
import zlib
from pathlib import Path

import pytest
from PIL import ExifTags, Image
from pypdf import PdfReader, PdfWriter

from liushou.models import AuditLog
from liushou.models.files import Attachment
from liushou.scope import Scope
from liushou.services import SYSTEM
from liushou.services import files as service
from tests.conftest import post

EVERYTHING = Scope(everything=True)


@pytest.fixture
def world(app, places, users):
    """A child in V01-G1 with a visit, an emergency, an activity; a child in V02."""
    from liushou.services.care import open_emergency
    from liushou.services.helpers import save_helper
    from liushou.services.households import save_household
    from liushou.services.persons import save_person
    from liushou.services.records import save_activity
    from liushou.services.visits import record_visit

    out = {}
    for code, grid in (("V01", "V01-G1"), ("V02", "V02-G1")):
        home = save_household(
            SYSTEM,
            EVERYTHING,
            {"village": places[code].id, "grid": places[grid].id, "head_name": f"{code}户主"},
        )
        kid = save_person(
            SYSTEM,
            EVERYTHING,
            {
                "household": home.id,
                "name": f"{code}儿童",
                "birth_date": "2016-04-01",
                "sex": "女",
                "father_status": "外出务工",
                "mother_status": "外出务工",
            },
        )
        helper = save_helper(
            SYSTEM,
            EVERYTHING,
            {"name": f"{code}干部", "kind": "村干部", "village": places[code].id},
        )
        out[code] = {
            "person": kid,
            "visit": record_visit(
                SYSTEM,
                EVERYTHING,
                [kid],
                {"visited_on": "2026-01-05", "method": "上门", "helpers": [helper.id]},
            ),
            "emergency": open_emergency(
                SYSTEM,
                kid,
                {"kind": "走失", "discovered_at": "2026-01-05 08:00", "reported_by": "报告人"},
            ),
            "activity": save_activity(
                SYSTEM,
                EVERYTHING,
                {
                    "village": places[code].id,
                    "kind": "生日会",
                    "title": f"{code}生日会",
                    "held_on": "2026-01-05",
                    "persons": [kid.id],
                    "attended": [kid.id],
                },
            ),
        }
    return out


def jpeg_with_gps_and_orientation(size=(3000, 2000)):
    """Left half red, right half blue, stored sideways (EXIF orientation 6) with a GPS position."""
    img = Image.new("RGB", size, "blue")
    img.paste(Image.new("RGB", (size[0] // 2, size[1]), "red"), (0, 0))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "OldPhone"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (30.0, 15.0, 7.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (104.0, 3.0, 9.0)
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif, quality=90)
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # really there
    return data


def png_bytes(size=(800, 600), mode="RGBA"):
    out = io.BytesIO()
    Image.new(mode, size, (0, 128, 0, 128) if mode == "RGBA" else "green").save(out, "PNG")
    return out.getvalue()


def noisy_jpeg(size=(2000, 1500)):
    out = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(out, "JPEG", quality=95)
    return out.getvalue()


def png_header_only(width, height):
    """A PNG that declares width x height pixels and holds almost nothing: a bomb's shape."""

    def chunk(kind, body):
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def pdf_bytes(padding=0, encrypt=False):
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    if padding:
        writer.add_attachment("scan.bin", os.urandom(padding))
    if encrypt:
        writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def upload(client, owner, data, name, caption=""):
    field, obj = owner
    return post(
        client,
        "/files/new",
        {field: obj.id, "caption": caption, "file": (io.BytesIO(data), name)},
    )


def store(app):
    return Path(app.config["FILES_DIR"])


def stored_files(app):
    root = store(app)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_photo_is_upright_small_and_without_metadata(app, world, login_as):
    client = login_as("cun1")
    person = world["V01"]["person"]
    response = upload(
        client, ("person", person), jpeg_with_gps_and_orientation(), "IMG_1.JPG", "家中"
    )
    assert response.status_code == 303
    assert response.location.endswith(f"/persons/{person.id}#attachments")
    row = Attachment.get()
    assert (row.kind, row.owner_kind, row.owner_id) == ("photo", "person", person.id)
    assert (row.width, row.height) == (1067, 1600)  # turned upright, long side 1600
    assert row.original_name == "IMG_1.jpg" and row.caption == "家中"
    full = client.get(f"/files/{row.id}")
    assert full.status_code == 200 and full.mimetype == "image/jpeg"
    assert full.headers["X-Content-Type-Options"] == "nosniff"
    assert full.headers["Content-Disposition"].startswith("inline")
    img = Image.open(io.BytesIO(full.get_data()))
    assert img.size == (1067, 1600)
    assert not img.getexif() and "exif" not in img.info and "icc_profile" not in img.info
    assert b"OldPhone" not in full.get_data() and b"GPS" not in full.get_data()
    top, bottom = img.getpixel((533, 20)), img.getpixel((533, 1580))
    assert top[0] > 200 and top[2] < 60  # the red left half is now on top
    assert bottom[2] > 200 and bottom[0] < 60
    thumb = client.get(f"/files/{row.id}/thumb")
    assert thumb.status_code == 200 and len(thumb.get_data()) < 20 * 1024
    assert max(Image.open(io.BytesIO(thumb.get_data())).size) <= 240
    page = client.get(f"/persons/{person.id}").get_data(as_text=True)
    assert f'src="/files/{row.id}/thumb"' in page and "家中" in page


def test_thumbnail_of_a_noisy_photo_stays_under_20_kb():
    kind, _jpeg, _w, _h, thumb = service.check_upload(noisy_jpeg(), "noise.jpg")
    assert kind == "photo" and len(thumb) < 20 * 1024


def test_png_becomes_a_jpeg(app, world, login_as):
    client = login_as("cun1")
    response = upload(client, ("visit", world["V01"]["visit"]), png_bytes(), "scan.png")
    assert response.status_code == 303
    row = Attachment.get()
    assert row.kind == "photo" and row.original_name == "scan.jpg" and row.size > 0
    data = client.get(f"/files/{row.id}").get_data()
    assert data.startswith(b"\xff\xd8\xff")
    page = client.get(f"/visits/{world['V01']['visit'].id}").get_data(as_text=True)
    assert f'src="/files/{row.id}/thumb"' in page


def test_pdf_up_to_10_mb_kept_as_it_is_and_11_mb_refused(app, world, login_as):
    client = login_as("cun1")
    person = world["V01"]["person"]
    ten = pdf_bytes(padding=10 * 1024 * 1024 - 4096)
    assert 9.9 * 1024 * 1024 < len(ten) <= 10 * 1024 * 1024
    response = upload(client, ("agreement", person), ten, "确认书.pdf", "父母签字")
    assert response.status_code == 303, response.get_data(as_text=True)[-500:]
    row = Attachment.get()
    assert (row.kind, row.owner_kind, row.size) == ("pdf", "agreement", len(ten))
    got = client.get(f"/files/{row.id}")
    assert got.status_code == 200 and got.mimetype == "application/pdf"
    assert got.get_data() == ten
    assert got.headers["Content-Disposition"].startswith("attachment")
    assert client.get(f"/files/{row.id}/thumb").status_code == 404
    eleven = pdf_bytes(padding=11 * 1024 * 1024)
    response = upload(client, ("agreement", person), eleven, "大.pdf")
    assert response.status_code == 422
    assert "PDF 文件超过 10 MB" in response.get_data(as_text=True)
    assert Attachment.select().count() == 1
    page = client.get(f"/persons/{person.id}").get_data(as_text=True)
    assert "委托照护责任确认书" in page and "确认书.pdf" in page


def test_a_body_over_the_upload_limit_is_413_and_other_forms_keep_1_mb(app, world, login_as):
    client = login_as("cun1")
    person = world["V01"]["person"]
    huge = b"%PDF-" + b"\0" * (app.config["ATTACHMENT_MAX_BYTES"] + 1)
    assert upload(client, ("person", person), huge, "a.pdf").status_code == 413
    response = post(client, f"/persons/{person.id}/void", {"void_reason": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413


REFUSALS = {
    "bomb": (png_header_only(30000, 30000), "bomb.png", "像素过多"),
    "bomb-warning": (png_header_only(8000, 7000), "big.png", "像素过多"),
    "pdf-named-jpg": (pdf_bytes(), "photo.jpg", "扩展名与内容不符"),
    "jpeg-named-pdf": (png_bytes(mode="RGB"), "paper.pdf", "扩展名与内容不符"),
    "text-named-jpg": ("姓名,电话\n张三,139\n".encode(), "photo.jpg", "不是可以上传的文件类型"),
    "empty": (b"", "photo.jpg", "文件不能是空的"),
    "truncated-jpeg": (jpeg_with_gps_and_orientation((400, 300))[:600], "a.jpg", "已损坏"),
    "broken-pdf": (b"%PDF-1.4\n" + b"x" * 200, "a.pdf", "PDF 文件已损坏"),
    "encrypted-pdf": (pdf_bytes(encrypt=True), "a.pdf", "已加密"),
    "photo-over-15-mb": (b"\xff\xd8\xff" + b"\0" * (15 * 1024 * 1024 + 1), "a.jpg", "15 MB"),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_refused_with_a_message_and_nothing_stored(app, world, login_as, case):
    data, name, message = REFUSALS[case]
    client = login_as("cun1")
    audits = AuditLog.select().count()
    response = upload(client, ("person", world["V01"]["person"]), data, name)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert message in text and 'class="err"' in text and 'id="f-file"' in text
    assert Attachment.select().count() == 0 and stored_files(app) == []
    assert AuditLog.select().count() == audits


@pytest.mark.parametrize("field", ["person", "agreement", "visit", "activity", "emergency"])
def test_another_villages_owner_is_refused_and_nothing_stored(app, world, login_as, field):
    client = login_as("cun1")
    foreign = world["V02"]["person" if field == "agreement" else field]
    response = upload(client, (field, foreign), png_bytes(), "a.png")
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "不在您负责的范围内" in text and "V02" not in text
    assert Attachment.select().count() == 0 and stored_files(app) == []


def test_no_owner_or_two_owners_are_refused(app, world, login_as):
    client = login_as("cun1")
    mine = world["V01"]
    both = {"person": mine["person"].id, "visit": mine["visit"].id}
    response = post(client, "/files/new", {**both, "file": (io.BytesIO(png_bytes()), "a.png")})
    assert response.status_code == 422
    response = post(client, "/files/new", {"file": (io.BytesIO(png_bytes()), "a.png")})
    assert response.status_code == 422
    assert client.get("/files/new").status_code == 404
    assert Attachment.select().count() == 0


def test_download_across_areas_is_404(app, world, login_as):
    client = login_as("cun1")
    for field in ("person", "visit", "emergency"):
        assert upload(client, (field, world["V01"][field]), png_bytes(), "a.png").status_code == 303
    ids = [a.id for a in Attachment.select()]
    for name in ("cun2", "grid2"):  # another village; another grid of the same village
        other = login_as(name)
        for i in ids:
            assert other.get(f"/files/{i}").status_code == 404
            assert other.get(f"/files/{i}/thumb").status_code == 404
            assert post(other, f"/files/{i}/void", {"void_reason": "x"}).status_code == 404
    assert login_as("grid1").get(f"/files/{ids[0]}").status_code == 200
    assert Attachment.select().where(Attachment.voided_at.is_null()).count() == 3


def test_uploads_and_reads_are_audited(app, world, login_as, users):
    client = login_as("cun1")
    emergency = world["V01"]["emergency"]
    assert (
        upload(client, ("emergency", emergency), png_bytes(), "现场.png", "现场").status_code == 303
    )
    row = Attachment.get()
    created = AuditLog.get((AuditLog.action == "create") & (AuditLog.object_type == "attachment"))
    assert created.user_id == users["cun1"].id and f"emergency:{emergency.id}" in created.changes
    client.get(f"/files/{row.id}")
    client.get(f"/files/{row.id}/thumb")
    views = list(
        AuditLog.select().where(
            (AuditLog.action == "view") & (AuditLog.object_type == "attachment")
        )
    )
    assert len(views) == 2 and all(v.object_id == row.id for v in views)
    assert "缩略图" in views[1].object_label


def test_files_are_600_in_700_folders_and_stored_once(app, world, login_as):
    old = os.umask(0o022)
    try:
        client = login_as("cun1")
        data = png_bytes()
        upload(client, ("person", world["V01"]["person"]), data, "a.png")
        upload(client, ("activity", world["V01"]["activity"]), data, "b.png")
    finally:
        os.umask(old)
    rows = list(Attachment.select())
    assert len(rows) == 2 and rows[0].sha256 == rows[1].sha256
    files = stored_files(app)
    assert len(files) == 2  # one photo and one thumbnail, for both rows
    assert mode(store(app)) == 0o700
    for path in files:
        assert mode(path) == 0o600 and mode(path.parent) == 0o700
        assert path.parent.name + path.name in (rows[0].sha256, rows[0].thumb_sha256)
    assert not [p for p in store(app).rglob(".*")]  # no temp file left behind


def test_void_keeps_the_file_and_404s_the_download(app, world, login_as):
    client = login_as("cun1")
    activity = world["V01"]["activity"]
    upload(client, ("activity", activity), png_bytes(), "a.png", "合影")
    row = Attachment.get()
    response = post(client, f"/files/{row.id}/void", {"void_reason": ""})
    assert response.status_code == 303 and Attachment.get().voided_at is None
    response = post(client, f"/files/{row.id}/void", {"void_reason": "传错了"})
    assert response.status_code == 303
    assert response.location.endswith(f"/activities/{activity.id}#attachments")
    assert Attachment.get().void_reason == "传错了"
    assert client.get(f"/files/{row.id}").status_code == 404
    assert client.get(f"/files/{row.id}/thumb").status_code == 404
    assert len(stored_files(app)) == 2  # never deleted
    page = client.get(f"/activities/{activity.id}").get_data(as_text=True)
    assert "已作废" in page and "传错了" in page and f"/files/{row.id}/thumb" not in page
    assert AuditLog.get((AuditLog.action == "void") & (AuditLog.object_type == "attachment"))


def test_read_only_leader_sees_photos_but_no_upload_form(app, world, login_as):
    upload(login_as("cun1"), ("visit", world["V01"]["visit"]), png_bytes(), "a.png")
    leader = login_as("leader")
    page = leader.get(f"/visits/{world['V01']['visit'].id}").get_data(as_text=True)
    assert "/files/" in page and 'action="/files/new"' not in page
    response = upload(leader, ("visit", world["V01"]["visit"]), png_bytes(), "b.png")
    assert response.status_code == 403 and Attachment.select().count() == 1


def test_archive_shows_thumbnails_captions_and_pdf_names(app, world, login_as):
    client = login_as("cun1")
    person = world["V01"]["person"]
    upload(client, ("person", person), png_bytes(), "a.png", "住房照片")
    upload(client, ("agreement", person), pdf_bytes(), "确认书.pdf", "签字页")
    upload(client, ("visit", world["V01"]["visit"]), png_bytes((300, 300)), "v.png", "走访合影")
    html = client.get(f"/persons/{person.id}/archive.html").get_data(as_text=True)
    assert html.count('src="data:image/jpeg;base64,') == 2
    for text in ("住房照片", "签字页", "确认书.pdf", "走访合影", "照片与材料"):
        assert text in html
    pdf = client.get(f"/persons/{person.id}/archive.pdf")
    assert pdf.status_code == 200
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.get_data())).pages)
    assert "住房照片" in text and "确认书.pdf" in text


def test_service_refuses_a_voided_owner(app, world):
    from liushou.services import ValidationError
    from liushou.services.activities import void_activity

    activity = void_activity(SYSTEM, EVERYTHING, world["V01"]["activity"], "重复")
    with pytest.raises(ValidationError, match="已作废"):
        service.attach(
            SYSTEM, app.config["FILES_DIR"], "activity", activity, (png_bytes(), "a.png")
        )


def test_safe_name():
    assert service.safe_name("../../etc/passwd") == "passwd"
    assert service.safe_name("C:\\x\\照片 1.jpg") == "照片 1.jpg"
    assert service.safe_name('a<script>"b.jpg') == "ascriptb.jpg"
    assert service.safe_name("\x00\n") == "未命名"
    assert len(service.safe_name("长" * 300 + ".jpg")) <= 80
