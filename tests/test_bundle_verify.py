"""`workbench verify-bundle` (workbench/bundle_verify.py) and `workbench export`: a bundle made by
the CLI verifies with the workbench, with plain `sha256sum -c` and with Frictionless; every kind of
tampering is named by file; export's options, refusals and audit events.

Every bundle here is exported from CASE-1 with fictional observations and two evidence images made
in memory with Pillow (noise and a gradient: never a picture of a person)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image, ImageFile

from tests import evidence_files as files
from tests.conftest import cli_ok, cli_refused
from workbench import observations

FRICTIONLESS = Path(sys.executable).parent / "frictionless"
EXPORTED = re.compile(r"^(EXP-\d{4}) (.+) sha256 ([0-9a-f]{64}) \((\d+) files, (\d+) bytes\)$")
TABLES = (
    "observations", "observation_versions", "facts", "crossrefs", "people", "accounts", "evidence", "actions",
    "timeline", "audit",
)  # fmt: skip


@pytest.fixture(autouse=True)
def pillow_globals(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", Image.MAX_IMAGE_PIXELS)
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", False)


# --- making a case and a bundle --------------------------------------------------------------------


@pytest.fixture
def images(tmp_path) -> dict[str, Path]:
    """Two evidence images on disk: a JPEG of noise and a PNG of a gradient."""
    folder = tmp_path / "files"
    folder.mkdir()
    made = {"noise.jpg": files.jpeg(seed=3), "ramp.png": files.png()}
    for name, data in made.items():
        (folder / name).write_bytes(data)
    return {name: folder / name for name in made}


@pytest.fixture
def case_data(db, analyst, observation_input, run, images) -> dict[str, str]:
    """OBS-0001 and OBS-0002 (graded P), each with one evidence image; returns the images' paths in
    a bundle (evidence/<sha256>.<ext>) by their file name."""
    observations.record(db, analyst, "CASE-1", observation_input())
    observations.record(
        db,
        analyst,
        "CASE-1",
        observation_input(summary="Profile links to a group chat", observed_at="2025-03-20 16:05"),
    )
    for name, code in (("noise.jpg", "OBS-0001"), ("ramp.png", "OBS-0002")):
        cli_ok(run("evidence", "add", "CASE-1", str(images[name]), "--as", "analyst", "--observation", code))
    return {
        name: f"evidence/{hashlib.sha256(path.read_bytes()).hexdigest()}.{name.rsplit('.', 1)[1]}"
        for name, path in images.items()
    }


@pytest.fixture
def export_cli(run, tmp_path) -> Callable[..., object]:
    """Run `workbench export CASE-1` as the analyst; keyword `out` names the ZIP, `as_user` the user."""

    def invoke(*extra: str, out: Path | None = None, as_user: str = "analyst"):
        out = out or tmp_path / "bundle.zip"
        return run(
            "export", "CASE-1", "--out", str(out), "--as", as_user,
            "--purpose", "Strategy meeting (fictional)", "--recipient", "Example Police (fictional)", *extra,
        )  # fmt: skip

    return invoke


@pytest.fixture
def bundle(case_data, export_cli, tmp_path) -> Path:
    cli_ok(export_cli())
    return tmp_path / "bundle.zip"


def verify(run, path: Path):
    return run("verify-bundle", str(path))


def unzip(path: Path, folder: Path) -> Path:
    folder.mkdir()
    with zipfile.ZipFile(path) as archive:
        archive.extractall(folder)
    return folder


def sha256sum_check(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"], cwd=folder, capture_output=True, text=True, timeout=30, check=False
    )


def members(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return [info.filename for info in archive.infolist() if not info.is_dir()]


def read_member(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read(name)


def csv_rows(path: Path, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(read_member(path, name).decode("utf-8-sig"))))


def rewrite(
    source: Path,
    target: Path,
    change: dict[str, Callable[[bytes], bytes | None]] | None = None,
    rename: dict[str, str] | None = None,
    add: dict[str, bytes] | None = None,
) -> Path:
    """Copy every member of `source` into a new ZIP at `target`, except the changes: `change` maps a
    name to a function of its bytes (None drops the member), `rename` old name to new, `add` appends."""
    change, rename, add = change or {}, rename or {}, add or {}
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename in change:
                data = change[info.filename](data)
                if data is None:
                    continue
            copied = zipfile.ZipInfo(rename.get(info.filename, info.filename), date_time=info.date_time)
            copied.compress_type = info.compress_type
            new.writestr(copied, data)
        for name, data in add.items():
            new.writestr(name, data)
    return target


def one_byte(old: bytes, new: bytes) -> Callable[[bytes], bytes]:
    """Replace the first `old` (a run of bytes) by `new`, differing in exactly one byte."""
    assert len(old) == len(new) and sum(a != b for a, b in zip(old, new, strict=True)) == 1

    def change(data: bytes) -> bytes:
        assert old in data, f"{old!r} is not in the member"
        return data.replace(old, new, 1)

    return change


def flip_last_byte(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 0x01])


def audit_events(db, action: str) -> list[dict]:
    return [
        {**row, "details": json.loads(row["details"])}
        for row in db.query("SELECT * FROM audit_events WHERE action = ? ORDER BY seq", (action,))
    ]


# --- an intact bundle ----------------------------------------------------------------------------


def test_an_exported_bundle_verifies_with_the_number_of_its_members(run, bundle, case_data):
    names = members(bundle)
    assert set(case_data.values()) <= set(names)
    assert {"SHA256SUMS", "datapackage.json", "README.txt", *(f"{t}.csv" for t in TABLES)} <= set(names)
    result = verify(run, bundle)
    cli_ok(result)
    assert result.stdout == f"bundle intact: {len(names)} files\n"
    assert result.stderr == ""


def test_sha256sums_lists_every_other_member_and_plain_sha256sum_accepts_it(bundle, tmp_path):
    folder = unzip(bundle, tmp_path / "unzipped")
    listed = sorted(line.split("  ", 1)[1] for line in (folder / "SHA256SUMS").read_text("ascii").splitlines())
    assert listed == sorted(name for name in members(bundle) if name != "SHA256SUMS")
    checked = sha256sum_check(folder)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    lines = checked.stdout.splitlines()
    assert len(lines) == len(listed)
    assert all(line.endswith(": OK") for line in lines), checked.stdout


def test_frictionless_validates_the_unzipped_data_package(bundle, tmp_path):
    assert FRICTIONLESS.exists(), FRICTIONLESS
    folder = unzip(bundle, tmp_path / "unzipped")
    checked = subprocess.run(
        [str(FRICTIONLESS), "validate", "datapackage.json"],
        cwd=folder, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_evidence_files_are_the_originals_byte_for_byte(bundle, case_data, images):
    for name, member in case_data.items():
        assert read_member(bundle, member) == images[name].read_bytes()
    rows = {row["code"]: row for row in csv_rows(bundle, "evidence.csv")}
    assert {code: (row["observation"], row["file"]) for code, row in rows.items()} == {
        "EV-0001": ("OBS-0001", case_data["noise.jpg"]),
        "EV-0002": ("OBS-0002", case_data["ramp.png"]),
    }


# --- tampering -----------------------------------------------------------------------------------


def _observation_byte(paths):
    return (
        {"change": {"observations.csv": one_byte(b"Instagram bio", b"Instagram bIo")}},
        ["observations.csv: changed (its SHA-256 is not the one SHA256SUMS gives)"],
        ["observations.csv"],
    )


def _evidence_byte(paths):
    jpg = paths["noise.jpg"]
    return (
        {"change": {jpg: flip_last_byte}},
        [
            f"{jpg}: changed (its SHA-256 is not the one SHA256SUMS gives)",
            f"{jpg}: its SHA-256 does not match its name",
        ],
        [jpg],
    )


def _csv_removed(paths):
    return (
        {"change": {"facts.csv": lambda data: None}},
        ["facts.csv: listed in SHA256SUMS but missing from the bundle"],
        ["facts.csv"],
    )


def _evidence_removed(paths):
    png = paths["ramp.png"]
    return (
        {"change": {png: lambda data: None}},
        [
            f"{png}: listed in SHA256SUMS but missing from the bundle",
            f"{png}: evidence.csv lists it for EV-0002, but it is not in the bundle",
        ],
        [png],
    )


def _file_added(paths):
    # sha256sum -c checks only what SHA256SUMS lists: an added file is the workbench's to find.
    return (
        {"add": {"extra.txt": b"Added after the export (fictional).\n"}},
        ["extra.txt: not listed in SHA256SUMS (added after export?)"],
        [],
    )


def _evidence_renamed(paths):
    jpg = paths["noise.jpg"]
    other = f"evidence/{hashlib.sha256(b'some other file').hexdigest()}.jpg"
    return (
        {"rename": {jpg: other}},
        [
            f"{jpg}: listed in SHA256SUMS but missing from the bundle",
            f"{other}: not listed in SHA256SUMS (added after export?)",
            f"{other}: its SHA-256 does not match its name",
            f"{other}: in the bundle, but no row of evidence.csv names it",
            f"{jpg}: evidence.csv lists it for EV-0001, but it is not in the bundle",
        ],
        [jpg],
    )


def _evidence_row_dropped(paths):
    png = paths["ramp.png"]

    def drop_row(data: bytes) -> bytes:
        lines = data.split(b"\r\n")
        kept = [line for line in lines if not line.startswith(b'"EV-0002"')]
        assert len(kept) == len(lines) - 1
        return b"\r\n".join(kept)

    return (
        {"change": {"evidence.csv": drop_row}},
        [
            "evidence.csv: changed (its SHA-256 is not the one SHA256SUMS gives)",
            f"{png}: in the bundle, but no row of evidence.csv names it",
        ],
        ["evidence.csv"],
    )


def _sums_hash_edited(paths):
    def edit(data: bytes) -> bytes:
        lines = data.decode("ascii").splitlines(keepends=True)
        [index] = [i for i, line in enumerate(lines) if line.endswith("  README.txt\n")]
        digit = "1" if lines[index][0] != "1" else "2"
        lines[index] = digit + lines[index][1:]
        return "".join(lines).encode("ascii")

    return (
        {"change": {"SHA256SUMS": edit}},
        ["README.txt: changed (its SHA-256 is not the one SHA256SUMS gives)"],
        ["README.txt"],
    )


def _sums_line_removed(paths):
    def edit(data: bytes) -> bytes:
        lines = data.decode("ascii").splitlines(keepends=True)
        kept = [line for line in lines if not line.endswith("  people.csv\n")]
        assert len(kept) == len(lines) - 1
        return "".join(kept).encode("ascii")

    return (
        {"change": {"SHA256SUMS": edit}},
        ["people.csv: not listed in SHA256SUMS (added after export?)"],
        [],
    )


def _sums_line_garbled(paths):
    def edit(data: bytes) -> bytes:
        return data.replace(b"  accounts.csv\n", b"  \n", 1)

    return (
        {"change": {"SHA256SUMS": edit}},
        [
            "SHA256SUMS: line 2 is not '<sha256>  <file>'",
            "accounts.csv: not listed in SHA256SUMS (added after export?)",
        ],
        [],
    )


def _datapackage_removed(paths):
    return (
        {"change": {"datapackage.json": lambda data: None}},
        ["datapackage.json: listed in SHA256SUMS but missing from the bundle"],
        ["datapackage.json"],
    )


TAMPERING = {
    "observations-csv-byte": _observation_byte,
    "evidence-file-byte": _evidence_byte,
    "csv-removed": _csv_removed,
    "datapackage-removed": _datapackage_removed,
    "evidence-file-removed": _evidence_removed,
    "file-added": _file_added,
    "evidence-renamed-to-another-hash": _evidence_renamed,
    "evidence-csv-row-dropped": _evidence_row_dropped,
    "sha256sums-hash-edited": _sums_hash_edited,
    "sha256sums-line-removed": _sums_line_removed,
    "sha256sums-line-garbled": _sums_line_garbled,
}


@pytest.mark.parametrize("tampering", TAMPERING.values(), ids=TAMPERING.keys())
def test_tampering_is_named_by_file_and_exits_1(run, bundle, case_data, tmp_path, tampering):
    spec, expected, sha256sum_fails = tampering(case_data)
    tampered = rewrite(bundle, tmp_path / "tampered.zip", **spec)
    assert tampered.read_bytes() != bundle.read_bytes()

    result = verify(run, tampered)
    cli_refused(result)
    lines = result.stdout.splitlines()
    for line in expected:
        assert line in lines, result.stdout
    assert not any(line.startswith("bundle intact") for line in lines)

    folder = unzip(tampered, tmp_path / "unzipped")
    checked = sha256sum_check(folder)
    failed = sorted(line.split(": ", 1)[0] for line in checked.stdout.splitlines() if not line.endswith(": OK"))
    assert failed == sorted(sha256sum_fails), checked.stdout
    assert (checked.returncode != 0) == bool(sha256sum_fails), checked.stdout + checked.stderr


def test_a_bundle_without_sha256sums_is_refused(run, bundle, tmp_path):
    tampered = rewrite(bundle, tmp_path / "tampered.zip", change={"SHA256SUMS": lambda data: None})
    lines = cli_refused(verify(run, tampered)).splitlines()
    assert "SHA256SUMS: missing" in lines
    checked = sha256sum_check(unzip(tampered, tmp_path / "unzipped"))
    assert checked.returncode != 0


def test_a_damaged_member_is_named_as_unreadable(run, bundle, case_data, tmp_path):
    """One byte of the ZIP itself changed inside a stored evidence file: its CRC no longer matches."""
    jpg = case_data["noise.jpg"]
    raw = bytearray(bundle.read_bytes())
    at = bytes(raw).index(read_member(bundle, jpg)[100:140])
    raw[at] ^= 0x01
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(bytes(raw))
    result = verify(run, damaged)
    cli_refused(result)
    assert any(line.startswith(f"{jpg}: cannot be read (Bad CRC-32") for line in result.stdout.splitlines())


def rehashed(changes: dict[str, bytes]) -> dict[str, Callable[[bytes], bytes]]:
    """Changes to members that also rewrite SHA256SUMS and datapackage.json to match them: the kind
    of tampering only the Table Schemas and the evidence files' names can still show."""
    hashes = {name: hashlib.sha256(data).hexdigest() for name, data in changes.items()}
    new_package: dict[str, bytes] = {}

    def package(data: bytes) -> bytes:
        descriptor = json.loads(data)
        for resource in descriptor["resources"]:
            if resource["path"] in changes:
                resource["hash"] = f"sha256:{hashes[resource['path']]}"
                resource["bytes"] = len(changes[resource["path"]])
        new_package["data"] = (json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        return new_package["data"]

    def sums(data: bytes) -> bytes:
        lines = []
        for line in data.decode("ascii").splitlines():
            digest, name = line.split("  ", 1)
            if name == "datapackage.json":
                digest = hashlib.sha256(new_package["data"]).hexdigest()
            lines.append(f"{hashes.get(name, digest)}  {name}\n")
        return "".join(lines).encode("ascii")

    # Members are rewritten in ZIP order: datapackage.json comes before SHA256SUMS.
    return {
        **{name: (lambda data, new=data: new) for name, data in changes.items()},
        "datapackage.json": package,
        "SHA256SUMS": sums,
    }


def test_a_csv_rewritten_with_matching_hashes_is_checked_against_its_table_schema(run, bundle, tmp_path):
    original = read_member(bundle, "evidence.csv")
    head, first, *rest = original.split(b"\r\n")
    cells = first.split(b'","')
    assert cells[6].isdigit()  # size
    cells[6] = b"not-a-size"
    changed = b"\r\n".join([head, b'","'.join(cells), *rest])
    tampered = rewrite(bundle, tmp_path / "tampered.zip", change=rehashed({"evidence.csv": changed}))
    assert sha256sum_check(unzip(tampered, tmp_path / "unzipped")).returncode == 0  # sha256sum sees nothing
    lines = cli_refused(verify(run, tampered)).splitlines()
    assert any(line.startswith("evidence.csv: type-error (row 2)") for line in lines), lines


def test_an_evidence_file_replaced_with_matching_hashes_is_named_by_its_name(run, bundle, case_data, tmp_path):
    png = case_data["ramp.png"]
    tampered = rewrite(bundle, tmp_path / "tampered.zip", change=rehashed({png: files.png(colour="white")}))
    assert sha256sum_check(unzip(tampered, tmp_path / "unzipped")).returncode == 0
    lines = cli_refused(verify(run, tampered)).splitlines()
    assert f"{png}: its SHA-256 does not match its name" in lines


@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_a_second_member_of_the_same_name_is_not_intact(run, bundle, tmp_path):
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(bundle) as old, zipfile.ZipFile(tampered, "w") as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename == "observations.csv":
                new.writestr("observations.csv", one_byte(b"Instagram bio", b"Instagram bIo")(data))
            new.writestr(info, data)
    assert len(members(tampered)) == len(members(bundle)) + 1
    result = verify(run, tampered)
    assert result.exit_code == 1, result.output
    assert any(line.startswith("observations.csv: ") for line in result.stdout.splitlines())


def test_an_intact_bundle_verifies_under_another_zip_name(run, bundle, tmp_path):
    renamed = tmp_path / "received" / "CASE 1 bündle (copy).ZIP"
    renamed.parent.mkdir()
    renamed.write_bytes(bundle.read_bytes())
    result = verify(run, renamed)
    cli_ok(result)
    assert result.stdout == f"bundle intact: {len(members(bundle))} files\n"


@pytest.mark.parametrize("name", ["bundle.zip.download", "bundle"])
def test_an_intact_bundle_verifies_whatever_its_file_name(run, bundle, tmp_path, name):
    renamed = tmp_path / "received" / name
    renamed.parent.mkdir()
    renamed.write_bytes(bundle.read_bytes())
    result = verify(run, renamed)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"bundle intact: {len(members(bundle))} files\n"


def test_the_untampered_copy_still_verifies(run, bundle, tmp_path):
    """The rewriting itself leaves a bundle intact: what the tampering tests find is the change."""
    copy = rewrite(bundle, tmp_path / "copy.zip")
    result = verify(run, copy)
    cli_ok(result)
    assert result.stdout == f"bundle intact: {len(members(bundle))} files\n"


def test_a_changed_csv_is_also_named_by_the_data_package_check(run, bundle, tmp_path):
    tampered = rewrite(
        bundle, tmp_path / "tampered.zip", change={"observations.csv": one_byte(b"Instagram bio", b"Instagram bIo")}
    )
    lines = cli_refused(verify(run, tampered)).splitlines()
    assert any(line.startswith("observations.csv: hash-count") for line in lines), lines


# --- not a bundle --------------------------------------------------------------------------------


def test_a_text_file_named_zip_is_refused_with_a_message(run, tmp_path):
    fake = tmp_path / "notes.zip"
    fake.write_text("Not a ZIP at all, just text.\n")
    result = verify(run, fake)
    output = cli_refused(result)
    assert result.stdout == "notes.zip: not a readable ZIP file (File is not a zip file)\n", output
    assert "Traceback" not in output


def test_a_missing_file_is_refused_with_a_message(run, tmp_path):
    missing = tmp_path / "nowhere.zip"
    result = verify(run, missing)
    output = cli_refused(result)
    assert result.stdout.startswith("nowhere.zip: not a readable ZIP file ("), output
    assert "No such file or directory" in result.stdout
    assert len(result.stdout.splitlines()) == 1
    assert "Traceback" not in output


def test_a_zip_that_is_not_a_bundle_is_refused(run, tmp_path):
    other = tmp_path / "other.zip"
    other.write_bytes(files.unknown_zip())
    lines = cli_refused(verify(run, other)).splitlines()
    assert "SHA256SUMS: missing" in lines
    assert "evidence.csv: missing" in lines


# --- export --------------------------------------------------------------------------------------


def test_export_prints_its_code_path_hash_members_and_size(case_data, export_cli, tmp_path):
    result = export_cli()
    cli_ok(result)
    target = tmp_path / "bundle.zip"
    found = EXPORTED.match(result.stdout.rstrip("\n"))
    assert found, result.stdout
    assert result.stdout.count("\n") == 1
    code, path, sha256, count, size = found.groups()
    assert (code, path) == ("EXP-0001", str(target))
    assert sha256 == hashlib.sha256(target.read_bytes()).hexdigest()
    assert int(count) == len(members(target))
    assert int(size) == target.stat().st_size
    assert "note:" not in result.stderr


def test_export_records_the_bundle_in_exports(case_data, export_cli, tmp_path, db):
    result = export_cli()
    cli_ok(result)
    target = tmp_path / "bundle.zip"
    [row] = list(db.query("SELECT code, file_name, sha256, size, files, purpose, recipient FROM exports"))
    assert row == {
        "code": "EXP-0001",
        "file_name": "bundle.zip",
        "sha256": hashlib.sha256(target.read_bytes()).hexdigest(),
        "size": target.stat().st_size,
        "files": len(members(target)),
        "purpose": "Strategy meeting (fictional)",
        "recipient": "Example Police (fictional)",
    }


def test_records_graded_c_are_left_out_with_a_note(case_data, db, analyst, observation_input, export_cli, tmp_path):
    observations.record(db, analyst, "CASE-1", observation_input(summary="Graded C (fictional)", handling_code="C"))
    result = export_cli()
    cli_ok(result)
    note = (
        "note: 1 observation(s) graded C (sharing with conditions) were left out; "
        "give --conditions-met to include them."
    )
    assert note in result.stderr.splitlines(), result.output
    assert "note:" not in result.stdout
    bundle = tmp_path / "bundle.zip"
    assert [row["code"] for row in csv_rows(bundle, "observations.csv")] == ["OBS-0001", "OBS-0002"]
    assert "Left out:        1 observation(s) graded C" in read_member(bundle, "README.txt").decode()


def test_conditions_met_includes_records_graded_c_without_a_note(
    case_data, db, analyst, observation_input, export_cli, tmp_path
):
    observations.record(db, analyst, "CASE-1", observation_input(summary="Graded C (fictional)", handling_code="C"))
    result = export_cli("--conditions-met", "Agreed at the strategy meeting (fictional)")
    cli_ok(result)
    assert "note:" not in result.output
    codes = [row["code"] for row in csv_rows(tmp_path / "bundle.zip", "observations.csv")]
    assert codes == ["OBS-0001", "OBS-0002", "OBS-0003"]


def test_an_unknown_redaction_is_refused_naming_the_field(case_data, export_cli, tmp_path):
    result = export_cli("--redact", "names,handles,faces")
    output = cli_refused(result)
    assert "error: redact: 'faces' is not a redaction; use names, handles, urls, gps" in result.stderr, output
    assert result.stdout == ""
    assert not (tmp_path / "bundle.zip").exists()


def test_known_redactions_are_accepted_and_listed_in_the_readme(case_data, export_cli, tmp_path):
    cli_ok(export_cli("--redact", "names, handles"))
    readme = read_member(tmp_path / "bundle.zip", "README.txt").decode()
    assert "Redactions:      names, handles" in readme


def test_no_files_leaves_the_evidence_folder_empty(run, case_data, export_cli, tmp_path):
    result = export_cli("--no-files")
    cli_ok(result)
    bundle = tmp_path / "bundle.zip"
    names = members(bundle)
    assert [name for name in names if name.startswith("evidence/")] == []
    assert "evidence.csv" in names
    rows = csv_rows(bundle, "evidence.csv")
    assert [(row["code"], row["file"], row["not_included"]) for row in rows] == [
        ("EV-0001", "", "files left out of this export"),
        ("EV-0002", "", "files left out of this export"),
    ]
    verified = verify(run, bundle)
    cli_ok(verified)
    assert verified.stdout == f"bundle intact: {len(names)} files\n"


def test_an_existing_out_is_refused_and_kept_unless_force(case_data, export_cli, tmp_path, db):
    target = tmp_path / "bundle.zip"
    target.write_bytes(b"an earlier file, not to be lost")
    result = export_cli()
    output = cli_refused(result)
    assert "error: out: exists; choose another name, or replace it (--force)" in result.stderr, output
    assert target.read_bytes() == b"an earlier file, not to be lost"
    assert db.execute("SELECT COUNT(*) FROM exports").fetchone()[0] == 0

    forced = export_cli("--force")
    cli_ok(forced)
    assert zipfile.is_zipfile(target)
    assert EXPORTED.match(forced.stdout.rstrip("\n"))
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no .partial left


@pytest.mark.parametrize(
    ("out", "message"),
    [
        ("bundle.txt", "error: out: must be a file name ending .zip"),
        ("no-such-folder/bundle.zip", "error: out: is in a folder that does not exist: "),
        (".", "error: out: must be a file name ending .zip"),
    ],
)
def test_a_bad_out_is_refused(case_data, export_cli, tmp_path, db, out, message):
    before = sorted(p.name for p in tmp_path.iterdir())
    result = export_cli(out=tmp_path / out)
    output = cli_refused(result)
    assert message in result.stderr, output
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert db.execute("SELECT COUNT(*) FROM exports").fetchone()[0] == 0


def test_an_altered_stored_file_stops_the_export_and_leaves_nothing(case_data, export_cli, tmp_path, db, world):
    sha256 = case_data["noise.jpg"].split("/")[1].split(".")[0]
    [stored] = list(world.evidence_dir.rglob(f"originals/{sha256}"))
    stored.chmod(0o644)
    stored.write_bytes(files.jpeg(seed=4))
    before = sorted(p.name for p in tmp_path.iterdir())
    result = export_cli()
    output = cli_refused(result)
    assert "EV-0001's file no longer matches its SHA-256; run `workbench evidence verify`." in result.stderr, output
    assert result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no bundle.zip, no .partial
    assert db.execute("SELECT COUNT(*) FROM exports").fetchone()[0] == 0
    assert len(audit_events(db, "export.start")) == 1  # the decision was recorded before the failure
    assert audit_events(db, "export.complete") == []


def test_from_after_to_is_refused(case_data, export_cli, tmp_path, db):
    result = export_cli("--from", "2025-03-20", "--to", "2025-03-14")
    output = cli_refused(result)
    assert "error: date_to: is before the first day" in result.stderr, output
    assert not (tmp_path / "bundle.zip").exists()
    assert db.execute("SELECT COUNT(*) FROM exports").fetchone()[0] == 0


def test_from_and_to_choose_the_observations(case_data, export_cli, tmp_path):
    cli_ok(export_cli("--from", "2025-03-20", "--to", "2025-03-20"))
    bundle = tmp_path / "bundle.zip"
    assert [row["code"] for row in csv_rows(bundle, "observations.csv")] == ["OBS-0002"]
    assert [row["code"] for row in csv_rows(bundle, "evidence.csv")] == ["EV-0002"]


def test_a_reviewer_may_not_export(case_data, export_cli, tmp_path, db):
    result = export_cli(as_user="reviewer")
    output = cli_refused(result)
    assert result.stderr == "error: Your part in case CASE-1 does not allow you to export.\n", output
    assert result.stdout == ""
    assert not (tmp_path / "bundle.zip").exists()
    assert db.execute("SELECT COUNT(*) FROM exports").fetchone()[0] == 0
    assert audit_events(db, "export.start") == []


@pytest.mark.parametrize(
    ("options", "as_user"),
    [
        (("--redact", "names,handles,faces"), "analyst"),
        (("--from", "2025-03-20", "--to", "2025-03-14"), "analyst"),
        ((), "reviewer"),
    ],
    ids=["unknown-redaction", "from-after-to", "reviewer"],
)
def test_nothing_is_written_on_refusal(case_data, export_cli, tmp_path, db, options, as_user):
    before = sorted(p.name for p in tmp_path.iterdir())
    cli_refused(export_cli(*options, as_user=as_user))
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no bundle.zip, no .partial
    assert db.execute("SELECT COUNT(*) FROM exports").fetchone()[0] == 0
    assert audit_events(db, "export.start") == audit_events(db, "export.complete") == []


def test_every_export_leaves_start_and_complete_audit_events(case_data, export_cli, tmp_path, db):
    first = EXPORTED.match(cli_ok(export_cli()).rstrip("\n"))
    second_path = tmp_path / "second.zip"
    second = EXPORTED.match(cli_ok(export_cli("--no-files", "--redact", "urls", out=second_path)).rstrip("\n"))
    assert first and second

    starts = audit_events(db, "export.start")
    completes = audit_events(db, "export.complete")
    assert len(starts) == len(completes) == 2
    for start, complete, done in zip(starts, completes, (first, second), strict=True):
        assert start["username"] == complete["username"] == "analyst"
        assert start["case_ref"] == complete["case_ref"] == "CASE-1"
        assert start["seq"] < complete["seq"]
        assert start["details"]["purpose"] == "Strategy meeting (fictional)"
        assert start["details"]["recipient"] == "Example Police (fictional)"
        assert complete["item_code"] == done[1]
        assert complete["details"]["sha256"] == done[3]
        assert complete["details"]["files"] == int(done[4])
        assert complete["details"]["size"] == int(done[5])
    assert starts[1]["details"]["include_files"] is False
    assert starts[1]["details"]["redact"] == ["urls"]
    assert [first[1], second[1]] == ["EXP-0001", "EXP-0002"]
    # export.start is written first, so it is in the bundle's own audit trail; export.complete is not.
    actions = [row["action"] for row in csv_rows(tmp_path / "bundle.zip", "audit.csv")]
    assert actions[-1] == "export.start"
    assert "export.complete" not in actions
