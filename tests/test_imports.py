"""Whole-or-nothing CSV imports of observations: every row is checked before anything is written."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re

import pytest

from workbench import imports, observations
from workbench.errors import NotFound, PermissionDenied, ValidationError
from workbench.imports import ImportRejected

COLUMNS = [
    "kind", "indicator", "summary", "details", "source_type", "source_grade", "information_grade",
    "handling_code", "observed_at", "occurred_at", "immediate_risk",
]  # fmt: skip
LINE = re.compile(r"^row (\d+): ([\w.]+): (.+)$")


def _row(n: int = 0, **overrides) -> dict:
    row = {
        "kind": "profile_indicator",
        "indicator": "stated_age",
        "summary": f"Observation number {n}",
        "details": json.dumps({"profile_element": "bio", "stated_age": 19}),
        "source_type": "analyst_viewed",
        "source_grade": "2",
        "information_grade": "B",
        "handling_code": "P",
        "observed_at": "2025-03-14 10:30",
        "occurred_at": "2025-03",
        "immediate_risk": "false",
    }
    row.update(overrides)
    return row


def _csv(rows: list[dict], columns: list[str] = COLUMNS) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    return buffer.getvalue().encode("utf-8")


def _import(db, actor, data, **kwargs):
    return observations.import_csv(db, actor, "CASE-1", data, **kwargs)


def _rejected(db, actor, data, counts, **kwargs) -> list[str]:
    """Import, expect refusal with nothing written; return the lines shown to the user."""
    before = counts()
    with pytest.raises(ImportRejected) as raised:
        _import(db, actor, data, **kwargs)
    assert counts() == before
    return raised.value.lines()


# --- good files ----------------------------------------------------------------------------------


def test_a_good_file_imports_every_row_in_one_go(db, analyst, counts):
    before = counts()
    result = _import(db, analyst, _csv([_row(n) for n in range(10)]))
    assert result.count == 10
    assert result.codes == [f"OBS-{n:04d}" for n in range(1, 11)]
    after = counts()
    assert after["observations"] - before["observations"] == 10
    assert after["observation_versions"] - before["observation_versions"] == 10
    assert after["audit_events"] - before["audit_events"] == 1
    listed = observations.list_observations(db, analyst, "CASE-1")
    assert listed["summary"].tolist() == [f"Observation number {n}" for n in range(10)]
    assert set(listed["occurred_precision"]) == {"month"}


def test_optional_columns_may_be_left_out(db, analyst):
    columns = [*observations.REQUIRED_IMPORT_COLUMNS, "details"]
    row = _row(1, kind="general_note", indicator="note", details='{"note": "n"}')
    result = _import(db, analyst, _csv([row], columns))
    assert result.count == 1
    stored = observations.view(db, analyst, "CASE-1", "OBS-0001").current
    assert (stored.kind, stored.details, stored.visibility) == ("general_note", {"note": "n"}, "public")
    assert stored.occurred.precision == "unknown"


def test_a_byte_order_mark_is_accepted(db, analyst):
    assert _import(db, analyst, b"\xef\xbb\xbf" + _csv([_row(1), _row(2)])).count == 2


def test_windows_line_endings_are_accepted(db, analyst):
    data = _csv([_row(1), _row(2)]).replace(b"\n", b"\r\n")
    assert _import(db, analyst, data).count == 2


def test_text_as_well_as_bytes_is_accepted(db, analyst):
    assert _import(db, analyst, _csv([_row(1)]).decode()).count == 1


def test_a_quoted_cell_may_hold_commas_quotes_and_newlines(db, analyst):
    summary = 'He wrote "see you, soon"\non two lines'
    _import(db, analyst, _csv([_row(summary=summary)]))
    assert observations.list_observations(db, analyst, "CASE-1")["summary"].tolist() == [summary]


def test_a_row_with_fewer_cells_leaves_the_rest_empty(db, analyst):
    short = 'profile_indicator,other,Short row,"{""profile_element"": ""bio""}",analyst_viewed,3,C,C\n'
    data = _csv([_row(1)]) + short.encode()
    result = _import(db, analyst, data)
    assert result.count == 2
    stored = observations.view(db, analyst, "CASE-1", "OBS-0002").current
    assert (stored.summary, stored.source_grade, stored.immediate_risk) == ("Short row", "3", False)
    assert stored.occurred.precision == "unknown"


def test_blank_lines_are_skipped(db, analyst):
    data = _csv([_row(1)]) + b"\n,,,,\n" + _csv([_row(2)]).split(b"\n", 1)[1]
    assert _import(db, analyst, data).count == 2


def test_exactly_max_rows_is_accepted(db, analyst):
    assert _import(db, analyst, _csv([_row(n) for n in range(3)]), max_rows=3).count == 3


def test_the_import_event_records_the_files_sha256(db, analyst):
    data = _csv([_row(1)])
    _import(db, analyst, data)
    event = next(db.query("SELECT details FROM audit_events ORDER BY seq DESC LIMIT 1"))
    assert json.loads(event["details"])["file_sha256"] == hashlib.sha256(data).hexdigest()


def test_the_import_event_records_the_sha256_of_the_bytes_received_even_with_a_bom(db, analyst):
    data = b"\xef\xbb\xbf" + _csv([_row(1)])
    _import(db, analyst, data)
    event = next(db.query("SELECT details FROM audit_events ORDER BY seq DESC LIMIT 1"))
    assert json.loads(event["details"])["file_sha256"] == hashlib.sha256(data).hexdigest()


# --- bad rows ------------------------------------------------------------------------------------


def test_three_bad_rows_out_of_ten_refuse_the_file_naming_each_row(db, analyst, counts):
    rows = [_row(n) for n in range(10)]
    rows[2]["source_grade"] = "9"  # row 4 in a spreadsheet (the header is row 1)
    rows[5]["summary"] = ""  # row 7
    rows[8]["details"] = json.dumps({"profile_element": "bio", "stated_age": 19, "eye_colour": "blue"})  # row 10
    lines = _rejected(db, analyst, _csv(rows), counts)
    assert len(lines) == 3
    parsed = [LINE.match(line) for line in lines]
    assert all(parsed), lines
    assert [(int(m.group(1)), m.group(2)) for m in parsed] == [
        (4, "source_grade"), (7, "summary"), (10, "details.eye_colour"),
    ]  # fmt: skip
    assert "must be one of: 1, 2, 3" in lines[0]
    assert "is required" in lines[1]
    assert "is not a field of this kind" in lines[2]


def test_a_row_with_several_bad_fields_is_one_line(db, analyst, counts):
    lines = _rejected(db, analyst, _csv([_row(1), _row(2, source_grade="9", handling_code="Z")]), counts)
    assert lines == ["row 3: source_grade: must be one of: 1, 2, 3; handling_code: must be one of: P, C"]


def test_an_import_rejection_is_a_validation_error(db, analyst):
    with pytest.raises(ValidationError) as raised:
        _import(db, analyst, _csv([_row(1, summary="")]))
    assert raised.value.errors == {"row 2": "summary: is required"}


def test_a_row_numbering_counts_blank_lines_as_a_spreadsheet_does(db, analyst, counts):
    data = _csv([_row(1)]) + b"\n" + _csv([_row(2, source_grade="9")]).split(b"\n", 1)[1]
    assert [line.split(":")[0] for line in _rejected(db, analyst, data, counts)] == ["row 4"]


# --- bad files -----------------------------------------------------------------------------------


def test_an_unknown_column_is_refused(db, analyst, counts):
    lines = _rejected(db, analyst, _csv([_row(1)], [*COLUMNS, "colour"]), counts)
    assert len(lines) == 1
    assert lines[0].startswith("row 1: columns: unknown column 'colour' (the columns are: kind, five_c")


def test_every_header_problem_is_named_at_once(db, analyst, counts):
    columns = [c for c in COLUMNS if c != "handling_code"] + ["colour"]
    (line,) = _rejected(db, analyst, _csv([_row(1)], columns), counts)
    assert "unknown column 'colour'" in line
    assert "missing required column 'handling_code'" in line


def test_a_missing_required_column_is_refused(db, analyst, counts):
    columns = [c for c in COLUMNS if c != "handling_code"]
    assert _rejected(db, analyst, _csv([_row(1)], columns), counts) == [
        "row 1: columns: missing required column 'handling_code'"
    ]


def test_a_duplicated_column_is_refused(db, analyst, counts):
    assert _rejected(db, analyst, _csv([_row(1)], [*COLUMNS, "summary"]), counts) == [
        "row 1: columns: column 'summary' appears twice"
    ]


def test_bytes_that_are_not_utf8_are_refused(db, analyst, counts):
    data = _csv([_row(1, summary="Zoë")]).decode().encode("latin-1")
    lines = _rejected(db, analyst, data, counts)
    assert len(lines) == 1
    assert lines[0].startswith("file: encoding: is not UTF-8 text (byte ")


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\n\n", b" , ,\n"], ids=["empty", "bom-only", "newlines",
                                                                                 "blank-header"])  # fmt: skip
def test_an_empty_file_is_refused(db, analyst, counts, data):
    assert _rejected(db, analyst, data, counts) == ["file: header: is missing; the first row must name the columns"]


def test_a_header_without_rows_is_refused(db, analyst, counts):
    assert _rejected(db, analyst, _csv([]), counts) == ["file: rows: has no rows below the header"]


def test_a_row_with_too_many_cells_is_refused(db, analyst, counts):
    data = _csv([_row(1)]) + _csv([_row(2)]).split(b"\n", 1)[1].replace(b"\n", b",extra\n")
    assert _rejected(db, analyst, data, counts) == [
        f"row 3: cells: has {len(COLUMNS) + 1} cells but the header names {len(COLUMNS)}"
    ]


def test_more_than_max_rows_is_refused(db, analyst, counts):
    lines = _rejected(db, analyst, _csv([_row(n) for n in range(4)]), counts, max_rows=3)
    assert lines == ["file: rows: has more than 3 rows (blank ones included); split it"]


def test_a_file_of_blank_rows_is_refused_without_reading_it_all(db, analyst, counts):
    """Forty megabytes of empty lines or bare commas stop at the row limit, not at the end of the file."""
    header = _csv([]).split(b"\n", 1)[0] + b"\n"
    for filler in (b"\n", b",,,,\r\n"):
        data = header + filler * (40 * 1024 * 1024 // len(filler))
        lines = _rejected(db, analyst, data, counts, max_rows=1000)
        assert lines == ["file: rows: has more than 1000 rows (blank ones included); split it"]


def test_a_few_blank_rows_among_the_rows_are_skipped(db, analyst):
    data = _csv([_row(1)]) + b"\n,,,\n" + _csv([_row(2)]).split(b"\n", 1)[1]
    result = observations.import_csv(db, analyst, "CASE-1", data, max_rows=10)
    assert result.count == 2


def test_malformed_quoting_is_refused_at_its_row(db, analyst, counts):
    data = _csv([_row(1)]) + b'profile_indicator,other,"broken"quote,{},analyst_viewed,2,B,P\n'
    lines = _rejected(db, analyst, data, counts)
    assert len(lines) == 1
    assert lines[0].startswith("row 3: csv: is not valid CSV")


def test_a_file_over_the_size_limit_is_refused_before_reading():
    with pytest.raises(ImportRejected) as raised:
        imports.decode(b"x" * (imports.MAX_IMPORT_BYTES + 1))
    assert raised.value.lines() == ["file: size: is over 50 MB"]


# --- who may -------------------------------------------------------------------------------------


def test_a_reviewer_cannot_import(db, reviewer, counts):
    before = counts()
    with pytest.raises(PermissionDenied):
        _import(db, reviewer, _csv([_row(1)]))
    assert counts() == before


def test_a_non_member_gets_not_found_before_the_file_is_read(db, analyst2, counts):
    before = counts()
    with pytest.raises(NotFound):
        _import(db, analyst2, b"\xff\xfe not even utf-8")
    assert counts() == before


# --- the module on its own -----------------------------------------------------------------------


def test_read_rows_gives_spreadsheet_row_numbers_and_cells():
    rows = imports.read_rows(b"a,b\n1,2\n\n3\n", allowed=["a", "b"], required=["a"], max_rows=10)
    assert rows == [(2, {"a": "1", "b": "2"}), (4, {"a": "3", "b": ""})]


def test_check_all_names_every_bad_row():
    def normalise(cells):
        if cells["a"] == "bad":
            raise ValidationError({"a": "is bad"})
        return cells

    with pytest.raises(ImportRejected) as raised:
        imports.check_all([(2, {"a": "bad"}), (3, {"a": "ok"}), (4, {"a": "bad"})], normalise)
    assert raised.value.lines() == ["row 2: a: is bad", "row 4: a: is bad"]
    assert imports.check_all([(2, {"a": "ok"})], normalise) == [{"a": "ok"}]
