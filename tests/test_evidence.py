"""Evidence intake, storage, purge and integrity: files kept byte-exact under their SHA-256 with the
capture record; a bad file is rejected on its own and leaves nothing behind; a purge deletes the
bytes and keeps the record; verification finds missing and altered files."""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import stat
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image, ImageFile

from tests import evidence_files as files
from tests.conftest import CASE, authorised_case
from workbench import audit, cases, evidence, evidence_store, observations, preview
from workbench.access import SYSTEM
from workbench.config import EvidenceLimits
from workbench.errors import Conflict, NotFound, PermissionDenied, ValidationError
from workbench.evidence import Upload
from workbench.timeutil import from_iso_utc

CONFIRMED = {"confirmed_no_indecent_image": True}
LIMITS = EvidenceLimits(max_bytes=5 * 1024 * 1024, max_pixels=10_000_000)
FULL_CAPTURE = {
    "observation": "obs-0001",
    "source_url": "https://www.instagram.com/example_profile/",
    "platform": "instagram",
    "shows": "Profile picture and bio",
    "relevance": "Bio states an age that does not match the child's",
    "method": "Supplied by parent or carer",
    "viewing_account": "org-safeguarding-01",
    "captured_at": "2025-06-14 09:30",
    "confirmed_no_indecent_image": "yes",
}
NEXT_MONTH = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%MZ")
IMAGE_INCIDENT = {
    "kind": "image_sharing_incident",
    "indicator": "image_shared_by_others",
    "details": {"what_was_seen": "Described in words only", "where_seen": "A group chat"},
}


