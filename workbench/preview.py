"""What the browser is shown of an image: a copy re-encoded from its pixels, turned the way the
camera said to hold it, at most 1600 pixels on its longer side, with no metadata at all. The
original is never touched.

Memory. The intake takes images of up to 80 megapixels, and decoding one whole can take a gigabyte
(RGBA at 4 bytes a pixel, then each conversion a copy). So a preview is made within a bound:

- A JPEG is decoded reduced (Pillow's draft: libjpeg scales by 1/2, 1/4 or 1/8 while decoding), so
  an 80-megapixel photograph decodes to a few megapixels. A JPEG of more than one scan
  (progressive) still makes libjpeg hold every coefficient of the full image, 2 bytes each.
- Other formats cannot be decoded reduced with Pillow (a HEIF's draft would pick an embedded
  thumbnail, which need not be the same picture, so it is not used).
- Before anything is decoded, what the preview will take is estimated from the header
  (`estimated_bytes`: what the format's decoder was measured to take a pixel, at the decoded
  size, and the coefficients above; see bench/preview_memory.py). An image whose estimate is over
  DECODE_BUDGET is not decoded: TooLarge says so, and its message is shown where the preview would
  be. The original is still stored, verified and downloadable.
- What is decoded is flattened and reduced a band of rows at a time, so no full-size copy is made
  beside it.
- At most RENDERS previews are made at once (see there), and nothing is kept in memory after one:
  the evidence store keeps the finished copy on disk.
"""

from __future__ import annotations

import contextlib
import io
import math
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from PIL import Image, ImageFile

from workbench.media import PILLOW_FORMATS, PILLOW_SETTINGS

MAX_SIDE = 1600
QUALITY = 85
# The most a preview's decode may take, as estimated before decoding. With the benchmark's process
# (the workbench's imports, pandas among them: about 156 MB) the largest image previewed peaks at
# about 270 MB, under the 300 (bench/README.md, preview memory).
DECODE_BUDGET = 120_000_000
# What loading takes a pixel, by format, at the decoder's peak (the decoded image, which Pillow keeps
# as 4 bytes a pixel even for RGB, and the decoder's own buffers): measured with
# `python -m bench.preview_memory --formats` at 12 megapixels (PNG 3.99, GIF 1.00, TIFF 4.13,
# WEBP 16.0, HEIF 7.49, JPEG 4.08) and rounded up.
LOAD_BYTES_PER_PIXEL = {"PNG": 4.25, "GIF": 4.25, "TIFF": 4.5, "HEIF": 7.75, "WEBP": 16.5, "JPEG": 4.25, "MPO": 4.25}
# What stays held beside the decoded image until the image is closed: Pillow's WebP decoder keeps
# its own canvas and buffers.
_HELD_BYTES_PER_PIXEL = {"WEBP": 12.5}
_UNKNOWN_FORMAT = max(LOAD_BYTES_PER_PIXEL.values())
_BANDS = 12_000_000  # a band of rows, its flattened copy and its reduced copy, at their largest
_SLACK = 20_000_000  # what the allocator has not handed back yet, and the re-encode of the 1600-pixel copy
_BAND_PIXELS = 1 << 20  # flattened and reduced this many pixels at a time (4 MB as RGBA)
# Previews made at once. Decoding holds PILLOW_SETTINGS (Pillow's truncated-file switch is a global),
# so only one full decode is ever in memory; a second render can read its header and re-encode its
# finished copy meanwhile, which keeps the server's two cores busy. A third would only wait
# holding an open file. This bounds a page of previews, and several users' pages, to one decode.
RENDERS = 2
_rendering = threading.BoundedSemaphore(RENDERS)
# EXIF orientation -> the transpose that shows the picture upright (as Pillow's exif_transpose).
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
# In a JPEG's entropy-coded data 0xFF is followed only by 0x00 (stuffing) or a restart marker, so the
# first other marker (after any fill bytes) ends the scan.
_MARKER = re.compile(rb"\xff+([^\x00\xd0-\xd7\xff])")
_CHUNK = 1 << 20


