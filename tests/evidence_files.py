"""Evidence test files, made in memory: plain colours, gradients and noise (never a picture of a
person), and minimal saved pages. Nothing binary is committed; every test builds what it needs."""

from __future__ import annotations

import gzip
import io
import random
import struct
import zipfile
import zlib

from PIL import Image

import workbench.media  # noqa: F401  (registers the HEIF opener with Pillow)

# EXIF tag numbers used below.
MAKE, MODEL, SOFTWARE, DATETIME, ORIENTATION = 0x010F, 0x0110, 0x0131, 0x0132, 0x0112
EXIF_IFD, GPS_IFD = 0x8769, 0x8825
DATETIME_ORIGINAL, OFFSET_TIME_ORIGINAL = 0x9003, 0x9011
GPS_LAT_REF, GPS_LAT, GPS_LON_REF, GPS_LON = 1, 2, 3, 4


def gradient(size: tuple[int, int] = (64, 48), mode: str = "RGB") -> Image.Image:
    """A red ramp across and a blue ramp down (plain colours only)."""
    down = Image.linear_gradient("L").resize(size)
    across = Image.linear_gradient("L").transpose(Image.Transpose.ROTATE_90).resize(size)
    across = across.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    image = Image.merge("RGB", (across, Image.new("L", size, 80), down))
    return image.convert(mode) if mode != "RGB" else image


def noise(size: tuple[int, int] = (64, 48), seed: int = 1) -> Image.Image:
    rng = random.Random(seed)
    return Image.frombytes("RGB", size, bytes(rng.randrange(256) for _ in range(size[0] * size[1] * 3)))


def exif(
    *,
    make: str | None = "TestCam",
    model: str | None = "Model 7",
    software: str | None = "Firmware 1.2",
    taken: str | None = "2025:03:14 09:29:58",
    offset: str | None = "+01:00",
    datetime: str | None = None,
    latitude: tuple[float, float, float] | None = (51.0, 30.0, 0.0),
    latitude_ref: str = "N",
    longitude: tuple[float, float, float] | None = (0.0, 7.0, 30.0),
    longitude_ref: str = "W",
    orientation: int | None = 1,
) -> Image.Exif:
    """An EXIF block with the fields the workbench normalises (None leaves one out)."""
    block = Image.Exif()
    for tag, value in ((MAKE, make), (MODEL, model), (SOFTWARE, software), (DATETIME, datetime)):
        if value is not None:
            block[tag] = value
    if orientation is not None:
        block[ORIENTATION] = orientation
    exif_ifd = block.get_ifd(EXIF_IFD)
    if taken is not None:
        exif_ifd[DATETIME_ORIGINAL] = taken
    if offset is not None:
        exif_ifd[OFFSET_TIME_ORIGINAL] = offset
    if latitude is not None or longitude is not None:
        gps = block.get_ifd(GPS_IFD)
        if latitude is not None:
            gps[GPS_LAT_REF], gps[GPS_LAT] = latitude_ref, latitude
        if longitude is not None:
            gps[GPS_LON_REF], gps[GPS_LON] = longitude_ref, longitude
    return block


def save(image: Image.Image, format: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, format=format, **options)
    return out.getvalue()


def jpeg(
    size: tuple[int, int] = (64, 48), exif_block: Image.Exif | bytes | None = None, seed: int | None = None
) -> bytes:
    """A JPEG of a gradient (or of noise, given a seed: distinct bytes per seed)."""
    image = noise(size, seed) if seed is not None else gradient(size)
    options = {"exif": exif_block.tobytes() if isinstance(exif_block, Image.Exif) else exif_block} if exif_block else {}
    return save(image, "JPEG", quality=90, **options)


def jpeg_with_exif(**fields) -> bytes:
    return jpeg(exif_block=exif(**fields))


def png(size: tuple[int, int] = (64, 48), colour: str | None = None) -> bytes:
    image = Image.new("RGB", size, colour) if colour else gradient(size)
    return save(image, "PNG")


def transparent_png(size: tuple[int, int] = (40, 30)) -> bytes:
    """Fully transparent red: flattened on white it must come out white."""
    return save(Image.new("RGBA", size, (255, 0, 0, 0)), "PNG")


def webp(size: tuple[int, int] = (64, 48), exif_block: Image.Exif | None = None) -> bytes:
    options = {"exif": exif_block.tobytes()} if exif_block is not None else {}
    return save(gradient(size), "WEBP", quality=80, **options)


def gif(size: tuple[int, int] = (64, 48)) -> bytes:
    return save(gradient(size).convert("P"), "GIF")


def tiff(size: tuple[int, int] = (64, 48)) -> bytes:
    return save(gradient(size), "TIFF")


def heic(size: tuple[int, int] = (64, 48), exif_block: Image.Exif | None = None) -> bytes:
    options = {"exif": exif_block.tobytes()} if exif_block is not None else {}
    return save(gradient(size), "HEIF", quality=60, **options)


def png_bomb(side: int = 20000) -> bytes:
    """A PNG whose header declares side x side pixels, small on disk (a one-bit blank image)."""
    return save(Image.new("1", (side, side)), "PNG")


def png_with_bad_crc(size: tuple[int, int] = (32, 32)) -> bytes:
    """A PNG whose IHDR chunk's CRC is wrong."""
    data = bytearray(png(size))
    # signature (8) + length (4) + "IHDR" (4) + 13 bytes of data, then the 4-byte CRC
    data[29:33] = bytes(b ^ 0xFF for b in data[29:33])
    return bytes(data)