@pytest.fixture(autouse=True)
def pillow_globals(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", Image.MAX_IMAGE_PIXELS)
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", False)


def _add(db, actor, *uploads: Upload, capture: dict | None = None, limits: EvidenceLimits = LIMITS, reference=CASE):
    return evidence.add_files(db, actor, reference, list(uploads), {**CONFIRMED, **(capture or {})}, limits=limits)


def _one(db, actor, name: str, data: bytes, **kwargs) -> evidence.IntakeResult:
    [result] = _add(db, actor, Upload.of_bytes(name, data), **kwargs)
    return result


def _case_id(db, reference: str = CASE) -> int:
    return db.execute("SELECT id FROM cases WHERE reference = ?", (reference,)).fetchone()[0]


def _evidence_files(settings) -> list[str]:
    """Every file under evidence/, as paths relative to it."""
    root = settings.evidence_dir
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def _rows(db, table: str = "evidence") -> int:
    return db.execute(f"SELECT COUNT(*) FROM [{table}]").fetchone()[0]  # noqa: S608


def _actions(db, action: str) -> list[dict]:
    return list(db.query("SELECT * FROM audit_events WHERE action = ? ORDER BY seq", (action,)))


def _original_path(settings, db, sha256: str, reference: str = CASE) -> Path:
    return settings.evidence_dir / f"case-{_case_id(db, reference)}" / "originals" / sha256


def _writable(path: Path) -> None:
    path.chmod(0o644)


# --- the stored record ---------------------------------------------------------------------------


def test_a_stored_item_keeps_its_capture_record(db, world, analyst, observation_input):
    observations.record(db, analyst, CASE, observation_input())
    data = files.jpeg_with_exif()
    before = datetime.now(UTC).replace(microsecond=0)
    result = _one(db, analyst, "photo.jpg", data, capture=FULL_CAPTURE)
    after = datetime.now(UTC)
    assert (result.status, result.code, result.error, result.duplicate_of) == ("stored", "EV-0001", None, None)
    item = evidence.view(db, analyst, CASE, "EV-0001")
    assert item.observation == "OBS-0001"
    assert item.source_url == "https://www.instagram.com/example_profile/"
    assert item.platform == "Instagram"
    assert item.shows == "Profile picture and bio"
    assert item.relevance == "Bio states an age that does not match the child's"
    assert item.method == "supplied_parent_carer"
    assert item.viewing_account == "org-safeguarding-01"
    assert item.captured_at == "2025-06-14T08:30:00Z"  # as stated, London summer time, kept in UTC
    assert item.received_at.endswith("Z")
    assert before <= from_iso_utc(item.received_at) <= after
    assert item.received_by == "analyst"
    assert (item.file_name, item.category, item.extension) == ("photo.jpg", "image", "jpg")
    assert item.media_type == "image/jpeg"
    assert (item.width, item.height) == (64, 48)
    assert item.metadata["camera_make"] == "TestCam"
    assert item.metadata["taken_at"] == "2025-03-14T09:29:58+01:00"
    assert item.metadata["gps_latitude"] == 51.5 and item.has_gps is True
    assert item.metadata == result.metadata
    assert item.warnings == [] == result.warnings
    assert (item.purged, item.purge_reason, item.last_check, item.duplicate_of) == (False, None, None, None)
    assert item.download_name == "EV-0001-photo.jpg"


def test_the_capture_record_defaults(db, analyst):
    _one(db, analyst, "a.png", files.png())
    item = evidence.view(db, analyst, CASE, "EV-0001")
    assert item.method == "screenshot_work_device"
    assert (item.observation, item.source_url, item.platform, item.shows, item.relevance) == (None, "", "", "", "")
    assert (item.viewing_account, item.captured_at) == ("", None)
    assert item.has_gps is False
    assert db.execute("SELECT confirmed_no_indecent_image FROM evidence").fetchone()[0] == 1


def test_codes_are_consecutive_across_batches(db, analyst):
    first = _add(db, analyst, *(Upload.of_bytes(f"{n}.jpg", files.jpeg(seed=n)) for n in range(3)))
    second = _add(db, analyst, Upload.of_bytes("3.png", files.png()))
    assert [r.code for r in first + second] == ["EV-0001", "EV-0002", "EV-0003", "EV-0004"]
    assert [i.code for i in evidence.list_evidence(db, analyst, CASE)] == ["EV-0001", "EV-0002", "EV-0003", "EV-0004"]


def test_a_rejected_file_takes_no_code(db, analyst):
    results = _add(db, analyst, Upload.of_bytes("a.jpg", files.TEXT), Upload.of_bytes("b.png", files.png()))
    assert [(r.status, r.code) for r in results] == [("rejected", None), ("stored", "EV-0001")]


def test_sha256_and_size_are_those_of_the_exact_bytes(db, world, analyst):
    data = files.jpeg_with_exif()
    result = _one(db, analyst, "photo.jpg", data)
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert result.size == len(data)
    item = evidence.view(db, analyst, CASE, result.code)
    assert (item.sha256, item.size) == (result.sha256, len(data))


def test_the_original_is_byte_identical_and_read_only_under_its_sha256(db, world, analyst):
    data = files.jpeg_with_exif()
    result = _one(db, analyst, "photo.jpg", data)
    path = _original_path(world, db, result.sha256)
    assert path.read_bytes() == data
    assert stat.S_IMODE(path.stat().st_mode) == 0o400  # the service account's alone, and read-only
    assert _evidence_files(world) == [f"case-{_case_id(db)}/originals/{result.sha256}"]
    item, downloaded = evidence.original(db, analyst, CASE, "EV-0001")
    assert downloaded == data and item.sha256 == result.sha256


def test_evidence_folders_are_for_the_owner_only(db, world, analyst):
    _one(db, analyst, "a.png", files.png())
    for folder in (world.evidence_dir, world.evidence_dir / f"case-{_case_id(db)}", world.evidence_dir / "incoming"):
        assert stat.S_IMODE(folder.stat().st_mode) & 0o077 == 0, folder


@pytest.mark.parametrize("kind", ["png", "webp", "gif", "tiff", "heic"])
def test_each_image_format_is_stored(db, world, analyst, kind):
    data = getattr(files, kind)((40, 30))
    result = _one(db, analyst, f"file.{kind}", data)
    assert result.status == "stored", result.error
    assert (result.width, result.height) == (40, 30)
    assert _original_path(world, db, result.sha256).read_bytes() == data


@pytest.mark.parametrize(("kind", "name"), [("pdf", "page.pdf"), ("mhtml", "page.mhtml"), ("html", "page.html"),
                                            ("warc", "crawl.warc"), ("warc_gz", "crawl.warc.gz"),
                                            ("wacz", "crawl.wacz")])  # fmt: skip
def test_each_saved_page_is_stored_without_metadata(db, world, analyst, kind, name):
    data = getattr(files, kind)()
    result = _one(db, analyst, name, data, capture={"method": "saved_page"})
    assert result.status == "stored", result.error
    assert (result.width, result.height, result.warnings) == (None, None, [])
    assert result.metadata == dict.fromkeys(("camera_make", "camera_model", "software", "taken_at", "gps_latitude",
                                             "gps_longitude", "orientation")) | {"raw": {}}  # fmt: skip
    item = evidence.view(db, analyst, CASE, result.code)
    assert (item.category, item.method) == ("page", "saved_page")
    assert _original_path(world, db, result.sha256).read_bytes() == data


def test_a_name_that_disagrees_with_the_content_is_kept_with_a_warning(db, analyst):
    result = _one(db, analyst, "photo.png", files.jpeg())
    assert result.status == "stored"
    assert result.media_type == "image/jpeg"
    assert result.warnings == ["the name ends in .png but the content is image/jpeg; it is kept as image/jpeg"]
    assert evidence.view(db, analyst, CASE, result.code).warnings == result.warnings


def test_progress_is_reported_per_file(db, analyst):
    seen = []
    evidence.add_files(
        db, analyst, CASE, [Upload.of_bytes("a.png", files.png()), Upload.of_bytes("b.txt", files.TEXT)], CONFIRMED,
        limits=LIMITS, progress=lambda done, total: seen.append((done, total)),
    )  # fmt: skip
    assert seen == [(1, 2), (2, 2)]


# --- duplicates ----------------------------------------------------------------------------------


def test_the_same_bytes_twice_are_stored_once(db, world, analyst):
    data = files.png()
    first = _one(db, analyst, "first.png", data)
    second = _one(db, analyst, "second.png", data)
    assert (first.status, first.code, first.duplicate_of) == ("stored", "EV-0001", None)
    assert (second.status, second.code, second.duplicate_of) == ("duplicate", "EV-0002", "EV-0001")
    assert second.sha256 == first.sha256
    assert _evidence_files(world) == [f"case-{_case_id(db)}/originals/{first.sha256}"]
    item = evidence.view(db, analyst, CASE, "EV-0002")
    assert (item.duplicate_of, item.file_name) == ("EV-0001", "second.png")
    assert _actions(db, "evidence.add")[-1]["item_code"] == "EV-0002"
    assert json.loads(_actions(db, "evidence.add")[-1]["details"])["duplicate_of"] == "EV-0001"


def test_the_same_bytes_twice_in_one_batch(db, world, analyst):
    data = files.png()
    results = _add(db, analyst, Upload.of_bytes("a.png", data), Upload.of_bytes("b.png", data))
    assert [(r.status, r.duplicate_of) for r in results] == [("stored", None), ("duplicate", "EV-0001")]
    assert len(_evidence_files(world)) == 1


def test_a_duplicate_names_the_first_item_not_the_last(db, analyst):
    data = files.png()
    results = [_one(db, analyst, f"{n}.png", data) for n in range(3)]
    assert [r.duplicate_of for r in results] == [None, "EV-0001", "EV-0001"]


def test_the_same_bytes_in_another_case_are_stored_in_that_case(db, world, analyst):
    cases.create_case(db, SYSTEM, "CASE-2", "Other", lead="analyst")
    data = files.png()
    first = _one(db, analyst, "a.png", data)
    other = _one(db, analyst, "a.png", data, reference="CASE-2")
    assert (other.status, other.code, other.duplicate_of) == ("stored", "EV-0001", None)
    assert _original_path(world, db, first.sha256).exists()
    assert _original_path(world, db, first.sha256, "CASE-2").read_bytes() == data


_WORKER = r"""
import json, sys, time
from pathlib import Path
from workbench import evidence, users
from workbench.config import EvidenceLimits, Settings
from workbench.db import open_home

home, source, ready, start = sys.argv[1:5]
db = open_home(Settings(home=Path(home)))
actor = users.user_by_name(db, "analyst")
data = Path(source).read_bytes()
Path(ready).touch()
deadline = time.monotonic() + 60
while not Path(start).exists() and time.monotonic() < deadline:
    time.sleep(0.002)
results = evidence.add_files(
    db, actor, "CASE-1", [evidence.Upload.of_bytes("same.png", data)], {"confirmed_no_indecent_image": True},
    limits=EvidenceLimits(),
)
print(json.dumps([r.as_json() for r in results]))
"""


def test_the_same_file_from_three_processes_at_once_is_stored_once(db, world, tmp_path):
    data = files.png((80, 60))
    source = tmp_path / "same.png"
    source.write_bytes(data)
    signals = tmp_path / "signals"
    signals.mkdir()
    start = signals / "start"
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKBENCH_")}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, str(world.home), str(source), str(signals / f"ready-{n}"), str(start)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for n in range(3)
    ]
    try:
        deadline = time.monotonic() + 60
        while len(list(signals.glob("ready-*"))) < len(workers):
            assert time.monotonic() < deadline, "the workers did not get ready"
            assert all(w.poll() is None for w in workers), [w.communicate() for w in workers if w.poll() is not None]
            time.sleep(0.01)
        start.touch()
        outputs = [w.communicate(timeout=60) for w in workers]
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
    results = []
    for (out, err), worker in zip(outputs, workers, strict=True):
        assert worker.returncode == 0, err
        results.extend(json.loads(out))
    statuses = sorted(r["status"] for r in results)
    assert statuses == ["duplicate", "duplicate", "stored"]
    stored = next(r for r in results if r["status"] == "stored")
    assert {r["duplicate_of"] for r in results if r["status"] == "duplicate"} == {stored["code"]}
    assert sorted(r["code"] for r in results) == ["EV-0001", "EV-0002", "EV-0003"]
    assert stored["code"] == "EV-0001"
    sha = hashlib.sha256(data).hexdigest()
    assert _evidence_files(world) == [f"case-{_case_id(db)}/originals/{sha}"]
    assert _original_path(world, db, sha).read_bytes() == data
    assert _rows(db) == 3
    assert evidence.verify_case(db, SYSTEM, CASE).intact
    assert audit.verify(db).intact


