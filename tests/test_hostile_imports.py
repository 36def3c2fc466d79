"""Hostile input, generated: the observation import, the fact import and the evidence intake take
whatever a file or an upload can hold and either store it exactly (after the documented strip) or
refuse it with their own error, storing nothing. No other exception may escape.

Hypothesis drives every test here; each example checks the database before and after itself, since
the `db` fixture is made once per test, not per example.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFile

from tests import evidence_files as files
from tests.conftest import CASE, import_row, rows_csv
from workbench import evidence, exif, facts, media, observations
from workbench.config import EvidenceLimits
from workbench.errors import ValidationError
from workbench.evidence import Upload
from workbench.imports import ImportRejected

# Damaged images make Pillow warn while it reads them; the workbench's answer is what is tested.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:PIL")
HYPOTHESIS = settings(
    max_examples=60,
    deadline=None,
    database=None,  # nothing written into the tree
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
LIMITS = EvidenceLimits(max_bytes=5 * 1024 * 1024, max_pixels=10_000_000)
CONFIRMED = {"confirmed_no_indecent_image": True}

# --- strategies ------------------------------------------------------------------------------------

# Pieces that break CSV, spreadsheets, Markdown, HTML, SQL or terminals, mixed with any text.
PIECES = (
    "=", "+", "-", "@", "\t", "\r", "\n", "\r\n", '"', '""', ",", ";", "'", "\\", "\x00", "\x01", "\x1b[31m",
    "\x7f", "\u0085", "\u2028", "\ufeff", "\u202e", "\u200d", "\u200b", " ", "\u00a0", "**x**",
    "[l](javascript:alert(1))", "<script>alert(1)</script>", "`code`", "# heading", "'; DROP TABLE observations;--",
    "=HYPERLINK(\"http://example.invalid\")", "😀", "👩‍👩‍👧", "𝕏", "漢字", "ﷺ", "NaN", "None", "null", "{}", "[]",
)  # fmt: skip
ANY_CHAR = st.characters(codec="utf-8")  # every code point a UTF-8 file can carry (no lone surrogates)
hostile_text = st.lists(st.one_of(st.sampled_from(PIECES), st.text(ANY_CHAR, max_size=12)), max_size=10).map("".join)
long_text = st.builds(lambda piece, n: piece * n, st.sampled_from(["x", "=", '"', "\x00", "é", "\r\n", ","]),
                      st.integers(900, 140_000))  # fmt: skip
cell_text = st.one_of(hostile_text, hostile_text, hostile_text, long_text)

OBSERVATION_HEADER = ",".join(observations.INPUT_FIELDS)
FACT_HEADER = ",".join(facts.INPUT_FIELDS)


def _with_one_long(text: str, long: str, at: int) -> str:
    return text[: at % (len(text) + 1)] + long + text[at % (len(text) + 1) :]


def csvish(header: str) -> st.SearchStrategy[str]:
    """Text shaped a little like CSV: maybe a valid header, then lines of hostile cells, and at most
    one very long run somewhere (one is enough to reach the csv module's field limit; more only
    makes the file slower to read)."""
    line = st.lists(hostile_text, max_size=30).map(lambda cells: ",".join(cells))
    body = st.lists(line, max_size=6).flatmap(
        lambda lines: st.sampled_from(["\n", "\r\n", "\r"]).map(lambda end: end.join(lines))
    )
    start = st.sampled_from(["", header + "\n", header + "\r\n", "\ufeff" + header + "\n", header + ",extra\n"])
    long = st.one_of(st.just(""), long_text)
    return st.builds(lambda a, b, c, at: a + _with_one_long(b, c, at), start, body, long, st.integers(0, 1 << 20))


def as_data(text: st.SearchStrategy[str]) -> st.SearchStrategy[bytes | str]:
    """The text as a file would bring it (UTF-8, with or without a BOM, or UTF-16), or as a string."""
    return st.one_of(
        text.map(lambda t: t.encode("utf-8")),
        text.map(lambda t: t.encode("utf-8-sig")),
        text.map(lambda t: t.encode("utf-16")),
        text,
    )


def columns_and_rows(fields: tuple[str, ...]):
    """A header of known, unknown, duplicated and blank names, and rows of hostile cells (one of
    them maybe very long): written properly with the csv module, so the parsing is right and only
    the content is hostile."""
    name = st.one_of(
        st.sampled_from(fields), st.sampled_from(["", " kind ", "KIND", "bogus", "summary", "details"]), hostile_text
    )
    header = st.lists(name, min_size=1, max_size=40)
    rows = header.flatmap(
        lambda names: st.tuples(
            st.just(names), st.lists(st.lists(hostile_text, max_size=len(names) + 2), min_size=0, max_size=4)
        )
    )
    return st.builds(_long_cell, rows, st.one_of(st.none(), long_text), st.integers(0, 1 << 20))


def _long_cell(shape, long: str | None, at: int):
    names, rows = shape
    cells = [(r, c) for r, row in enumerate(rows) for c in range(len(row))]
    if long is not None and cells:
        r, c = cells[at % len(cells)]
        rows[r][c] = long
    return names, rows


def written(header: list[str], rows: list[list[str]], terminator: str = "\r\n") -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator=terminator)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def text_rule(value: str, *, required: bool, max_length: int, single_line: bool = False) -> str | None:
    """The documented rule for a text field (workbench/fields.py `text`): stripped, then refused
    when empty and required, longer than allowed, or (one-line fields) holding a control
    character. The stored value, or None when refused. Written out here, not called, so that the
    test does not take the code's word for it."""
    stripped = value.strip()
    if required and not stripped:
        return None
    if len(stripped) > max_length:
        return None
    if single_line and any(unicodedata.category(ch) == "Cc" for ch in stripped):
        return None
    return stripped


