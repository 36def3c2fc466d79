"""What the browser is shown: a JPEG re-encoded from the pixels, upright, at most 1600 pixels on its
longer side, with no metadata; the original untouched."""

from __future__ import annotations

import contextlib
import io
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import exifread
import pytest
from PIL import Image, ImageFile, JpegImagePlugin

from tests import evidence_files as files
from workbench import preview
from workbench.preview import NoPreview, render


@pytest.fixture(autouse=True)
def pillow_globals(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", Image.MAX_IMAGE_PIXELS)
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", False)


def _open(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_the_preview_is_a_jpeg_with_no_exif_at_all():
    original = files.jpeg_with_exif()
    assert exifread.process_file(io.BytesIO(original), details=False)  # the original has tags
    shown = render(original, 1)
    assert shown[:2] == b"\xff\xd8"
    assert exifread.process_file(io.BytesIO(shown), details=True) == {}
    image = _open(shown)
    assert image.format == "JPEG"
    assert "exif" not in image.info and "icc_profile" not in image.info and "comment" not in image.info
    assert len(image.getexif()) == 0


def test_no_thumbnail_gps_or_camera_survives():
    shown = render(files.jpeg_with_thumbnail((300, 200)), None)
    assert exifread.process_file(io.BytesIO(shown), details=True, extract_thumbnail=True) == {}
    assert b"ThumbCam" not in shown and b"TestCam" not in render(files.jpeg_with_exif(), 1)


def test_icc_profile_and_comment_are_dropped():
    data = files.save(files.gradient((40, 30)), "JPEG", icc_profile=b"\x00" * 128, comment=b"a comment")
    assert "icc_profile" in _open(data).info and "comment" in _open(data).info
    image = _open(render(data, None))
    assert "icc_profile" not in image.info
    assert "comment" not in image.info


def test_the_original_is_not_changed():
    original = files.jpeg_with_exif()
    copy = bytes(original)
    render(original, 6)
    assert original == copy


@pytest.mark.parametrize(
    ("orientation", "size"),
    [(None, (300, 200)), (1, (300, 200)), (2, (300, 200)), (3, (300, 200)), (4, (300, 200)), (5, (200, 300)),
     (6, (200, 300)), (7, (200, 300)), (8, (200, 300))],
)  # fmt: skip
def test_orientation_turns_the_picture_upright(orientation, size):
    data = files.jpeg((300, 200), exif_block=files.exif(orientation=orientation or 1))
    assert _open(render(data, orientation)).size == size


def test_orientation_6_turns_the_top_left_corner_to_the_top_right():
    # a red block in the original's top-left corner; EXIF 6 means "turn 90 degrees clockwise to view"
    image = Image.new("RGB", (300, 200), "blue")
    image.paste(Image.new("RGB", (60, 60), "red"), (0, 0))
    shown = _open(render(files.save(image, "PNG"), 6))
    assert shown.size == (200, 300)
    red, green, blue = shown.getpixel((shown.width - 10, 10))
    assert red > 200 and blue < 60
    red, green, blue = shown.getpixel((10, 10))
    assert blue > 200 and red < 60


def test_a_heic_is_not_turned_twice():
    # pillow_heif writes EXIF orientation 6 as the file's own rotation, which the decoder applies
    data = files.heic((300, 200), exif_block=files.exif(orientation=6))
    assert _open(render(data, 6)).size == (200, 300)
    assert _open(render(data, None)).size == (200, 300)


def test_transparency_is_flattened_on_white():
    shown = _open(render(files.transparent_png(), None))
    assert shown.mode == "RGB"
    red, green, blue = shown.getpixel((20, 15))
    assert min(red, green, blue) >= 250


def test_a_half_transparent_pixel_is_blended_on_white():
    data = files.save(Image.new("RGBA", (20, 20), (0, 0, 0, 128)), "PNG")
    red, green, blue = _open(render(data, None)).getpixel((10, 10))
    assert 110 <= red <= 145 and 110 <= blue <= 145


def test_a_palette_image_with_a_transparent_index_is_flattened_on_white():
    image = Image.new("P", (20, 20), 0)
    image.putpalette([255, 0, 0] + [0, 0, 0] * 255)
    data = files.save(image, "GIF", transparency=0)
    red, green, blue = _open(render(data, None)).getpixel((10, 10))
    assert min(red, green, blue) >= 250


@pytest.mark.parametrize(("size", "expected"), [((4000, 1000), (1600, 400)), ((900, 3200), (450, 1600))])
def test_the_longer_side_is_at_most_1600(size, expected):
    assert _open(render(files.png(size, colour="teal"), None)).size == expected


def test_a_large_jpeg_is_cut_down_to_1600():
    shown = _open(render(files.jpeg((3300, 1650)), None))
    assert max(shown.size) <= preview.MAX_SIDE
    assert shown.size == (1600, 800)


def test_a_small_image_is_not_enlarged():
    assert _open(render(files.png((30, 20)), None)).size == (30, 20)


@pytest.mark.parametrize("kind", ["png", "webp", "gif", "tiff", "heic"])
def test_every_allowed_format_previews(kind):
    data = getattr(files, kind)((64, 48))
    assert _open(render(data, None)).size == (64, 48)


def test_a_truncated_jpeg_still_previews():
    shown = _open(render(files.truncated_jpeg(), None))
    assert shown.size == (200, 150)


def test_undecodable_bytes_give_no_preview():
    with pytest.raises(NoPreview, match=r"^the picture cannot be decoded \(\w+\)$"):
        render(files.TEXT, None)


@pytest.mark.parametrize("data", [b"", files.pdf(), files.png((32, 32))[:40]], ids=["empty", "pdf", "png-header-only"])
def test_other_undecodable_inputs_give_no_preview(data):
    with pytest.raises(NoPreview):
        render(data, None)


# --- memory (issue 24 point 5): reduced decoding, refusals, how many at once --------------------------


def test_an_image_too_large_to_decode_safely_is_refused_with_a_clear_message():
    data = files.png_bomb(9000)  # 81 megapixels declared; a one-bit image, small on disk
    with pytest.raises(preview.TooLarge) as refused:
        render(data, None)
    assert str(refused.value) == (
        "This image is too large to preview safely (81.0 megapixels, 9,000 × 9,000). Download the original "
        "to view it: it is stored and verified as received."
    )
    assert isinstance(refused.value, NoPreview)  # whoever shows "no preview" shows this too


def test_the_budget_is_what_decides(monkeypatch):
    data = files.png((2000, 1500), colour="teal")
    assert _open(render(data, None)).size == (1600, 1200)
    monkeypatch.setattr(preview, "DECODE_BUDGET", 30_000_000)
    with pytest.raises(preview.TooLarge, match=r"\(3\.0 megapixels, 2,000 × 1,500\)"):
        render(data, None)


def test_a_large_jpeg_is_decoded_reduced_and_still_upright(monkeypatch):
    # EXIF 6: turn 90 degrees clockwise to view; a red block in the stored top-left corner.
    image = Image.new("RGB", (4000, 3000), "blue")
    image.paste(Image.new("RGB", (800, 800), "red"), (0, 0))
    data = files.save(image, "JPEG", quality=90, exif=files.exif(orientation=6))
    drafts = []
    original_draft = JpegImagePlugin.JpegImageFile.draft

    def draft(self, mode, size):
        drafts.append((size, original_draft(self, mode, size)))
        return drafts[-1][1]

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", draft)
    shown = _open(render(data, 6))
    ((asked, (mode, box)),) = drafts
    assert asked == (1600, 1200) and box == (0, 0, 2000, 1500)  # libjpeg decoded it at half scale
    assert shown.size == (1200, 1600)
    red, green, blue = shown.getpixel((shown.width - 20, 20))  # now the top-right corner
    assert red > 200 and blue < 60
    red, green, blue = shown.getpixel((20, 20))
    assert blue > 200 and red < 60


def test_a_progressive_jpeg_counts_its_coefficients_but_a_baseline_one_does_not(monkeypatch):
    image = files.gradient((3200, 2400))
    baseline = files.save(image, "JPEG", quality=85)
    progressive = files.save(image, "JPEG", quality=85, progressive=True, subsampling=0)
    monkeypatch.setattr(preview, "DECODE_BUDGET", 60_000_000)  # baseline estimate ~47 MB, progressive ~74 MB
    assert _open(render(baseline, None)).size == (1600, 1200)
    with pytest.raises(preview.TooLarge, match=r"7\.7 megapixels"):
        render(progressive, None)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (files.save(files.gradient((64, 48)), "JPEG", progressive=True), True),
        (files.save(files.gradient((64, 48)), "JPEG"), False),
        (files.jpeg_with_thumbnail((64, 48)), False),  # the EXIF thumbnail's own scan is not a second one
        (files.truncated_jpeg(), False),
    ],
    ids=["progressive", "baseline", "with-exif-thumbnail", "truncated"],
)
def test_a_second_scan_is_found_by_walking_the_file(data, expected):
    stream = io.BytesIO(data)
    stream.seek(5)
    assert preview._more_than_one_scan(stream) is expected
    assert stream.tell() == 5  # put back


