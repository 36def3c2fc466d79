"""What a received file is, judged by its bytes: the allowed images and saved pages are named
rightly; everything else is refused with a reason the uploader can act on."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pytest
from PIL import Image, ImageFile, PngImagePlugin

from tests import evidence_files as files
from workbench import media, preview
from workbench.media import Rejected, clean_file_name, identify, name_mismatch

LIMIT = 10_000_000
NOT_TAKEN = "the content is not a file the workbench takes"


@pytest.fixture(autouse=True)
def pillow_globals(monkeypatch):
    """identify() and preview.render() set Pillow's module globals; put them back after each test
    and start each from a process where no preview has been rendered yet."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", Image.MAX_IMAGE_PIXELS)
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", False)


# --- images --------------------------------------------------------------------------------------

IMAGES = {
    "jpeg": (lambda: files.jpeg((64, 48)), "image/jpeg", "jpg"),
    "png": (lambda: files.png((64, 48)), "image/png", "png"),
    "webp": (lambda: files.webp((64, 48)), "image/webp", "webp"),
    "gif": (lambda: files.gif((64, 48)), "image/gif", "gif"),
    "tiff": (lambda: files.tiff((64, 48)), "image/tiff", "tif"),
    "heic": (lambda: files.heic((64, 48)), "image/heic", "heic"),
}


@pytest.mark.parametrize("kind", list(IMAGES))
def test_each_allowed_image_format_is_identified(kind):
    make, media_type, extension = IMAGES[kind]
    found = identify(make(), max_pixels=LIMIT)
    assert (found.category, found.media_type, found.extension) == ("image", media_type, extension)
    assert (found.width, found.height) == (64, 48)
    assert found.warnings == ()


def test_width_and_height_are_the_image_s_own():
    found = identify(files.png((123, 7)), max_pixels=LIMIT)
    assert (found.width, found.height) == (123, 7)


def test_a_jpeg_s_exif_block_is_handed_on_and_a_plain_png_has_none():
    assert identify(files.jpeg_with_exif(), max_pixels=LIMIT).exif_block.startswith(b"Exif\x00\x00")
    assert identify(files.png(), max_pixels=LIMIT).exif_block is None


# --- saved pages ---------------------------------------------------------------------------------

PAGES = {
    "pdf": (files.pdf, "application/pdf", "pdf"),
    "mhtml": (files.mhtml, "multipart/related", "mhtml"),
    "html": (files.html, "text/html", "html"),
    "warc": (files.warc, "application/warc", "warc"),
    "warc.gz": (files.warc_gz, "application/warc", "warc.gz"),
    "wacz": (files.wacz, "application/wacz", "wacz"),
}


@pytest.mark.parametrize("kind", list(PAGES))
def test_each_saved_page_type_is_recognised_by_its_signature(kind):
    make, media_type, extension = PAGES[kind]
    found = identify(make(), max_pixels=LIMIT)
    assert (found.category, found.media_type, found.extension) == ("page", media_type, extension)
    assert (found.width, found.height, found.exif_block) == (None, None, None)


def test_html_with_a_byte_order_mark_and_leading_space_is_html():
    assert identify(b"\xef\xbb\xbf \n<html><body>x</body></html>", max_pixels=LIMIT).extension == "html"


def test_a_pdf_signature_within_the_first_kilobyte_counts():
    assert identify(b"\x00" * 500 + files.pdf(), max_pixels=LIMIT).extension == "pdf"


# --- refusals ------------------------------------------------------------------------------------


def test_zero_bytes_are_refused():
    with pytest.raises(Rejected, match=r"^the file is empty \(0 bytes\)$"):
        identify(b"", max_pixels=LIMIT)


def test_text_renamed_to_jpg_is_refused_naming_what_is_taken():
    with pytest.raises(Rejected) as refused:
        identify(files.TEXT, max_pixels=LIMIT)
    assert str(refused.value).startswith(NOT_TAKEN)
    assert media.ACCEPTED in str(refused.value)


@pytest.mark.parametrize(
    "data",
    [files.unknown_zip(), files.gzip_text(), b"PK\x03\x04 not really a zip", b"\x1f\x8b not really gzip", b"<p>no"],
    ids=["zip-without-datapackage", "gzip-of-text", "broken-zip", "broken-gzip", "html-fragment"],
)
def test_other_archives_and_fragments_are_refused(data):
    with pytest.raises(Rejected, match=f"^{NOT_TAKEN}"):
        identify(data, max_pixels=LIMIT)


