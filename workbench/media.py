"""What a received file is, judged by its bytes and never by its name.

Two kinds are taken in. Images are opened with Pillow limited to the allowed formats, checked
against the pixel limit (a decompression-bomb warning is a refusal) and verified. Saved pages (PDF,
MHTML, HTML, WARC, WACZ) are recognised by their signatures; they are stored and hashed, never
opened or rendered. Anything else is refused with the reason.

Intake does not decode an image's pixels: that is what makes it keep pace with hashing. A JPEG's
end marker is looked for instead, so a truncated file is kept and says so.
"""

from __future__ import annotations

import io
import re
import threading
import unicodedata
import warnings
import zipfile
import zlib
from dataclasses import dataclass

import pillow_heif
from PIL import Image, ImageFile

pillow_heif.register_heif_opener()

# Pillow keeps its limits in module globals: the pixel limit, and whether a truncated file may be
# decoded (previews allow it; intake must not, or a bad checksum would pass verify). Every use of
# Pillow that depends on them holds this lock, so one thread's setting never leaks into another's.
PILLOW_SETTINGS = threading.Lock()

# Pillow's format name -> (media type, extension of the stored original).
IMAGE_TYPES = {
    "PNG": ("image/png", "png"),
    "JPEG": ("image/jpeg", "jpg"),
    "MPO": ("image/jpeg", "jpg"),  # a JPEG with a second picture in it, as some phones write
    "WEBP": ("image/webp", "webp"),
    "GIF": ("image/gif", "gif"),
    "TIFF": ("image/tiff", "tif"),
    "HEIF": ("image/heif", "heif"),
}
PILLOW_FORMATS = tuple(name for name in IMAGE_TYPES if name != "MPO")  # Pillow reaches MPO through JPEG
PAGE_TYPES = {
    "pdf": "application/pdf",
    "mhtml": "multipart/related",
    "html": "text/html",
    "warc": "application/warc",
    "warc.gz": "application/warc",
    "wacz": "application/wacz",
}
# Signatures of the image formats taken in: bytes that start so but do not open are damaged.
_IMAGE_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF8", b"II*\x00", b"MM\x00*")
ACCEPTED = "PNG, JPEG, WEBP, GIF, TIFF or HEIC images, or pages saved as PDF, MHTML, HTML, WARC or WACZ"
# Names that mean the same type, for telling a user their file's name and content disagree.
_SAME_EXTENSION = {"jpeg": "jpg", "jpe": "jpg", "tiff": "tif", "heic": "heif", "htm": "html", "mht": "mhtml"}
MAX_NAME = 200
_BOMB = "it is refused as a possible decompression bomb"
_TRUNCATED = (
    "the JPEG data ends before its end-of-image marker: the file is truncated, so part of the picture may be missing"
)


class Rejected(Exception):
    """The file is not taken in; the message says why in words the uploader can act on."""


@dataclass(frozen=True)
class Identified:
    category: str  # "image" or "page"
    media_type: str
    extension: str
    width: int | None = None
    height: int | None = None
    exif_block: bytes | None = None  # the raw EXIF Pillow found, for formats exifread cannot walk itself
    warnings: tuple[str, ...] = ()


def identify(data: bytes, *, max_pixels: int) -> Identified:
    """Say what the bytes are, or raise Rejected."""
    if not data:
        raise Rejected("the file is empty (0 bytes)")
    page = _page_type(data)
    if page:
        return Identified("page", PAGE_TYPES[page], page)
    return _image(data, max_pixels)


def _image(data: bytes, max_pixels: int) -> Identified:
    with PILLOW_SETTINGS:
        return _checked_image(data, max_pixels)


