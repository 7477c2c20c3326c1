"""Attachments (留痕): check an upload, make a clean photo and its thumbnail, store by content
hash, record it; void one.

A photo is decoded with Pillow inside a pixel limit, turned upright (EXIF orientation), scaled to
at most 1600 px on its long side and written again as a JPEG carrying no metadata at all (no EXIF,
so no GPS position or camera serial; no ICC profile, no comments). A PDF is kept byte for byte
once it is known to be a readable, unencrypted PDF. Files live in `store` (instance/files) as
ab/cdef… by their sha256, mode 600 in folders of mode 700, written to a temp file and renamed.
"""

import hashlib
import io
import os
import re
import tempfile
import threading
import unicodedata
import warnings
from pathlib import Path

from ..db import database
from ..instance_files import FILE_MODE, private_dir
from ..models.files import OWNER_KINDS, Attachment
from . import ValidationError
from .audit import record as audit
from .voiding import void

MAX_PHOTO_BYTES = 15 * 1024 * 1024  # a phone's camera file, before we scale it down
MAX_PDF_BYTES = 10 * 1024 * 1024
# Pixels a photo may have: a 12-48 MP phone photo passes; a decompression bomb (a few KB that
# decode to gigabytes) does not. Pillow warns above this and refuses above twice this; both are
# refusals here.
MAX_PIXELS = 50_000_000
# A PNG or WebP is decoded at full size (only a JPEG decodes at a reduced scale), from an upload
# of a few KB: a 49 MP one took 0.4 GB (PNG) to 0.75 GB (WebP). Their limit is lower (a scanned
# A4 page at 300 dpi has 9 MP, a phone's screenshot 3), and at most two photos are decoded at
# once, so a burst of uploads (the server runs 8 threads) cannot take the machine's memory.
MAX_FULL_DECODE_PIXELS = 25_000_000
DECODING = threading.BoundedSemaphore(2)
LONG_SIDE = 1600
QUALITY = 80
THUMB_SIDE = 240
THUMB_MAX_BYTES = 20 * 1024
CAPTION_MAX = 200
NAME_MAX = 80

# Sniffed type -> (stored kind, extensions the file's name may carry).
IMAGE_FORMATS = {
    "JPEG": (".jpg", ".jpeg", ".jpe", ".jfif"),
    "PNG": (".png",),
    "WEBP": (".webp",),
}
PDF_EXTENSIONS = (".pdf",)
ACCEPTED = "JPEG、PNG、WebP 照片或 PDF 文件"


def sniff(head):
    """'JPEG' | 'PNG' | 'WEBP' | 'PDF' | None from a file's first bytes (never its name)."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head.startswith(b"%PDF-"):
        return "PDF"
    return None


def safe_name(name):
    """The uploaded file's name for display only: no folders, no control or odd characters,
    at most NAME_MAX characters (the extension kept)."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(c for c in name if c.isalnum() or c in "._-（）() ")
    name = re.sub(r"\s+", " ", name).strip(" .")
    if len(name) > NAME_MAX:
        stem, ext = os.path.splitext(name)
        name = stem[: NAME_MAX - len(ext[:10])] + ext[:10]
    return name or "未命名"


def _extension_ok(name, allowed):
    ext = os.path.splitext(str(name or ""))[1].lower()
    return ext == "" or ext in allowed  # a camera capture may come without a name


def _pil():
    """Pillow with our pixel limit, imported on the first photo (the server starts without it)."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    return Image, ImageOps, UnidentifiedImageError


def _photo(data):
    """(clean JPEG bytes, width, height, thumbnail bytes) or ValidationError."""
    Image, ImageOps, UnidentifiedImageError = _pil()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(IMAGE_FORMATS)) as probe:
                probe.verify()  # structure and checksums, without decoding the pixels
            img = Image.open(io.BytesIO(data), formats=list(IMAGE_FORMATS))
            width, height = img.size
            limit = MAX_PIXELS if img.format == "JPEG" else MAX_FULL_DECODE_PIXELS
            if width * height > limit:
                raise Image.DecompressionBombError("too many pixels")
            img.draft("RGB", (LONG_SIDE, LONG_SIDE))  # JPEG: decode at 1/2..1/8 scale if it can
            img.load()
            img = ImageOps.exif_transpose(img)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        limit = MAX_PIXELS if data.startswith(b"\xff\xd8\xff") else MAX_FULL_DECODE_PIXELS
        raise ValidationError(
            {
                "file": f"图片像素过多（超过 {limit // 10000} 万像素），不能保存。"
                "请用手机正常拍照后再上传"
            }
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise ValidationError({"file": "图片文件已损坏或不完整，无法打开，没有保存"}) from None
    if img.mode in ("RGBA", "LA", "P", "PA"):
        img = img.convert("RGBA")
        flat = Image.new("RGB", img.size, "white")
        flat.paste(img, mask=img.getchannel("A"))
        img = flat
    elif img.mode != "RGB":
        img = img.convert("RGB")
    img.thumbnail((LONG_SIDE, LONG_SIDE), Image.Resampling.LANCZOS)
    # A new image from the bare pixels: nothing of the original's metadata can follow it.
    clean = Image.new("RGB", img.size)
    clean.paste(img)
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=QUALITY, optimize=True, progressive=True)
    return out.getvalue(), clean.width, clean.height, _thumbnail(clean)


def _thumbnail(img):
    """A JPEG of at most THUMB_SIDE px, under THUMB_MAX_BYTES."""
    Image = _pil()[0]
    thumb = img.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
    for quality in (70, 55, 40, 25):
        out = io.BytesIO()
        thumb.save(out, "JPEG", quality=quality, optimize=True)
        if out.tell() < THUMB_MAX_BYTES:
            return out.getvalue()
        thumb.thumbnail((thumb.width * 3 // 4, thumb.height * 3 // 4))
    return out.getvalue()


def _pdf(data):
    """Refuse a PDF that cannot be opened or is encrypted (it could not be read or printed)."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise ValidationError(
                {"file": "这个 PDF 文件设置了密码（已加密），不能保存。请上传未加密的扫描件"}
            )
        if len(reader.pages) < 1:
            raise ValueError("no pages")
    except ValidationError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError, RecursionError):
        raise ValidationError({"file": "PDF 文件已损坏或不完整，无法打开，没有保存"}) from None