def test_a_zip_with_datapackage_but_no_archive_folder_is_not_a_wacz():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("datapackage.json", "{}")
    with pytest.raises(Rejected, match=f"^{NOT_TAKEN}"):
        identify(out.getvalue(), max_pixels=LIMIT)


def test_a_decompression_bomb_is_refused():
    bomb = files.png_bomb(5000)
    assert len(bomb) < 10_000  # small on disk, 25 million pixels when decoded
    with pytest.raises(Rejected, match=r"more than 1,000,000 pixels: it is refused as a possible decompression bomb"):
        identify(bomb, max_pixels=1_000_000)


def test_the_default_limit_refuses_a_20000_pixel_square():
    with pytest.raises(Rejected, match="decompression bomb"):
        identify(files.png_bomb(20000), max_pixels=80_000_000)


def test_pillow_s_decompression_bomb_warning_counts_as_a_refusal():
    data = files.png((100, 60))  # 6,000 pixels: over 5,000, under twice it, so Pillow only warns
    Image.MAX_IMAGE_PIXELS = 5_000
    with pytest.warns(Image.DecompressionBombWarning), Image.open(io.BytesIO(data)) as opened:
        assert opened.size == (100, 60)
    with pytest.raises(Rejected, match=r"more than 5,000 pixels: it is refused as a possible decompression bomb"):
        identify(data, max_pixels=5_000)


def test_an_image_of_exactly_the_pixel_limit_is_taken():
    assert identify(files.png((100, 50)), max_pixels=5_000).width == 100


def test_a_png_with_a_bad_crc_in_its_image_data_is_refused_as_damaged():
    data = bytearray(files.png((32, 32)))
    at = data.index(b"IDAT")
    length = struct.unpack(">I", data[at - 4 : at])[0]
    data[at + 4 + length : at + 8 + length] = b"\x00\x00\x00\x00"
    assert not files.crc_ok(bytes(data)) and files.crc_ok(files.png((32, 32)))
    with pytest.raises(Rejected, match=r"^the image is damaged and cannot be read \(\w+\)$"):
        identify(bytes(data), max_pixels=LIMIT)


def test_a_png_with_a_bad_crc_in_its_header_is_refused():
    data = files.png_with_bad_crc()
    assert not files.crc_ok(data)
    # Pillow cannot open it at all; its signature says PNG, so it is refused as a damaged image
    with pytest.raises(Rejected, match=r"^the image is damaged and cannot be read \(its header does not open\)"):
        identify(data, max_pixels=LIMIT)


def test_a_png_cut_short_is_refused_as_damaged():
    with pytest.raises(Rejected, match=r"^the image is damaged and cannot be read"):
        identify(files.png((64, 64))[:-30], max_pixels=LIMIT)


def _png_with_bad_text_chunk_crc() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "hello")
    data = bytearray(files.save(files.gradient((32, 32)), "PNG", pnginfo=info))
    at = data.index(b"tEXt")
    length = struct.unpack(">I", data[at - 4 : at])[0]
    data[at + 4 + length : at + 8 + length] = b"\x00\x00\x00\x00"
    return bytes(data)


def test_a_png_with_a_bad_crc_in_a_text_chunk_is_refused():
    with pytest.raises(Rejected):
        identify(_png_with_bad_text_chunk_crc(), max_pixels=LIMIT)


def test_intake_does_not_depend_on_whether_a_preview_was_rendered_before():
    damaged = _png_with_bad_text_chunk_crc()
    with pytest.raises(Rejected):
        identify(damaged, max_pixels=LIMIT)
    preview.render(files.png(), None)
    with pytest.raises(Rejected):
        identify(damaged, max_pixels=LIMIT)


def test_an_image_with_no_pixels_is_refused():
    data = bytearray(files.png((4, 4)))
    data[16:20] = struct.pack(">I", 0)  # IHDR width 0, with a CRC that matches
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    assert files.crc_ok(bytes(data))
    with pytest.raises(Rejected):
        identify(bytes(data), max_pixels=LIMIT)


# --- truncated JPEG ------------------------------------------------------------------------------


def test_a_truncated_jpeg_is_kept_with_the_truncation_warning():
    found = identify(files.truncated_jpeg(), max_pixels=LIMIT)
    assert (found.media_type, found.width, found.height) == ("image/jpeg", 200, 150)
    assert found.warnings == (media._TRUNCATED,)
    assert "truncated" in found.warnings[0]