# --- bad files -----------------------------------------------------------------------------------

BIG_PDF = files.pdf() + b"0" * (1536 * 1024)
TINY = EvidenceLimits(max_bytes=1024 * 1024, max_pixels=1_000_000)
REJECTIONS = {
    "zero bytes": ("empty.jpg", b"", "the file is empty (0 bytes)"),
    "text renamed to .jpg": ("holiday.jpg", files.TEXT, "the content is not a file the workbench takes"),
    "unknown zip": ("bundle.wacz", files.unknown_zip(), "the content is not a file the workbench takes"),
    "PNG over the pixel limit": ("huge.png", files.png_bomb(1100), "more than 1,000,000 pixels"),
    "PNG far over the pixel limit": ("bomb.png", files.png_bomb(5000), "more than 1,000,000 pixels"),
    "over the size limit": ("big.pdf", BIG_PDF, "the file is 1.5 MB, over the limit of 1 MB"),
    "damaged PNG": ("bad.png", files.png_with_bad_crc(), "the image is damaged and cannot be read"),
    "cut-off PNG": ("cut.png", files.png((64, 64))[:-30], "the image is damaged and cannot be read"),
}


@pytest.mark.parametrize("case", list(REJECTIONS))
def test_a_bad_file_is_rejected_and_leaves_nothing(db, world, analyst, case):
    name, data, message = REJECTIONS[case]
    result = _one(db, analyst, name, data, limits=TINY)
    assert result.status == "rejected"
    assert message in result.error
    assert (result.code, result.media_type, result.width, result.height, result.metadata) == (None,) * 5
    assert result.duplicate_of is None
    assert _evidence_files(world) == []
    assert _rows(db) == 0
    [event] = _actions(db, "evidence.reject")
    details = json.loads(event["details"])
    assert details["reason"] == result.error
    assert event["case_ref"] == CASE and event["username"] == "analyst"


def test_a_pixel_bomb_just_over_the_limit_is_refused_and_one_at_it_is_taken(db, analyst):
    limits = EvidenceLimits(max_bytes=LIMITS.max_bytes, max_pixels=1_000_000)
    assert _one(db, analyst, "at.png", files.png((1000, 1000), colour="grey"), limits=limits).status == "stored"
    over = _one(db, analyst, "over.png", files.png((1001, 1000), colour="grey"), limits=limits)
    assert over.status == "rejected" and "decompression bomb" in over.error


def test_a_file_of_exactly_the_size_limit_is_taken(db, analyst):
    data = files.pdf()
    limits = EvidenceLimits(max_bytes=len(data), max_pixels=1_000_000)
    assert _one(db, analyst, "page.pdf", data, limits=limits).status == "stored"
    assert _one(db, analyst, "page.pdf", data + b" ", limits=limits).status == "rejected"


