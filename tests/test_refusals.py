"""Refused attempts at cases (issue 24, point 7): the user is told only "Case X not found.", and
the attempt is a `case.refused` event, filed under the case when the reference names one (its lead
sees it in the case's Activity) and under none otherwise; administrators see every one."""

from __future__ import annotations

import json
import sqlite3

import pytest

from tests.conftest import CASE, authorised_case
from workbench import access, activity, audit, cases, observations, refusals, users
from workbench.access import Right
from workbench.errors import NotFound, PermissionDenied


def _refusals(db, after: int = 0) -> list[dict]:
    rows = db.query(
        "SELECT username, case_ref, item_code, details, justification FROM audit_events"
        " WHERE action = 'case.refused' AND seq > ? ORDER BY seq",
        (after,),
    )
    return [row | {"details": json.loads(row["details"])} for row in rows]


def _last_seq(db) -> int:
    return db.execute("SELECT COALESCE(MAX(seq), 0) FROM audit_events").fetchone()[0]


def test_a_non_members_attempt_at_a_case_is_filed_under_it(db, analyst2):
    with pytest.raises(NotFound) as refused:
        access.authorize(db, analyst2, Right.VIEW, CASE)
    assert str(refused.value) == f"Case {CASE} not found."
    assert _refusals(db) == [
        {
            "username": "analyst2",
            "case_ref": CASE,
            "item_code": None,
            "details": {"reference": CASE, "right": "view"},
            "justification": "",
        }
    ]


def test_a_reference_that_names_no_case_is_filed_under_none(db, analyst2):
    with pytest.raises(NotFound, match=r"^Case CASE-404 not found\.$"):
        access.authorize(db, analyst2, Right.RECORD, " CASE-404 ")
    [event] = _refusals(db)
    assert (event["case_ref"], event["details"]) == (None, {"reference": "CASE-404", "right": "record"})


def test_the_two_refusals_read_alike_to_the_user(db, analyst2):
    with pytest.raises(NotFound) as hidden:
        observations.list_observations(db, analyst2, CASE)
    with pytest.raises(NotFound) as missing:
        observations.list_observations(db, analyst2, "CASE-404")
    assert str(hidden.value) == str(missing.value).replace("CASE-404", CASE)


def test_the_event_stays_although_the_operation_fails(db, settings, analyst2, observation_input):
    before = db.execute("SELECT COUNT(*) FROM observations").fetchone()[0]
    with pytest.raises(NotFound):
        observations.record(db, analyst2, CASE, observation_input())
    assert db.execute("SELECT COUNT(*) FROM observations").fetchone()[0] == before
    assert not db.conn.in_transaction
    # Committed: another connection reads it.
    other = sqlite3.connect(settings.database_path)
    try:
        assert other.execute(
            "SELECT username, case_ref FROM audit_events WHERE action = 'case.refused'"
        ).fetchall() == [("analyst2", CASE)]
    finally:
        other.close()
    assert audit.verify(db).intact


def test_a_long_or_hostile_reference_is_clipped(db, analyst2):
    tried = '=HYPERLINK("http://example.invalid")' + "x" * 500
    with pytest.raises(NotFound):
        access.authorize(db, analyst2, Right.VIEW, tried)
    [event] = _refusals(db)
    assert event["case_ref"] is None
    assert len(event["details"]["reference"]) == refusals.REFERENCE_SHOWN + 1  # and the ellipsis
    assert event["details"]["reference"].startswith("=HYPERLINK")


def test_a_member_refused_for_their_part_leaves_no_refusal_event(db, reviewer):
    # A member is told what their part does not allow: that is not probing for a case.
    with pytest.raises(PermissionDenied):
        access.authorize(db, reviewer, Right.RECORD, CASE)
    assert _refusals(db) == []


def test_an_administrator_managing_a_case_is_not_refused(db, admin):
    access.authorize(db, admin, Right.MANAGE_MEMBERS, CASE)
    with pytest.raises(NotFound):
        access.authorize(db, admin, Right.VIEW, CASE)  # content: not without being a member
    assert [(e["username"], e["details"]["right"]) for e in _refusals(db)] == [("admin", "view")]


def test_the_lead_sees_attempts_at_their_case_and_no_other(db, analyst, analyst2):
    authorised_case(db, "CASE-2", "Another", lead="analyst2")
    for reference in (CASE, "CASE-2", "CASE-404"):
        with pytest.raises(NotFound):
            access.authorize(db, analyst2 if reference != "CASE-2" else analyst, Right.VIEW, reference)
    shown = activity.case_activity(db, analyst, CASE).events
    refused = shown[shown["action"] == "case.refused"]
    assert refused["username"].tolist() == ["analyst2"]
    assert json.loads(refused["details"].iloc[0]) == {"reference": CASE, "right": "view"}
    others = activity.case_activity(db, analyst2, "CASE-2").events
    assert others[others["action"] == "case.refused"]["username"].tolist() == ["analyst"]


def test_administrators_see_every_refused_attempt_newest_first(db, admin, analyst2, reviewer):
    with pytest.raises(NotFound):
        access.authorize(db, analyst2, Right.VIEW, CASE)
    with pytest.raises(NotFound):
        access.authorize(db, reviewer, Right.VIEW, "NOPE-1")
    seq = _last_seq(db)
    seen = activity.refused_attempts(db, admin)
    assert list(seen.columns) == activity.REFUSED_COLUMNS
    assert seen[["username", "case_ref", "reference", "right", "channel"]].values.tolist() == [
        ["reviewer", "", "NOPE-1", "view", "web"],  # no case
        ["analyst2", CASE, CASE, "view", "web"],
    ]
    [(action, details)] = db.execute("SELECT action, details FROM audit_events WHERE seq > ?", (seq,)).fetchall()
    assert (action, json.loads(details)) == ("refusals.view", {"rows": 2})


@pytest.mark.parametrize("who", ["analyst", "reviewer"])
def test_only_administrators_see_the_list_of_refused_attempts(db, who):
    with pytest.raises(PermissionDenied):
        activity.refused_attempts(db, users.user_by_name(db, who))


def test_a_removed_member_s_next_attempt_is_recorded(db, analyst2):
    cases.add_member(db, access.SYSTEM, CASE, "analyst2", "analyst")
    access.authorize(db, analyst2, Right.VIEW, CASE)
    cases.remove_member(db, access.SYSTEM, CASE, "analyst2")
    with pytest.raises(NotFound):
        access.authorize(db, analyst2, Right.VIEW, CASE)
    assert [e["case_ref"] for e in _refusals(db)] == [CASE]