# --- helpers -----------------------------------------------------------------------------------------


def _refused_or_stored(call, counts):
    """Run an import: refused with ImportRejected and nothing stored, or stored. Any other exception
    fails the test. Returns the result, or None when refused."""
    before = counts()
    try:
        result = call()
    except ImportRejected as e:
        event("refused")
        assert counts() == before
        assert e.row_errors and all(isinstance(v, dict) and v for v in e.row_errors.values())
        assert all(isinstance(line, str) and line for line in e.lines())
        return None
    event("stored")
    return result


def _observation_rows(db, codes: list[str]) -> list[dict]:
    marks = ", ".join("?" * len(codes))
    return [
        dict(r)
        for r in db.query(
            f"""SELECT o.code, v.summary, v.details, v.url FROM observations o
                JOIN observation_versions v ON v.observation_id = o.id WHERE o.code IN ({marks})
                ORDER BY o.id""",  # noqa: S608
            codes,
        )
    ]


# --- the observation import -------------------------------------------------------------------------


@HYPOTHESIS
@given(data=st.binary(max_size=4096))
def test_any_bytes_as_an_observation_file_are_refused_cleanly(db, analyst, counts, data):
    _refused_or_stored(lambda: observations.import_csv(db, analyst, CASE, data), counts)


@HYPOTHESIS
@given(data=as_data(csvish(OBSERVATION_HEADER)))
def test_csvish_text_as_an_observation_file_is_refused_or_stored(db, analyst, counts, data):
    before = counts()
    result = _refused_or_stored(lambda: observations.import_csv(db, analyst, CASE, data), counts)
    if result is not None:
        assert counts()["observations"] == before["observations"] + result.count


@HYPOTHESIS
@given(shape=columns_and_rows(observations.INPUT_FIELDS))
def test_any_columns_and_cells_in_an_observation_file(db, analyst, counts, shape):
    header, rows = shape
    data = written(header, rows)
    before = counts()
    result = _refused_or_stored(lambda: observations.import_csv(db, analyst, CASE, data), counts)
    if result is None:
        return
    # Only a header naming known columns once each can pass, and every row then is stored.
    stripped = [h.strip() for h in header]
    assert len(set(stripped)) == len(stripped) and set(stripped) <= set(observations.INPUT_FIELDS)
    assert counts()["observations"] == before["observations"] + result.count
    stored = _observation_rows(db, result.codes)
    given_rows = [dict(zip(stripped, r + [""] * (len(stripped) - len(r)), strict=True)) for r in rows]
    given_rows = [r for r in given_rows if any(v.strip() for v in r.values())]
    assert [s["summary"] for s in stored] == [r["summary"].strip() for r in given_rows]