def test_a_rejection_records_size_and_hash_but_never_the_file_name(db, analyst):
    name = "Jane-Doe-aged-13-school-photo.jpg"
    result = _one(db, analyst, name, files.TEXT)
    assert result.status == "rejected"
    assert result.file == name  # the uploader is told which file it was
    [event] = _actions(db, "evidence.reject")
    details = json.loads(event["details"])
    sha256 = hashlib.sha256(files.TEXT).hexdigest()
    assert details == {"reason": result.error, "size": len(files.TEXT), "sha256": sha256}
    for row in db.query("SELECT * FROM audit_events"):
        assert "Jane-Doe" not in json.dumps(row)


def test_rejected_files_do_not_stop_the_good_ones(db, world, analyst):
    uploads = [Upload.of_bytes("a.png", files.png()), Upload.of_bytes("b.jpg", files.TEXT)]
    results = _add(db, analyst, *uploads, Upload.of_bytes("c.pdf", files.pdf()))
    assert [r.status for r in results] == ["stored", "rejected", "stored"]
    assert [r.code for r in results] == ["EV-0001", None, "EV-0002"]
    assert len(_evidence_files(world)) == 2


KEPT_WITH_WARNINGS = {
    "truncated JPEG": (lambda: files.truncated_jpeg(), "truncated"),
    "IFD0 offset outside the EXIF block": (lambda: files.exif_ifd0_out_of_block(), "none of its tags could be read"),
    "tag data outside the EXIF block": (lambda: files.exif_tag_data_out_of_block(), "EXIF tag Model (272)"),
    "EXIF block that is not TIFF": (lambda: files.exif_garbage(), "the EXIF block is damaged"),
    "bad EXIF date": (lambda: files.jpeg_with_exif(taken="2025:02:30 10:00:00"), "taken_at: DateTimeOriginal"),
}


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("case", list(KEPT_WITH_WARNINGS))
def test_a_damaged_but_readable_file_is_kept_with_a_warning(db, world, analyst, case):
    make, expected = KEPT_WITH_WARNINGS[case]
    data = make()
    result = _one(db, analyst, "damaged.jpg", data)
    assert result.status == "stored", result.error
    assert any(expected in w for w in result.warnings), result.warnings
    item = evidence.view(db, analyst, CASE, result.code)
    assert item.warnings == result.warnings
    assert _original_path(world, db, result.sha256).read_bytes() == data


def test_a_truncated_jpeg_is_stored_and_still_previews(db, analyst):
    result = _one(db, analyst, "cut.jpg", files.truncated_jpeg())
    shown = evidence.previews(db, analyst, CASE, [result.code])[result.code]
    assert shown is not None and shown[:2] == b"\xff\xd8"


NAMES = {
    "path separators": ("../../etc/cron.d/photo.png", "photo.png"),
    "backslashes": ("C:\\Users\\x\\Desktop\\photo.png", "photo.png"),
    "only dots": ("..", "unnamed"),
    "control characters": ("pho\x00to\r\n\x1b.png", "photo.png"),
    "300 characters": ("n" * 296 + ".png", "n" * 196 + ".png"),
}


@pytest.mark.parametrize("case", list(NAMES))
def test_a_bad_name_is_cleaned_and_noted_and_never_used_for_storage(db, world, analyst, tmp_path, case):
    given, cleaned = NAMES[case]
    data = files.png()
    result = _one(db, analyst, given, data)
    assert result.status == "stored"
    assert result.file == given
    assert any(w.startswith("the file name was cleaned to") for w in result.warnings)
    item = evidence.view(db, analyst, CASE, result.code)
    assert item.file_name == cleaned
    assert len(item.file_name) <= 200
    assert _evidence_files(world) == [f"case-{_case_id(db)}/originals/{result.sha256}"]
    assert not (tmp_path / "etc").exists() and not (world.evidence_dir / "etc").exists()
    assert item.download_name.startswith("EV-0001-") and item.download_name.endswith(".png")
    assert "/" not in item.download_name and "\\" not in item.download_name


def test_a_path_on_disk_is_recorded_by_its_last_part_without_a_cleaning_note(db, analyst, tmp_path):
    path = tmp_path / "folder" / "shot.png"
    path.parent.mkdir()
    path.write_bytes(files.png())
    [result] = _add(db, analyst, Upload.of_path(path))
    assert (result.status, result.file, result.warnings) == ("stored", str(path), [])
    assert evidence.view(db, analyst, CASE, result.code).file_name == "shot.png"


def test_a_missing_path_or_a_folder_is_rejected(db, world, analyst, tmp_path):
    results = _add(db, analyst, Upload.of_path(tmp_path / "nope.png"), Upload.of_path(tmp_path))
    assert [(r.status, r.error) for r in results] == [
        ("rejected", "no such file"),
        ("rejected", "it is a folder, not a file"),
    ]
    assert _evidence_files(world) == [] and _rows(db) == 0


def test_a_path_over_the_size_limit_is_rejected(db, world, analyst, tmp_path):
    path = tmp_path / "big.pdf"
    path.write_bytes(files.pdf() + b"0" * (2 * 1024 * 1024))
    [result] = _add(db, analyst, Upload.of_path(path), limits=TINY)
    assert result.status == "rejected"
    assert "over the limit of 1 MB" in result.error
    assert result.size is None and result.sha256 is None  # refused from its size alone, never read
    assert _evidence_files(world) == []


def test_limits_come_from_the_environment_when_not_given(db, world, analyst, monkeypatch):
    monkeypatch.setenv("WORKBENCH_EVIDENCE_MAX_PIXELS", "1000")
    [result] = evidence.add_files(db, analyst, CASE, [Upload.of_bytes("a.png", files.png((40, 30)))], CONFIRMED)
    assert result.status == "rejected" and "1,000" in result.error