def truncated_jpeg(size: tuple[int, int] = (200, 150)) -> bytes:
    """A JPEG cut off part-way through its scan: no end-of-image marker."""
    data = save(noise(size, seed=7), "JPEG", quality=90)
    cut = data[: len(data) * 2 // 3]
    assert b"\xff\xd9" not in cut[cut.index(b"\xff\xda") :]
    return cut


# --- damaged EXIF ----------------------------------------------------------------------------------


def _tiff_header(ifd0_offset: int) -> bytes:
    return b"II*\x00" + struct.pack("<I", ifd0_offset)


def _ifd(entries: list[tuple[int, int, int, bytes]], next_offset: int = 0) -> bytes:
    """entries: (tag, type, count, 4-byte value or offset)."""
    body = struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        body += struct.pack("<HHI", tag, kind, count) + value.ljust(4, b"\x00")
    return body + struct.pack("<I", next_offset)


def _app1(tiff_block: bytes) -> bytes:
    payload = b"Exif\x00\x00" + tiff_block
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def _with_app1(tiff_block: bytes) -> bytes:
    """A good JPEG with this TIFF block spliced in as its EXIF segment, right after SOI."""
    plain = jpeg(seed=11)
    return plain[:2] + _app1(tiff_block) + plain[2:]


def exif_ifd0_out_of_block() -> bytes:
    """The TIFF header's IFD0 offset points far beyond the EXIF block."""
    return _with_app1(_tiff_header(0x00FFFF00) + b"\x00" * 16)


def exif_tag_data_out_of_block() -> bytes:
    """IFD0 is fine, with a Make tag; but the Model tag's data offset points outside the block."""
    make = b"TestCam\x00"
    ifd_start = 8
    entries = 2
    make_offset = ifd_start + 2 + entries * 12 + 4
    ifd = _ifd(
        [
            (MAKE, 2, len(make), struct.pack("<I", make_offset)),
            (MODEL, 2, 40, struct.pack("<I", 0x0FFF0000)),
        ]
    )
    return _with_app1(_tiff_header(ifd_start) + ifd + make)


def thumbnail_exif_block(thumbnail: bytes | None = None) -> bytes:
    """A TIFF block (no "Exif" prefix): IFD0 with Make, then IFD1 describing an embedded JPEG thumbnail."""
    thumbnail = thumbnail or save(Image.new("RGB", (16, 12), "green"), "JPEG")
    make = b"ThumbCam\x00"
    ifd0_at = 8
    ifd0_size = 2 + 1 * 12 + 4
    make_at = ifd0_at + ifd0_size
    ifd1_at = make_at + len(make)
    ifd1_size = 2 + 3 * 12 + 4
    thumbnail_at = ifd1_at + ifd1_size
    ifd0 = _ifd([(MAKE, 2, len(make), struct.pack("<I", make_at))], next_offset=ifd1_at)
    ifd1 = _ifd(
        [
            (0x0103, 3, 1, struct.pack("<H", 6)),  # Compression: JPEG
            (0x0201, 4, 1, struct.pack("<I", thumbnail_at)),  # JPEGInterchangeFormat
            (0x0202, 4, 1, struct.pack("<I", len(thumbnail))),  # JPEGInterchangeFormatLength
        ]
    )
    return _tiff_header(ifd0_at) + ifd0 + make + ifd1 + thumbnail


def jpeg_with_thumbnail(size: tuple[int, int] = (64, 48)) -> bytes:
    """A JPEG of noise whose EXIF holds a thumbnail (a second end-of-image marker, inside APP1)."""
    plain = jpeg(size, seed=5)
    return plain[:2] + _app1(thumbnail_exif_block()) + plain[2:]


def exif_garbage() -> bytes:
    """An EXIF segment whose TIFF header is nonsense."""
    return _with_app1(b"XX\x00\x00garbage-not-a-tiff-header" * 2)


# --- not images ------------------------------------------------------------------------------------

TEXT = b"This is a plain text note, not a picture.\nSecond line.\n"


def pdf() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
        b"trailer << /Root 1 0 R >>\n%%EOF\n"
    )


def mhtml() -> bytes:
    return (
        b"From: <Saved by Blink>\r\nSnapshot-Content-Location: https://example.org/profile\r\n"
        b"Subject: Profile\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/related; type="text/html"; boundary="----B"\r\n\r\n'
        b"------B\r\nContent-Type: text/html\r\n\r\n<html><body>Saved</body></html>\r\n------B--\r\n"
    )


def html() -> bytes:
    return b"<!DOCTYPE html>\n<html><head><title>Saved</title></head><body><p>A saved page</p></body></html>\n"


def warc() -> bytes:
    body = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html>saved</html>"
    return (
        b"WARC/1.1\r\nWARC-Type: response\r\nWARC-Target-URI: https://example.org/\r\n"
        b"WARC-Date: 2025-03-14T09:30:00Z\r\nWARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-000000000001>\r\n"
        b"Content-Type: application/http; msgtype=response\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
        + b"\r\n\r\n"
    )


def warc_gz() -> bytes:
    return gzip.compress(warc(), mtime=0)


def wacz() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("datapackage.json", '{"profile": "data-package", "resources": []}')
        archive.writestr("archive/data.warc", warc())
    return out.getvalue()


def unknown_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("notes.txt", "just a zip")
    return out.getvalue()


def gzip_text() -> bytes:
    return gzip.compress(TEXT, mtime=0)


def crc_ok(data: bytes) -> bool:
    """Whether every PNG chunk's CRC is right (to prove a damaged PNG really is damaged)."""
    position = 8
    while position < len(data):
        length = struct.unpack(">I", data[position : position + 4])[0]
        chunk = data[position + 4 : position + 8 + length]
        if zlib.crc32(chunk) != struct.unpack(">I", data[position + 8 + length : position + 12 + length])[0]:
            return False
        position += 12 + length
    return True
