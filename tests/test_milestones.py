"""Case milestones against the real SQLite file: adding one (M-0001) writes an identity, version 1
and an audit event; bad input is refused field by field and stores nothing; partial times keep
their precision; retracting adds a version marked retracted; nothing is changed in place."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import CASE
from workbench import milestones
from workbench.errors import Conflict, NotFound, PermissionDenied, ValidationError

REFERRAL = {"kind": "referral", "occurred_at": "2025-07-14 10:30", "note": "Referral from the school's DSL"}


def _add(db, actor, **overrides) -> str:
    return milestones.add_milestone(db, actor, CASE, {**REFERRAL, **overrides})


def _versions(db, code: str = "M-0001") -> list[dict]:
    return list(
        db.query(
            """SELECT v.* FROM milestone_versions v JOIN milestones m ON m.id = v.milestone_id
               WHERE m.code = ? ORDER BY v.version""",
            (code,),
        )
    )


def _events(db, action: str) -> list[dict]:
    return list(db.query("SELECT * FROM audit_events WHERE action = ? ORDER BY seq", (action,)))


def _changed(before: dict, after: dict) -> dict:
    return {t: after[t] - before[t] for t in after if after[t] != before[t]}


# --- adding --------------------------------------------------------------------------------------


def test_add_returns_the_code_and_stores_one_identity_one_version_one_event(db, analyst, counts):
    before = counts()
    assert _add(db, analyst) == "M-0001"
    assert _changed(before, counts()) == {"milestones": 1, "milestone_versions": 1, "audit_events": 1}
    [version] = _versions(db)
    assert (version["version"], version["kind"], version["note"], version["retracted"]) == (
        1, "referral", "Referral from the school's DSL", 0,
    )  # fmt: skip
    # 10:30 in London in July is 09:30 UTC.
    assert (version["occurred_at"], version["occurred_precision"], version["occurred_approximate"]) == (
        "2025-07-14T09:30:00Z", "exact", 0,
    )  # fmt: skip
    assert version["recorded_by"] == analyst.id
    [event] = _events(db, "milestone.create")
    assert (event["username"], event["case_ref"], event["item_code"]) == ("analyst", CASE, "M-0001")
    assert json.loads(event["details"]) == {"kind": "referral"}


def test_codes_count_up_per_case(db, analyst):
    assert [_add(db, analyst), _add(db, analyst, kind="child_seen")] == ["M-0001", "M-0002"]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("strategy_discussion", "strategy_discussion"),
        ("Strategy discussion", "strategy_discussion"),
        ("  CASE CONFERENCE ", "case_conference"),
        ("Child seen", "child_seen"),
    ],
)
def test_the_kind_is_taken_by_value_or_label(db, analyst, typed, stored):
    _add(db, analyst, kind=typed)
    assert _versions(db)[0]["kind"] == stored


def test_a_note_is_optional(db, analyst):
    milestones.add_milestone(db, analyst, CASE, {"kind": "authorisation", "occurred_at": "2025-07-01"})
    assert _versions(db)[0]["note"] == ""


@pytest.mark.parametrize(
    ("given", "errors"),
    [
        ({"kind": "birthday"}, {"kind"}),
        ({"kind": ""}, {"kind"}),
        ({"occurred_at": ""}, {"occurred_at"}),
        ({"occurred_at": None}, {"occurred_at"}),
        ({"occurred_at": "unknown"}, {"occurred_at"}),
        ({"occurred_at": "~unknown"}, {"occurred_at"}),
        ({"occurred_at": "last Tuesday"}, {"occurred_at"}),
        ({"occurred_at": "2100-01-01 09:00"}, {"occurred_at"}),
        ({"note": "x" * 2001}, {"note"}),
        ({"colour": "red"}, {"colour"}),
        ({"kind": "birthday", "occurred_at": "", "colour": "red"}, {"kind", "occurred_at", "colour"}),
    ],
)
def test_bad_input_is_refused_field_by_field_and_stores_nothing(db, analyst, counts, given, errors):
    before = counts()
    with pytest.raises(ValidationError) as raised:
        _add(db, analyst, **given)
    assert set(raised.value.errors) == errors
    assert counts() == before


def test_the_refusals_say_what_is_wrong(db, analyst):
    with pytest.raises(ValidationError) as raised:
        milestones.add_milestone(db, analyst, CASE, {"kind": "birthday", "occurred_at": "unknown", "colour": "red"})
    errors = raised.value.errors
    assert "referral" in errors["kind"] and "child_seen" in errors["kind"]
    assert errors["occurred_at"].startswith("is required")
    assert errors["colour"] == "is not a milestone field"


@pytest.mark.parametrize("when", ["2199", "2199-06", "2199-06-01"])
def test_a_time_in_the_future_is_refused_at_any_precision(db, analyst, counts, when):
    before = counts()
    with pytest.raises(ValidationError) as raised:
        _add(db, analyst, occurred_at=when)
    assert raised.value.errors == {"occurred_at": "is in the future"}
    assert counts() == before


def test_a_moment_later_today_is_in_the_future(db, analyst):
    soon = (datetime.now(UTC) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%MZ")
    with pytest.raises(ValidationError) as raised:
        _add(db, analyst, occurred_at=soon)
    assert raised.value.errors == {"occurred_at": "is in the future"}


@pytest.mark.parametrize(
    ("typed", "at", "precision", "approximate"),
    [
        ("2025", "2025-01-01T00:00:00Z", "year", 0),
        ("2025-07", "2025-06-30T23:00:00Z", "month", 0),  # 1 July, midnight in London (BST)
        ("~2025-07", "2025-06-30T23:00:00Z", "month", 1),
        ("c. 2025-03", "2025-03-01T00:00:00Z", "month", 1),  # GMT in March
        ("2025-07-14", "2025-07-13T23:00:00Z", "day", 0),
        ("~2025-07-14 10:30", "2025-07-14T09:30:00Z", "exact", 1),
    ],
)
def test_a_partial_time_keeps_its_precision_and_approximate_flag(db, analyst, typed, at, precision, approximate):
    _add(db, analyst, occurred_at=typed)
    [version] = _versions(db)
    assert (version["occurred_at"], version["occurred_precision"], version["occurred_approximate"]) == (
        at, precision, approximate,
    )  # fmt: skip


def test_a_reviewer_member_may_not_add(db, reviewer, counts):
    before = counts()
    with pytest.raises(PermissionDenied):
        _add(db, reviewer)
    assert counts() == before


def test_a_non_member_is_told_the_case_is_not_found(db, analyst2, counts):
    before = counts()
    with pytest.raises(NotFound):
        _add(db, analyst2)
    assert counts() == before


# --- retracting ----------------------------------------------------------------------------------


def test_retract_adds_a_version_marked_retracted_with_the_reason(db, analyst, counts):
    _add(db, analyst)
    before = counts()
    assert milestones.retract_milestone(db, analyst, CASE, "m-0001", "Entered on the wrong case") == "M-0001"
    assert _changed(before, counts()) == {"milestone_versions": 1, "audit_events": 1}
    first, second = _versions(db)
    assert (first["version"], first["retracted"], first["change_reason"]) == (1, 0, "")
    assert (second["version"], second["retracted"], second["change_reason"]) == (2, 1, "Entered on the wrong case")
    # The retracted version keeps what the milestone said.
    keep = ("kind", "occurred_at", "occurred_precision", "occurred_approximate", "note")
    assert {k: second[k] for k in keep} == {k: first[k] for k in keep}
    [event] = _events(db, "milestone.retract")
    assert (event["item_code"], event["justification"]) == ("M-0001", "Entered on the wrong case")
    assert json.loads(event["details"]) == {"version": 2}


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_retract_without_a_reason_is_refused(db, analyst, counts, reason):
    _add(db, analyst)
    before = counts()
    with pytest.raises(ValidationError) as raised:
        milestones.retract_milestone(db, analyst, CASE, "M-0001", reason)
    assert set(raised.value.errors) == {"reason"}
    assert counts() == before


def test_a_second_retract_is_a_conflict(db, analyst, counts):
    _add(db, analyst)
    milestones.retract_milestone(db, analyst, CASE, "M-0001", "Wrong case")
    before = counts()
    with pytest.raises(Conflict, match="M-0001 is retracted"):
        milestones.retract_milestone(db, analyst, CASE, "M-0001", "Again")
    assert counts() == before


def test_retracting_an_unknown_code_is_not_found(db, analyst, counts):
    _add(db, analyst)
    before = counts()
    with pytest.raises(NotFound, match="M-0009"):
        milestones.retract_milestone(db, analyst, CASE, "M-0009", "Wrong case")
    assert counts() == before


def test_a_reviewer_member_may_not_retract(db, analyst, reviewer, counts):
    _add(db, analyst)
    before = counts()
    with pytest.raises(PermissionDenied):
        milestones.retract_milestone(db, reviewer, CASE, "M-0001", "Wrong case")
    assert counts() == before


# --- append-only ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE milestones SET code = 'M-0099'",
        "DELETE FROM milestones",
        "UPDATE milestone_versions SET retracted = 1",
        "UPDATE milestone_versions SET note = 'rewritten'",
        "DELETE FROM milestone_versions",
    ],
)
def test_milestones_and_their_versions_cannot_be_changed_or_deleted(db, analyst, sql):
    _add(db, analyst)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute(sql)
    assert db.execute("SELECT COUNT(*), MAX(note), MAX(retracted) FROM milestone_versions").fetchone() == (
        1, "Referral from the school's DSL", 0,
    )  # fmt: skip
    assert db.execute("SELECT code FROM milestones").fetchall() == [("M-0001",)]