def test_stale_incoming_files_are_swept_and_recent_ones_kept(db, world, analyst):
    incoming = world.evidence_dir / "incoming"
    incoming.mkdir(parents=True, exist_ok=True)
    stale, recent = incoming / "receiving-stale", incoming / "receiving-recent"
    stale.write_bytes(b"left by a crash")
    recent.write_bytes(b"another upload under way")
    old = time.time() - 2 * evidence_store.STALE_SECONDS
    os.utime(stale, (old, old))
    _one(db, analyst, "a.png", files.png())
    assert not stale.exists()
    assert recent.exists()


# --- a full disk ---------------------------------------------------------------------------------


def _full_disk(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_rejects_the_file_and_leaves_nothing_half_written(db, world, analyst, monkeypatch):
    first = _one(db, analyst, "first.png", files.png())
    monkeypatch.setattr(os, "fsync", _full_disk)
    result = _one(db, analyst, "second.jpg", files.jpeg_with_exif())
    monkeypatch.undo()
    assert result.status == "rejected"
    assert result.error == "the server could not store the file (No space left on device); nothing was kept"
    assert result.code is None
    assert _evidence_files(world) == [f"case-{_case_id(db)}/originals/{first.sha256}"]
    assert _rows(db) == 1
    assert evidence.verify_case(db, analyst, CASE).intact
    assert evidence.original(db, analyst, CASE, "EV-0001")[1] == files.png()
    assert audit.verify(db).intact
    assert _one(db, analyst, "second.jpg", files.jpeg_with_exif()).code == "EV-0002"  # the disk has room again


def test_a_full_disk_at_the_rename_leaves_nothing(db, world, analyst, monkeypatch):
    monkeypatch.setattr(evidence_store.os, "replace", _full_disk)
    result = _one(db, analyst, "a.png", files.png())
    monkeypatch.undo()
    assert result.status == "rejected" and "No space left on device" in result.error
    assert _evidence_files(world) == [] and _rows(db) == 0


def test_a_full_disk_when_syncing_the_folder_leaves_nothing(db, world, analyst, monkeypatch):
    real_fsync = os.fsync

    def fsync(fd):
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    result = _one(db, analyst, "a.png", files.png())
    monkeypatch.undo()
    assert result.status == "rejected" and "No space left on device" in result.error
    assert _rows(db) == 0
    assert _evidence_files(world) == []


# --- the capture record --------------------------------------------------------------------------


class _Unread:
    """An upload whose bytes must never be read (the capture record is checked first)."""

    name = "never.png"
    recorded_name = None

    def read(self, limit):
        raise AssertionError("the file was read although the capture record is invalid")


def _refused(db, world, actor, capture: dict) -> dict[str, str]:
    with pytest.raises(ValidationError) as refused:
        evidence.add_files(db, actor, CASE, [_Unread()], capture, limits=LIMITS)
    assert _rows(db) == 0
    assert _evidence_files(world) == []
    assert not [row for row in db.query("SELECT action FROM audit_events") if row["action"].startswith("evidence.")]
    return refused.value.errors


def test_an_unknown_observation_is_refused(db, world, analyst):
    errors = _refused(db, world, analyst, {**CONFIRMED, "observation": "OBS-0404"})
    assert errors == {"observation": "OBS-0404 is not an observation in this case"}


def test_an_observation_of_another_case_is_unknown_here(db, world, analyst, observation_input):
    authorised_case(db, "CASE-2", "Other")
    observations.record(db, analyst, "CASE-2", observation_input())
    errors = _refused(db, world, analyst, {**CONFIRMED, "observation": "OBS-0001"})
    assert errors == {"observation": "OBS-0001 is not an observation in this case"}


def test_a_retracted_observation_is_refused(db, world, analyst, observation_input):
    observations.record(db, analyst, CASE, observation_input())
    observations.retract(db, analyst, CASE, "OBS-0001", "recorded against the wrong child")
    errors = _refused(db, world, analyst, {**CONFIRMED, "observation": "OBS-0001"})
    assert errors == {"observation": "OBS-0001 is retracted; link the file to a current observation"}


def test_an_image_sharing_incident_takes_no_files(db, world, analyst, observation_input):
    observations.record(db, analyst, CASE, observation_input(**IMAGE_INCIDENT))
    errors = _refused(db, world, analyst, {**CONFIRMED, "observation": "OBS-0001"})
    assert list(errors) == ["observation"]
    assert "image-sharing incident: it takes no files" in errors["observation"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("source_url", "javascript:alert(1)", "must be a web address starting with http:// or https://"),
        ("source_url", "instagram.com/someone", "must be a web address"),
        ("method", "carrier pigeon", "must be one of: screenshot_work_device, supplied_parent_carer"),
        ("platform", "Myspace", "must be one of: Instagram, TikTok"),
        ("captured_at", "yesterday", "is not a date and time"),
        ("captured_at", NEXT_MONTH, "is in the future"),
        ("captured_at", "2999-01-01 10:00", "the year must be between 1900 and 2200"),
        ("viewing_account", "two\nlines", ""),
        ("shows", "x" * 2001, ""),
        ("colour", "red", "is not a capture record field"),
    ],
)
def test_a_bad_capture_field_is_refused_by_name(db, world, analyst, field, value, message):
    errors = _refused(db, world, analyst, {**CONFIRMED, field: value})
    assert list(errors) == [field]
    assert message in errors[field]


@pytest.mark.parametrize("confirmation", [None, False, "", "no"])
def test_the_no_indecent_image_confirmation_is_required(db, world, analyst, confirmation):
    capture = {} if confirmation is None else {"confirmed_no_indecent_image": confirmation}
    errors = _refused(db, world, analyst, capture)
    assert errors == {"confirmed_no_indecent_image": evidence.NOT_CONFIRMED}
    assert "nude or semi-nude image of a child" in errors["confirmed_no_indecent_image"]


def test_every_bad_field_is_named_at_once(db, world, analyst):
    errors = _refused(
        db, world, analyst,
        {"observation": "OBS-9", "source_url": "ftp://x", "method": "?", "captured_at": NEXT_MONTH},
    )  # fmt: skip
    assert set(errors) == {"observation", "source_url", "method", "captured_at", "confirmed_no_indecent_image"}


