"""What the browser is shown of an image: a copy re-encoded from its pixels, turned the way the
camera said to hold it, at most 1600 pixels on its longer side, with no metadata at all. The
original is never touched."""

from __future__ import annotations

import io

from PIL import Image, ImageFile

from workbench.media import PILLOW_FORMATS, PILLOW_SETTINGS

MAX_SIDE = 1600
QUALITY = 85
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


class NoPreview(Exception):
    """The pixels cannot be decoded; the original can still be downloaded."""


def render(original: bytes, orientation: int | None) -> bytes:
    """A JPEG re-encoded from the pixels: no EXIF, ICC, XMP or comment survives."""
    with PILLOW_SETTINGS:
        # A truncated file shows what it holds, its missing part grey; intake has warned of it.
        ImageFile.LOAD_TRUNCATED_IMAGES = True
        try:
            with Image.open(io.BytesIO(original), formats=PILLOW_FORMATS) as image:
                image.draft("RGB", (MAX_SIDE, MAX_SIDE))  # JPEG: decode at a reduced scale, much faster
                image.seek(0)
                pixels = _flatten(image)
        except Exception as e:  # a damaged file can make a decoder raise anything
            raise NoPreview(f"the picture cannot be decoded ({type(e).__name__})") from None
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = False
    if orientation in _UPRIGHT and not _format_turns_itself(original):
        pixels = pixels.transpose(_UPRIGHT[orientation])
    pixels.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    clean = Image.new("RGB", pixels.size)
    clean.paste(pixels)  # a fresh image carries no info dict from the original
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=QUALITY, optimize=True)
    return out.getvalue()


def _flatten(image: Image.Image) -> Image.Image:
    """RGB pixels; transparency laid on white, as a screenshot viewer would show it."""
    if image.mode in ("RGBA", "LA", "P", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _format_turns_itself(original: bytes) -> bool:
    """HEIF images are turned upright by the decoder already (libheif applies the file's own
    rotation), so the EXIF orientation must not be applied a second time."""
    return original[4:8] == b"ftyp"
