"""Attachments (留痕): photos and scanned papers of a person, his agreement, a visit, an
activity or an emergency. No Flask in here."""

from peewee import CharField, DateTimeField, IntegerField

from .. import clock
from ..db import Voidable

# owner_kind -> what the interface calls it. "agreement" is the person's 委托照护责任确认书:
# its owner_id is the person's id.
OWNER_KINDS = {
    "person": "人员档案",
    "agreement": "委托照护责任确认书",
    "visit": "走访记录",
    "activity": "活动",
    "emergency": "突发事件",
}
KINDS = {"photo": "照片", "pdf": "PDF 文件"}


class Attachment(Voidable):
    """One uploaded file; the bytes live under instance/files by their sha256 (same content
    stored once). Never deleted: voided with a reason, the stored file stays."""

    owner_kind = CharField(max_length=16)
    owner_id = IntegerField()
    sha256 = CharField(max_length=64)
    thumb_sha256 = CharField(max_length=64, default="")  # "" for a PDF
    kind = CharField(max_length=8)
    original_name = CharField(max_length=100)  # sanitised, for display only
    size = IntegerField()
    width = IntegerField(null=True)
    height = IntegerField(null=True)
    caption = CharField(max_length=200, default="")
    uploaded_by = IntegerField(null=True)
    uploaded_at = DateTimeField(default=clock.now)

    class Meta:
        table_name = "attachment"

    def __str__(self):
        return f"{OWNER_KINDS.get(self.owner_kind, '')}附件 {self.caption or self.original_name}"

    @property
    def is_photo(self):
        return self.kind == "photo"

    @property
    def content_type(self):
        return "image/jpeg" if self.is_photo else "application/pdf"

    @property
    def extension(self):
        return ".jpg" if self.is_photo else ".pdf"