def _checked_image(data: bytes, max_pixels: int) -> Identified:
    # Pillow warns above MAX_IMAGE_PIXELS and refuses above twice that; with warnings as errors,
    # both are refusals at our limit.
    Image.MAX_IMAGE_PIXELS = max_pixels
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=PILLOW_FORMATS)
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise Rejected(f"the image has more than {max_pixels:,} pixels: {_BOMB}") from None
        except Image.UnidentifiedImageError:
            if data.startswith(_IMAGE_SIGNATURES) or (data[4:8] == b"ftyp") or data[:4] == b"RIFF":
                raise Rejected("the image is damaged and cannot be read (its header does not open)") from None
            raise Rejected(f"the content is not a file the workbench takes ({ACCEPTED})") from None
        except Exception as e:  # a hostile or damaged file can make a decoder raise anything
            raise Rejected(f"the image is damaged and cannot be read ({type(e).__name__})") from None
        with image:
            kind = image.format
            width, height = image.size
            exif_block = image.info.get("exif")
            if not width or not height:
                raise Rejected("the image has no pixels (its width or height is 0)")
            if width * height > max_pixels:
                raise Rejected(f"the image has {width * height:,} pixels, over the limit of {max_pixels:,}: {_BOMB}")
            try:
                image.verify()
            except Exception as e:
                raise Rejected(f"the image is damaged and cannot be read ({type(e).__name__})") from None
    media_type, extension = IMAGE_TYPES[kind]
    if kind == "HEIF" and data[8:12] in (b"heic", b"heix", b"heim", b"heis"):
        media_type, extension = "image/heic", "heic"
    notes = (_TRUNCATED,) if media_type == "image/jpeg" and not _jpeg_has_end(data) else ()
    block = exif_block if isinstance(exif_block, bytes) else None
    return Identified("image", media_type, extension, width, height, block, notes)


def _jpeg_has_end(data: bytes) -> bool:
    """Whether an end-of-image marker follows the first start-of-scan. Inside the scan every 0xFF
    byte is stuffed, so FF D9 there can only be the end marker; segments before it (EXIF with its
    own thumbnail) are skipped by their lengths."""
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            return False
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker == 0xDA:
            return data.rfind(b"\xff\xd9", position + 2) != -1  # from the end: where the marker is
        if 0xD0 <= marker <= 0xD8 or marker == 0x01:
            position += 2
            continue
        position += 2 + int.from_bytes(data[position + 2 : position + 4], "big")
    return False


def _page_type(data: bytes) -> str | None:
    head = data[:4096]
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if head.startswith(b"WARC/1."):
        return "warc"
    if head.startswith(b"\x1f\x8b"):
        try:
            start = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data[:65536], 16)
        except zlib.error:
            return None
        return "warc.gz" if start.startswith(b"WARC/1.") else None
    if head.startswith(b"PK\x03\x04"):
        return "wacz" if _is_wacz(data) else None
    lowered = head.lower()
    text = lowered.lstrip(b"\xef\xbb\xbf \t\r\n")
    header, _, _ = lowered.partition(b"\r\n\r\n" if b"\r\n\r\n" in lowered else b"\n\n")
    if b"mime-version:" in header and b"multipart/related" in header:
        return "mhtml"
    if text.startswith((b"<!doctype html", b"<html")) or (text.startswith(b"<") and b"<html" in lowered):
        return "html"
    return None


def _is_wacz(data: bytes) -> bool:
    """A web archive collection: a ZIP holding datapackage.json and an archive/ folder. Only the
    ZIP's directory is read; nothing is unpacked."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return False
    return "datapackage.json" in names and any(name.startswith("archive/") for name in names)


def clean_file_name(name: str | None) -> tuple[str, list[str]]:
    """The name as shown and downloaded: no folders, no control characters, at most 200
    characters (the extension kept). Storage never uses it: files are kept under their SHA-256."""
    given = str(name or "")
    cleaned = re.split(r"[\\/]", given)[-1]
    cleaned = "".join(ch for ch in cleaned if unicodedata.category(ch)[0] != "C").strip().lstrip(".").strip()
    if len(cleaned) > MAX_NAME:
        stem, dot, extension = cleaned.rpartition(".")
        keep = f".{extension}" if dot and len(extension) <= 10 else ""
        cleaned = (stem if keep else cleaned)[: MAX_NAME - len(keep)] + keep
    cleaned = cleaned or "unnamed"
    notes = []
    if cleaned != given:
        notes.append(f"the file name was cleaned to {cleaned[:80]!r} (folders, control characters or length removed)")
    return cleaned, notes


def name_mismatch(file_name: str, identified: Identified) -> str | None:
    """A warning when the name says one type and the content another (content wins)."""
    lowered = file_name.lower()
    named = lowered.rpartition(".")[2] if "." in lowered else ""
    if lowered.endswith(".warc.gz"):
        named = "warc.gz"
    named = _SAME_EXTENSION.get(named, named)
    actual = _SAME_EXTENSION.get(identified.extension, identified.extension)
    if named and named != actual:
        kind = identified.media_type
        return f"the name ends in .{named} but the content is {kind}; it is kept as {kind}"
    return None