def test_check_capture_returns_the_columns(db, analyst, observation_input):
    observations.record(db, analyst, CASE, observation_input())
    clean = evidence.check_capture(db, _case_id(db), FULL_CAPTURE)
    assert clean == {
        "observation_id": db.execute("SELECT id FROM observations WHERE code = 'OBS-0001'").fetchone()[0],
        "source_url": "https://www.instagram.com/example_profile/",
        "platform": "Instagram",
        "shows": "Profile picture and bio",
        "relevance": "Bio states an age that does not match the child's",
        "method": "supplied_parent_carer",
        "viewing_account": "org-safeguarding-01",
        "captured_at": "2025-06-14T08:30:00Z",
        "confirmed_no_indecent_image": 1,
    }


# --- reading: list, view, previews, original -----------------------------------------------------


def test_previews_are_jpegs_without_metadata_kept_beside_the_original(db, world, analyst):
    photo = Upload.of_bytes("a.jpg", files.jpeg_with_exif(orientation=6))
    stored = _add(db, analyst, photo, Upload.of_bytes("p.pdf", files.pdf()))
    shown = evidence.previews(db, analyst, CASE, ["ev-0001", "EV-0002"])
    assert shown["EV-0002"] is None  # a saved page has no preview
    image = Image.open(io.BytesIO(shown["EV-0001"]))
    assert image.format == "JPEG" and image.size == (48, 64)  # turned upright
    assert b"TestCam" not in shown["EV-0001"]
    preview_path = world.evidence_dir / f"case-{_case_id(db)}" / "previews" / f"{stored[0].sha256}.jpg"
    assert preview_path.read_bytes() == shown["EV-0001"]
    [event] = _actions(db, "evidence.preview")
    assert json.loads(event["details"]) == {"codes": ["EV-0001", "EV-0002"]}


def test_an_image_too_large_to_preview_is_kept_verified_and_says_why(db, world, analyst, monkeypatch):
    data = files.png((2000, 1500), colour="teal")
    (stored,) = _add(db, analyst, Upload.of_bytes("wide.png", data))
    monkeypatch.setattr(preview, "DECODE_BUDGET", 30_000_000)  # as an 80-megapixel PNG meets the real one
    outcome = evidence.preview_outcomes(db, analyst, CASE, ["EV-0001"])["EV-0001"]
    assert outcome.jpeg is None
    assert outcome.note == (
        "This image is too large to preview safely (3.0 megapixels, 2,000 × 1,500). Download the original to "
        "view it: it is stored and verified as received."
    )
    assert evidence.previews(db, analyst, CASE, ["EV-0001"]) == {"EV-0001": None}
    assert not (world.evidence_dir / f"case-{_case_id(db)}" / "previews" / f"{stored.sha256}.jpg").exists()
    assert evidence.original(db, analyst, CASE, "EV-0001")[1] == data
    assert evidence.verify_all(db, SYSTEM).intact
    assert len(_actions(db, "evidence.preview")) == 2


def test_a_picture_that_cannot_be_decoded_says_so(db, analyst, monkeypatch):
    _add(db, analyst, Upload.of_bytes("a.png", files.png()))

    def undecodable(original, orientation):
        raise preview.NoPreview("the picture cannot be decoded (OSError)")

    monkeypatch.setattr(preview, "render", undecodable)
    assert evidence.preview_outcomes(db, analyst, CASE, ["EV-0001"])["EV-0001"].note == evidence.NO_PREVIEW


def test_a_preview_of_an_unknown_code_is_not_found(db, analyst):
    with pytest.raises(NotFound, match="Evidence EV-0009 not found"):
        evidence.previews(db, analyst, CASE, ["EV-0009"])


def test_the_original_download_is_audited(db, analyst):
    data = files.png()
    _one(db, analyst, "a.png", data)
    item, downloaded = evidence.original(db, analyst, CASE, "EV-0001")
    assert downloaded == data
    [event] = _actions(db, "evidence.download")
    assert event["item_code"] == "EV-0001"
    assert json.loads(event["details"]) == {"sha256": item.sha256}


def test_an_unknown_code_is_not_found(db, analyst):
    with pytest.raises(NotFound, match="Evidence EV-0042 not found"):
        evidence.view(db, analyst, CASE, "EV-0042")
    with pytest.raises(NotFound):
        evidence.original(db, analyst, CASE, "EV-0042")


def test_a_missing_original_is_a_clear_error(db, world, analyst):
    result = _one(db, analyst, "a.png", files.png())
    _original_path(world, db, result.sha256).unlink()
    with pytest.raises(evidence_store.StoreFailed, match="run `workbench evidence verify`"):
        evidence.original(db, analyst, CASE, "EV-0001")


def test_as_frame_lists_every_item(db, analyst):
    _add(db, analyst, Upload.of_bytes("a.png", files.png()), Upload.of_bytes("b.pdf", files.pdf()))
    frame = evidence.as_frame(evidence.list_evidence(db, analyst, CASE))
    assert frame["code"].tolist() == ["EV-0001", "EV-0002"]
    assert frame["media_type"].tolist() == ["image/png", "application/pdf"]
    assert frame["purged"].tolist() == [False, False]


# --- purge ---------------------------------------------------------------------------------------


@pytest.fixture
def three(db, world, analyst):
    """EV-0001 and EV-0002 hold the same bytes; EV-0003 others. EV-0001's preview has been made."""
    shared, other = files.png((50, 40)), files.jpeg(seed=3)
    _add(db, analyst, Upload.of_bytes("a.png", shared), Upload.of_bytes("b.png", shared),
         Upload.of_bytes("c.jpg", other))  # fmt: skip
    evidence.previews(db, analyst, CASE, ["EV-0001", "EV-0003"])
    return {"shared": shared, "other": other, "sha": hashlib.sha256(shared).hexdigest()}