def test_a_whole_jpeg_has_no_truncation_warning():
    assert identify(files.jpeg((200, 150), seed=7), max_pixels=LIMIT).warnings == ()


def test_a_truncated_jpeg_is_found_even_when_its_exif_thumbnail_has_an_end_marker():
    whole = files.jpeg_with_thumbnail((200, 150))
    assert whole.count(b"\xff\xd9") >= 2  # the thumbnail's end marker, then the picture's
    assert identify(whole, max_pixels=LIMIT).warnings == ()
    cut = whole[: len(whole) - 2000]
    assert b"\xff\xd9" in cut  # only the thumbnail's
    assert identify(cut, max_pixels=LIMIT).warnings == (media._TRUNCATED,)


def test_jpeg_has_end_on_bare_markers():
    assert media._jpeg_has_end(files.jpeg()) is True
    assert media._jpeg_has_end(b"\xff\xd8") is False
    assert media._jpeg_has_end(b"\xff\xd8\x00\x00\x00\x00") is False


# --- file names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "cleaned"),
    [
        ("photo.png", "photo.png"),
        ("folder/sub/photo.png", "photo.png"),
        ("C:\\Users\\someone\\Desktop\\photo.png", "photo.png"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("..", "unnamed"),
        ("../", "unnamed"),
        (".hidden.png", "hidden.png"),
        ("evil\x00name\r\n.png", "evilname.png"),
        ("tab\there\x1b[31m.png", "tabhere[31m.png"),
        ("right\u202eto-left.png", "rightto-left.png"),
        ("", "unnamed"),
        (None, "unnamed"),
        ("   ", "unnamed"),
    ],
)
def test_clean_file_name(given, cleaned):
    assert clean_file_name(given)[0] == cleaned


def test_a_clean_name_has_no_note_and_a_cleaned_one_says_so():
    assert clean_file_name("photo.png") == ("photo.png", [])
    name, notes = clean_file_name("a/b/photo.png")
    assert name == "photo.png"
    assert notes == ["the file name was cleaned to 'photo.png' (folders, control characters or length removed)"]


def test_a_300_character_name_is_cut_to_200_keeping_its_extension():
    name, notes = clean_file_name("a" * 296 + ".png")
    assert len(name) == 200
    assert name == "a" * 196 + ".png"
    assert len(notes) == 1


def test_a_300_character_name_without_an_extension_is_cut_to_200():
    name, _ = clean_file_name("b" * 300)
    assert name == "b" * 200


def test_a_long_pseudo_extension_is_not_kept_as_one():
    name, _ = clean_file_name("c" * 150 + "." + "d" * 150)
    assert len(name) == 200
    assert name == ("c" * 150 + "." + "d" * 150)[:200]


def test_a_name_of_exactly_200_characters_is_left_alone():
    given = "e" * 196 + ".jpg"
    assert clean_file_name(given) == (given, [])


# --- name and content disagreeing ----------------------------------------------------------------


def _found(kind: str) -> media.Identified:
    return identify({**{k: v[0] for k, v in IMAGES.items()}, **{k: v[0] for k, v in PAGES.items()}}[kind](),
                    max_pixels=LIMIT)  # fmt: skip


def test_a_name_that_says_another_type_gives_a_warning():
    warning = name_mismatch("photo.png", _found("jpeg"))
    assert warning == "the name ends in .png but the content is image/jpeg; it is kept as image/jpeg"


def test_text_named_jpg_but_a_pdf_inside_is_kept_as_pdf_with_a_warning():
    assert name_mismatch("scan.jpg", _found("pdf")) == (
        "the name ends in .jpg but the content is application/pdf; it is kept as application/pdf"
    )


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("photo.jpg", "jpeg"),
        ("photo.JPEG", "jpeg"),
        ("photo.jpe", "jpeg"),
        ("scan.tiff", "tiff"),
        ("scan.tif", "tiff"),
        ("phone.HEIC", "heic"),
        ("phone.heif", "heic"),
        ("page.htm", "html"),
        ("page.mht", "mhtml"),
        ("crawl.warc.gz", "warc.gz"),
        ("crawl.warc", "warc"),
        ("bundle.wacz", "wacz"),
        ("no-extension", "png"),
    ],
)
def test_names_that_agree_with_the_content_give_no_warning(name, kind):
    assert name_mismatch(name, _found(kind)) is None


def test_a_gzip_warc_named_plain_warc_is_a_mismatch():
    assert name_mismatch("crawl.warc", _found("warc.gz")) is not None
