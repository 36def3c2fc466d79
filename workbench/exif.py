"""An image's EXIF metadata, read with exifread: a few normalised fields, and every tag as text.

A damaged EXIF block never stops an upload: what could not be read becomes a warning that names
it. Embedded thumbnails are never kept (a thumbnail is a copy of the picture, and a purge must
leave none behind). GPS coordinates are sensitive location data; `has_gps` lets every screen say so.
"""

from __future__ import annotations

import io
import logging
import re
import warnings
from dataclasses import dataclass, field
from datetime import datetime

import exifread
from PIL import ExifTags, Image

# exifread logs what it finds (tag values among it) at warning level: never into the server's log.
logging.getLogger("exifread").setLevel(logging.CRITICAL)

MAX_TAGS = 1000
MAX_TAG_TEXT = 2000
NORMALISED = ("camera_make", "camera_model", "software", "taken_at", "gps_latitude", "gps_longitude", "orientation")
_EXIF_DATE = re.compile(r"^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_OFFSET = re.compile(r"^[+-](0\d|1[0-4]):[0-5]\d$")
_GPS_IFD, _EXIF_IFD = 0x8825, 0x8769
_UNREADABLE = "the EXIF block is damaged: none of its tags could be read"
# When the picture was taken: the original moment, else the file's own date; each with its offset tag.
_DATE_TAGS = (("EXIF DateTimeOriginal", "EXIF OffsetTimeOriginal"), ("Image DateTime", "EXIF OffsetTime"))


@dataclass(frozen=True)
class ImageMetadata:
    camera_make: str | None = None
    camera_model: str | None = None
    software: str | None = None
    taken_at: str | None = None  # ISO 8601 as the camera wrote it, with its offset when it gave one
    gps_latitude: float | None = None
    gps_longitude: float | None = None
    orientation: int | None = None  # EXIF 1-8
    raw: dict[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @property
    def has_gps(self) -> bool:
        located = self.gps_latitude is not None or self.gps_longitude is not None
        return located or any(name.startswith("GPS ") for name in self.raw)

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in NORMALISED} | {"raw": dict(self.raw)}


def read(data: bytes, exif_block: bytes | None = None) -> ImageMetadata:
    """Metadata of an image file. `exif_block` is the raw EXIF Pillow found in it, read instead
    when exifread cannot find the block in the file itself (WEBP, and HEIC as Pillow writes it)."""
    notes: list[str] = []
    tags = _process(io.BytesIO(data), notes)
    if not tags and exif_block:
        # exifread could not find or walk the block in the file (WEBP, HEIC as Pillow writes it):
        # read the block itself. Only if that fails too is it a damaged block.
        block = exif_block[6:] if exif_block.startswith(b"Exif\x00\x00") else exif_block
        from_block: list[str] = []
        tags = _process(io.BytesIO(block), from_block)
        notes = [] if tags else (from_block or notes or [_UNREADABLE])
    if exif_block and (not tags or any(not str(value).strip() for value in tags.values())):
        # exifread gives an empty value for a tag it could not read; Pillow's reader says why.
        notes.extend(_damaged_tags(exif_block))
    raw = _raw(tags)
    values: dict = {}
    values["camera_make"] = _text(tags, "Image Make")
    values["camera_model"] = _text(tags, "Image Model")
    values["software"] = _text(tags, "Image Software")
    values["taken_at"] = _taken_at(tags, notes)
    values["gps_latitude"] = _coordinate(tags, "GPS GPSLatitude", "GPS GPSLatitudeRef", "S", 90, notes)
    values["gps_longitude"] = _coordinate(tags, "GPS GPSLongitude", "GPS GPSLongitudeRef", "W", 180, notes)
    values["orientation"] = _orientation(tags, notes)
    return ImageMetadata(**values, raw=raw, warnings=tuple(dict.fromkeys(notes)))


def _process(stream: io.BytesIO, notes: list[str]) -> dict:
    try:
        return exifread.process_file(stream, details=False, extract_thumbnail=False)
    except Exception as e:  # a damaged block can make the parser raise anything
        notes.append(f"the EXIF block could not be read ({type(e).__name__})")
        return {}


def _damaged_tags(exif_block: bytes) -> list[str]:
    """Tags whose data lies outside the block or has a bad type, as Pillow's own reader finds them."""
    found = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            exif = Image.Exif()
            exif.load(exif_block)
            for ifd in (_EXIF_IFD, _GPS_IFD):
                exif.get_ifd(ifd)
        except Exception as e:
            found.append(f"the EXIF block is damaged ({type(e).__name__})")
    for warning in caught:
        message = str(warning.message)
        number = re.search(r"tag (\d+)", message)
        name = ExifTags.TAGS.get(int(number.group(1)), "unknown") if number else ""
        what = f"EXIF tag {name} ({number.group(1)})" if number else "an EXIF tag"
        found.append(f"{what} could not be read: {message.rstrip('.')}")
    return found


def _raw(tags: dict) -> dict[str, str]:
    raw = {}
    for name, value in list(tags.items())[:MAX_TAGS]:
        if "thumbnail" in name.lower() or isinstance(value, bytes | bytearray):
            continue
        text = str(value).replace("\x00", "").strip()
        raw[str(name)] = text[:MAX_TAG_TEXT]
    return raw


def _text(tags: dict, name: str) -> str | None:
    value = tags.get(name)
    text = str(value).replace("\x00", "").strip() if value is not None else ""
    return text[:200] or None


def _taken_at(tags: dict, notes: list[str]) -> str | None:
    for name, offset_name in _DATE_TAGS:
        text = _text(tags, name)
        if not text:
            continue
        match = _EXIF_DATE.match(text)
        try:
            moment = datetime(*(int(part) for part in match.groups())) if match else None
        except ValueError:
            moment = None
        if moment is None:
            notes.append(f"taken_at: {name.split()[-1]} {text[:40]!r} is not a date")
            continue
        offset = _text(tags, offset_name) or ""
        return moment.isoformat() + (offset if _OFFSET.match(offset) else "")
    return None


def _coordinate(tags: dict, name: str, ref_name: str, negative: str, limit: int, notes: list[str]) -> float | None:
    value = tags.get(name)
    if value is None:
        return None
    field_name = "gps_latitude" if "Latitude" in name else "gps_longitude"
    try:
        parts = [float(part) for part in value.values]
        degrees = parts[0] + (parts[1] / 60 if len(parts) > 1 else 0) + (parts[2] / 3600 if len(parts) > 2 else 0)
    except (AttributeError, TypeError, ValueError, ZeroDivisionError, IndexError):
        notes.append(f"{field_name}: {str(value)[:40]!r} could not be read as a coordinate")
        return None
    if not 0 <= degrees <= limit:
        notes.append(f"{field_name}: {degrees:g} degrees is out of range")
        return None
    ref = (_text(tags, ref_name) or "").upper()[:1]
    return round(-degrees if ref == negative else degrees, 7)


def _orientation(tags: dict, notes: list[str]) -> int | None:
    value = tags.get("Image Orientation")
    if value is None:
        return None
    try:
        number = int(value.values[0])
    except (AttributeError, TypeError, ValueError, IndexError):
        number = 0
    if not 1 <= number <= 8:
        notes.append(f"orientation: {str(value)[:20]!r} is not an EXIF orientation (1-8)")
        return None
    return number