def test_purge_deletes_the_original_and_its_preview_and_keeps_the_record(db, world, analyst, three):
    case_folder = world.evidence_dir / f"case-{_case_id(db)}"
    assert (case_folder / "previews" / f"{three['sha']}.jpg").exists()
    codes = evidence.purge(db, analyst, CASE, "EV-0001", "Holds an image that must not be kept")
    assert codes == ["EV-0001", "EV-0002"]  # every item of the case holding the same bytes
    assert not (case_folder / "originals" / three["sha"]).exists()
    assert not (case_folder / "previews" / f"{three['sha']}.jpg").exists()
    other_sha = hashlib.sha256(three["other"]).hexdigest()
    assert _evidence_files(world) == [f"case-{_case_id(db)}/originals/{other_sha}",
                                      f"case-{_case_id(db)}/previews/{other_sha}.jpg"]  # fmt: skip
    for code in ("EV-0001", "EV-0002"):
        item = evidence.view(db, analyst, CASE, code)
        assert item.purged is True
        assert item.sha256 == three["sha"] and item.size == len(three["shared"])
        assert item.purge_reason == "Holds an image that must not be kept"
        assert item.purged_by == "analyst"
        assert item.purged_at.endswith("Z")
    assert evidence.view(db, analyst, CASE, "EV-0003").purged is False
    assert [i.purged for i in evidence.list_evidence(db, analyst, CASE)] == [True, True, False]
    [event] = _actions(db, "evidence.purge")
    assert event["justification"] == "Holds an image that must not be kept"
    assert json.loads(event["details"]) == {"sha256": three["sha"], "codes": ["EV-0001", "EV-0002"]}


def test_purging_the_duplicate_takes_the_first_item_too(db, analyst, three):
    assert evidence.purge(db, analyst, CASE, "EV-0002", "wrong case") == ["EV-0001", "EV-0002"]


def test_a_second_purge_is_refused(db, analyst, three):
    evidence.purge(db, analyst, CASE, "EV-0001", "wrong case")
    purges = _rows(db, "evidence_purges")
    for code in ("EV-0001", "EV-0002"):
        with pytest.raises(Conflict, match=f"{code} was already purged on"):
            evidence.purge(db, analyst, CASE, code, "again")
    assert _rows(db, "evidence_purges") == purges


def test_purge_needs_a_reason(db, world, analyst, three):
    with pytest.raises(ValidationError) as refused:
        evidence.purge(db, analyst, CASE, "EV-0001", "   ")
    assert list(refused.value.errors) == ["reason"]
    assert _original_path(world, db, three["sha"]).exists()
    assert _rows(db, "evidence_purges") == 0


def test_purged_bytes_cannot_be_uploaded_again(db, world, analyst, three):
    evidence.purge(db, analyst, CASE, "EV-0001", "wrong case")
    result = _one(db, analyst, "again.png", three["shared"])
    assert result.status == "rejected"
    assert result.error == "these exact bytes were purged from this case (EV-0001); they cannot be stored again"
    assert _rows(db) == 3
    assert not _original_path(world, db, three["sha"]).exists()
    assert not list((world.evidence_dir / "incoming").iterdir())


def test_the_original_of_a_purged_item_is_refused_and_it_has_no_preview(db, world, analyst, three):
    evidence.purge(db, analyst, CASE, "EV-0001", "wrong case")
    with pytest.raises(Conflict, match="EV-0001 was purged on .*: its bytes are gone"):
        evidence.original(db, analyst, CASE, "EV-0001")
    assert evidence.previews(db, analyst, CASE, ["EV-0001"]) == {"EV-0001": None}
    assert not (world.evidence_dir / f"case-{_case_id(db)}" / "previews" / f"{three['sha']}.jpg").exists()


def test_a_purge_in_one_case_leaves_another_case_s_copy(db, world, analyst, three):
    cases.create_case(db, SYSTEM, "CASE-2", "Other", lead="analyst")
    _one(db, analyst, "a.png", three["shared"], reference="CASE-2")
    evidence.purge(db, analyst, CASE, "EV-0001", "wrong case")
    assert _original_path(world, db, three["sha"], "CASE-2").read_bytes() == three["shared"]
    assert evidence.verify_case(db, analyst, "CASE-2").intact


def test_an_administrator_may_purge_from_the_shell(db, world, analyst, three):
    assert evidence.purge(db, SYSTEM, CASE, "EV-0003", "operator request") == ["EV-0003"]
    item = evidence.view(db, analyst, CASE, "EV-0003")
    assert (item.purged, item.purged_by, item.purge_reason) == (True, None, "operator request")
    assert _actions(db, "evidence.purge")[0]["username"] == "system"


# --- verification --------------------------------------------------------------------------------


def _checks(db) -> list[tuple[str, str]]:
    sql = "SELECT e.code, c.result FROM evidence_checks c JOIN evidence e ON e.id = c.evidence_id ORDER BY c.id"
    return [(r["code"], r["result"]) for r in db.query(sql)]


def test_verify_finds_everything_intact_and_records_the_checks(db, analyst, three):
    report = evidence.verify_case(db, analyst, CASE)
    assert (report.intact, report.checked, report.problems) == (True, 3, [])
    assert _checks(db) == [("EV-0001", "intact"), ("EV-0002", "intact"), ("EV-0003", "intact")]
    item = evidence.view(db, analyst, CASE, "EV-0001")
    assert item.last_check == "intact"
    assert item.last_checked_at.endswith("Z")
    [event] = _actions(db, "evidence.verify")
    assert json.loads(event["details"]) == {"items": 3, "problems": 0}


