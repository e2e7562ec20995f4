"""Uploads checked by content, not by name: Pillow for photos, magic bytes for short videos.

Photos are re-encoded, which drops EXIF (and so the GPS position of the
owner's home), and get a thumbnail.
"""

import io
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from .services.errors import ServiceError

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_VIDEO_BYTES = 50 * 1024 * 1024
THUMBNAIL_SIZE = (320, 320)
PHOTO_FORMATS = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "HEIF": "image/heif",
    "GIF": "image/gif",
}
Image.MAX_IMAGE_PIXELS = 60_000_000  # a 60-megapixel photo is plenty; bigger is a decompression bomb


@dataclass
class CheckedUpload:
    kind: str
    content_type: str
    content: ContentFile
    thumbnail: ContentFile | None
    original_name: str
    size: int


def _video_type(head: bytes) -> str | None:
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        return "video/quicktime" if brand == b"qt  " else "video/mp4"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "video/webm"
    return None


def check_upload(upload, *, field: str = "photos") -> CheckedUpload:
    """Validate an uploaded file by its content; raise ServiceError(field=...) when it is not acceptable."""
    name = getattr(upload, "name", "upload")[:200]
    size = upload.size
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    video = _video_type(head)
    if video:
        if size > MAX_VIDEO_BYTES:
            raise ServiceError(
                _("“%(name)s” is larger than %(mb)s MB.") % {"name": name, "mb": MAX_VIDEO_BYTES // 2**20}, field=field
            )
        return CheckedUpload("video", video, ContentFile(upload.read(), name=name), None, name, size)
    if size > MAX_PHOTO_BYTES:
        raise ServiceError(
            _("“%(name)s” is larger than %(mb)s MB.") % {"name": name, "mb": MAX_PHOTO_BYTES // 2**20}, field=field
        )
    try:
        with Image.open(upload) as probe:
            probe.verify()
        upload.seek(0)
        image = Image.open(upload)
        image.load()
        fmt = image.format
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ServiceError(
            _("“%(name)s” is not a photo or a short video (JPEG, PNG, WebP, MP4, MOV, WebM).") % {"name": name},
            field=field,
        ) from exc
    if fmt not in PHOTO_FORMATS:
        raise ServiceError(_("“%(name)s” is not a supported photo format.") % {"name": name}, field=field)
    image = ImageOps.exif_transpose(image)  # keep the orientation, then drop all metadata
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    clean = io.BytesIO()
    image.save(clean, format="JPEG", quality=88, optimize=True)
    thumb = image.copy()
    thumb.thumbnail(THUMBNAIL_SIZE)
    thumb_bytes = io.BytesIO()
    thumb.save(thumb_bytes, format="JPEG", quality=80)
    stem = name.rsplit(".", 1)[0] or "photo"
    return CheckedUpload(
        "photo",
        "image/jpeg",
        ContentFile(clean.getvalue(), name=f"{stem}.jpg"),
        ContentFile(thumb_bytes.getvalue(), name=f"{stem}-thumb.jpg"),
        name,
        clean.tell(),
    )


def check_signature_png(data: bytes) -> ContentFile:
    """A signature drawn on a canvas, sent as PNG: must be an image with some ink on it."""
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise ServiceError(_("The signature could not be read. Please sign again."), field="signature") from exc
    gray = image.convert("L")
    lo, hi = gray.getextrema()
    if image.mode in ("RGBA", "LA"):
        alpha = image.getchannel("A")
        if alpha.getextrema()[1] == 0:
            raise ServiceError(_("The signature is empty. Please sign in the box."), field="signature")
    elif lo == hi:
        raise ServiceError(_("The signature is empty. Please sign in the box."), field="signature")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return ContentFile(out.getvalue(), name="signature.png")
