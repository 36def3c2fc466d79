"""EXIF metadata: a few normalised fields, every tag as text, no thumbnail; a damaged block becomes
a warning naming what could not be read, never a failure."""

from __future__ import annotations

import io

import exifread
import pytest
from PIL import Image, ImageFile

from tests import evidence_files as files
from workbench import exif, media


@pytest.fixture(autouse=True)
def pillow_globals(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", Image.MAX_IMAGE_PIXELS)
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", False)


def _read(data: bytes) -> exif.ImageMetadata:
    """As intake reads it: the file, with the block Pillow found."""
    return exif.read(data, media.identify(data, max_pixels=10_000_000).exif_block)


# --- normalised fields ---------------------------------------------------------------------------


def test_the_normalised_fields_of_a_camera_jpeg():
    found = _read(files.jpeg_with_exif())
    assert found.as_dict() | {"raw": None} == {
        "camera_make": "TestCam",
        "camera_model": "Model 7",
        "software": "Firmware 1.2",
        "taken_at": "2025-03-14T09:29:58+01:00",
        "gps_latitude": 51.5,
        "gps_longitude": -0.125,  # 0 7' 30" W
        "orientation": 1,
        "raw": None,
    }
    assert found.warnings == ()
    assert found.has_gps is True


def test_taken_at_without_an_offset_is_the_camera_s_wall_clock():
    assert _read(files.jpeg_with_exif(offset=None)).taken_at == "2025-03-14T09:29:58"


def test_a_malformed_offset_is_left_off():
    assert _read(files.jpeg_with_exif(offset="+25:00")).taken_at == "2025-03-14T09:29:58"


def test_taken_at_falls_back_to_datetime_without_an_offset():
    found = _read(files.jpeg_with_exif(taken=None, offset=None, datetime="2024:12:01 08:00:05"))
    assert found.taken_at == "2024-12-01T08:00:05"
    assert found.warnings == ()


def test_datetime_original_wins_over_datetime():
    assert _read(files.jpeg_with_exif(datetime="2020:01:01 00:00:00")).taken_at == "2025-03-14T09:29:58+01:00"


@pytest.mark.parametrize(
    ("latitude_ref", "longitude_ref", "expected"),
    [("N", "E", (51.5, 0.125)), ("S", "W", (-51.5, -0.125)), ("S", "E", (-51.5, 0.125)), ("N", "W", (51.5, -0.125))],
)
def test_gps_is_signed_decimal_degrees(latitude_ref, longitude_ref, expected):
    found = _read(files.jpeg_with_exif(latitude_ref=latitude_ref, longitude_ref=longitude_ref))
    assert (found.gps_latitude, found.gps_longitude) == expected


def test_gps_minutes_and_seconds_are_converted():
    found = _read(files.jpeg_with_exif(latitude=(33.0, 51.0, 54.0), latitude_ref="S", longitude=(151.0, 12.0, 36.0),
                                       longitude_ref="E"))  # fmt: skip
    assert found.gps_latitude == pytest.approx(-33.865)
    assert found.gps_longitude == pytest.approx(151.21)


def test_a_latitude_out_of_range_is_a_warning_not_a_value():
    found = _read(files.jpeg_with_exif(latitude=(95.0, 0.0, 0.0)))
    assert found.gps_latitude is None
    assert found.gps_longitude == -0.125
    assert "gps_latitude: 95 degrees is out of range" in found.warnings
    assert found.has_gps is True  # a GPS tag is there even if it cannot be used


@pytest.mark.parametrize("orientation", range(1, 9))
def test_orientation(orientation):
    assert _read(files.jpeg_with_exif(orientation=orientation)).orientation == orientation


def test_an_orientation_out_of_range_is_a_warning():
    found = _read(files.jpeg_with_exif(orientation=9))
    assert found.orientation is None
    assert found.warnings == ("orientation: '9' is not an EXIF orientation (1-8)",)


def test_no_gps_means_no_has_gps():
    found = _read(files.jpeg_with_exif(latitude=None, longitude=None))
    assert (found.gps_latitude, found.gps_longitude, found.has_gps) == (None, None, False)
    assert not any(name.startswith("GPS ") for name in found.raw)


def test_a_gps_reference_alone_still_counts_as_location_data():
    assert exif.ImageMetadata(raw={"GPS GPSAltitude": "12"}).has_gps is True
    assert exif.ImageMetadata(gps_longitude=1.0).has_gps is True
    assert exif.ImageMetadata().has_gps is False


def test_an_image_without_exif_has_empty_metadata_and_no_warning():
    found = _read(files.png())
    assert found.as_dict() == dict.fromkeys(exif.NORMALISED) | {"raw": {}}
    assert found.warnings == ()


# --- raw tags ------------------------------------------------------------------------------------


def test_raw_holds_every_tag_as_text():
    found = _read(files.jpeg_with_exif())
    assert found.raw["Image Make"] == "TestCam"
    assert found.raw["EXIF DateTimeOriginal"] == "2025:03:14 09:29:58"
    assert found.raw["GPS GPSLatitudeRef"] == "N"
    assert found.raw["GPS GPSLatitude"] == "[51, 30, 0]"
    assert {"Image Model", "Image Software", "Image Orientation", "EXIF OffsetTimeOriginal"} <= set(found.raw)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in found.raw.items())


