"""`workbench case close|reopen|keep|delete` and `workbench retention due|deleted|schedule|sweep`:
the lead closes and reopens with a reason, an administrator deletes a closed case after typing its
reference again, refusals name the field on stderr, exit 1 and change nothing, and the due list
comes as a table, formula-safe CSV or JSON without titles."""

from __future__ import annotations

import csv
import io
import json

from tests.conftest import CASE, cli_ok, cli_refused
from workbench import audit

CLOSE = ("case", "close", CASE, "--reason", "Plan ended", "--as", "analyst")


def _count(db, sql: str, params: tuple = ()) -> int:
    return db.execute(sql, params).fetchone()[0]


def _review_by(db) -> str:
    return db.execute("SELECT review_by FROM case_retention ORDER BY id DESC LIMIT 1").fetchone()[0]


def test_the_lead_closes_and_reopens_with_a_reason(run, db):
    out = cli_ok(run(*CLOSE))
    review_by = _review_by(db)
    assert out.strip() == f"case {CASE} closed; review by {review_by}"
    assert _count(db, "SELECT COUNT(*) FROM cases WHERE status = 'closed'") == 1
    assert cli_ok(run("case", "reopen", CASE, "--reason", "New referral", "--as", "analyst")).strip() == (
        f"case {CASE} reopened"
    )
    events = [r[0] for r in db.execute("SELECT action FROM audit_events WHERE action LIKE 'case.%' ORDER BY seq")]
    assert events[-2:] == ["case.close", "case.reopen"]


def test_closing_twice_or_without_a_reason_is_refused(run, db):
    assert "error: reason: is required" in cli_refused(run("case", "close", CASE, "--reason", " ", "--as", "analyst"))
    cli_ok(run(*CLOSE))
    assert "error: status:" in cli_refused(run(*CLOSE))
    assert _count(db, "SELECT COUNT(*) FROM case_retention") == 1


def test_a_reviewer_cannot_close(run, db):
    out = cli_refused(run("case", "close", CASE, "--reason", "x", "--as", "reviewer"))
    assert "does not allow you to close or reopen the case" in out
    assert _count(db, "SELECT COUNT(*) FROM case_retention") == 0


def test_the_due_list_as_table_csv_and_json(run, db):
    cli_ok(run(*CLOSE))
    review_by = _review_by(db)
    assert cli_ok(run("retention", "due")).strip() == "(none)"
    table = cli_ok(run("retention", "due", "--today", review_by, "--as", "admin"))
    assert CASE in table and "Test case" not in table
    rows = list(csv.DictReader(io.StringIO(cli_ok(run("retention", "due", "--today", review_by, "--format", "csv")))))
    assert [(r["reference"], r["review_by"], r["days_left"], r["lead"]) for r in rows] == [
        (CASE, review_by, "0", "analyst")
    ]
    every = json.loads(cli_ok(run("retention", "due", "--all", "--format", "json", "--today", "2000-01-01")))
    assert [r["reference"] for r in every] == [CASE]
    assert set(every[0]) == {"reference", "status", "closed_at", "review_by", "days_left", "lead"}
    assert "Only an administrator" in cli_refused(run("retention", "due", "--as", "analyst"))


def test_an_administrator_deletes_a_closed_case_after_typing_its_reference(run, db):
    refused = cli_refused(run("case", "delete", CASE, "--reason", "Over", "--confirm", CASE, "--as", "admin"))
    assert "error: reference: CASE-1 is open: close it first" in refused
    cli_ok(run(*CLOSE))
    wrong = cli_refused(run("case", "delete", CASE, "--reason", "Over", "--confirm", "CASE-2", "--as", "admin"))
    assert "error: confirm: type the case reference" in wrong
    lead = cli_refused(run("case", "delete", CASE, "--reason", "Over", "--confirm", CASE, "--as", "analyst"))
    assert "does not allow you to delete the case" in lead
    assert _count(db, "SELECT COUNT(*) FROM cases") == 1
    out = cli_ok(run("case", "delete", CASE, "--reason", "Retention period over", "--confirm", CASE, "--as", "admin"))
    assert out.startswith(f"case {CASE} deleted: ")
    assert "  cases: 1" in out and "  case_members: 2" in out
    assert _count(db, "SELECT COUNT(*) FROM cases") == 0
    stones = json.loads(cli_ok(run("retention", "deleted", "--format", "json")))
    assert [(s["reference"], s["deleted_by"], s["reason"]) for s in stones] == [
        (CASE, "admin", "Retention period over")
    ]
    assert audit.verify(db).intact
    assert "error:" in cli_refused(run("case", "delete", CASE, "--reason", "Again", "--confirm", CASE, "--as", "admin"))


def test_the_schedule_is_shown_and_the_sweep_runs(run, db):
    out = cli_ok(run("retention", "schedule"))
    assert "Child protection (Children Act 1989 s.47)" in out and "due within" in out
    assert cli_ok(run("retention", "sweep")).strip() == "removed 0 files (0 folders of deleted cases)"
    assert "Only an administrator" in cli_refused(run("retention", "sweep", "--as", "analyst"))
