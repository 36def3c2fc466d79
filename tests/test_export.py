"""Evidence bundles against the real SQLite file and the real evidence store: the ZIP's members
(every table as CSV, the original files named by their SHA-256, datapackage.json, SHA256SUMS,
README.txt); CSV that a spreadsheet and pandas read back exactly, formula-safe; handling code C
left out unless the conditions are confirmed; redaction of names, handles, web addresses and GPS in
every file; the date range; the audit trail and the exports register; the same state giving the
same CSV; bad input, a failure part way and a refused user leaving nothing behind."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import shutil
import subprocess
import zipfile
from datetime import date
from pathlib import Path

import frictionless
import pandas as pd
import pytest
from PIL import Image

from tests import evidence_files as files
from tests.conftest import CASE
from workbench import actions, authorisations, cases, evidence, export, facts, milestones, observations, people
from workbench.access import SYSTEM
from workbench.bundle_tables import Column, Table
from workbench.errors import Conflict, NotFound, PermissionDenied, ValidationError
from workbench.evidence_store import EvidenceStore
from workbench.export import ExportOptions, export_case, list_exports, table_csv

TABLE_NAMES = [
    "observations", "observation_versions", "facts", "crossrefs", "people", "accounts", "evidence", "actions",
    "authorisations", "timeline", "audit",
]  # fmt: skip
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CONFIRMED = {"confirmed_no_indecent_image": True}

# Fictional people: a child known by a name with an accent, and adults with non-Latin names.
CHILD_NAME = "Zoë Kowalska"
ADULT = "Łukasz Nowak"
ADULT_ALIAS = "Łuki"
SECOND = "محمد الفارسي"
THIRD = "李雷"
HANDLE = "@lukasz_n"
ACCOUNT_URL = "https://instagram.example/lukasz_n"
CHAT_URL = "https://chat.example.org/room/123?x=1"
OTHER_URL = "www.example.net/page"

HOSTILE = [
    "=1+2",
    "+SUM(A1)",
    "-2+3",
    "@cmd",
    "\tTab",
    "\rCR",
    'quote " inside',
    "comma, inside",
    "new\nline",
    "carriage\rreturn inside",
    "crlf\r\ninside",
    "\u202eRTL override",
    "emoji 🧒🏽",
    "NUL\x00inside",  # the app accepts NUL in free text; it must survive the CSV too
    "Zoë",
    "Łukasz",
    "محمد",
    "李雷",
]
LONG = ("=" + 'A long note, with commas, "quotes" and Zoë. ' * 300)[:10_000].rstrip()


# --- helpers -------------------------------------------------------------------------------------


@pytest.fixture
def out(tmp_path) -> Path:
    """An empty folder for bundles (the test's home, with the database, is beside it)."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def _options(**overrides) -> ExportOptions:
    return ExportOptions(**{"purpose": "Strategy discussion", "recipient": "Police CAIT", **overrides})


def _export(db, actor, target: Path, **overrides) -> export.ExportResult:
    return export_case(db, actor, CASE, target, _options(**overrides))


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as bundle:
        assert bundle.testzip() is None
        return {name: bundle.read(name) for name in bundle.namelist()}


def _rows(members: dict[str, bytes], table: str) -> list[dict[str, str]]:
    """A CSV member read as a spreadsheet-minded reader would: Python csv, utf-8-sig."""
    text = members[f"{table}.csv"].decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _frame(members: dict[str, bytes], table: str) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(members[f"{table}.csv"]), encoding="utf-8-sig", dtype=str, keep_default_na=False)


def _by_code(rows: list[dict], key: str = "code") -> dict[str, dict]:
    return {row[key]: row for row in rows}


