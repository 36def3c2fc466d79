"""`workbench action add|update|retract|list`: the code printed and the action stored with every
option in its field; a refused add or update names each bad field on stderr, exits 1 and stores
nothing; a reviewer may not record; retract needs a reason; the list as a table, formula-safe CSV
or JSON (the columns of `actions.for_export`), only the outstanding ones, retracted ones on
request; and every command leaves its audit event."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta

import pandas as pd
import pytest

from tests.conftest import CASE, cli_ok, cli_refused
from workbench import actions, observations
from workbench.timeutil import LONDON

AS = ("--as", "analyst")
DONE_AT = "2025-06-10 14:30"  # BST: 13:30 UTC
DONE_AT_UTC = "2025-06-10T13:30:00Z"

CLI = {"channel": "cli"}  # what every event a command writes carries in its details


def _today() -> date:
    return datetime.now(LONDON).date()


def _day(offset: int) -> str:
    """A London day relative to today, as the CLI takes it."""
    return (_today() + timedelta(days=offset)).isoformat()


def _add(run, kind: str = "reported_to_platform", *extra: str, user: str = "analyst"):
    return run("action", "add", CASE, kind, "--as", user, *extra)


def _update(run, code: str, *extra: str):
    return run("action", "update", CASE, code, *AS, *extra)


def _list(run, *extra: str, user: str = "analyst") -> str:
    return cli_ok(run("action", "list", CASE, "--as", user, *extra))


def _stored(db, case, *, include_retracted: bool = True) -> pd.DataFrame:
    return actions.actions_frame(db, case.case_id, include_retracted=include_retracted)


def _row(db, case, code: str) -> dict:
    [row] = _stored(db, case).query("code == @code").to_dict("records")
    return row


def _versions(db) -> list[tuple]:
    return db.execute(
        "SELECT a.code, v.version, v.status, v.retracted, v.change_reason FROM action_versions v "
        "JOIN actions a ON a.id = v.action_id ORDER BY a.id, v.version"
    ).fetchall()


def _count(db, table: str) -> int:
    return db.execute(f"SELECT COUNT(*) FROM [{table}]").fetchone()[0]  # noqa: S608


def _audit(db, action: str) -> list[dict]:
    rows = db.query("SELECT * FROM audit_events WHERE action = ? ORDER BY seq", (action,))
    return [row | {"details": json.loads(row["details"])} for row in rows]


def _refused_quietly(result) -> str:
    """Exit 1, the reasons on stderr and nothing on stdout."""
    cli_refused(result)
    assert result.stdout == ""
    return result.stderr


@pytest.fixture
def observed(db, analyst, observation_input) -> str:
    """OBS-0001, a profile indicator in CASE-1."""
    return observations.record(db, analyst, CASE, observation_input()).code


# --- add -----------------------------------------------------------------------------------------


def test_add_prints_the_code_and_stores_a_to_do_action(run, db, case):
    assert cli_ok(_add(run)).strip() == "ACT-0001"
    assert cli_ok(_add(run, "DSL informed")).strip() == "ACT-0002"  # a kind by its label too
    stored = _stored(db, case)
    assert stored[["code", "version", "kind", "status", "done_at", "done_by", "recorded_by"]].values.tolist() == [
        ["ACT-0001", 1, "reported_to_platform", "to_do", "", "", "analyst"],
        ["ACT-0002", 1, "dsl_informed", "to_do", "", "", "analyst"],
    ]


def test_add_maps_every_done_option_to_its_field(run, db, case, observed):
    out = cli_ok(
        _add(
            run, "police_informed", "--observation", "obs-0001", "--status", "done", "--done-at", DONE_AT,
            "--done-by", "DC Fictional", "--reference", "CAD-4471", "--note", "Told the duty sergeant",
        )
    )  # fmt: skip
    assert out.strip() == "ACT-0001"
    row = _row(db, case, "ACT-0001")
    assert {k: row[k] for k in ("kind", "observation", "status", "done_at", "done_precision", "done_by")} == {
        "kind": "police_informed",
        "observation": observed,
        "status": "done",
        "done_at": DONE_AT_UTC,
        "done_precision": "exact",
        "done_by": "DC Fictional",
    }
    assert (row["reference"], row["note"], row["due_date"], row["status_reason"]) == (
        "CAD-4471", "Told the duty sergeant", "", "",
    )  # fmt: skip


def test_add_maps_due_and_why_not_to_their_fields(run, db, case):
    due = _day(7)
    cli_ok(_add(run, "referral_made", "--due", due, "--note", "To early help"))
    cli_ok(_add(run, "safety_plan_considered", "--status", "not_applicable", "--why-not", "Plan already in place"))
    first, second = _row(db, case, "ACT-0001"), _row(db, case, "ACT-0002")
    assert (first["status"], first["due_date"], first["note"], first["overdue"]) == (
        "to_do", due, "To early help", False,
    )  # fmt: skip
    assert (second["status"], second["status_reason"], second["done_at"]) == (
        "not_applicable", "Plan already in place", "",
    )  # fmt: skip


def test_a_done_at_day_alone_means_done_that_day_by_the_recorder(run, db, case, analyst):
    cli_ok(_add(run, "dsl_informed", "--done-at", "2025-06-10"))
    row = _row(db, case, "ACT-0001")
    assert (row["status"], row["done_at"], row["done_precision"], row["done"]) == (
        "done", "2025-06-09T23:00:00Z", "day", "10 Jun 2025",
    )  # fmt: skip
    assert row["done_by"] == analyst.display_name


@pytest.mark.parametrize(
    ("kind", "extra", "messages"),
    [
        ("carrier_pigeon", (), ["error: kind: must be one of: reported_to_platform"]),
        ("other", (), ["error: note: is required"]),
        ("dsl_informed", ("--due", "next week"), ["error: due_date: must be a date as YYYY-MM-DD"]),
        ("dsl_informed", ("--done-at", "2199-01-01"), ["error: done_at: is in the future"]),
        ("dsl_informed", ("--done-at", "2025-06"), ["error: done_at: must say the day it was done"]),
        ("dsl_informed", ("--status", "maybe"), ["error: status: must be one of: to_do, done, not_applicable"]),
        ("dsl_informed", ("--status", "not_applicable"), ["error: status_reason: is required"]),
        ("dsl_informed", ("--why-not", "No school"), ["error: status_reason: is only for an action that does not"]),
        ("dsl_informed", ("--done-by", "DC Fictional"), ["error: done_by: is only for a done action"]),
        ("police_informed", ("--status", "done"), ["error: reference: " + actions.POLICE_REFERENCE_NEEDED]),
        ("dsl_informed", ("--observation", "OBS-0099"), ["error: observation: OBS-0099 is not an observation"]),
        (
            "carrier_pigeon",
            ("--due", "soon", "--observation", "OBS-0099"),
            ["error: kind: must be one of", "error: due_date: must be a date", "error: observation: OBS-0099"],
        ),
    ],
)
def test_a_refused_add_names_each_field_on_stderr_and_stores_nothing(run, db, kind, extra, messages):
    errors = _refused_quietly(_add(run, kind, *extra))
    for message in messages:
        assert message in errors
    assert len(errors.splitlines()) == len(messages)
    assert (_count(db, "actions"), _count(db, "action_versions")) == (0, 0)
    assert _audit(db, "action.create") == []


def test_an_add_naming_a_retracted_observation_is_refused(run, db, analyst, observed):
    observations.retract(db, analyst, CASE, observed, "Wrong child")
    errors = _refused_quietly(_add(run, "dsl_informed", "--observation", observed))
    assert "error: observation: OBS-0001 is retracted; name a current observation" in errors
    assert _count(db, "actions") == 0


def test_a_reviewer_may_not_add_an_action(run, db):
    errors = _refused_quietly(_add(run, user="reviewer"))
    assert "error: Your part in case CASE-1 does not allow you to" in errors
    assert (_count(db, "actions"), _audit(db, "action.create")) == (0, [])


def test_a_user_outside_the_case_is_told_it_is_not_found(run, db):
    assert "not found" in _refused_quietly(_add(run, user="analyst2"))
    assert _count(db, "actions") == 0


# --- update --------------------------------------------------------------------------------------


def test_update_marks_an_action_done_and_prints_the_code(run, db, case):
    due = _day(-3)
    cli_ok(_add(run, "police_informed", "--due", due, "--note", "Ring 101"))
    assert _row(db, case, "ACT-0001")["overdue"]
    out = cli_ok(
        _update(run, "act-0001", "--status", "done", "--done-at", DONE_AT, "--reference", "CAD-4471",
                "--reason", "Call made")
    )  # fmt: skip
    assert out.strip() == "ACT-0001"
    row = _row(db, case, "ACT-0001")
    assert (row["version"], row["status"], row["done_at"], row["reference"], row["overdue"]) == (
        2, "done", DONE_AT_UTC, "CAD-4471", False,
    )  # fmt: skip
    assert (row["note"], row["due_date"]) == ("Ring 101", due)  # options not given keep their value
    assert _versions(db) == [("ACT-0001", 1, "to_do", 0, ""), ("ACT-0001", 2, "done", 0, "Call made")]


def test_update_with_a_done_at_alone_marks_it_done_as_the_help_says(run, db, case, analyst):
    cli_ok(_add(run, "dsl_informed", "--due", _day(2)))
    assert cli_ok(_update(run, "ACT-0001", "--done-at", "2025-06-10")).strip() == "ACT-0001"
    row = _row(db, case, "ACT-0001")
    assert (row["version"], row["status"], row["done"], row["done_by"]) == (
        2, "done", "10 Jun 2025", analyst.display_name,
    )  # fmt: skip


def test_update_back_to_to_do_drops_when_and_by_whom(run, db, case):
    cli_ok(_add(run, "dsl_informed", "--done-at", DONE_AT, "--done-by", "Ms Example"))
    cli_ok(_update(run, "ACT-0001", "--status", "to_do", "--due", _day(1), "--reason", "Not done after all"))
    row = _row(db, case, "ACT-0001")
    assert (row["version"], row["status"], row["done_at"], row["done_by"], row["due_date"]) == (
        2, "to_do", "", "", _day(1),
    )  # fmt: skip


def test_update_with_nothing_changed_is_refused_and_adds_no_version(run, db):
    cli_ok(_add(run, "dsl_informed", "--note", "Email the DSL"))
    errors = _refused_quietly(_update(run, "ACT-0001", "--note", "Email the DSL"))
    assert "error: action: nothing was changed" in errors
    assert _count(db, "action_versions") == 1


def test_update_with_a_bad_field_is_refused_and_adds_no_version(run, db):
    cli_ok(_add(run, "police_informed"))
    errors = _refused_quietly(_update(run, "ACT-0001", "--status", "done"))
    assert f"error: reference: {actions.POLICE_REFERENCE_NEEDED}" in errors
    assert _count(db, "action_versions") == 1
    assert _audit(db, "action.update") == []


def test_update_of_an_unknown_action_is_not_found(run, world):
    assert "error: Action ACT-0009 not found." in _refused_quietly(_update(run, "ACT-0009", "--note", "x"))


# --- retract -------------------------------------------------------------------------------------


def test_retract_needs_a_reason(run, db):
    cli_ok(_add(run))
    missing = run("action", "retract", CASE, "ACT-0001", *AS)
    assert missing.exit_code == 2
    assert "Missing option '--reason'" in missing.output
    assert "error: reason: is required" in _refused_quietly(
        run("action", "retract", CASE, "ACT-0001", *AS, "--reason", "   ")
    )
    assert _count(db, "action_versions") == 1


def test_retract_prints_the_code_and_keeps_the_action_on_record(run, db, case):
    cli_ok(_add(run))
    out = cli_ok(run("action", "retract", CASE, "act-0001", *AS, "--reason", "Entered on the wrong case"))
    assert out.strip() == "ACT-0001"
    assert _versions(db) == [
        ("ACT-0001", 1, "to_do", 0, ""), ("ACT-0001", 2, "to_do", 1, "Entered on the wrong case"),
    ]  # fmt: skip
    assert _stored(db, case, include_retracted=False).empty
    assert "is retracted" in _refused_quietly(_update(run, "ACT-0001", "--note", "Too late"))


# --- list ----------------------------------------------------------------------------------------


@pytest.fixture
def listed(run, world):
    """ACT-0001 done (police, ref CAD-4471); ACT-0002 to do, due in 5 days; ACT-0003 to do, overdue
    by 2 days, its note a formula; ACT-0004 to do with no due date."""
    cli_ok(_add(run, "police_informed", "--done-at", DONE_AT, "--reference", "CAD-4471"))
    cli_ok(_add(run, "dsl_informed", "--due", _day(5)))
    cli_ok(_add(run, "other", "--due", _day(-2), "--note", '=HYPERLINK("http://example.invalid","Click")'))
    cli_ok(_add(run, "referral_made"))
    return world


def test_list_as_a_table(run, db, listed):
    lines = _list(run).splitlines()
    assert lines[0].split() == [
        "code", "action", "state", "due_date", "overdue", "done", "done_by", "reference", "observation",
    ]  # fmt: skip
    assert [line.split()[0] for line in lines[1:]] == ["ACT-0001", "ACT-0002", "ACT-0003", "ACT-0004"]
    assert "Police informed" in lines[1] and "10 Jun 2025 14:30" in lines[1] and "CAD-4471" in lines[1]
    assert "True" in lines[3] and "True" not in lines[2]
    [event] = _audit(db, "action.list")
    assert (event["username"], event["case_ref"], event["details"]) == ("analyst", CASE, {"rows": 4, **CLI})


def test_list_of_no_actions_says_none(run, world):
    assert _list(run).strip() == "(none)"
    assert json.loads(_list(run, "--format", "json")) == []


def test_list_as_json_has_the_export_columns(run, db, case, listed):
    records = json.loads(_list(run, "--format", "json"))
    columns = list(actions.for_export(_stored(db, case)).columns)
    assert [list(r) for r in records] == [columns] * 4
    assert [(r["code"], r["status"], r["overdue"], r["retracted"]) for r in records] == [
        ("ACT-0001", "done", False, False), ("ACT-0002", "to_do", False, False),
        ("ACT-0003", "to_do", True, False), ("ACT-0004", "to_do", False, False),
    ]  # fmt: skip
    assert (records[0]["done_at"], records[0]["reference"]) == (DONE_AT_UTC, "CAD-4471")
    assert records[2]["note"].startswith("=HYPERLINK")  # JSON is for programs: the text as typed


def test_list_as_csv_has_the_export_columns_and_formula_safe_cells(run, db, case, listed):
    rows = list(csv.reader(io.StringIO(_list(run, "--format", "csv"))))
    assert rows[0] == list(actions.for_export(_stored(db, case)).columns)
    body = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    assert [r["code"] for r in body] == ["ACT-0001", "ACT-0002", "ACT-0003", "ACT-0004"]
    assert body[2]["note"] == '\'=HYPERLINK("http://example.invalid","Click")'
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert [r["overdue"] for r in body] == ["False", "False", "True", "False"]


def test_list_outstanding_keeps_the_to_do_ones_overdue_first(run, listed):
    records = json.loads(_list(run, "--outstanding", "--format", "json"))
    assert [(r["code"], r["overdue"]) for r in records] == [
        ("ACT-0003", True), ("ACT-0002", False), ("ACT-0004", False),
    ]  # fmt: skip
    table = _list(run, "--outstanding").splitlines()
    assert [line.split()[0] for line in table[1:]] == ["ACT-0003", "ACT-0002", "ACT-0004"]


def test_an_action_due_today_is_not_overdue(run, world):
    cli_ok(_add(run, "dsl_informed", "--due", _day(0)))
    cli_ok(_add(run, "dsl_informed", "--due", _day(-1)))
    records = json.loads(_list(run, "--format", "json"))
    assert [(r["code"], r["overdue"]) for r in records] == [("ACT-0001", False), ("ACT-0002", True)]


def test_list_hides_retracted_actions_unless_asked(run, listed):
    cli_ok(run("action", "retract", CASE, "ACT-0002", *AS, "--reason", "Duplicate"))
    assert [r["code"] for r in json.loads(_list(run, "--format", "json"))] == ["ACT-0001", "ACT-0003", "ACT-0004"]
    every = json.loads(_list(run, "--include-retracted", "--format", "json"))
    assert [(r["code"], r["version"], r["retracted"]) for r in every] == [
        ("ACT-0001", 1, False), ("ACT-0002", 2, True), ("ACT-0003", 1, False), ("ACT-0004", 1, False),
    ]  # fmt: skip
    assert "ACT-0002" not in _list(run, "--include-retracted", "--outstanding")


def test_a_reviewer_may_list_the_actions(run, listed):
    assert len(json.loads(_list(run, "--format", "json", user="reviewer"))) == 4


# --- the audit trail -----------------------------------------------------------------------------


def test_every_action_command_leaves_its_audit_event(run, db):
    cli_ok(_add(run, "dsl_informed", "--due", _day(3)))
    cli_ok(_update(run, "ACT-0001", "--status", "done", "--done-at", DONE_AT, "--reason", "Emailed"))
    cli_ok(run("action", "retract", CASE, "ACT-0001", *AS, "--reason", "Wrong case"))
    _list(run, "--include-retracted")
    events = [
        (e["action"], e["username"], e["case_ref"], e["item_code"], e["details"], e["justification"])
        for e in db.query("SELECT * FROM audit_events WHERE action LIKE 'action.%' ORDER BY seq")
    ]
    # Each says it came through the command line (issue 24), beside the user named with --as.
    assert [e[:4] + (json.loads(e[4]), e[5]) for e in events] == [
        ("action.create", "analyst", CASE, "ACT-0001", {"kind": "dsl_informed", "status": "to_do", **CLI}, ""),
        (
            "action.update", "analyst", CASE, "ACT-0001",
            {"version": 2, "changed": ["status", "done_at", "done_precision", "done_by"], "status": "done", **CLI},
            "Emailed",
        ),
        ("action.retract", "analyst", CASE, "ACT-0001", {"version": 3, **CLI}, "Wrong case"),
        ("action.list", "analyst", CASE, None, {"rows": 1, **CLI}, ""),
    ]  # fmt: skip
