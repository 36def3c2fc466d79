"""`workbench evidence ...`: one JSON line per file added (exit 0, or 3 when any file was rejected),
list, verify (exit 1 naming each problem) and purge; user errors exit 1 with a message."""

from __future__ import annotations

import hashlib
import json

import pytest
from PIL import Image, ImageFile

from tests import evidence_files as files
from tests.conftest import cli_ok, cli_refused
from workbench import observations, users

KEYS = {
    "file", "status", "code", "sha256", "size", "media_type", "width", "height", "metadata", "warnings", "error",
    "duplicate_of",
}  # fmt: skip
METADATA_KEYS = {"camera_make", "camera_model", "software", "taken_at", "gps_latitude", "gps_longitude", "orientation",
                 "raw"}  # fmt: skip


@pytest.fixture(autouse=True)
def pillow_globals(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", Image.MAX_IMAGE_PIXELS)
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", False)


@pytest.fixture
def on_disk(tmp_path):
    """Write test files into a folder of their own; returns a function name, bytes -> path."""
    folder = tmp_path / "files"
    folder.mkdir()

    def write(name: str, data: bytes):
        path = folder / name
        path.write_bytes(data)
        return path

    return write


def _lines(result) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def _add(run, *paths, extra: tuple[str, ...] = ()):
    return run("evidence", "add", "CASE-1", *(str(p) for p in paths), "--as", "analyst", *extra)


def _originals(world) -> list:
    return sorted(p.name for p in world.evidence_dir.rglob("originals/*"))


# --- add -----------------------------------------------------------------------------------------


def test_add_prints_one_json_line_per_file_with_exactly_the_keys(world, run, on_disk):
    photo = on_disk("photo.jpg", files.jpeg_with_exif())
    page = on_disk("page.pdf", files.pdf())
    result = _add(run, photo, page)
    cli_ok(result)
    lines = _lines(result)
    assert len(lines) == 2 == len(result.stdout.splitlines())
    for line in lines:
        assert set(line) == KEYS
    first, second = lines
    assert first == {
        "file": str(photo),
        "status": "stored",
        "code": "EV-0001",
        "sha256": hashlib.sha256(photo.read_bytes()).hexdigest(),
        "size": len(photo.read_bytes()),
        "media_type": "image/jpeg",
        "width": 64,
        "height": 48,
        "metadata": first["metadata"],
        "warnings": [],
        "error": None,
        "duplicate_of": None,
    }
    assert set(first["metadata"]) == METADATA_KEYS
    assert {k: v for k, v in first["metadata"].items() if k != "raw"} == {
        "camera_make": "TestCam", "camera_model": "Model 7", "software": "Firmware 1.2",
        "taken_at": "2025-03-14T09:29:58+01:00", "gps_latitude": 51.5, "gps_longitude": -0.125, "orientation": 1,
    }  # fmt: skip
    assert first["metadata"]["raw"]["Image Make"] == "TestCam"
    assert all(isinstance(v, str) for v in first["metadata"]["raw"].values())
    assert (second["status"], second["code"], second["media_type"]) == ("stored", "EV-0002", "application/pdf")
    assert (second["width"], second["height"]) == (None, None)
    assert set(second["metadata"]) == METADATA_KEYS
    assert "Protection of Children Act 1978" in result.stderr
    assert len(_originals(world)) == 2


def test_a_duplicate_still_exits_0(world, run, on_disk):
    data = files.png()
    result = _add(run, on_disk("a.png", data), on_disk("b.png", data))
    cli_ok(result)
    assert [(line["status"], line["code"], line["duplicate_of"]) for line in _lines(result)] == [
        ("stored", "EV-0001", None),
        ("duplicate", "EV-0002", "EV-0001"),
    ]
    assert len(_originals(world)) == 1


def test_a_rejected_file_exits_3_and_the_others_are_stored(world, run, on_disk):
    result = _add(run, on_disk("a.png", files.png()), on_disk("notes.jpg", files.TEXT))
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output
    good, bad = _lines(result)
    assert (good["status"], good["code"]) == ("stored", "EV-0001")
    assert set(bad) == KEYS
    assert bad["status"] == "rejected"
    assert bad["error"].startswith("the content is not a file the workbench takes")
    assert (bad["code"], bad["media_type"], bad["metadata"], bad["duplicate_of"]) == (None, None, None, None)
    assert bad["sha256"] == hashlib.sha256(files.TEXT).hexdigest() and bad["size"] == len(files.TEXT)
    assert len(_originals(world)) == 1


def test_a_missing_file_path_is_a_rejected_line(world, run, tmp_path):
    missing = tmp_path / "not-there.png"
    result = _add(run, missing)
    assert result.exit_code == 3, result.output
    [line] = _lines(result)
    assert set(line) == KEYS
    assert (line["file"], line["status"], line["error"]) == (str(missing), "rejected", "no such file")
    assert (line["sha256"], line["size"]) == (None, None)


def test_every_file_rejected_still_prints_every_line(world, run, on_disk, tmp_path):
    result = _add(run, on_disk("empty.png", b""), tmp_path / "gone.jpg", tmp_path)
    assert result.exit_code == 3
    assert [(line["status"], line["error"]) for line in _lines(result)] == [
        ("rejected", "the file is empty (0 bytes)"),
        ("rejected", "no such file"),
        ("rejected", "it is a folder, not a file"),
    ]
    assert _originals(world) == []


def test_a_truncated_jpeg_is_stored_with_its_warning_and_exits_0(world, run, on_disk):
    result = _add(run, on_disk("cut.jpg", files.truncated_jpeg()))
    cli_ok(result)
    [line] = _lines(result)
    assert line["status"] == "stored"
    assert any("truncated" in w for w in line["warnings"])


def test_the_size_limit_comes_from_the_environment(world, run, on_disk, monkeypatch):
    monkeypatch.setenv("WORKBENCH_EVIDENCE_MAX_MB", "1")
    result = _add(run, on_disk("big.pdf", files.pdf() + b"0" * (2 * 1024 * 1024)))
    assert result.exit_code == 3
    [line] = _lines(result)
    assert line["error"] == "the file is 2.0 MB, over the limit of 1 MB"


def test_the_pixel_limit_comes_from_the_environment(world, run, on_disk, monkeypatch):
    monkeypatch.setenv("WORKBENCH_EVIDENCE_MAX_PIXELS", "1000")
    result = _add(run, on_disk("a.png", files.png((40, 30))))
    assert result.exit_code == 3
    assert "decompression bomb" in _lines(result)[0]["error"]


def test_the_capture_options_are_stored(world, run, on_disk, db, observation_input):
    observations.record(db, users.user_by_name(db, "analyst"), "CASE-1", observation_input())
    options = (
        "--observation", "OBS-0001", "--source-url", "https://www.tiktok.com/@example", "--description", "A video post",
        "--relevance", "Names the school", "--method", "supplied_police", "--platform", "TikTok",
        "--viewing-account", "org-account", "--captured-at", "2025-01-10 14:00",
    )  # fmt: skip
    cli_ok(_add(run, on_disk("a.png", files.png()), extra=options))
    [item] = json.loads(cli_ok(run("evidence", "list", "CASE-1", "--as", "analyst", "--format", "json")))
    assert item["observation"] == "OBS-0001"
    assert (item["source_url"], item["shows"], item["relevance"]) == (
        "https://www.tiktok.com/@example", "A video post", "Names the school"
    )  # fmt: skip
    assert (item["method"], item["platform"], item["viewing_account"]) == ("supplied_police", "TikTok", "org-account")
    assert item["captured_at"] == "2025-01-10T14:00:00Z"
    assert item["received_by"] == "analyst"


def test_a_bad_observation_exits_1_and_stores_nothing(world, run, on_disk):
    result = _add(run, on_disk("a.png", files.png()), extra=("--observation", "OBS-0404"))
    output = cli_refused(result)
    assert "error: observation: OBS-0404 is not an observation in this case" in output
    assert result.stdout == ""
    assert _originals(world) == []


def test_several_bad_options_are_each_named(world, run, on_disk):
    result = _add(run, on_disk("a.png", files.png()), extra=("--source-url", "ftp://x", "--method", "pigeon"))
    output = cli_refused(result)
    assert "error: source_url: must be a web address" in output
    assert "error: method: must be one of" in output


def test_a_reviewer_may_not_add(world, run, on_disk):
    result = run("evidence", "add", "CASE-1", str(on_disk("a.png", files.png())), "--as", "reviewer")
    assert "error:" in cli_refused(result)
    assert _originals(world) == []


def test_add_needs_a_file(world, run):
    result = run("evidence", "add", "CASE-1", "--as", "analyst")
    assert result.exit_code == 2
    assert "Missing argument" in result.output


# --- list ----------------------------------------------------------------------------------------


def test_list_shows_every_item_purged_ones_included(world, run, on_disk):
    cli_ok(_add(run, on_disk("first.png", files.png()), on_disk("second.pdf", files.pdf())))
    cli_ok(run("evidence", "purge", "CASE-1", "EV-0002", "--reason", "wrong case", "--as", "analyst"))
    table = cli_ok(run("evidence", "list", "CASE-1", "--as", "analyst"))
    assert "EV-0001" in table and "first.png" in table and "EV-0002" in table
    header = table.splitlines()[0].split()
    assert header == ["code", "file_name", "media_type", "size", "observation", "duplicate_of", "has_gps", "purged"]
    items = json.loads(cli_ok(run("evidence", "list", "CASE-1", "--as", "analyst", "--format", "json")))
    assert [(i["code"], i["purged"]) for i in items] == [("EV-0001", False), ("EV-0002", True)]
    assert items[1]["sha256"] == hashlib.sha256(files.pdf()).hexdigest()


def test_list_of_an_empty_case(world, run):
    assert cli_ok(run("evidence", "list", "CASE-1", "--as", "analyst")).strip() == "(none)"


# --- verify --------------------------------------------------------------------------------------


def test_verify_says_how_many_items_are_intact(world, run, on_disk):
    data = files.png()
    cli_ok(_add(run, on_disk("a.png", data), on_disk("b.png", data), on_disk("c.pdf", files.pdf())))
    assert cli_ok(run("evidence", "verify", "CASE-1", "--as", "analyst")).strip() == "3 items intact"
    assert cli_ok(run("evidence", "verify")).strip() == "3 items intact"  # every case, as the operator


def test_verify_exits_1_with_a_line_per_problem(world, run, on_disk):
    result = _add(run, on_disk("a.png", files.png()), on_disk("c.pdf", files.pdf()))
    cli_ok(result)
    added = _lines(result)
    folder = world.evidence_dir / "case-1" / "originals"
    (folder / added[0]["sha256"]).unlink()
    altered = folder / added[1]["sha256"]
    altered.chmod(0o644)
    altered.write_bytes(b"%PDF-1.4 something else")
    result = run("evidence", "verify", "CASE-1", "--as", "analyst")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "CASE-1 EV-0001: missing: the stored file is gone",
        "CASE-1 EV-0002: altered: the stored file now hashes to "
        + hashlib.sha256(b"%PDF-1.4 something else").hexdigest(),
    ]
    assert run("evidence", "verify").exit_code == 1


