"""`workbench milestone add|retract` and `workbench timeline`: codes printed, user errors exit 1
with a field-level message and store nothing, and the timeline as a table, formula-safe CSV with
ISO UTC times, or JSON, filtered by London days, history and immediate risk."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3

import pytest

from tests.conftest import cli_ok, cli_refused
from workbench import timeline

AS = ("--as", "analyst")
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def _query(world, sql: str) -> list[tuple]:
    conn = sqlite3.connect(world.database_path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def _count(world, table: str) -> int:
    return _query(world, f"SELECT COUNT(*) FROM [{table}]")[0][0]  # noqa: S608


def _actions(world) -> list[str]:
    return [r[0] for r in _query(world, "SELECT action FROM audit_events ORDER BY seq")]


def _milestone(run, *extra: str, kind: str = "referral", at: str = "2025-06-12", user: str = "analyst"):
    return run("milestone", "add", "CASE-1", "--as", user, "--kind", kind, "--at", at, *extra)


def _observation(run, summary: str, occurred: str, *extra: str):
    return run(
        "observation", "add", "CASE-1", *AS, "--kind", "general_note", "--indicator", "note", "--summary", summary,
        "--details", json.dumps({"note": summary}), "--source-type", "analyst_viewed", "--source-grade", "2",
        "--information-grade", "B", "--handling-code", "P", "--occurred-at", occurred,
        "--observed-at", "2025-06-20 09:00", *extra,
    )  # fmt: skip


def _timeline(run, fmt: str, *extra: str, user: str = "analyst") -> str:
    return cli_ok(run("timeline", "CASE-1", "--as", user, "--format", fmt, *extra))


def _json(run, *extra: str) -> list[dict]:
    return json.loads(_timeline(run, "json", *extra))


def _codes(run, *extra: str) -> list[str]:
    return [e["code"] for e in _json(run, *extra)]


@pytest.fixture
def case_events(world, run):
    """OBS-0001 at 23:30 London on 10 Jun 2025, immediate risk; OBS-0002 at 00:30 London on 11 Jun
    (still 10 Jun in UTC), summary "=SUM(A1)"; M-0001 a referral on 12 Jun."""
    cli_ok(_observation(run, "Adult asked to meet", "2025-06-10 23:30", "--immediate-risk"))
    cli_ok(_observation(run, "=SUM(A1)", "2025-06-11 00:30"))
    cli_ok(_milestone(run, "--note", "From the school's DSL"))
    return world


# --- milestones ----------------------------------------------------------------------------------


def test_milestone_add_prints_the_code(run, world):
    assert cli_ok(_milestone(run, "--note", "From the school's DSL")).strip() == "M-0001"
    assert cli_ok(_milestone(run, kind="Case conference", at="~2025-07")).strip() == "M-0002"
    assert _query(world, "SELECT kind, occurred_at, occurred_precision, occurred_approximate, note "
                         "FROM milestone_versions ORDER BY id") == [
        ("referral", "2025-06-11T23:00:00Z", "day", 0, "From the school's DSL"),
        ("case_conference", "2025-06-30T23:00:00Z", "month", 1, ""),
    ]  # fmt: skip
    assert _actions(world)[-2:] == ["milestone.create", "milestone.create"]


@pytest.mark.parametrize(
    ("kind", "at", "messages"),
    [
        ("birthday", "2025-06-12", ["error: kind: must be one of: referral"]),
        ("referral", "unknown", ["error: occurred_at: is required"]),
        ("referral", "", ["error: occurred_at: is required"]),
        ("referral", "2199-01-01", ["error: occurred_at: is in the future"]),
        ("referral", "12/06/2025", ["error: occurred_at: '12/06/2025' is not a date"]),
        ("birthday", "unknown", ["error: kind: must be one of", "error: occurred_at: is required"]),
    ],
)
def test_milestone_add_with_bad_input_names_each_field_and_stores_nothing(run, world, kind, at, messages):
    output = cli_refused(_milestone(run, kind=kind, at=at))
    for message in messages:
        assert message in output
    assert (_count(world, "milestones"), _count(world, "milestone_versions")) == (0, 0)
    assert "milestone.create" not in _actions(world)


def test_milestone_add_as_a_reviewer_is_refused(run, world):
    output = cli_refused(_milestone(run, user="reviewer"))
    assert "error: Your part in case CASE-1 does not allow you to" in output
    assert _count(world, "milestones") == 0


def test_milestone_retract_prints_the_code_and_keeps_the_record(run, world):
    cli_ok(_milestone(run))
    out = cli_ok(run("milestone", "retract", "CASE-1", "m-0001", *AS, "--reason", "Entered on the wrong case"))
    assert out.strip() == "M-0001"
    assert _query(world, "SELECT version, retracted, change_reason FROM milestone_versions ORDER BY version") == [
        (1, 0, ""), (2, 1, "Entered on the wrong case"),
    ]  # fmt: skip
    assert _actions(world)[-1] == "milestone.retract"


def test_milestone_retract_refusals(run, world):
    cli_ok(_milestone(run))
    assert "error: reason: is required" in cli_refused(run("milestone", "retract", "CASE-1", "M-0001", *AS,
                                                           "--reason", "  "))  # fmt: skip
    assert "error: Milestone M-0009 not found." in cli_refused(
        run("milestone", "retract", "CASE-1", "M-0009", *AS, "--reason", "Wrong case")
    )
    cli_ok(run("milestone", "retract", "CASE-1", "M-0001", *AS, "--reason", "Wrong case"))
    assert "error: M-0001 is retracted" in cli_refused(
        run("milestone", "retract", "CASE-1", "M-0001", *AS, "--reason", "Again")
    )
    assert _count(world, "milestone_versions") == 2


# --- the timeline --------------------------------------------------------------------------------


def test_timeline_as_a_table(run, case_events):
    lines = _timeline(run, "table").splitlines()
    assert lines[0].split() == ["code", "when", "what", "summary", "five_c", "grade", "status"]
    assert [line.split()[0] for line in lines[1:]] == ["OBS-0001", "OBS-0002", "M-0001"]
    assert "10 Jun 2025 23:30" in lines[1] and "Adult asked to meet" in lines[1] and "uncorroborated" in lines[1]
    assert "11 Jun 2025 00:30" in lines[2]
    assert "Referral: From the school's DSL" in lines[3]
    assert _actions(case_events)[-1] == "timeline.view"


def test_timeline_of_an_empty_case_says_none(run, world):
    assert _timeline(run, "table").strip() == "(none)"
    assert _json(run) == []


def test_timeline_as_csv_has_iso_utc_times_and_formula_safe_cells(run, case_events):
    rows = list(csv.reader(io.StringIO(_timeline(run, "csv"))))
    assert rows[0] == [c for c in timeline.COLUMNS if c not in ("source_rank", "information_rank")]
    body = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    assert [(r["code"], r["at"]) for r in body] == [
        ("OBS-0001", "2025-06-10T22:30:00Z"), ("OBS-0002", "2025-06-10T23:30:00Z"), ("M-0001", "2025-06-11T23:00:00Z"),
    ]  # fmt: skip
    assert body[1]["summary"] == "'=SUM(A1)"
    assert [r["immediate_risk"] for r in body] == ["True", "False", "False"]


def test_timeline_as_json(run, case_events):
    events = _json(run)
    assert [(e["event"], e["source"]) for e in events] == [
        ("OBS-0001 v1", "observation"), ("OBS-0002 v1", "observation"), ("M-0001 v1", "milestone"),
    ]  # fmt: skip
    assert all(ISO_UTC.match(e["at"]) for e in events)
    assert events[0]["at"] == "2025-06-10T22:30:00Z"
    assert (events[0]["when"], events[0]["immediate_risk"], events[0]["grade"]) == (
        "10 Jun 2025 23:30",
        True,
        "2 / B / P",
    )
    assert events[1]["summary"] == "=SUM(A1)"  # JSON is for programs: the text as it was typed
    assert "source_rank" not in events[0]


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        # London days, inclusive: 23:30 on the 10th is the 10th, 00:30 on the 11th is not.
        (("--from", "2025-06-10", "--to", "2025-06-10"), ["OBS-0001"]),
        (("--from", "2025-06-11"), ["OBS-0002", "M-0001"]),
        (("--to", "2025-06-11"), ["OBS-0001", "OBS-0002"]),
        (("--from", "2025-06-13"), []),
        (("--immediate-risk-only",), ["OBS-0001"]),
        (("--immediate-risk-only", "--from", "2025-06-11"), []),
    ],
)
def test_timeline_filters(run, case_events, extra, expected):
    assert _codes(run, *extra) == expected


def test_timeline_with_a_bad_date_is_a_usage_error(run, case_events):
    result = run("timeline", "CASE-1", *AS, "--from", "10/06/2025")
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_timeline_include_history_shows_retracted_versions(run, case_events):
    cli_ok(run("milestone", "retract", "CASE-1", "M-0001", *AS, "--reason", "Wrong case"))
    assert _codes(run) == ["OBS-0001", "OBS-0002"]
    every = _json(run, "--include-history")
    assert [(e["event"], e["current"], e["retracted"]) for e in every] == [
        ("OBS-0001 v1", True, False), ("OBS-0002 v1", True, False),
        ("M-0001 v1", False, False), ("M-0001 v2", True, True),
    ]  # fmt: skip
    assert "M-0001" in _timeline(run, "table", "--include-history")


def test_a_reviewer_member_may_read_the_timeline(run, case_events):
    assert [line.split()[0] for line in _timeline(run, "table", user="reviewer").splitlines()[1:]] == [
        "OBS-0001", "OBS-0002", "M-0001",
    ]  # fmt: skip


@pytest.mark.parametrize(
    "command",
    [
        ("timeline", "CASE-1", "--as", "analyst2"),
        ("milestone", "add", "CASE-1", "--as", "analyst2", "--kind", "referral", "--at", "2025-06-12"),
        ("milestone", "retract", "CASE-1", "M-0001", "--as", "analyst2", "--reason", "Wrong case"),
        ("timeline", "CASE-9", "--as", "analyst"),
    ],
)
def test_a_case_the_user_is_not_in_is_not_found(run, case_events, command):
    output = cli_refused(run(*command))
    assert "not found" in output
    assert "Adult asked to meet" not in output
    assert _count(case_events, "milestone_versions") == 1