@pytest.mark.parametrize("mode", ["RGBA", "P", "LA", "L"])
def test_reducing_in_bands_equals_reducing_the_whole_image(monkeypatch, mode):
    image = files.gradient((301, 203)).convert("RGBA")
    image.putalpha(Image.linear_gradient("L").resize((301, 203)))
    image = image.convert(mode) if mode != "RGBA" else image
    monkeypatch.setattr(preview, "_BAND_PIXELS", 301 * 7)  # many bands, the last one short
    banded = preview._reduced(image, 3)
    assert banded.size == (101, 68)
    assert banded.tobytes() == preview._flatten(image).reduce(3).tobytes()


def test_at_most_RENDERS_previews_are_made_at_once(monkeypatch):
    running, most, lock = 0, 0, threading.Lock()
    opened = preview._opened

    @contextlib.contextmanager
    def counted(original):
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        try:
            time.sleep(0.05)
            with opened(original) as stream:
                yield stream
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(preview, "_opened", counted)
    data = files.png((40, 30))
    with ThreadPoolExecutor(max_workers=8) as pool:
        shown = list(pool.map(lambda _: render(data, None), range(16)))
    assert all(s[:2] == b"\xff\xd8" for s in shown)
    assert most == preview.RENDERS == 2


def test_the_stored_file_is_read_from_its_path(tmp_path):
    path = tmp_path / "original"
    path.write_bytes(files.png((40, 30), colour="navy"))
    assert _open(render(path, None)).size == (40, 30)