def test_verify_of_every_case_is_refused_to_an_analyst(world, run):
    output = cli_refused(run("evidence", "verify", "--as", "analyst"))
    assert output.startswith("error:")


# --- purge ---------------------------------------------------------------------------------------


def test_purge_deletes_the_bytes_and_names_the_items(world, run, on_disk):
    data = files.png()
    cli_ok(_add(run, on_disk("a.png", data), on_disk("b.png", data)))
    output = cli_ok(run("evidence", "purge", "CASE-1", "EV-0002", "--reason", "must not be held", "--as", "analyst"))
    assert output.strip() == "purged EV-0001, EV-0002: the bytes are deleted; the records stay, marked purged"
    assert _originals(world) == []
    again = cli_refused(run("evidence", "purge", "CASE-1", "EV-0001", "--reason", "again"))
    assert "error: EV-0001 was already purged on" in again
    result = _add(run, on_disk("c.png", data))
    assert result.exit_code == 3
    assert "were purged from this case (EV-0001)" in _lines(result)[0]["error"]


def test_purge_as_the_operator_needs_no_user(world, run, on_disk):
    cli_ok(_add(run, on_disk("a.png", files.png())))
    assert cli_ok(run("evidence", "purge", "CASE-1", "EV-0001", "--reason", "operator")).startswith("purged EV-0001")