def check_upload(data, filename):
    """(kind, stored bytes, width, height, thumbnail bytes) for an acceptable upload; else a
    ValidationError on the field "file" naming what is wrong."""
    if not data:
        raise ValidationError({"file": "请选择要上传的照片或 PDF 文件（文件不能是空的）"})
    found = sniff(data[:16])
    if found is None:
        raise ValidationError({"file": f"这不是可以上传的文件类型，只能上传{ACCEPTED}"})
    if found == "PDF":
        if len(data) > MAX_PDF_BYTES:
            raise ValidationError(
                {
                    "file": f"PDF 文件超过 {MAX_PDF_BYTES // 1048576} MB，没有保存。"
                    "请分开扫描后再上传"
                }
            )
        if not _extension_ok(filename, PDF_EXTENSIONS):
            raise ValidationError({"file": "文件的扩展名与内容不符（内容是 PDF），没有保存"})
        _pdf(data)
        return "pdf", data, None, None, b""
    if len(data) > MAX_PHOTO_BYTES:
        raise ValidationError(
            {
                "file": f"照片超过 {MAX_PHOTO_BYTES // 1048576} MB，没有保存。"
                "请降低拍照分辨率后再上传"
            }
        )
    if not _extension_ok(filename, IMAGE_FORMATS[found]):
        raise ValidationError({"file": f"文件的扩展名与内容不符（内容是 {found} 图片），没有保存"})
    with DECODING:
        jpeg, width, height, thumb = _photo(data)
    return "photo", jpeg, width, height, thumb


def stored_path(store, sha256):
    """Where the file with this hash lives: store/ab/cdef…; the hash is checked to be one."""
    if not re.fullmatch(r"[0-9a-f]{64}", sha256 or ""):
        raise ValueError("not a sha256")
    return Path(store) / sha256[:2] / sha256[2:]


def put(store, data):
    """Store bytes under their sha256 (once: the same content is not written again); returns
    the hash. Written to a temp file (600) in the target folder, then renamed into place."""
    sha = hashlib.sha256(data).hexdigest()
    path = stored_path(store, sha)
    if path.is_file() and path.stat().st_size == len(data):
        return sha
    folder = private_dir(path.parent)
    fd, temp = tempfile.mkstemp(prefix=".upload-", dir=folder)  # mkstemp: mode 600
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return sha


def attach(actor, store, owner_kind, owner, upload, caption=""):
    """Check and store an uploaded file (`upload`: (bytes, file name)) for an owner already
    resolved through the user's scope; one audited Attachment row."""
    if owner_kind not in OWNER_KINDS or owner is None:
        raise ValidationError({"file": "请从页面上的上传表单提交"})
    caption = (caption or "").strip()
    if len(caption) > CAPTION_MAX:
        raise ValidationError({"caption": f"说明不能超过 {CAPTION_MAX} 个字"})
    if getattr(owner, "voided_at", None) is not None:
        raise ValidationError({"file": "这条记录已作废，不能再上传附件"})
    data, filename = upload
    kind, stored, width, height, thumb = check_upload(data, filename)
    name = safe_name(filename)
    if kind == "photo":
        name = os.path.splitext(name)[0] + ".jpg"  # what is stored now is a JPEG
    sha = put(store, stored)
    thumb_sha = put(store, thumb) if thumb else ""
    with database.atomic():
        row = Attachment.create(
            owner_kind=owner_kind,
            owner_id=owner.id,
            sha256=sha,
            thumb_sha256=thumb_sha,
            kind=kind,
            original_name=name,
            size=len(stored),
            width=width,
            height=height,
            caption=caption,
            uploaded_by=actor.user_id,
        )
        audit(
            actor,
            "create",
            row,
            changes=[
                ("owner", "", f"{owner_kind}:{owner.id}"),
                ("original_name", "", name),
                ("caption", "", caption),
                ("sha256", "", sha),
            ],
        )
    return row


def void_attachment(actor, attachment, reason):
    """作废 an attachment: out of the pages and the archive, kept with its reason; the stored
    file stays."""
    return void(actor, attachment, reason)
