"""Attachments: upload a photo or scanned paper to a record, see it, void it.

The owner arrives as one form field named by its kind (person=ID, agreement=ID, visit=ID,
activity=ID, emergency=ID) and is resolved through the user's scope; files are served only
here, by an attachment's id, after its owner has been found in the user's area.
"""

import base64

from flask import Blueprint, abort, current_app, g, redirect, request, send_file, url_for
from werkzeug.exceptions import NotFound

from ..auth import current_actor
from ..models.files import KINDS, OWNER_KINDS
from ..queries import files as queries
from ..services import ValidationError
from ..services import files as service
from ..services.audit import record
from .forms import form_page, run

bp = Blueprint("files", __name__)

OWNER_PAGES = {
    "person": ("persons.detail", "person_id"),
    "agreement": ("persons.detail", "person_id"),
    "visit": ("visits.detail", "visit_id"),
    "activity": ("records.activity", "activity_id"),
    "emergency": ("care.emergency", "emergency_id"),
}


def owner_url(kind, owner_id):
    """The page an owner's attachments are shown on."""
    endpoint, arg = OWNER_PAGES[kind]
    return url_for(endpoint, **{arg: owner_id}) + "#attachments"


def _posted_owner():
    """(kind, owner) named by the request; a form field of another area's id is a message by
    the file field and nothing is written (a missing or doubled owner too)."""
    named = [k for k in OWNER_KINDS if request.values.get(k)]
    if len(named) != 1:
        raise ValidationError({"file": "请从记录页面上的上传表单提交"})
    kind = named[0]
    try:
        found = queries.owner(g.scope, kind, request.values[kind])
    except NotFound:  # not in the user's area, or no such record
        raise ValidationError({"file": "找不到要附上文件的记录，或它不在您负责的范围内"}) from None
    if kind == "agreement" and not found.is_child:
        raise ValidationError({"file": "委托照护责任确认书只附在儿童的档案上"})
    return kind, found


def _owner_or_none():
    try:
        return _posted_owner()
    except ValidationError:
        return None, None


def _save(values):
    kind, found = _posted_owner()
    upload = request.files.get("file")
    data = upload.read() if upload else b""
    name = upload.filename if upload else ""
    store = current_app.config["FILES_DIR"]
    return service.attach(current_actor(), store, kind, found, (data, name), values.get("caption"))


@bp.route("/files/new", methods=["GET", "POST"])
def upload():
    """上传照片或材料: the form alone (GET, or again with its message); the record's page shows
    the same form."""
    kind, found = _owner_or_none()
    if request.method == "GET" and found is None:
        abort(404)
    return form_page(
        "files/upload.html",
        initial={"caption": ""},
        read=lambda: {"caption": request.form.get("caption", "")},
        save=_save,
        done=lambda row: (
            f"已上传{KINDS[row.kind]}：{row.caption or row.original_name}",
            owner_url(row.owner_kind, row.owner_id),
        ),
        context=lambda values: dict(
            owner_kind=kind,
            owner=found,
            owner_label=OWNER_KINDS.get(kind, ""),
            back=owner_url(kind, found.id) if found is not None else url_for("home.index"),
        ),
    )


def _send(attachment_id, thumb):
    row, found = queries.attachment(g.scope, attachment_id)
    if thumb and not row.thumb_sha256:
        abort(404)  # a PDF has no thumbnail
    sha = row.thumb_sha256 if thumb else row.sha256
    path = service.stored_path(current_app.config["FILES_DIR"], sha)
    if not path.is_file():
        abort(404)
    if queries.concerns_child(row.owner_kind, found):
        label = f"{row}{'（缩略图）' if thumb else ''}"
        record(current_actor(), "view", row, label=label)
    response = send_file(
        path,
        mimetype=row.content_type,
        as_attachment=not row.is_photo,  # a PDF is downloaded, never rendered inside the app
        download_name=f"附件{row.id}{row.extension}",
        conditional=False,
        etag=False,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/files/<int:file_id>")
def download(file_id):
    """The stored photo (inline) or PDF (download), for a user whose area holds its owner."""
    return _send(file_id, thumb=False)


@bp.route("/files/<int:file_id>/thumb")
def thumb(file_id):
    """A photo's thumbnail."""
    return _send(file_id, thumb=True)


@bp.route("/files/<int:file_id>/void", methods=["POST"])
def void(file_id):
    """作废 an attachment uploaded by mistake; it stays listed, struck through, on its record."""
    row, _found = queries.attachment(g.scope, file_id, voided=True)
    run(
        lambda: service.void_attachment(current_actor(), row, request.form.get("void_reason")),
        "附件已作废",
    )
    return redirect(owner_url(row.owner_kind, row.owner_id), 303)


@bp.app_template_global()
def attachments(kind, owner_id):
    """(in force, voided) attachments of a record, for the `_attachments.html` include."""
    return queries.of_owner(kind, owner_id)


@bp.app_template_global()
def archive_attachments(person):
    """[(section title, [(attachment, thumbnail data: URL or "")])] for the 一人一档: the
    thumbnails travel inside the printout (it fetches nothing but files and data: URLs)."""
    store = current_app.config["FILES_DIR"]
    out = []
    for title, rows in queries.for_archive(person):
        out.append((title, [(a, _thumb_data(store, a)) for a in rows]))
    return out


def _thumb_data(store, row):
    if not row.thumb_sha256:
        return ""
    path = service.stored_path(store, row.thumb_sha256)
    if not path.is_file():
        return ""
    return "data:image/jpeg;base64," + base64.b64encode(path.read_bytes()).decode()