def test_purge_needs_a_reason_and_a_known_code(world, run, on_disk):
    cli_ok(_add(run, on_disk("a.png", files.png())))
    assert "Missing option '--reason'" in run("evidence", "purge", "CASE-1", "EV-0001").output
    assert "error: reason:" in cli_refused(run("evidence", "purge", "CASE-1", "EV-0001", "--reason", " "))
    assert "error: Evidence EV-0099 not found." in cli_refused(
        run("evidence", "purge", "CASE-1", "EV-0099", "--reason", "x")
    )
    assert len(_originals(world)) == 1


def test_a_reviewer_may_not_purge(world, run, on_disk):
    cli_ok(_add(run, on_disk("a.png", files.png())))
    assert "error:" in cli_refused(run("evidence", "purge", "CASE-1", "EV-0001", "--reason", "x", "--as", "reviewer"))
    assert len(_originals(world)) == 1


def test_characters_a_terminal_acts_on_are_printed_as_json_escapes(world, run, tmp_path):
    """A file name holding a bidi override (which can make a name read backwards) and an escape
    character reach the terminal only as JSON escapes; accents stay readable."""
    path = tmp_path / "Zoë\u202egpj.jpg"
    path.write_bytes(files.jpeg_with_exif(make="Cam\x1b[31m"))
    result = _add(run, path)
    assert result.exit_code == 0, result.output
    assert "\u202e" not in result.stdout and "\x1b" not in result.stdout
    assert "\\u202e" in result.stdout and "Zoë" in result.stdout
    line = _lines(result)[0]
    assert line["file"] == str(path)
    assert line["metadata"]["camera_make"] == "Cam\x1b[31m"