@HYPOTHESIS
@given(summary=cell_text, description=cell_text, display_name=hostile_text, url_tail=hostile_text)
@example(summary="=1+1", description="**x** <b>", display_name="@x", url_tail='p?q="a",b')
@example(summary="  line one\r\nline two\x00 ", description="\u202e\u200d", display_name="", url_tail="")
@example(summary="x" * 1000, description="y" * 4000, display_name="z" * 200, url_tail="a" * 1970)
def test_valid_observation_rows_with_hostile_text_round_trip(
    db, analyst, observation_input, counts, summary, description, display_name, url_tail
):
    url = "https://example.invalid/" + url_tail
    details = {"profile_element": "bio", "stated_age": 19, "description": description, "display_name": display_name}
    rows = [
        import_row(observation_input, summary=summary, details=details, url=url),
        import_row(observation_input, summary="A plain second row", url=""),
    ]
    expected_summary = text_rule(summary, required=True, max_length=observations.MAX_SUMMARY)
    expected_description = text_rule(description, required=False, max_length=4000)
    expected_name = text_rule(display_name, required=False, max_length=200)
    expected_url = text_rule(url, required=False, max_length=2000, single_line=True)
    if expected_url is not None and " " in expected_url:
        expected_url = None  # a web address has no spaces
    acceptable = None not in (expected_summary, expected_description, expected_name, expected_url)

    before = counts()
    result = _refused_or_stored(lambda: observations.import_csv(db, analyst, CASE, rows_csv(rows)), counts)
    assert (result is not None) == acceptable, (summary, description, display_name, url)
    if result is None:
        return
    assert result.count == 2 and counts()["observations"] == before["observations"] + 2
    first = observations.view(db, analyst, CASE, result.codes[0]).current
    assert first.summary == expected_summary
    assert first.details.get("description", "") == expected_description
    assert first.details.get("display_name", "") == expected_name
    assert first.url == expected_url
    # Stored as given: the JSON in the database reads back to the same dict.
    [stored, _] = _observation_rows(db, result.codes)
    assert json.loads(stored["details"]) == first.details


@HYPOTHESIS
@given(field=st.sampled_from(["summary", "details", "url", "account", "person", "observed_at", "occurred_at",
                              "occurred_precision", "kind", "indicator", "source_grade", "immediate_risk",
                              "repeat_viewing_reference", "unauthorised_reason", "visibility", "five_c"]),
       value=cell_text)  # fmt: skip
def test_any_value_in_one_column_of_a_valid_row(db, analyst, observation_input, counts, field, value):
    row = import_row(observation_input)
    row[field] = value  # the cell as the file holds it (details too: raw text, not JSON-encoded)
    _refused_or_stored(lambda: observations.import_csv(db, analyst, CASE, rows_csv([row])), counts)


@pytest.mark.parametrize("details", ["[" * 100_000, '{"a":' * 20_000])
def test_deeply_nested_details_json_is_refused_as_a_row_error(db, analyst, observation_input, counts, details):
    row = import_row(observation_input)
    row["details"] = details
    before = counts()
    with pytest.raises(ImportRejected) as raised:
        observations.import_csv(db, analyst, CASE, rows_csv([row]))
    assert "details" in raised.value.row_errors["row 2"]
    assert counts() == before


def test_deeply_nested_details_json_is_refused_when_recording(db, analyst, observation_input, counts):
    before = counts()
    with pytest.raises(ValidationError) as raised:
        observations.record(db, analyst, CASE, observation_input(details="[" * 100_000))
    assert "details" in raised.value.errors
    assert counts() == before


# --- the fact import ---------------------------------------------------------------------------------


@HYPOTHESIS
@given(data=st.binary(max_size=4096))
def test_any_bytes_as_a_fact_file_are_refused_cleanly(db, analyst, counts, data):
    _refused_or_stored(lambda: facts.import_csv(db, analyst, CASE, data), counts)


@HYPOTHESIS
@given(data=as_data(csvish(FACT_HEADER)))
def test_csvish_text_as_a_fact_file_is_refused_or_stored(db, analyst, counts, data):
    before = counts()
    codes = _refused_or_stored(lambda: facts.import_csv(db, analyst, CASE, data), counts)
    if codes is not None:
        assert counts()["facts"] == before["facts"] + len(codes)


@HYPOTHESIS
@given(shape=columns_and_rows(facts.INPUT_FIELDS))
def test_any_columns_and_cells_in_a_fact_file(db, analyst, counts, shape):
    header, rows = shape
    before = counts()
    codes = _refused_or_stored(lambda: facts.import_csv(db, analyst, CASE, written(header, rows)), counts)
    if codes is not None:
        stripped = [h.strip() for h in header]
        assert len(set(stripped)) == len(stripped) and set(stripped) <= set(facts.INPUT_FIELDS)
        assert counts()["facts"] == before["facts"] + len(codes)