class NoPreview(Exception):
    """No preview is shown; the original can still be downloaded. The message says why."""


class TooLarge(NoPreview):
    """Decoding the image would take more memory than a preview may."""

    def __init__(self, width: int, height: int):
        self.megapixels = width * height / 1_000_000
        super().__init__(
            f"This image is too large to preview safely ({self.megapixels:,.1f} megapixels, {width:,} × "
            f"{height:,}). Download the original to view it: it is stored and verified as received."
        )


def render(original: bytes | Path, orientation: int | None) -> bytes:
    """A JPEG re-encoded from the pixels of `original` (its bytes, or the path of the stored file):
    no EXIF, ICC, XMP or comment survives. Raises TooLarge, or NoPreview when it cannot be decoded."""
    with _rendering, _opened(original) as stream:
        turns_itself = _format_turns_itself(stream.read(12))
        stream.seek(0)
        with PILLOW_SETTINGS:
            # A truncated file shows what it holds, its missing part grey; intake has warned of it.
            ImageFile.LOAD_TRUNCATED_IMAGES = True
            try:
                with Image.open(stream, formats=PILLOW_FORMATS) as image:
                    image.seek(0)
                    full = image.size
                    target = _fitted(full)
                    if image.format in ("JPEG", "MPO"):
                        # libjpeg scales while decoding. Not HEIF: its draft would decode an embedded
                        # thumbnail, which need not be the same picture as the image.
                        image.draft("RGB", target)
                    if _decode_cost(image, full, stream) > DECODE_BUDGET:
                        raise TooLarge(*full)
                    pixels = _reduced(image, _factor(image.size, target))
            except NoPreview:
                raise
            except Exception as e:  # a damaged file can make a decoder raise anything
                raise NoPreview(f"the picture cannot be decoded ({type(e).__name__})") from None
            finally:
                ImageFile.LOAD_TRUNCATED_IMAGES = False
        if orientation in _UPRIGHT and not turns_itself:
            pixels = pixels.transpose(_UPRIGHT[orientation])
        pixels.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
        clean = Image.new("RGB", pixels.size)
        clean.paste(pixels)  # a fresh image carries no info dict from the original
        out = io.BytesIO()
        clean.save(out, format="JPEG", quality=QUALITY, optimize=True)
        return out.getvalue()


@contextlib.contextmanager
def _opened(original: bytes | Path) -> Iterator[BinaryIO]:
    """The stored file is read as the decoder needs it, never held whole in memory."""
    if isinstance(original, bytes | bytearray | memoryview):
        yield io.BytesIO(original)
    else:
        with open(original, "rb") as stream:
            yield stream