def test_a_thumbnail_is_never_kept_nor_any_thumbnail_tag():
    data = files.jpeg_with_thumbnail()
    everything = exifread.process_file(io.BytesIO(data), details=False, extract_thumbnail=True)
    assert "JPEGThumbnail" in everything  # the file really holds one
    assert any(name.startswith("Thumbnail ") for name in everything)
    found = _read(data)
    assert found.camera_make == "ThumbCam"
    assert not [name for name in found.raw if "thumbnail" in name.lower()]
    assert all(isinstance(v, str) for v in found.raw.values())
    assert b"\xff\xd8" not in repr(found.as_dict()).encode()


def test_raw_values_lose_nul_bytes():
    found = _read(files.jpeg_with_exif(make="Nul\x00Cam"))
    assert "\x00" not in found.raw["Image Make"]
    assert "\x00" not in found.camera_make
    assert found.camera_make.startswith("Nul")


def test_long_text_tags_are_clipped():
    found = _read(files.jpeg_with_exif(software="s" * 5000))
    assert found.raw["Image Software"] == "s" * exif.MAX_TAG_TEXT
    assert found.software == "s" * 200


# --- damaged EXIF --------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
def test_an_ifd0_offset_beyond_the_block_is_a_warning():
    data = files.exif_ifd0_out_of_block()
    found = _read(data)
    assert found.raw == {}
    assert found.camera_make is None
    assert "the EXIF block is damaged: none of its tags could be read" in found.warnings


@pytest.mark.filterwarnings("ignore:Tag data larger than file")
def test_a_tag_whose_data_lies_outside_the_block_is_named():
    found = _read(files.exif_tag_data_out_of_block())
    assert found.camera_make == "TestCam"  # what could be read is kept
    assert found.camera_model is None
    assert any(w.startswith("EXIF tag Model (272) could not be read") for w in found.warnings), found.warnings


def test_a_block_that_is_not_tiff_at_all_is_a_warning():
    found = _read(files.exif_garbage())
    assert found.raw == {}
    assert "the EXIF block is damaged: none of its tags could be read" in found.warnings


BAD_BLOCKS = [b"", b"Exif\x00\x00", b"Exif\x00\x00II*\x00", b"\xff" * 64, b"MM\x00*\x00\x00\x00\x08"]


@pytest.mark.parametrize("block", BAD_BLOCKS)
def test_read_never_raises_on_a_bad_block(block):
    found = exif.read(files.png(), block)
    assert isinstance(found, exif.ImageMetadata)
    assert found.raw == {} or all(isinstance(v, str) for v in found.raw.values())


def test_a_bad_date_is_a_warning():
    found = _read(files.jpeg_with_exif(taken="2025:13:45 99:00:00"))
    assert found.taken_at is None
    assert found.warnings == ("taken_at: DateTimeOriginal '2025:13:45 99:00:00' is not a date",)


def test_a_bad_original_date_falls_back_to_a_good_datetime_and_warns():
    found = _read(files.jpeg_with_exif(taken="not a date", offset=None, datetime="2024:01:02 03:04:05"))
    assert found.taken_at == "2024-01-02T03:04:05"
    assert found.warnings == ("taken_at: DateTimeOriginal 'not a date' is not a date",)


# --- formats exifread cannot walk itself ---------------------------------------------------------


def test_webp_exif_is_read_through_the_block():
    data = files.webp(exif_block=files.exif(latitude_ref="S"))
    found = _read(data)
    assert found.camera_make == "TestCam"
    assert found.taken_at == "2025-03-14T09:29:58+01:00"
    assert (found.gps_latitude, found.gps_longitude) == (-51.5, -0.125)
    assert found.has_gps
    assert exif.read(data).camera_make is None  # without the block nothing is found


def test_heic_exif_is_read_through_the_block():
    data = files.heic(exif_block=files.exif())
    found = _read(data)
    assert (found.camera_make, found.camera_model, found.software) == ("TestCam", "Model 7", "Firmware 1.2")
    assert found.taken_at == "2025-03-14T09:29:58+01:00"
    assert (found.gps_latitude, found.gps_longitude) == (51.5, -0.125)


def test_heic_exif_read_through_the_block_has_no_damage_warning():
    found = _read(files.heic(exif_block=files.exif()))
    assert found.camera_make == "TestCam"
    assert found.warnings == ()


def test_a_heic_without_exif_has_no_warning():
    assert _read(files.heic()).warnings == ()