@HYPOTHESIS
@given(
    attribute=st.sampled_from(["school", "known_alias", "full_name", "home_area", "known_account", "mental_health"]),
    value=cell_text,
    source_reference=hostile_text,
    person=st.sampled_from(["P-0001", "p-0001", "Child A", " child a "]),
)
@example(attribute="full_name", value="=cmd|' /C calc'!A0", source_reference="@ref", person="P-0001")
@example(attribute="known_alias", value="\u202eevil\u200d 😀 漢字\r\n", source_reference="\x00", person="Child A")
@example(attribute="school", value="z" * 2000, source_reference="r" * 200, person="P-0001")
def test_valid_fact_rows_with_hostile_text_round_trip(db, analyst, counts, attribute, value, source_reference, person):
    row = {"person": person, "attribute": attribute, "value": value, "source_agency": "school",
           "source_reference": source_reference}  # fmt: skip
    expected_value = text_rule(value, required=True, max_length=2000)
    expected_reference = text_rule(source_reference, required=False, max_length=200)
    acceptable = None not in (expected_value, expected_reference)
    before = counts()
    codes = _refused_or_stored(lambda: facts.import_csv(db, analyst, CASE, rows_csv([row])), counts)
    assert (codes is not None) == acceptable, (value, source_reference)
    if codes is None:
        return
    assert counts()["facts"] == before["facts"] + 1
    stored = facts.view_fact(db, analyst, CASE, codes[0])
    assert stored.person == "P-0001"
    assert stored.current["value"] == expected_value
    assert stored.current["source_reference"] == expected_reference
    listed = facts.list_facts(db, analyst, CASE).set_index("code")
    assert listed.loc[codes[0], "value"] == expected_value


# --- the evidence intake -----------------------------------------------------------------------------

_SIGNATURES = (
    b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"\xff\xd8\xff\xe1", b"GIF89a", b"GIF87a", b"II*\x00", b"MM\x00*",
    b"RIFF\x00\x00\x00\x00WEBPVP8 ", b"\x00\x00\x00\x18ftypheic", b"%PDF-1.7\n", b"WARC/1.1\r\n", b"\x1f\x8b\x08",
    b"PK\x03\x04", b"<!DOCTYPE html>", b"<html>", b"\xef\xbb\xbf<html>", b"MIME-Version: 1.0\r\n", b"BM",
)  # fmt: skip
_VALID = None


def _valid_files() -> list[bytes]:
    global _VALID
    if _VALID is None:
        _VALID = [
            files.png((16, 12)), files.jpeg((16, 12)), files.jpeg_with_exif(), files.gif((16, 12)),
            files.tiff((16, 12)), files.webp((16, 12), files.exif()), files.heic((16, 16)),
        ]  # fmt: skip
    return _VALID


def _damaged(index: int, position: int, patch: bytes, cut: bool) -> bytes:
    data = _valid_files()[index % 7]
    at = position % len(data)
    return data[:at] if cut else data[:at] + patch + data[at + len(patch) :]


evidence_bytes = st.one_of(
    st.binary(max_size=4096),
    st.builds(lambda head, rest: head + rest, st.sampled_from(_SIGNATURES), st.binary(max_size=2048)),
    st.builds(_damaged, st.integers(0, 6), st.integers(0, 1 << 20), st.binary(min_size=1, max_size=16), st.booleans()),
)
HOSTILE_NAMES = (
    "../../etc/passwd", "..\\..\\Windows\\System32\\config\\SAM", "/absolute/path.png", "C:\\Users\\x\\photo.png",
    "CON", "NUL.png", "COM1.jpg", "aux.txt", "LPT9", "photo.png\x00.exe", "\u202egnp.exe", "photo\u200d.png", "",
    ".", "..", "...", ".hidden.png", "   ", "photo.png\n", "photo.png\r\nX-Header: 1", "😀.png", "a:b?c*d|e<f>g\".png",
    "<script>alert(1)</script>.png", "=cmd|' /C calc'!A0.png", "x" * 5000 + ".png", "y" * 300, "\t", "\x1b[2J.png",
)  # fmt: skip
file_names = st.one_of(st.sampled_from(HOSTILE_NAMES), hostile_text, st.text(ANY_CHAR, max_size=300))
SAFE_DOWNLOAD = re.compile(r"^EV-\d{4}-[A-Za-z0-9_.-]{1,80}\.[a-z.]{2,8}$")


@pytest.fixture
def pillow_globals(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", Image.MAX_IMAGE_PIXELS)
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", False)


def _stored_files(world) -> set[str]:
    root = world.evidence_dir
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and "incoming" not in p.parts}