def _safe(text: str) -> str:
    """What a text cell must hold: the text as recorded, with one quote in front when it would run."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _exports(db) -> list[dict]:
    return list(db.query("SELECT * FROM exports ORDER BY id"))


def _events(db, action: str) -> list[dict]:
    return list(db.query("SELECT * FROM audit_events WHERE action = ? ORDER BY seq", (action,)))


def _folder(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir())


def _note(observation_input, summary: str = "Seen on a public profile", **overrides) -> dict:
    overrides.setdefault("observed_at", "2025-08-01 12:00")
    return observation_input(
        kind="general_note", indicator="note", summary=summary, details={"note": summary}, **overrides
    )


def _add(db, actor, name: str, data: bytes, **capture) -> str:
    [result] = evidence.add_files(db, actor, CASE, [evidence.Upload.of_bytes(name, data)], {**CONFIRMED, **capture})
    assert result.code, result.error
    return result.code


def _gps_jpeg() -> bytes:
    return files.jpeg_with_exif()  # GPS 51.5 N, 0.125 W


def _plain_jpeg(seed: int) -> bytes:
    return files.jpeg(seed=seed)


def _case_id(db) -> int:
    return db.execute("SELECT id FROM cases WHERE reference = ?", (CASE,)).fetchone()[0]


def _original(db, sha256: str) -> Path:
    return EvidenceStore.for_database(db).original_path(_case_id(db), sha256)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _people(db, analyst) -> None:
    """P-0002 (an adult of concern, with an account), P-0003 and P-0004; facts naming them."""
    people.add_person(db, analyst, CASE, ADULT, "person_of_concern", notes=f"{ADULT} is known to the school")
    people.add_person(db, analyst, CASE, SECOND, "associate")
    people.add_person(db, analyst, CASE, THIRD, "associate")
    people.add_account(db, analyst, CASE, "instagram", HANDLE, url=ACCOUNT_URL, person="P-0002",
                       notes=f"Run by {ADULT}, see {ACCOUNT_URL}")  # fmt: skip
    facts.add_fact(db, analyst, CASE, {"person": "P-0001", "attribute": "date_of_birth", "value": "2010-05-14",
                                       "source_agency": "school"})  # fmt: skip
    facts.add_fact(db, analyst, CASE, {"person": "P-0001", "attribute": "full_name", "value": CHILD_NAME,
                                       "source_agency": "school", "source_reference": "SCH/123"})  # fmt: skip
    facts.add_fact(db, analyst, CASE, {"person": "P-0002", "attribute": "known_alias", "value": ADULT_ALIAS,
                                       "source_agency": "police"})  # fmt: skip
    facts.add_fact(db, analyst, CASE, {"person": "P-0002", "attribute": "known_account", "value": HANDLE,
                                       "source_agency": "police"})  # fmt: skip


def _rich_case(db, analyst, observation_input) -> dict[str, str]:
    """A case with something in every table: P and C observations (one amended), cross-references,
    evidence (one with GPS, one purged, one on the C observation), an action, a milestone."""
    _people(db, analyst)
    # OBS-0001 and OBS-0003 (graded C) state an age of 19: the date of birth contradicts them.
    mention = f"{ADULT} ({ADULT_ALIAS}) messaged {CHILD_NAME} as {HANDLE}; also {SECOND} and {THIRD}. See {CHAT_URL}"
    observations.record(db, analyst, CASE, observation_input(account="AC-0001", person="P-0001", url=ACCOUNT_URL))
    first = observations.record(db, analyst, CASE, _note(observation_input, "First words", person="P-0002"))
    observations.amend(
        db, analyst, CASE, first.code, {**first.as_input(), "summary": mention, "details": {"note": mention}},
        f"Added what {ADULT} wrote at {OTHER_URL}",
    )  # fmt: skip
    observations.record(db, analyst, CASE, observation_input(handling_code="C",
                                                       summary="Told in confidence by the school"))  # fmt: skip
    ev_png = _add(db, analyst, "bio.png", files.png((40, 30), colour="teal"), observation="OBS-0001",
                  shows=f"{ADULT}'s bio", source_url=ACCOUNT_URL, platform="instagram")  # fmt: skip
    ev_gps = _add(db, analyst, "phone.jpg", _gps_jpeg(), observation="OBS-0002", shows="Photo from the chat")
    ev_c = _add(db, analyst, "school.png", files.png((20, 20), colour="navy"), observation="OBS-0003")
    ev_purged = _add(db, analyst, "wrong.jpg", _plain_jpeg(3), observation="OBS-0001")
    evidence.purge(db, analyst, CASE, ev_purged, "Uploaded to the wrong case")
    actions.add_action(db, analyst, CASE, {"kind": "reported_to_platform", "observation": "OBS-0001",
                                           "note": f"Reported {HANDLE} ({ADULT}) at {ACCOUNT_URL}",
                                           "status": "done", "done_at": "2025-08-02 10:00",
                                           "reference": "IG-778"})  # fmt: skip
    milestones.add_milestone(
        db, analyst, CASE, {"kind": "referral", "occurred_at": "2025-03-01", "note": f"From school, about {ADULT}"}
    )
    return {"png": ev_png, "gps": ev_gps, "c": ev_c, "purged": ev_purged}


# --- what the ZIP holds --------------------------------------------------------------------------


def test_the_bundle_holds_every_table_the_files_and_the_descriptions(db, analyst, observation_input, out):
    items = _rich_case(db, analyst, observation_input)
    target = out / "bundle.zip"
    result = _export(db, analyst, target)
    members = _members(target)
    png, gps = (evidence.view(db, analyst, CASE, items[k]) for k in ("png", "gps"))
    expected_files = {f"evidence/{png.sha256}.png", f"evidence/{gps.sha256}.jpg"}
    assert set(members) == {f"{t}.csv" for t in TABLE_NAMES} | expected_files | {
        "datapackage.json", "SHA256SUMS", "README.txt",
    }  # fmt: skip
    assert list(members)[: len(TABLE_NAMES)] == [f"{t}.csv" for t in TABLE_NAMES]
    for name in expected_files:  # the original bytes, as stored
        sha256 = name.split("/")[1].split(".")[0]
        assert members[name] == _original(db, sha256).read_bytes()
        assert _sha(members[name]) == sha256
    assert (result.code, result.path, result.files, result.evidence_files) == ("EXP-0001", target, len(members), 2)
    assert result.left_out_conditional == 1
    assert result.tables == {t: len(_rows(members, t)) for t in TABLE_NAMES}
    assert result.size == target.stat().st_size
    assert result.sha256 == _sha(target.read_bytes())


def test_observations_csv_has_the_current_versions_with_grades_veracity_and_who_and_when(
    db, analyst, observation_input, out
):
    _rich_case(db, analyst, observation_input)
    _export(db, analyst, out / "b.zip")
    rows = _by_code(_rows(_members(out / "b.zip"), "observations"))
    assert list(rows) == ["OBS-0001", "OBS-0002"]  # OBS-0003 is graded C
    stated = rows["OBS-0001"]
    assert (stated["version"], stated["kind"], stated["indicator"]) == ("1", "profile_indicator", "stated_age")
    assert (stated["source_grade"], stated["information_grade"], stated["handling_code"]) == ("2", "B", "P")
    assert stated["grade"] == "2 / B / P"
    assert stated["veracity"] == "contradicted"  # stated 19; the school's date of birth says otherwise
    assert (stated["account"], stated["account_handle"], stated["url"]) == ("AC-0001", _safe(HANDLE), ACCOUNT_URL)
    assert (stated["person"], stated["pseudonym"]) == ("P-0001", "Child A")
    assert stated["observed_at"] == "2025-03-14T10:30:00Z"
    assert json.loads(stated["details"]) == {"profile_element": "bio", "stated_age": 19}
    amended = rows["OBS-0002"]
    assert amended["version"] == "2" and amended["summary"].startswith(ADULT)
    assert amended["veracity"] == "uncorroborated"
    stored = {r["code"]: r for r in db.query(
        """SELECT o.code, v.recorded_at FROM observations o JOIN observation_versions v ON v.observation_id = o.id
           AND v.version = (SELECT MAX(version) FROM observation_versions WHERE observation_id = o.id)""")}  # fmt: skip
    for code, row in rows.items():
        assert row["recorded_by"] == "analyst"
        assert row["recorded_at"] == stored[code]["recorded_at"]
        assert ISO_UTC.match(row["recorded_at"])
        assert row["immediate_risk"] == "false" and row["occurred_approximate"] in ("true", "false")


def test_observation_versions_csv_has_every_version_with_the_reason(db, analyst, observation_input, out):
    _rich_case(db, analyst, observation_input)
    _export(db, analyst, out / "b.zip")
    rows = _rows(_members(out / "b.zip"), "observation_versions")
    assert [(r["code"], r["version"]) for r in rows] == [("OBS-0001", "1"), ("OBS-0002", "1"), ("OBS-0002", "2")]
    assert [r["summary"] for r in rows][1] == "First words"
    assert rows[1]["change_reason"] == "" and rows[2]["change_reason"] == f"Added what {ADULT} wrote at {OTHER_URL}"
    assert all(r["recorded_by"] == "analyst" and ISO_UTC.match(r["recorded_at"]) for r in rows)


def test_the_other_tables_hold_the_case_as_recorded(db, analyst, observation_input, out):
    items = _rich_case(db, analyst, observation_input)
    _export(db, analyst, out / "b.zip")
    members = _members(out / "b.zip")
    fact_rows = _by_code(_rows(members, "facts"))
    assert [(r["attribute"], r["value"], r["pseudonym"]) for r in fact_rows.values()] == [
        ("date_of_birth", "2010-05-14", "Child A"), ("full_name", CHILD_NAME, "Child A"),
        ("known_alias", ADULT_ALIAS, "Person B"), ("known_account", "'" + HANDLE, "Person B"),
    ]  # fmt: skip
    assert fact_rows["F-0002"]["source_reference"] == "SCH/123"
    assert [(r["code"], r["name"], r["pseudonym"], r["role"]) for r in _rows(members, "people")] == [
        ("P-0001", "Child A", "Child A", "subject"), ("P-0002", ADULT, "Person B", "person_of_concern"),
        ("P-0003", SECOND, "Person C", "associate"), ("P-0004", THIRD, "Person D", "associate"),
    ]  # fmt: skip
    assert _rows(members, "accounts") == [{"code": "AC-0001", "platform": "instagram", "handle": "'" + HANDLE,
                                           "url": ACCOUNT_URL, "person": "P-0002",
                                           "notes": f"Run by {ADULT}, see {ACCOUNT_URL}"}]  # fmt: skip
    crossrefs = _rows(members, "crossrefs")
    assert crossrefs and {r["observation"] for r in crossrefs} == {"OBS-0001"}
    assert any(r["relation"] == "contradicts" and r["fact"] == "F-0001" for r in crossrefs)
    [action] = _rows(members, "actions")
    assert (action["code"], action["kind"], action["observation"], action["status"]) == (
        "ACT-0001", "reported_to_platform", "OBS-0001", "done",
    )  # fmt: skip
    assert (action["done_at"], action["reference"], action["note"]) == (
        "2025-08-02T09:00:00Z", "IG-778", f"Reported {HANDLE} ({ADULT}) at {ACCOUNT_URL}",
    )  # fmt: skip
    ev = _by_code(_rows(members, "evidence"))
    assert list(ev) == [items["png"], items["gps"], items["purged"]]  # not the C observation's item
    png = ev[items["png"]]
    assert (png["file_name"], png["media_type"], png["width"], png["height"]) == ("bio.png", "image/png", "40", "30")
    assert (png["observation"], png["source_url"], png["shows"]) == ("OBS-0001", ACCOUNT_URL, f"{ADULT}'s bio")
    assert png["file"] == f"evidence/{png['sha256']}.png" and png["not_included"] == ""
    gps = ev[items["gps"]]
    assert (gps["gps_latitude"], gps["gps_longitude"], gps["camera_make"]) == ("51.5", "-0.125", "TestCam")
    assert any(key.startswith("GPS") for key in json.loads(gps["exif"]))
    timeline = _rows(members, "timeline")
    assert {r["code"] for r in timeline} == {"OBS-0001", "OBS-0002", items["png"], items["gps"], items["purged"],
                                             "ACT-0001", "M-0001"}  # fmt: skip
    assert [r["at"] for r in timeline] == sorted(r["at"] for r in timeline)


def test_a_purged_item_is_listed_as_purged_and_its_file_is_not_in_the_bundle(db, analyst, observation_input, out):
    items = _rich_case(db, analyst, observation_input)
    _export(db, analyst, out / "b.zip")
    members = _members(out / "b.zip")
    purged = _by_code(_rows(members, "evidence"))[items["purged"]]
    assert (purged["not_included"], purged["file"], purged["purged"]) == ("purged", "", "true")
    assert purged["purge_reason"] == "Uploaded to the wrong case" and ISO_UTC.match(purged["purged_at"])
    assert purged["sha256"] == _sha(_plain_jpeg(3))
    assert not [name for name in members if purged["sha256"] in name]
    assert purged["sha256"] not in members["SHA256SUMS"].decode()


def test_the_audit_csv_is_the_case_s_events_up_to_this_export_s_start(db, analyst, observation_input, out):
    _rich_case(db, analyst, observation_input)
    result = _export(db, analyst, out / "b.zip")
    rows = _rows(_members(out / "b.zip"), "audit")
    [start] = _events(db, "export.start")
    held = list(
        db.query("SELECT * FROM audit_events WHERE case_ref = ? AND seq <= ? ORDER BY seq", (CASE, start["seq"]))
    )
    assert [int(r["seq"]) for r in rows] == [e["seq"] for e in held]
    assert [(r["action"], r["hash"], r["prev_hash"], r["at"]) for r in rows] == [
        (e["action"], e["hash"], e["prev_hash"], e["at"]) for e in held
    ]
    assert rows[-1]["action"] == "export.start"
    assert json.loads(rows[-1]["details"]) == {
        "purpose": "Strategy discussion", "recipient": "Police CAIT", "redact": [], "include_files": True,
        "date_from": None, "date_to": None, "conditional_records": False,
    }  # fmt: skip
    assert "export.complete" not in {r["action"] for r in rows}
    assert result.tables["audit"] == len(rows)


# --- datapackage.json and SHA256SUMS -------------------------------------------------------------


def test_the_data_package_describes_every_csv_and_file_with_its_hash_and_size(db, analyst, observation_input, out):
    _rich_case(db, analyst, observation_input)
    _export(db, analyst, out / "b.zip")
    members = _members(out / "b.zip")
    package = json.loads(members["datapackage.json"])
    assert package["profile"] == "data-package"
    resources = {r["path"]: r for r in package["resources"]}
    assert set(resources) == set(members) - {"datapackage.json", "SHA256SUMS"}
    for path, resource in resources.items():
        assert resource["hash"] == f"sha256:{_sha(members[path])}", path
        assert resource["bytes"] == len(members[path]), path
    for table in TABLE_NAMES:
        resource = resources[f"{table}.csv"]
        header = next(csv.reader(io.StringIO(members[f"{table}.csv"].decode("utf-8-sig"), newline="")))
        assert [f["name"] for f in resource["schema"]["fields"]] == header, table
        assert resource["profile"] == "tabular-data-resource" and resource["name"] == table
        assert all(f["type"] in {"string", "integer", "number", "boolean", "date", "datetime"}
                   for f in resource["schema"]["fields"])  # fmt: skip


def test_the_data_package_validates_with_frictionless(db, analyst, observation_input, out):
    _rich_case(db, analyst, observation_input)
    _export(db, analyst, out / "b.zip")
    folder = out / "unzipped"
    with zipfile.ZipFile(out / "b.zip") as bundle:
        bundle.extractall(folder)
    report = frictionless.validate(str(folder / "datapackage.json"))
    assert report.valid, report.flatten(["type", "note"])


def test_sha256sums_covers_every_other_member_in_sha256sum_format(db, analyst, observation_input, out):
    _rich_case(db, analyst, observation_input)
    _export(db, analyst, out / "b.zip")
    members = _members(out / "b.zip")
    lines = members["SHA256SUMS"].decode("ascii").splitlines()
    listed = {}
    for line in lines:
        found = re.fullmatch(r"([0-9a-f]{64})  (\S+)", line)
        assert found, line
        listed[found[2]] = found[1]
    assert set(listed) == set(members) - {"SHA256SUMS"}
    assert listed == {name: _sha(data) for name, data in members.items() if name != "SHA256SUMS"}
    if shutil.which("sha256sum"):
        folder = out / "unzipped"
        with zipfile.ZipFile(out / "b.zip") as bundle:
            bundle.extractall(folder)
        checked = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=folder, capture_output=True, text=True)
        assert checked.returncode == 0, checked.stdout + checked.stderr


def test_readme_gives_the_partnerships_case_management_number(db, analyst, out):
    opened = cases.open_case(db, analyst, "Numbered elsewhere", external_ref="EH-2026-0142")
    export_case(db, analyst, opened.reference, out / "b.zip", _options())
    lines = _members(out / "b.zip")["README.txt"].decode("utf-8").split("\r\n")
    assert f"Case:            {opened.reference} (Numbered elsewhere)" in lines
    assert "Case-management: EH-2026-0142" in lines


def test_readme_says_who_when_why_for_whom_and_how_to_verify(db, analyst, observation_input, out):
    _rich_case(db, analyst, observation_input)
    result = _export(db, analyst, out / "b.zip")
    readme = _members(out / "b.zip")["README.txt"].decode("utf-8")
    [row] = _exports(db)
    lines = readme.split("\r\n")
    assert "Case:            CASE-1 (Test case)" in lines
    assert "Case-management: none given" in lines
    assert f"Exported by:     {analyst.display_name} (analyst)" in lines
    assert f"Exported at:     {row['exported_at']} (UTC)" in lines and ISO_UTC.match(row["exported_at"])
    assert "Purpose:         Strategy discussion" in lines
    assert "Recipient:       Police CAIT" in lines
    assert any(line.startswith("Handling codes:  P ") for line in lines)
    assert "Left out:        1 observation(s) graded C (sharing with conditions)" in lines
    assert "Redactions:      none" in lines
    assert "sha256sum -c SHA256SUMS" in readme
    assert "single quote (')" in readme and "= + - @" in readme and "carriage return" in readme
    assert f"  timeline.csv: {result.tables['timeline']} row(s)" in lines


# --- CSV as spreadsheets and pandas read it ------------------------------------------------------


def test_every_csv_is_utf8_with_bom_crlf_quoted_with_a_header_and_iso_utc_times(db, analyst, observation_input, out):
    _rich_case(db, analyst, observation_input)
    _export(db, analyst, out / "b.zip")
    members = _members(out / "b.zip")
    package = {r["path"]: r for r in json.loads(members["datapackage.json"])["resources"]}
    for table in TABLE_NAMES:
        data = members[f"{table}.csv"]
        assert data.startswith(b"\xef\xbb\xbf"), table
        assert data.endswith(b"\r\n") and b"\n" not in data.replace(b"\r\n", b""), table  # no bare LF here
        text = data.decode("utf-8-sig")
        header_line = text.split("\r\n", 1)[0]
        assert header_line.startswith('"') and header_line.endswith('"'), table
        types = {f["name"]: f["type"] for f in package[f"{table}.csv"]["schema"]["fields"]}
        frame = _frame(members, table)
        assert list(frame.columns) == list(types), table
        for name, kind in types.items():
            values = [v for v in frame[name] if v != ""]
            if kind == "datetime":
                assert all(ISO_UTC.match(v) for v in values), (table, name, values)
            elif kind == "date":
                assert all(ISO_DAY.match(v) for v in values), (table, name, values)
            elif kind == "boolean":
                assert set(values) <= {"true", "false"}, (table, name)
            elif kind == "integer":
                assert all(re.fullmatch(r"-?\d+", v) for v in values), (table, name, values)
            assert not {"nan", "None", "<NA>", "NaT"} & set(values), (table, name)


def test_accents_and_non_latin_names_come_back_intact(db, analyst, observation_input, out):
    _rich_case(db, analyst, observation_input)
    _export(db, analyst, out / "b.zip")
    members = _members(out / "b.zip")
    names = [r["name"] for r in _rows(members, "people")]
    assert names == ["Child A", ADULT, SECOND, THIRD]
    assert _frame(members, "people")["name"].tolist() == names
    summary = _by_code(_rows(members, "observations"))["OBS-0002"]["summary"]
    assert all(name in summary for name in (ADULT, ADULT_ALIAS, CHILD_NAME, SECOND, THIRD))
    assert "Łukasz".encode() in members["people.csv"] and "李雷".encode() in members["people.csv"]


def test_hostile_text_comes_back_as_recorded_with_a_quote_only_before_a_formula(db, analyst, observation_input, out):
    for text in HOSTILE:
        observations.record(db, analyst, CASE, _note(observation_input, text))
        facts.add_fact(db, analyst, CASE, {"person": "P-0001", "attribute": "known_associate", "value": text,
                                           "source_agency": "police"})  # fmt: skip
        actions.add_action(db, analyst, CASE, {"kind": "other", "note": text})
    observations.record(db, analyst, CASE, _note(observation_input, LONG[:1000]) | {"details": {"note": LONG}})
    recorded = {
        "observations": [r[0] for r in db.execute("SELECT summary FROM observation_versions ORDER BY id")],
        "facts": [r[0] for r in db.execute("SELECT value FROM fact_versions ORDER BY id")],
        "actions": [r[0] for r in db.execute("SELECT note FROM action_versions ORDER BY id")],
    }
    # The app trims the ends of free text (so "\tTab" is recorded "Tab"), and keeps all else.
    assert recorded["facts"] == recorded["actions"] == [t.strip() for t in HOSTILE]
    assert recorded["observations"] == [t.strip() for t in HOSTILE] + [LONG[:1000]]
    assert "NUL\x00inside" in recorded["observations"]

    _export(db, analyst, out / "b.zip")
    members = _members(out / "b.zip")
    column = {"observations": "summary", "facts": "value", "actions": "note"}
    for table, name in column.items():
        expected = [_safe(text) for text in recorded[table]]
        assert [r[name] for r in _rows(members, table)] == expected, table
        assert _frame(members, table)[name].tolist() == expected, table
    obs = _rows(members, "observations")
    details = [json.loads(r["details"])["note"] for r in obs]
    assert details[:-1] == [t.strip() for t in HOSTILE] and details[-1] == LONG and len(LONG) == 10_000
    timeline = [r["summary"] for r in _rows(members, "timeline") if r["source"] == "observation"]
    assert sorted(timeline) == sorted(_safe(t) for t in recorded["observations"])
    assert [r["summary"] for r in obs if r["summary"].startswith("'")] == [
        "'=1+2",
        "'+SUM(A1)",
        "'-2+3",
        "'@cmd",
        "'" + LONG[:1000],
    ]


def _hostile_table() -> Table:
    values = [*HOSTILE, LONG, "'already quoted", "a=b", " -lead space", "-0.125"]
    columns = (
        Column("text", "string", "t"), Column("count", "integer", "c"), Column("amount", "number", "n"),
        Column("flag", "boolean", "f"), Column("at", "datetime", "a"), Column("day", "date", "d"),
    )  # fmt: skip
    frame = pd.DataFrame(
        {
            "text": values,
            "count": [-3] * len(values),
            "amount": [-0.125, 3.0, float("nan")] + [1.5] * (len(values) - 3),
            "flag": [True, False] * (len(values) // 2) + [True] * (len(values) % 2),
            "at": ["2025-03-14T10:30:00Z"] * len(values),
            "day": ["2025-03-14"] * len(values),
        }
    )
    return Table("hostile", "Hostile strings", columns, frame)


def test_table_csv_quotes_formula_text_only_and_writes_numbers_dates_and_flags_plainly():
    table = _hostile_table()
    data = table_csv(table)
    assert data.startswith(b'\xef\xbb\xbf"text","count","amount","flag","at","day"\r\n')
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["text", "count", "amount", "flag", "at", "day"]
    body = rows[1:]
    assert [r[0] for r in body] == [_safe(v) for v in table.frame["text"]]
    assert [r[0] for r in body][4:6] == ["'\tTab", "'\rCR"]
    assert body[-4][0] == "'already quoted" and body[-3][0] == "a=b" and body[-2][0] == " -lead space"
    assert body[-1][0] == "'-0.125"  # text that looks like a number is still text
    assert {r[1] for r in body} == {"-3"}  # numbers are never quoted
    assert [r[2] for r in body[:4]] == ["-0.125", "3", "", "1.5"]
    assert [r[3] for r in body[:2]] == ["true", "false"]
    assert {(r[4], r[5]) for r in body} == {("2025-03-14T10:30:00Z", "2025-03-14")}
    pandas = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert pandas["text"].tolist() == [r[0] for r in body]
    assert len(pandas) == len(table.frame)


def test_table_csv_of_an_empty_table_is_its_header():
    columns = (Column("a", "string", ""), Column("b", "integer", ""))
    table = Table("empty", "", columns, pd.DataFrame(columns=["a", "b"]))
    assert table_csv(table) == b'\xef\xbb\xbf"a","b"\r\n'


# --- handling code C -----------------------------------------------------------------------------


def test_observations_graded_c_are_left_out_with_everything_that_hangs_on_them(db, analyst, observation_input, out):
    items = _rich_case(db, analyst, observation_input)
    _export(db, analyst, out / "b.zip")
    members = _members(out / "b.zip")
    c_sha = evidence.view(db, analyst, CASE, items["c"]).sha256
    assert "OBS-0003" not in {r["code"] for r in _rows(members, "observations")}
    assert "OBS-0003" not in {r["code"] for r in _rows(members, "observation_versions")}
    assert "OBS-0003" not in {r["observation"] for r in _rows(members, "crossrefs")}
    assert items["c"] not in {r["code"] for r in _rows(members, "evidence")}
    assert not {"OBS-0003", items["c"]} & {r["code"] for r in _rows(members, "timeline")}
    assert not [name for name in members if c_sha in name]
    assert "Told in confidence" not in b"".join(members[f"{t}.csv"] for t in TABLE_NAMES).decode("utf-8")
    assert {r["handling_code"] for r in _rows(members, "observations")} == {"P"}


def test_conditions_met_brings_c_records_in_and_is_recorded(db, analyst, observation_input, out):
    items = _rich_case(db, analyst, observation_input)
    why = "Shared with the police under the information-sharing agreement, s.11"
    result = _export(db, analyst, out / "b.zip", conditions_met=why)
    members = _members(out / "b.zip")
    assert result.left_out_conditional == 0
    observed = _by_code(_rows(members, "observations"))
    assert observed["OBS-0003"]["handling_code"] == "C"
    assert observed["OBS-0003"]["summary"] == "Told in confidence by the school"
    assert "OBS-0003" in {r["code"] for r in _rows(members, "observation_versions")}
    assert "OBS-0003" in {r["observation"] for r in _rows(members, "crossrefs")}
    assert items["c"] in {r["code"] for r in _rows(members, "evidence")}
    assert {"OBS-0003", items["c"]} <= {r["code"] for r in _rows(members, "timeline")}
    assert f"evidence/{evidence.view(db, analyst, CASE, items['c']).sha256}.png" in members
    [row] = _exports(db)
    assert row["conditions_met"] == why and json.loads(row["options"])["conditional_records"] is True
    [start] = _events(db, "export.start")
    assert start["justification"] == why
    readme = members["README.txt"].decode()
    assert f"Conditions met:  {why}" in readme.split("\r\n")
    assert any(line.startswith("Handling codes:  C, P ") for line in readme.split("\r\n"))
    assert "Left out:" not in readme
    assert _rows(members, "audit")[-1]["justification"] == why


# --- redaction -----------------------------------------------------------------------------------


def _everything(members: dict[str, bytes]) -> str:
    """Every text member (not the evidence files, which are originals)."""
    return "\n".join(data.decode("utf-8-sig") for name, data in members.items() if not name.startswith("evidence/"))


def test_names_become_pseudonyms_in_every_file(db, analyst, observation_input, out):
    _rich_case(db, analyst, observation_input)
    _export(db, analyst, out / "b.zip", redact=("names",))
    members = _members(out / "b.zip")
    for name in (CHILD_NAME, ADULT, ADULT_ALIAS, SECOND, THIRD, "Łukasz", "Kowalska"):
        assert name.casefold() not in _everything(members).casefold(), name
    assert {r["name"] for r in _rows(members, "people")} == {""}
    assert _rows(members, "people")[1]["notes"] == "Person B is known to the school"
    summary = _by_code(_rows(members, "observations"))["OBS-0002"]["summary"]
    assert summary == f"Person B (Person B) messaged Child A as {HANDLE}; also Person C and Person D. See {CHAT_URL}"
    versions = _rows(members, "observation_versions")
    assert versions[2]["change_reason"] == f"Added what Person B wrote at {OTHER_URL}"
    assert json.loads(versions[2]["details"])["note"] == summary
    [action] = _rows(members, "actions")
    assert action["note"] == f"Reported {HANDLE} (Person B) at {ACCOUNT_URL}"
    fact_values = {r["attribute"]: r["value"] for r in _rows(members, "facts")}
    assert (fact_values["full_name"], fact_values["known_alias"]) == ("Child A", "Person B")
    assert _rows(members, "accounts")[0]["notes"] == f"Run by Person B, see {ACCOUNT_URL}"
    assert _by_code(_rows(members, "evidence"))["EV-0001"]["shows"] == "Person B's bio"
    audit_text = "\n".join(r["justification"] + r["details"] for r in _rows(members, "audit"))
    assert "Person B wrote" in audit_text
    assert HANDLE in _everything(members) and ACCOUNT_URL in _everything(members)  # only names were asked for
    assert "Redactions:      names" in members["README.txt"].decode().split("\r\n")


def test_handles_are_removed_and_written_as_the_owner_s_account(db, analyst, observation_input, out):
    _rich_case(db, analyst, observation_input)
    _export(db, analyst, out / "b.zip", redact=("handles",))
    members = _members(out / "b.zip")
    assert "lukasz_n" not in _everything(members).replace(ACCOUNT_URL, "")
    assert _rows(members, "accounts")[0]["handle"] == ""
    assert {r["account_handle"] for r in _rows(members, "observations")} == {""}
    assert {r["account_handle"] for r in _rows(members, "observation_versions")} == {""}
    assert {r["account"] for r in _rows(members, "timeline")} == {""}
    summary = _by_code(_rows(members, "observations"))["OBS-0002"]["summary"]
    assert f"messaged {CHILD_NAME} as Person B's account;" in summary
    note = _rows(members, "actions")[0]["note"]
    assert note.startswith(f"Reported Person B's account ({ADULT}) at ") and "lukasz_n" not in note
    assert {r["attribute"]: r["value"] for r in _rows(members, "facts")}["known_account"] == "Person B's account"
    assert "Redactions:      handles" in members["README.txt"].decode().split("\r\n")


def test_urls_are_removed_from_columns_and_text(db, analyst, observation_input, out):
    _rich_case(db, analyst, observation_input)
    _export(db, analyst, out / "b.zip", redact=("urls",))
    members = _members(out / "b.zip")
    text = _everything(members)
    for url in (ACCOUNT_URL, CHAT_URL, OTHER_URL, "example.org", "instagram.example"):
        assert url not in text, url
    assert {r["url"] for r in _rows(members, "observations")} == {""}
    assert {r["url"] for r in _rows(members, "accounts")} == {""}
    assert {r["source_url"] for r in _rows(members, "evidence")} == {""}
    summary = _by_code(_rows(members, "observations"))["OBS-0002"]["summary"]
    assert summary.endswith("See [link removed]") and ADULT in summary and HANDLE in summary
    assert _rows(members, "observation_versions")[2]["change_reason"] == f"Added what {ADULT} wrote at [link removed]"
    assert _rows(members, "actions")[0]["note"] == f"Reported {HANDLE} ({ADULT}) at [link removed]"
    assert "Redactions:      urls" in members["README.txt"].decode().split("\r\n")


def test_gps_is_dropped_and_a_file_holding_gps_is_left_out(db, analyst, observation_input, out):
    items = _rich_case(db, analyst, observation_input)
    result = _export(db, analyst, out / "b.zip", redact=("gps",))
    members = _members(out / "b.zip")
    rows = _by_code(_rows(members, "evidence"))
    gps = rows[items["gps"]]
    assert gps["file"] == "" and "GPS" in gps["not_included"]
    assert not [name for name in members if gps["sha256"] in name]
    assert rows[items["png"]]["file"] in members  # a file without GPS still goes
    assert result.evidence_files == 1
    for row in rows.values():
        assert (row["gps_latitude"], row["gps_longitude"]) == ("", "")
        exif = json.loads(row["exif"])
        assert not [key for key in exif if key.upper().startswith("GPS")], exif
        assert "[51, 30, 0]" not in row["exif"] and "[0, 7, 30]" not in row["exif"]
    assert gps["camera_make"] == "TestCam"  # the rest of the EXIF stays
    readme = members["README.txt"].decode()
    assert "Redactions:      gps" in readme.split("\r\n") and "GPS" in readme


def test_every_redaction_at_once_leaves_no_name_handle_url_or_position_in_any_text_file(
    db, analyst, observation_input, out
):
    _rich_case(db, analyst, observation_input)
    _export(db, analyst, out / "b.zip", redact=("urls", "gps", "names", "handles"))
    members = _members(out / "b.zip")
    text = _everything(members).casefold()
    for secret in (CHILD_NAME, ADULT, ADULT_ALIAS, SECOND, THIRD, "lukasz_n", "http", "www.", "51.5", "-0.125"):
        assert secret.casefold() not in text, secret
    summary = _by_code(_rows(members, "observations"))["OBS-0002"]["summary"]
    assert summary == (
        "Person B (Person B) messaged Child A as Person B's account; also Person C and Person D. See [link removed]"
    )
    readme = members["README.txt"].decode().split("\r\n")
    assert "Redactions:      names, handles, urls, gps" in readme
    [row] = _exports(db)
    assert json.loads(row["options"])["redact"] == ["gps", "handles", "names", "urls"]


def test_without_redaction_the_names_handles_urls_and_positions_are_there(db, analyst, observation_input, out):
    """The control for the redaction tests: the same case exported plainly holds what they hide."""
    _rich_case(db, analyst, observation_input)
    _export(db, analyst, out / "b.zip")
    text = _everything(_members(out / "b.zip"))
    for secret in (CHILD_NAME, ADULT, ADULT_ALIAS, SECOND, THIRD, "lukasz_n", CHAT_URL, "51.5", "-0.125"):
        assert secret in text, secret


def test_a_chinese_name_inside_chinese_text_becomes_the_pseudonym(db, analyst, observation_input, out):
    _people(db, analyst)
    observations.record(db, analyst, CASE, _note(observation_input, f"{THIRD}说他十九岁", person="P-0004"))
    _export(db, analyst, out / "b.zip", redact=("names",))
    [row] = _rows(_members(out / "b.zip"), "observations")
    assert row["summary"] == "Person D说他十九岁"


def test_with_handles_redacted_no_column_still_shows_the_handle(db, analyst, observation_input, out):
    _rich_case(db, analyst, observation_input)
    _export(db, analyst, out / "b.zip", redact=("handles",))
    members = _members(out / "b.zip")
    for table in TABLE_NAMES:
        assert "lukasz_n" not in members[f"{table}.csv"].decode("utf-8-sig"), table


def _exif_with_text(artist: str, description: str) -> bytes:
    """A JPEG whose EXIF names who took it and says where it came from (ASCII, as EXIF text is)."""
    block = files.exif(latitude=None, longitude=None)
    block[0x013B] = artist  # Artist
    block[0x010E] = description  # ImageDescription
    return files.jpeg(exif_block=block)


def test_a_name_in_exif_text_becomes_the_pseudonym(db, analyst, out):
    people.add_person(db, analyst, CASE, "Marco Rossi", "person_of_concern")
    _add(db, analyst, "photo.jpg", _exif_with_text("Marco Rossi", "Profile photo"))
    _export(db, analyst, out / "b.zip", redact=("names",))
    [row] = _rows(_members(out / "b.zip"), "evidence")
    assert json.loads(row["exif"])["Image Artist"] == "Person B"


def test_a_url_in_exif_text_is_removed(db, analyst, out):
    _add(db, analyst, "photo.jpg", _exif_with_text("Studio", f"Saved from {CHAT_URL}"))
    _export(db, analyst, out / "b.zip", redact=("urls",))
    [row] = _rows(_members(out / "b.zip"), "evidence")
    assert json.loads(row["exif"])["Image ImageDescription"] == "Saved from [link removed]"


def test_exif_text_is_kept_as_is_without_redaction(db, analyst, out):
    """The control for the two above: the tags are read and exported."""
    _add(db, analyst, "photo.jpg", _exif_with_text("Marco Rossi", f"Saved from {CHAT_URL}"))
    _export(db, analyst, out / "b.zip")
    exif = json.loads(_rows(_members(out / "b.zip"), "evidence")[0]["exif"])
    assert (exif["Image Artist"], exif["Image ImageDescription"]) == ("Marco Rossi", f"Saved from {CHAT_URL}")


def test_conditions_met_of_only_spaces_is_not_a_confirmation(db, analyst, observation_input, out):
    _rich_case(db, analyst, observation_input)
    result = _export(db, analyst, out / "b.zip", conditions_met="   ")
    assert result.left_out_conditional == 1
    assert "OBS-0003" not in {r["code"] for r in _rows(_members(out / "b.zip"), "observations")}
    assert _exports(db)[0]["conditions_met"] == "" and _events(db, "export.start")[0]["justification"] in ("", None)


def test_the_same_bytes_twice_go_in_once_and_both_items_name_the_file(db, analyst, observation_input, out):
    observations.record(db, analyst, CASE, observation_input())
    data = files.png((16, 16), colour="olive")
    first = _add(db, analyst, "one.png", data, observation="OBS-0001")
    second = _add(db, analyst, "two.png", data, observation="OBS-0001")
    result = _export(db, analyst, out / "b.zip")
    members = _members(out / "b.zip")
    name = f"evidence/{_sha(data)}.png"
    assert [m for m in members if m.startswith("evidence/")] == [name] and members[name] == data
    rows = _by_code(_rows(members, "evidence"))
    assert (rows[first]["file"], rows[second]["file"]) == (name, name)
    assert rows[second]["duplicate_of"] == first
    assert members["SHA256SUMS"].decode().count(name) == 1 and result.evidence_files == 1


def test_include_files_false_leaves_every_file_out_and_says_so(db, analyst, observation_input, out):
    items = _rich_case(db, analyst, observation_input)
    result = _export(db, analyst, out / "b.zip", include_files=False)
    members = _members(out / "b.zip")
    assert not [name for name in members if name.startswith("evidence/")]
    assert result.evidence_files == 0
    rows = _by_code(_rows(members, "evidence"))
    assert [rows[c]["not_included"] for c in (items["png"], items["gps"])] == ["files left out of this export"] * 2
    assert rows[items["purged"]]["not_included"] == "purged"
    assert {r["file"] for r in rows.values()} == {""}
    assert all(len(r["sha256"]) == 64 for r in rows.values())
    readme = members["README.txt"].decode()
    assert "Evidence files:  0 included (files left out)" in readme.split("\r\n")
    assert json.loads(_exports(db)[0]["options"])["include_files"] is False


# --- the date range ------------------------------------------------------------------------------


@pytest.fixture
def dated(db, analyst, observation_input):
    """Observations on either side of London-day edges; the codes by the London day they are on."""
    given = {
        "OBS-0001": {"observed_at": "2025-07-01 00:30"},  # 30 Jun 23:30 UTC: 1 Jul in London
        "OBS-0002": {"occurred_at": "2025-06-15 12:00", "observed_at": "2025-07-10 09:00"},  # occurred wins
        "OBS-0003": {"occurred_at": "2025-07-05", "observed_at": "2025-08-20 09:00"},
        "OBS-0004": {"observed_at": "2025-07-31 23:30"},
        "OBS-0005": {"observed_at": "2025-08-01 00:30"},  # 31 Jul 23:30 UTC: 1 Aug in London
    }
    for code, times in given.items():
        assert observations.record(db, analyst, CASE, _note(observation_input, f"Seen {code}", **times)).code == code
    stored = dict(db.execute("SELECT o.code, v.observed_at FROM observations o JOIN observation_versions v "
                             "ON v.observation_id = o.id"))  # fmt: skip
    assert (stored["OBS-0001"], stored["OBS-0005"]) == ("2025-06-30T23:30:00Z", "2025-07-31T23:30:00Z")
    _add(db, analyst, "a.png", files.png((10, 10), colour="red"), observation="OBS-0002")
    _add(db, analyst, "b.png", files.png((10, 10), colour="blue"), observation="OBS-0003")
    _add(db, analyst, "loose.png", files.png((10, 10), colour="white"))  # on no observation: by when received
    return {"2025-07-01": ["OBS-0001"], "2025-06-15": ["OBS-0002"], "2025-07-05": ["OBS-0003"],
            "2025-07-31": ["OBS-0004"], "2025-08-01": ["OBS-0005"]}  # fmt: skip


@pytest.mark.parametrize(
    ("date_from", "date_to", "kept"),
    [
        (date(2025, 7, 1), date(2025, 7, 31), ["OBS-0001", "OBS-0003", "OBS-0004"]),
        (date(2025, 7, 2), None, ["OBS-0003", "OBS-0004", "OBS-0005"]),
        (None, date(2025, 6, 30), ["OBS-0002"]),
        (date(2025, 8, 1), date(2025, 8, 1), ["OBS-0005"]),
        (None, None, ["OBS-0001", "OBS-0002", "OBS-0003", "OBS-0004", "OBS-0005"]),
    ],
)
def test_the_date_range_keeps_observations_by_their_london_day(db, analyst, dated, out, date_from, date_to, kept):
    _export(db, analyst, out / "b.zip", date_from=date_from, date_to=date_to)
    members = _members(out / "b.zip")
    assert [r["code"] for r in _rows(members, "observations")] == kept
    assert sorted({r["code"] for r in _rows(members, "observation_versions")}) == kept
    attached = {r["observation"] for r in _rows(members, "evidence")} - {""}
    assert attached == {"OBS-0002", "OBS-0003"} & set(kept)
    loose = [r for r in _rows(members, "evidence") if r["observation"] == ""]
    assert len(loose) == (1 if date_to is None else 0)  # received today, after every date_to here
    assert {r["code"] for r in _rows(members, "timeline") if r["source"] == "observation"} == set(kept)
    details = json.loads(_exports(db)[0]["options"])
    assert (details["date_from"], details["date_to"]) == (
        date_from.isoformat() if date_from else None, date_to.isoformat() if date_to else None,
    )  # fmt: skip
    if date_from and date_to:
        assert f"Dates covered:   {date_from} to {date_to} (London days)" in members["README.txt"].decode()


# --- audit and the register of exports -----------------------------------------------------------


def test_an_export_is_audited_before_and_after_and_registered(db, analyst, observation_input, out):
    _rich_case(db, analyst, observation_input)
    before = db.execute("SELECT MAX(seq) FROM audit_events").fetchone()[0]
    target = out / "b.zip"
    result = _export(db, analyst, target, redact=("names",), date_from=date(2025, 1, 1))
    [start] = _events(db, "export.start")
    [complete] = _events(db, "export.complete")
    assert before < start["seq"] < complete["seq"]
    assert (start["username"], start["case_ref"], complete["item_code"]) == ("analyst", CASE, "EXP-0001")
    assert json.loads(start["details"]) == {
        "purpose": "Strategy discussion", "recipient": "Police CAIT", "redact": ["names"], "include_files": True,
        "date_from": "2025-01-01", "date_to": None, "conditional_records": False,
    }  # fmt: skip
    done = json.loads(complete["details"])
    digest = _sha(target.read_bytes())
    assert (done["sha256"], done["size"], done["files"]) == (digest, target.stat().st_size, result.files)
    assert (done["purpose"], done["recipient"]) == ("Strategy discussion", "Police CAIT")
    [row] = _exports(db)
    assert (row["code"], row["exported_by"], row["purpose"], row["recipient"]) == (
        "EXP-0001", analyst.id, "Strategy discussion", "Police CAIT",
    )  # fmt: skip
    assert (row["file_name"], row["sha256"], row["size"], row["files"]) == ("b.zip", digest, result.size, result.files)
    assert row["conditions_met"] == "" and ISO_UTC.match(row["exported_at"])
    assert result.sha256 == digest


def test_list_exports_is_newest_first_and_audited(db, analyst, reviewer, out):
    first = _export(db, analyst, out / "one.zip")
    second = export_case(db, analyst, CASE, out / "two.zip", ExportOptions("Court bundle", "Family court"))
    frame = list_exports(db, analyst, CASE)
    assert frame["code"].tolist() == ["EXP-0002", "EXP-0001"]
    assert frame["file_name"].tolist() == ["two.zip", "one.zip"]
    assert frame["sha256"].tolist() == [second.sha256, first.sha256]
    assert frame["sha256"].tolist() == [_sha((out / n).read_bytes()) for n in ("two.zip", "one.zip")]
    assert frame["purpose"].tolist() == ["Court bundle", "Strategy discussion"]
    assert frame["recipient"].tolist() == ["Family court", "Police CAIT"]
    assert set(frame["exported_by"]) == {"analyst"}
    [listed] = _events(db, "export.list")
    assert (listed["username"], listed["case_ref"], json.loads(listed["details"])) == ("analyst", CASE, {"rows": 2})


def test_list_exports_of_a_case_without_any_is_empty_with_the_columns(db, analyst):
    frame = list_exports(db, analyst, CASE)
    assert frame.empty and {"code", "sha256", "exported_at", "purpose", "recipient"} <= set(frame.columns)
    assert len(_events(db, "export.list")) == 1


# --- the same state, the same CSV ----------------------------------------------------------------


def test_the_same_case_state_gives_byte_identical_csvs(db, analyst, observation_input, out):
    _rich_case(db, analyst, observation_input)
    one = _members(_export(db, analyst, out / "one.zip").path)
    two = _members(_export(db, analyst, out / "two.zip").path)
    assert set(one) == set(two)
    for name in one:
        if name in ("audit.csv", "README.txt", "datapackage.json", "SHA256SUMS"):
            continue  # each export's own event and time
        assert one[name] == two[name], name
    assert one["audit.csv"] != two["audit.csv"]
    assert _rows(two, "audit")[: len(_rows(one, "audit"))] == _rows(one, "audit")


def test_a_change_to_the_case_changes_the_csv(db, analyst, observation_input, out):
    """The control for the test above: the comparison does see a change."""
    _rich_case(db, analyst, observation_input)
    one = _members(_export(db, analyst, out / "one.zip").path)
    actions.add_action(db, analyst, CASE, {"kind": "dsl_informed", "note": "DSL told"})
    two = _members(_export(db, analyst, out / "two.zip").path)
    assert one["actions.csv"] != two["actions.csv"] and one["observations.csv"] == two["observations.csv"]


# --- bad input, failures and refusals leave nothing ----------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "target", "field"),
    [
        ({"purpose": ""}, "b.zip", "purpose"),
        ({"purpose": "   "}, "b.zip", "purpose"),
        ({"recipient": ""}, "b.zip", "recipient"),
        ({"recipient": "Police\nCAIT"}, "b.zip", "recipient"),
        ({"redact": ("names", "faces")}, "b.zip", "redact"),
        ({"date_from": date(2025, 7, 2), "date_to": date(2025, 7, 1)}, "b.zip", "date_to"),
        ({}, "b.txt", "out"),
        ({}, "b", "out"),
        ({}, "missing/b.zip", "out"),
        ({}, "folder.zip", "out"),
    ],
)
def test_bad_input_is_refused_by_name_and_writes_nothing(db, analyst, out, counts, overrides, target, field):
    (out / "folder.zip").mkdir()
    before, listing = counts(), _folder(out)
    with pytest.raises(ValidationError) as refused:
        _export(db, analyst, out / target, **overrides)
    assert field in refused.value.errors
    assert counts() == before and _folder(out) == listing
    assert not (out / "missing").exists()
    assert not _exports(db) and not _events(db, "export.start")


def test_every_bad_field_is_named_at_once(db, analyst, out):
    with pytest.raises(ValidationError) as refused:
        _export(db, analyst, out / "b.csv", purpose="", recipient="", redact=("faces",))
    assert set(refused.value.errors) == {"purpose", "recipient", "redact", "out"}


def test_an_existing_target_is_refused_without_force_and_replaced_with_it(db, analyst, observation_input, out):
    observations.record(db, analyst, CASE, observation_input())
    target = out / "b.zip"
    target.write_bytes(b"an earlier bundle")
    with pytest.raises(ValidationError) as refused:
        _export(db, analyst, target)
    assert "out" in refused.value.errors
    assert target.read_bytes() == b"an earlier bundle"
    assert _folder(out) == ["b.zip"] and not _exports(db)
    result = _export(db, analyst, target, force=True)
    assert _sha(target.read_bytes()) == result.sha256 and zipfile.is_zipfile(target)
    assert _folder(out) == ["b.zip"]
    assert [r["sha256"] for r in _exports(db)] == [result.sha256]


def test_a_missing_evidence_file_fails_the_export_and_leaves_nothing(db, analyst, observation_input, out):
    observations.record(db, analyst, CASE, observation_input())
    code = _add(db, analyst, "a.png", files.png((30, 30), colour="green"), observation="OBS-0001")
    _add(db, analyst, "b.jpg", _plain_jpeg(9), observation="OBS-0001")
    _original(db, evidence.view(db, analyst, CASE, code).sha256).unlink()
    with pytest.raises(Conflict, match=f"{code}'s file is missing"):
        _export(db, analyst, out / "b.zip")
    assert _folder(out) == []
    assert not _exports(db) and not _events(db, "export.complete")


def test_an_altered_evidence_file_fails_the_export_and_leaves_nothing(db, analyst, observation_input, out):
    observations.record(db, analyst, CASE, observation_input())
    code = _add(db, analyst, "a.png", files.png((30, 30), colour="green"), observation="OBS-0001")
    path = _original(db, evidence.view(db, analyst, CASE, code).sha256)
    path.chmod(0o644)
    path.write_bytes(files.png((30, 30), colour="red"))
    with pytest.raises(Conflict, match="no longer matches its SHA-256"):
        _export(db, analyst, out / "b.zip")
    assert _folder(out) == []
    assert not _exports(db) and not _events(db, "export.complete")


def test_a_failure_part_way_keeps_the_file_it_was_to_replace(db, analyst, observation_input, out):
    observations.record(db, analyst, CASE, observation_input())
    code = _add(db, analyst, "a.png", files.png((30, 30), colour="green"), observation="OBS-0001")
    target = out / "b.zip"
    target.write_bytes(b"the bundle sent last week")
    _original(db, evidence.view(db, analyst, CASE, code).sha256).unlink()
    with pytest.raises(Conflict):
        _export(db, analyst, target, force=True)
    assert target.read_bytes() == b"the bundle sent last week"
    assert _folder(out) == ["b.zip"] and not _exports(db)


class _Interrupted(BaseException):
    pass


def test_an_interruption_while_writing_leaves_no_partial_file(db, analyst, observation_input, out):
    observations.record(db, analyst, CASE, observation_input())
    _add(db, analyst, "a.png", files.png((30, 30), colour="green"), observation="OBS-0001")
    seen = []

    def progress(fraction: float, message: str) -> None:
        seen.append(message)
        if message.startswith("Adding"):
            assert [p.name for p in out.iterdir() if p.name.endswith(".partial")]  # it was writing
            raise _Interrupted

    with pytest.raises(_Interrupted):
        export_case(db, analyst, CASE, out / "b.zip", _options(), progress=progress)
    assert seen[-1] == "Adding EV-0001"
    assert _folder(out) == [] and not _exports(db)


def test_a_file_that_appears_at_the_target_while_writing_is_kept(db, analyst, observation_input, out):
    observations.record(db, analyst, CASE, observation_input())
    target = out / "b.zip"

    def progress(fraction: float, message: str) -> None:
        if message == "Writing audit.csv":
            target.write_bytes(b"someone else's file")

    with pytest.raises(Conflict):
        export_case(db, analyst, CASE, target, _options(), progress=progress)
    assert target.read_bytes() == b"someone else's file"
    assert _folder(out) == ["b.zip"] and not _exports(db)


def test_progress_runs_from_reading_to_done(db, analyst, observation_input, out):
    observations.record(db, analyst, CASE, observation_input())
    _add(db, analyst, "a.png", files.png((30, 30), colour="green"), observation="OBS-0001")
    seen = []
    export_case(db, analyst, CASE, out / "b.zip", _options(), progress=lambda f, m: seen.append((f, m)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert seen[0][1] == "Reading the case" and seen[-1][1] == "Done"
    assert "Adding EV-0001" in [m for _, m in seen]


@pytest.mark.parametrize("who", ["reviewer", "analyst2"])
def test_only_the_lead_may_export(db, analyst, analyst2, reviewer, observation_input, out, counts, who):
    observations.record(db, analyst, CASE, observation_input())
    if who == "analyst2":
        cases.add_member(db, SYSTEM, CASE, "analyst2", "analyst")
    actor = {"reviewer": reviewer, "analyst2": analyst2}[who]
    before = counts()
    with pytest.raises(PermissionDenied):
        _export(db, actor, out / "b.zip")
    assert counts() == before and _folder(out) == []
    assert not _events(db, "export.start")


def test_a_non_member_is_told_the_case_does_not_exist(db, analyst2, admin, out, counts):
    before = counts()
    for actor in (analyst2, admin):
        with pytest.raises(NotFound):
            _export(db, actor, out / "b.zip")
    assert counts() == before and _folder(out) == []


def test_the_evidence_files_in_the_bundle_open_as_images(db, analyst, observation_input, out):
    items = _rich_case(db, analyst, observation_input)
    _export(db, analyst, out / "b.zip")
    members = _members(out / "b.zip")
    for code in (items["png"], items["gps"]):
        row = _by_code(_rows(members, "evidence"))[code]
        with Image.open(io.BytesIO(members[row["file"]])) as image:
            assert image.size == (int(row["width"]), int(row["height"]))


# --- immediate risk: when marked, when the police were told ----------------------------------------


def test_an_item_at_immediate_risk_says_when_it_was_marked_and_when_the_police_were_told(
    db, analyst, observation_input, out
):
    risky = observations.record(
        db, analyst, CASE, observation_input(immediate_risk=True, observed_at="2025-07-14 09:15")
    ).code
    calm = observations.record(db, analyst, CASE, observation_input(observed_at="2025-07-14 09:20")).code
    actions.add_action(
        db, analyst, CASE,
        {"kind": "police_informed", "observation": risky, "done_at": "2025-07-14 10:40", "done_by": "DC Example",
         "reference": "LOG-4471"},
    )  # fmt: skip
    _export(db, analyst, out / "b.zip")
    rows = {r["code"]: r for r in _rows(_members(out / "b.zip"), "observations")}
    police = ("risk_marked_at", "police_informed_at", "police_informed_by", "police_reference", "police_action",
              "minutes_to_police")  # fmt: skip
    # 09:15 and 10:40 in London in July are 08:15 and 09:40 UTC: 85 minutes.
    assert [rows[risky][c] for c in police] == [
        "2025-07-14T08:15:00Z", "2025-07-14T09:40:00Z", "DC Example", "LOG-4471", "ACT-0001", "85",
    ]  # fmt: skip
    assert [rows[calm][c] for c in police] == [""] * 6


def test_an_item_the_police_were_not_told_of_says_so_by_leaving_it_empty(db, analyst, observation_input, out):
    risky = observations.record(
        db, analyst, CASE, observation_input(immediate_risk=True, observed_at="2025-07-14 09:15")
    ).code
    _export(db, analyst, out / "b.zip")
    [row] = _rows(_members(out / "b.zip"), "observations")
    assert row["code"] == risky and row["risk_marked_at"] == "2025-07-14T08:15:00Z"
    assert row["police_informed_at"] == row["police_action"] == row["minutes_to_police"] == ""


def test_the_bundle_carries_the_authorisations_and_flags_what_none_covered(db, analyst, observation_input, out):
    authorisations.retract_authorisation(db, analyst, CASE, "AUTH-0001", "recorded against the wrong case")
    flagged = observations.record(db, analyst, CASE, observation_input(unauthorised_reason="Seen on a welfare visit"))
    authorisations.add_authorisation(
        db, analyst, CASE,
        {"purpose": "s.47 enquiry", "lawful_basis": "Children Act 1989 s.47", "authorised_by": "Team manager",
         "review_date": "2099-01-01", "platforms": "TikTok"},
    )  # fmt: skip
    target = out / "bundle.zip"
    _export(db, analyst, target)
    members = _members(target)
    rows = {r["code"]: r for r in _rows(members, "observations")}
    assert rows[flagged.code]["recorded_without_authorisation"] == "true"
    assert rows[flagged.code]["unauthorised_reason"] == "Seen on a welfare visit"
    granted = {r["code"]: r for r in _rows(members, "authorisations")}
    assert set(granted) == {"AUTH-0001", "AUTH-0002"}
    assert (granted["AUTH-0001"]["retracted"], granted["AUTH-0002"]["scope"]) == ("true", "TikTok")