def test_verify_reports_a_missing_file(db, world, analyst, three):
    _original_path(world, db, three["sha"]).unlink()
    report = evidence.verify_case(db, analyst, CASE)
    assert not report.intact
    assert [p.line() for p in report.problems] == [
        "CASE-1 EV-0001: missing: the stored file is gone",
        "CASE-1 EV-0002: missing: the stored file is gone",
    ]
    assert _checks(db) == [("EV-0001", "missing"), ("EV-0002", "missing"), ("EV-0003", "intact")]
    assert evidence.view(db, analyst, CASE, "EV-0002").last_check == "missing"


def test_verify_reports_an_altered_file(db, world, analyst, three):
    path = _original_path(world, db, hashlib.sha256(three["other"]).hexdigest())
    _writable(path)
    path.write_bytes(three["other"] + b"\x00")
    now_hash = hashlib.sha256(three["other"] + b"\x00").hexdigest()
    report = evidence.verify_case(db, analyst, CASE)
    assert [p.line() for p in report.problems] == [f"CASE-1 EV-0003: altered: the stored file now hashes to {now_hash}"]
    assert report.checked == 3
    assert evidence.view(db, analyst, CASE, "EV-0003").last_check == "altered"
    [event] = _actions(db, "evidence.verify")
    assert json.loads(event["details"]) == {"items": 3, "problems": 1}


def test_the_latest_check_is_the_one_shown(db, world, analyst, three):
    evidence.verify_case(db, analyst, CASE)
    _original_path(world, db, three["sha"]).unlink()
    evidence.verify_case(db, analyst, CASE)
    assert evidence.view(db, analyst, CASE, "EV-0001").last_check == "missing"
    assert evidence.view(db, analyst, CASE, "EV-0003").last_check == "intact"
    assert len(_checks(db)) == 6


def test_a_purged_item_is_not_checked_but_its_bytes_reappearing_are_reported(db, world, analyst, three):
    evidence.purge(db, analyst, CASE, "EV-0001", "wrong case")
    report = evidence.verify_case(db, analyst, CASE)
    assert (report.intact, report.checked) == (True, 1)
    path = _original_path(world, db, three["sha"])
    path.write_bytes(three["shared"])  # restored from a backup, say
    report = evidence.verify_case(db, analyst, CASE)
    assert [p.line() for p in report.problems] == [
        "CASE-1 EV-0001: purged, but its bytes are still on disk",
        "CASE-1 EV-0002: purged, but its bytes are still on disk",
    ]


def test_verify_all_is_for_administrators(db, analyst, admin, three):
    with pytest.raises(PermissionDenied):
        evidence.verify_all(db, analyst)
    assert _actions(db, "evidence.verify") == []
    cases.create_case(db, SYSTEM, "CASE-2", "Other", lead="analyst")
    _one(db, analyst, "x.pdf", files.pdf(), reference="CASE-2")
    report = evidence.verify_all(db, admin)
    assert (report.intact, report.checked) == (True, 4)
    assert evidence.verify_all(db, SYSTEM).checked == 4
    assert _actions(db, "evidence.verify")[0]["case_ref"] is None


def test_verify_all_names_the_case_of_each_problem(db, world, analyst, admin, three):
    cases.create_case(db, SYSTEM, "CASE-2", "Other", lead="analyst")
    result = _one(db, analyst, "x.pdf", files.pdf(), reference="CASE-2")
    _original_path(world, db, result.sha256, "CASE-2").unlink()
    assert [p.line() for p in evidence.verify_all(db, admin).problems] == [
        "CASE-2 EV-0001: missing: the stored file is gone"
    ]


# --- the audit trail -----------------------------------------------------------------------------


def test_every_evidence_action_is_audited_and_the_chain_holds(db, analyst):
    _add(db, analyst, Upload.of_bytes("a.png", files.png()), Upload.of_bytes("b.jpg", files.TEXT))
    evidence.previews(db, analyst, CASE, ["EV-0001"])
    evidence.original(db, analyst, CASE, "EV-0001")
    evidence.list_evidence(db, analyst, CASE)
    evidence.view(db, analyst, CASE, "EV-0001")
    evidence.verify_case(db, analyst, CASE)
    evidence.purge(db, analyst, CASE, "EV-0001", "test purge")
    sql = "SELECT action FROM audit_events WHERE action LIKE 'evidence.%' ORDER BY seq"
    actions = [r["action"] for r in db.query(sql)]
    assert actions == [
        "evidence.add", "evidence.reject", "evidence.preview", "evidence.download", "evidence.list", "evidence.view",
        "evidence.verify", "evidence.purge",
    ]  # fmt: skip
    [add] = _actions(db, "evidence.add")
    assert (add["username"], add["case_ref"], add["item_code"]) == ("analyst", CASE, "EV-0001")
    assert json.loads(add["details"]) == {
        "sha256": hashlib.sha256(files.png()).hexdigest(), "size": len(files.png()), "media_type": "image/png",
        "duplicate_of": None, "has_gps": False,
    }  # fmt: skip
    assert audit.verify(db).intact


def test_no_audit_event_holds_a_stored_file_s_name(db, analyst):
    _one(db, analyst, "Jane-Doe-school.png", files.png())
    evidence.view(db, analyst, CASE, "EV-0001")
    for row in db.query("SELECT * FROM audit_events"):
        assert "Jane-Doe" not in json.dumps(row)


def test_evidence_records_cannot_be_changed_or_deleted(db, analyst, three):
    evidence.purge(db, analyst, CASE, "EV-0003", "wrong case")
    evidence.verify_case(db, analyst, CASE)
    for sql in (
        "UPDATE evidence SET file_name = 'x'",
        "DELETE FROM evidence",
        "UPDATE evidence_purges SET reason = 'x'",
        "DELETE FROM evidence_purges",
        "UPDATE evidence_checks SET result = 'intact'",
        "DELETE FROM evidence_checks",
    ):
        with pytest.raises(Exception, match="append-only"):
            db.execute(sql)
