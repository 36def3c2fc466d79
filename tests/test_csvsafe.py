"""CSV that a spreadsheet cannot turn against its reader (OWASP CSV injection)."""

from __future__ import annotations

import csv
import io
import math

import pandas as pd
import pytest

from workbench.csvsafe import frame_to_csv, frame_to_csv_bytes, neutralise

BOM = b"\xef\xbb\xbf"


@pytest.mark.parametrize(
    "value",
    ["=1+1", "=cmd|' /C calc'!A0", "+44 20 7946 0000", "-2+3", "@SUM(A1:A2)", "\tTAB", "\rCR", "=", "-"],
)
def test_cells_that_could_run_as_formulas_get_a_leading_quote(value):
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize(
    "value",
    ["plain text", "", "1=1", "a-b", "a+b", "user@example.org", "'already quoted", " =1 (leading space)",
     "\nnewline first", "Zoë ✨", "\u202eRTL"],
)  # fmt: skip
def test_other_cells_are_left_alone(value):
    assert neutralise(value) == value


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, ""), (math.nan, ""), (float("nan"), ""), (5, "5"), (-5, "'-5"), (2.5, "2.5"), (True, "True")],
)
def test_non_text_values_become_text(value, expected):
    assert neutralise(value) == expected


def _parse(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.fixture
def hostile_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": ["OBS-0001", "OBS-0002", "OBS-0003"],
            "summary": ['=HYPERLINK("http://evil","x")', 'said "hi", left', "line one\nline two"],
            "handle": ["@marco", "-trap", "+plus"],
            "count": [1, -2, None],
        }
    )


def test_frame_to_csv_parses_back_to_the_neutralised_values(hostile_frame):
    rows = _parse(frame_to_csv(hostile_frame))
    assert rows[0] == ["code", "summary", "handle", "count"]
    expected = [[neutralise(v) for v in row] for row in hostile_frame.itertuples(index=False, name=None)]
    assert rows[1:] == expected
    assert rows[1][1] == '\'=HYPERLINK("http://evil","x")'
    assert rows[2][1:3] == ['said "hi", left', "'-trap"]
    assert rows[3][1] == "line one\nline two"
    assert rows[3][3] == ""  # a missing number is an empty cell, not "nan"


def test_frame_to_csv_quotes_every_field_and_ends_lines_with_crlf(hostile_frame):
    text = frame_to_csv(hostile_frame)
    assert text.startswith('"code","summary","handle","count"\r\n')
    assert text.endswith("\r\n")
    assert '"said ""hi"", left"' in text  # embedded quotes doubled (RFC 4180)


def test_header_cells_are_neutralised_too():
    rows = _parse(frame_to_csv(pd.DataFrame({"=evil": ["x"]})))
    assert rows == [["'=evil"], ["x"]]


def test_an_empty_frame_is_just_the_header():
    assert _parse(frame_to_csv(pd.DataFrame(columns=["a", "b"]))) == [["a", "b"]]


def test_bytes_start_with_a_byte_order_mark_and_are_utf8(hostile_frame):
    frame = pd.concat([hostile_frame, pd.DataFrame({"code": ["OBS-0004"], "summary": ["Zoë 李 👧🏽"]})])
    data = frame_to_csv_bytes(frame)
    assert data.startswith(BOM)
    assert not data[len(BOM) :].startswith(BOM)
    text = data.decode("utf-8-sig")
    assert text == frame_to_csv(frame)
    assert _parse(text)[-1][1] == "Zoë 李 👧🏽"