def _take(db, analyst, counts, world, name: str, data: bytes) -> evidence.IntakeResult:
    before, files_before = counts(), _stored_files(world)
    [result] = evidence.add_files(db, analyst, CASE, [Upload.of_bytes(name, data)], CONFIRMED, limits=LIMITS)
    after = counts()
    event(result.status)
    if result.status == evidence.REJECTED:
        assert isinstance(result.error, str) and result.error and result.code is None
        assert {k: v for k, v in after.items() if k != "audit_events"} == {
            k: v for k, v in before.items() if k != "audit_events"
        }
        assert after["audit_events"] == before["audit_events"] + 1
        action, details = db.execute("SELECT action, details FROM audit_events ORDER BY seq DESC LIMIT 1").fetchone()
        assert action == "evidence.reject"
        assert set(json.loads(details)) == {"reason", "size", "sha256"}  # never the file's name
        assert _stored_files(world) == files_before
    else:
        assert result.status in (evidence.STORED, evidence.DUPLICATE) and result.error is None
        assert after["evidence"] == before["evidence"] + 1
    return result


def _assert_clean_name(item: evidence.EvidenceItem, given: str) -> None:
    name = item.file_name
    assert name == media.clean_file_name(given)[0]
    assert name and len(name) <= media.MAX_NAME
    assert "/" not in name and "\\" not in name and not name.startswith(".")
    assert not any(unicodedata.category(ch)[0] == "C" for ch in name)  # no control, format (RTL) or unassigned
    assert name == name.strip()
    assert SAFE_DOWNLOAD.match(item.download_name), item.download_name


@HYPOTHESIS
@given(data=evidence_bytes, name=file_names)
@example(data=b"", name="empty.png")
@example(data=b"<html><script>alert(1)</script></html>", name="../../page.html")
def test_any_bytes_under_any_name_are_refused_or_stored_cleanly(db, analyst, counts, world, pillow_globals, data, name):
    result = _take(db, analyst, counts, world, name, data)
    if result.status == evidence.REJECTED:
        return
    item = evidence.view(db, analyst, CASE, result.code)
    _assert_clean_name(item, name)
    kept, original = evidence.original(db, analyst, CASE, result.code)
    assert original == data and kept.sha256 == result.sha256


@HYPOTHESIS
@given(name=file_names)
@example(name="CON")
@example(name="..\\..\\boot.ini")
@example(name="\u202egnp.exe")
@example(name="a\x00b.png")
@example(name="x" * 10_000 + ".png")
def test_a_valid_image_under_any_name_is_stored_under_a_clean_name(db, analyst, counts, world, pillow_globals, name):
    result = _take(db, analyst, counts, world, name, files.png((16, 12)))
    assert result.status in (evidence.STORED, evidence.DUPLICATE)
    _assert_clean_name(evidence.view(db, analyst, CASE, result.code), name)


IMAGE_DESCRIPTION, ARTIST, MAKE, USER_COMMENT = 0x010E, 0x013B, 0x010F, 0x9286


@HYPOTHESIS
@given(text=st.one_of(hostile_text, long_text.map(lambda t: t[:5000])))
@example(text="=cmd|' /C calc'!A0")
@example(text="<img src=x onerror=alert(1)> **bold** [l](javascript:alert(1))")
@example(text="a\x01b\x1b[31mc\r\nd\x7f")
@example(text="+44 20 7946 0000")
def test_hostile_exif_text_is_stored_and_read_back_as_text(db, analyst, counts, world, pillow_globals, text):
    block = Image.Exif()
    block[IMAGE_DESCRIPTION] = text
    block[ARTIST] = text
    block[MAKE] = text
    block.get_ifd(0x8769)[USER_COMMENT] = b"ASCII\x00\x00\x00" + text.encode("ascii", "replace")
    data = files.jpeg((16, 12), exif_block=block)
    # What the file holds: ASCII (Pillow writes any other character as '?'), and a TIFF ASCII value
    # ends at its first NUL. The raw tags are kept stripped, up to 2,000 characters; the normalised
    # fields (camera_make) up to 200.
    in_file = text.encode("ascii", "replace").decode("ascii").split("\x00", 1)[0].strip()
    result = _take(db, analyst, counts, world, "exif.jpg", data)
    assert result.status in (evidence.STORED, evidence.DUPLICATE)
    item = evidence.view(db, analyst, CASE, result.code)
    raw = item.metadata["raw"]
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items())
    for name in ("ImageDescription", "Artist", "Make"):
        assert raw.get(f"Image {name}", "") == in_file[: exif.MAX_TAG_TEXT], name
    assert (item.metadata["camera_make"] or "") == in_file[:200]
    # The row stores JSON that reads back to the same metadata.
    stored = db.execute("SELECT metadata FROM evidence WHERE code = ?", (result.code,)).fetchone()[0]
    assert json.loads(stored) == item.metadata