def _fitted(size: tuple[int, int]) -> tuple[int, int]:
    """The preview's size: the image's shape, at most MAX_SIDE on its longer side."""
    width, height = size
    scale = min(1.0, MAX_SIDE / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _decode_cost(image: Image.Image, full: tuple[int, int], stream: BinaryIO) -> int:
    """What making this image's preview is estimated to take, from its header (after draft)."""
    cost = estimated_bytes(image.format or "", full, image.size)
    if image.format in ("JPEG", "MPO"):
        # libjpeg keeps every coefficient of the full image between the scans of a multi-scan file
        coefficients = _coefficient_bytes(image, *full)
        with_them = estimated_bytes(image.format, full, image.size, coefficients)
        if with_them > DECODE_BUDGET and (image.info.get("progressive") or _more_than_one_scan(stream)):
            return with_them
    return cost


def estimated_bytes(format: str, full: tuple[int, int], decoded: tuple[int, int], coefficients: int = 0) -> int:
    """Bytes a preview is estimated to take at its peak: the larger of loading (`decoded`, a JPEG's
    drafted size, at the format's bytes a pixel, and a multi-scan JPEG's `coefficients`) and working
    on the loaded pixels (them, what the decoder still holds, the reduced copy and a band), plus slack."""
    pixels = decoded[0] * decoded[1]
    factor = _factor(decoded, _fitted(full))
    loading = pixels * LOAD_BYTES_PER_PIXEL.get(format, _UNKNOWN_FORMAT) + coefficients
    reduced = math.ceil(decoded[0] / factor) * math.ceil(decoded[1] / factor) * 4
    working = pixels * (4 + _HELD_BYTES_PER_PIXEL.get(format, 0)) + reduced + _BANDS
    return int(max(loading, working)) + _SLACK


def _factor(decoded: tuple[int, int], target: tuple[int, int]) -> int:
    """The whole number the decoded pixels are reduced by (a box average) before the final resize."""
    return max(1, int(min(decoded[0] / target[0], decoded[1] / target[1])))


def _coefficient_bytes(image: Image.Image, width: int, height: int) -> int:
    """What libjpeg holds for a JPEG decoded in more than one scan: 64 coefficients of 2 bytes for
    every 8x8 block of every component, at the component's sampling."""
    layers = getattr(image, "layer", None) or [(0, 1, 1, 0)] * 3
    h_max = max(h for _, h, _, _ in layers) or 1
    v_max = max(v for _, _, v, _ in layers) or 1
    blocks = sum(
        math.ceil(math.ceil(width * h / h_max) / 8) * math.ceil(math.ceil(height * v / v_max) / 8)
        for _, h, v, _ in layers
    )
    return blocks * 128


def _more_than_one_scan(stream: BinaryIO) -> bool:
    """Whether anything but the end of the image follows the JPEG's first scan (more scans, as a
    progressive or a non-interleaved file has). Only the headers are walked and the scan searched;
    the stream's position is put back."""
    position = stream.tell()
    try:
        stream.seek(2)
        while True:  # the segments before the first scan, by their lengths
            head = stream.read(4)
            if len(head) < 4 or head[0] != 0xFF:
                return False
            marker = head[1]
            if marker == 0xFF or 0xD0 <= marker <= 0xD8 or marker == 0x01:  # fill byte, no length
                stream.seek(-3 if marker == 0xFF else -2, io.SEEK_CUR)
                continue
            stream.seek(int.from_bytes(head[2:4], "big") - 2, io.SEEK_CUR)
            if marker == 0xDA:
                break
        carried = b""
        while chunk := stream.read(_CHUNK):
            data = carried + chunk
            found = _MARKER.search(data)
            if found:
                return found.group(1) != b"\xd9"
            carried = data[len(data.rstrip(b"\xff")) :]  # a marker may straddle two chunks
        return False
    finally:
        stream.seek(position)


def _reduced(image: Image.Image, factor: int) -> Image.Image:
    """The decoded pixels flattened to RGB and reduced by `factor` (a box average), a band of rows
    at a time: the result equals flattening the whole image and reducing it, without the full-size
    copy that would take."""
    image.load()
    width, height = image.size
    out = Image.new("RGB", (math.ceil(width / factor), math.ceil(height / factor)))
    rows = max(1, _BAND_PIXELS // width // factor) * factor  # a whole number of reduced rows
    for top in range(0, height, rows):
        band = _flatten(image.crop((0, top, width, min(height, top + rows))))
        out.paste(band.reduce(factor) if factor > 1 else band, (0, top // factor))
    return out


def _flatten(image: Image.Image) -> Image.Image:
    """RGB pixels; transparency laid on white, as a screenshot viewer would show it."""
    if image.mode in ("RGBA", "LA", "P", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _format_turns_itself(header: bytes) -> bool:
    """HEIF images are turned upright by the decoder already (libheif applies the file's own
    rotation), so the EXIF orientation must not be applied a second time."""
    return header[4:8] == b"ftyp"
