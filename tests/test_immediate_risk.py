"""Immediate risk against the real SQLite file: which current observations are marked immediate
risk and when each was marked (when seen, if marked from version 1; when the marking version was
recorded, if an amendment marked it); which done "police informed" action covers each, and how long
after marking the police were told; what an image-sharing incident's own record says; what a
conference reads; listing is audited and kept to members."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from tests.conftest import CASE
from workbench import actions, immediate_risk, observations
from workbench.errors import NotFound
from workbench.timeutil import now_utc

SEEN = "2025-07-14 09:00"  # London (BST): 08:00 UTC
SEEN_UTC = "2025-07-14T08:00:00Z"
IMAGE_INCIDENT = {
    "kind": "image_sharing_incident",
    "indicator": "image_shared_by_others",
    "summary": "An image of the child described in a group chat",
    "details": {"what_was_seen": "Described in words only", "where_seen": "A group chat"},
}


def _record(db, actor, observation_input, **overrides) -> str:
    return observations.record(db, actor, CASE, observation_input(**{"observed_at": SEEN, **overrides})).code


def _risk(db, actor, observation_input, **overrides) -> str:
    """An observation marked immediate risk from version 1, seen at SEEN unless told otherwise."""
    return _record(db, actor, observation_input, immediate_risk=True, **overrides)


def _amend(db, actor, observation_input, code: str, reason: str = "Reviewed", **overrides) -> None:
    observations.amend(db, actor, CASE, code, observation_input(**{"observed_at": SEEN, **overrides}), reason)


def _told(db, actor, observation: str = "", **overrides) -> str:
    """A done police-informed action, naming `observation` unless it is empty."""
    given = {
        "kind": "police_informed",
        "observation": observation,
        "done_at": "2025-07-14 10:25",
        "done_by": "DC Example",
        "reference": "LOG-4471",
    }
    return actions.add_action(db, actor, CASE, {**given, **overrides})


def _risks(db, case) -> pd.DataFrame:
    return immediate_risk.risks(db, case.case_id)


def _row(db, case, code: str) -> dict:
    [row] = [r for r in _risks(db, case).to_dict("records") if r["code"] == code]
    return row


def _recorded_at(db, code: str, version: int) -> str:
    return db.execute(
        """SELECT v.recorded_at FROM observation_versions v JOIN observations o ON o.id = v.observation_id
           WHERE o.code = ? AND v.version = ?""",
        (code, version),
    ).fetchone()[0]


def _events(db, action: str) -> list[dict]:
    return list(db.query("SELECT * FROM audit_events WHERE action = ? ORDER BY seq", (action,)))


def _next_second() -> None:
    """Wait until the stored clock (whole seconds) has moved on, so that what follows is later."""
    start = now_utc()
    while now_utc() == start:
        time.sleep(0.01)


# --- which items, marked when --------------------------------------------------------------------


def test_only_current_unretracted_immediate_risk_observations_are_listed(db, analyst, case, observation_input):
    _record(db, analyst, observation_input, summary="Not a risk")  # OBS-0001
    risky = _risk(db, analyst, observation_input, summary="A risk")  # OBS-0002
    withdrawn = _risk(db, analyst, observation_input, summary="A risk, withdrawn")  # OBS-0003
    observations.retract(db, analyst, CASE, withdrawn, "Recorded on the wrong child")
    frame = _risks(db, case)
    assert list(frame.columns) == immediate_risk.COLUMNS
    assert frame["code"].tolist() == [risky]
    assert frame["summary"].tolist() == ["A risk"]


def test_a_case_with_no_immediate_risk_gives_an_empty_frame_with_the_columns(db, analyst, case, observation_input):
    _record(db, analyst, observation_input)
    frame = _risks(db, case)
    assert frame.empty
    assert list(frame.columns) == immediate_risk.COLUMNS


def test_marked_from_version_one_counts_from_when_it_was_seen(db, analyst, case, observation_input):
    code = _risk(db, analyst, observation_input)
    assert _recorded_at(db, code, 1) > SEEN_UTC  # recorded after it was seen
    row = _row(db, case, code)
    assert (row["marked_at"], row["marked"]) == (SEEN_UTC, "14 Jul 2025 09:00")


def test_marked_from_version_one_counts_from_recording_when_that_is_earlier(db, analyst, case, observation_input):
    # observed_at may be a few minutes ahead of the clock; recording is then the earlier of the two.
    soon = (datetime.now(UTC) + timedelta(minutes=3)).strftime("%Y-%m-%dT%H:%MZ")
    code = _risk(db, analyst, observation_input, observed_at=soon)
    recorded = _recorded_at(db, code, 1)
    assert recorded < soon.replace("Z", ":00Z")
    assert _row(db, case, code)["marked_at"] == recorded


def test_marked_by_an_amendment_counts_from_when_the_amendment_was_recorded(db, analyst, case, observation_input):
    code = _record(db, analyst, observation_input)
    assert _risks(db, case).empty
    _amend(db, analyst, observation_input, code, "The child said they will meet him tonight", immediate_risk=True)
    assert _row(db, case, code)["marked_at"] == _recorded_at(db, code, 2)
    assert _recorded_at(db, code, 2) != SEEN_UTC


def test_an_amendment_that_keeps_the_marking_keeps_when_it_was_marked(db, analyst, case, observation_input):
    code = _risk(db, analyst, observation_input)
    _amend(db, analyst, observation_input, code, summary="Bio now says 21", immediate_risk=True)
    row = _row(db, case, code)
    assert (row["marked_at"], row["summary"]) == (SEEN_UTC, "Bio now says 21")


def test_unmarking_then_marking_again_restarts_the_run(db, analyst, case, observation_input):
    code = _risk(db, analyst, observation_input)
    _amend(db, analyst, observation_input, code, "Risk passed", immediate_risk=False)
    assert _risks(db, case).empty
    _amend(db, analyst, observation_input, code, "Risk again", immediate_risk=True)
    assert _row(db, case, code)["marked_at"] == _recorded_at(db, code, 3)


def test_a_retracted_observation_drops_out(db, analyst, case, observation_input):
    code = _risk(db, analyst, observation_input)
    assert _risks(db, case)["code"].tolist() == [code]
    observations.retract(db, analyst, CASE, code, "Recorded on the wrong child")
    assert _risks(db, case).empty


def test_items_are_in_the_order_they_were_marked(db, analyst, case, observation_input):
    later = _risk(db, analyst, observation_input, observed_at="2025-07-20 12:00")
    earlier = _risk(db, analyst, observation_input, observed_at="2025-07-10 12:00")
    assert _risks(db, case)["code"].tolist() == [earlier, later]


# --- which action covers an item -----------------------------------------------------------------


def test_a_done_police_informed_action_naming_the_item_covers_it(db, analyst, case, observation_input):
    code = _risk(db, analyst, observation_input)
    act = _told(db, analyst, code)
    row = _row(db, case, code)
    assert (row["action"], row["informed_at"], row["informed"], row["informed_by"], row["police_reference"]) == (
        act, "2025-07-14T09:25:00Z", "14 Jul 2025 10:25", "DC Example", "LOG-4471",
    )  # fmt: skip


def test_an_action_naming_no_observation_covers_items_marked_before_it_was_done(db, analyst, case, observation_input):
    code = _risk(db, analyst, observation_input)
    act = _told(db, analyst)
    assert _row(db, case, code)["action"] == act


def test_an_action_naming_no_observation_does_not_cover_an_item_seen_after_the_call_though_recorded_before(
    db, analyst, case, observation_input
):
    # Seen the day after the police were told; the call was recorded later, but was about then.
    code = _risk(db, analyst, observation_input, observed_at="2025-07-15 09:00")
    _told(db, analyst, done_at="2025-07-14 10:25")
    assert _row(db, case, code)["action"] == ""


def test_an_action_naming_no_observation_done_on_a_day_covers_what_was_marked_that_day(
    db, analyst, case, observation_input
):
    code = _risk(db, analyst, observation_input, observed_at="2025-07-14 16:00")
    act = _told(db, analyst, done_at="2025-07-14")
    assert _row(db, case, code)["action"] == act


def test_an_action_naming_the_item_comes_before_an_earlier_one_naming_none(db, analyst, case, observation_input):
    code = _risk(db, analyst, observation_input, observed_at="2025-07-14 09:00")
    _told(db, analyst, done_at="2025-07-14 10:00")
    named = _told(db, analyst, code, done_at="2025-07-14 11:00", reference="LOG-5001")
    assert _row(db, case, code)["action"] == named


def test_an_action_naming_no_observation_does_not_cover_an_item_marked_after_it(db, analyst, case, observation_input):
    code = _record(db, analyst, observation_input)
    _told(db, analyst)
    _next_second()
    _amend(db, analyst, observation_input, code, "New risk found", immediate_risk=True)
    assert _row(db, case, code)["action"] == ""
    later = _told(db, analyst, reference="LOG-5000", done_at="", status="done")  # done now
    assert _row(db, case, code)["action"] == later


def test_an_action_naming_another_observation_does_not_cover_it(db, analyst, case, observation_input):
    risky = _risk(db, analyst, observation_input, summary="A risk")
    other = _risk(db, analyst, observation_input, summary="Another risk")
    act = _told(db, analyst, other)
    assert _row(db, case, risky)["action"] == ""
    assert _row(db, case, other)["action"] == act


def test_a_police_informed_action_still_to_do_does_not_cover(db, analyst, case, observation_input):
    code = _risk(db, analyst, observation_input)
    actions.add_action(db, analyst, CASE, {"kind": "police_informed", "observation": code, "due_date": "2025-07-15"})
    assert _row(db, case, code)["action"] == ""


def test_a_police_informed_action_not_applicable_does_not_cover(db, analyst, case, observation_input):
    code = _risk(db, analyst, observation_input)
    given = {"kind": "police_informed", "observation": code, "status": "not_applicable", "status_reason": "Police here"}
    actions.add_action(db, analyst, CASE, given)
    assert _row(db, case, code)["action"] == ""


def test_marking_a_to_do_action_done_makes_it_cover(db, analyst, case, observation_input):
    code = _risk(db, analyst, observation_input)
    act = actions.add_action(db, analyst, CASE, {"kind": "police_informed", "observation": code})
    actions.update_action(db, analyst, CASE, act, {"status": "done", "done_at": "2025-07-14 10:25", "reference": "L9"})
    row = _row(db, case, code)
    assert (row["action"], row["police_reference"]) == (act, "L9")


def test_a_retracted_police_informed_action_does_not_cover(db, analyst, case, observation_input):
    code = _risk(db, analyst, observation_input)
    act = _told(db, analyst, code)
    actions.retract_action(db, analyst, CASE, act, "Entered on the wrong case")
    assert _row(db, case, code)["action"] == ""


@pytest.mark.parametrize("kind", ["reported_to_platform", "dsl_informed", "strategy_discussion_held", "referral_made"])
def test_other_kinds_of_action_do_not_cover(db, analyst, case, observation_input, kind):
    code = _risk(db, analyst, observation_input)
    _told(db, analyst, code, kind=kind)
    row = _row(db, case, code)
    assert (row["action"], row["informed"], row["police_reference"], row["delay"]) == ("", "", "", "")
    assert row["delay_minutes"] is None


def test_the_earliest_covering_action_is_the_one_shown(db, analyst, case, observation_input):
    code = _risk(db, analyst, observation_input)
    _told(db, analyst, code, done_at="2025-07-14 11:00", reference="LOG-2")
    first = _told(db, analyst, code, done_at="2025-07-14 10:00", reference="LOG-1")
    row = _row(db, case, code)
    assert (row["action"], row["police_reference"]) == (first, "LOG-1")


# --- how long after marking ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("done_at", "minutes", "delay"),
    [
        ("2025-07-14 10:25", 85, "1 h 25 min after it was marked"),
        ("2025-07-14 09:40", 40, "40 min after it was marked"),
        ("2025-07-14 09:00", 0, "0 min after it was marked"),
        ("2025-07-14 11:00", 120, "2 h 0 min after it was marked"),
        ("2025-07-16 09:05", 2 * 24 * 60 + 5, "2 d 5 min after it was marked"),
        ("2025-07-15 10:01", 24 * 60 + 61, "1 d 1 h 1 min after it was marked"),
    ],
)
def test_the_delay_from_marking_to_telling_the_police(db, analyst, case, observation_input, done_at, minutes, delay):
    code = _risk(db, analyst, observation_input)
    _told(db, analyst, code, done_at=done_at)
    row = _row(db, case, code)
    assert (row["delay_minutes"], row["delay"]) == (minutes, delay)


def test_a_done_day_with_no_time_gives_no_delay_in_minutes(db, analyst, case, observation_input):
    code = _risk(db, analyst, observation_input)
    _told(db, analyst, code, done_at="2025-07-14")
    row = _row(db, case, code)
    assert row["delay_minutes"] is None
    assert row["delay"] == "told on 14 Jul 2025 (no time given)"
    assert row["informed"] == "14 Jul 2025"


def test_told_before_it_was_marked_here(db, analyst, case, observation_input):
    code = _risk(db, analyst, observation_input)
    _told(db, analyst, code, done_at="2025-07-14 08:30")
    row = _row(db, case, code)
    assert (row["delay_minutes"], row["delay"]) == (-30, "told before it was marked here")


# --- what the record says, and what a conference reads ------------------------------------------


def _incident(db, actor, observation_input, reported_to: list[str] | None) -> str:
    given = {**IMAGE_INCIDENT, "details": dict(IMAGE_INCIDENT["details"])}
    if reported_to is not None:
        given["details"]["reported_to"] = reported_to
    return _risk(db, actor, observation_input, **given)


@pytest.mark.parametrize(
    ("reported_to", "said"),
    [(["police"], True), (["platform", "police"], True), (["platform"], False), ([], False), (None, False)],
)
def test_reported_in_record_is_what_an_image_incident_says(db, analyst, case, observation_input, reported_to, said):
    code = _incident(db, analyst, observation_input, reported_to)
    assert _row(db, case, code)["reported_in_record"] is said


def test_reported_in_record_is_false_for_other_kinds(db, analyst, case, observation_input):
    code = _risk(db, analyst, observation_input)
    assert _row(db, case, code)["reported_in_record"] is False


def test_reported_in_record_follows_the_current_version(db, analyst, case, observation_input):
    code = _incident(db, analyst, observation_input, ["platform"])
    amended = {**IMAGE_INCIDENT, "details": {**IMAGE_INCIDENT["details"], "reported_to": ["platform", "police"]}}
    _amend(db, analyst, observation_input, code, "Police rang back", immediate_risk=True, **amended)
    assert _row(db, case, code)["reported_in_record"] is True


def test_the_record_saying_police_is_not_an_action(db, analyst, case, observation_input):
    code = _incident(db, analyst, observation_input, ["police"])
    row = _row(db, case, code)
    assert row["action"] == ""
    assert immediate_risk.awaiting_police(db, case.case_id)["code"].tolist() == [code]


def test_police_told_text_when_an_action_covers_it(db, analyst, case, observation_input):
    code = _incident(db, analyst, observation_input, ["police"])
    act = _told(db, analyst, code)
    row = _row(db, case, code)
    assert immediate_risk.police_told_text(row) == (
        f"Yes: 14 Jul 2025 10:25 by DC Example, ref LOG-4471 ({act}); 1 h 25 min after it was marked"
    )
    assert immediate_risk.police_told_text({**row, "informed_by": ""}) == (
        f"Yes: 14 Jul 2025 10:25, ref LOG-4471 ({act}); 1 h 25 min after it was marked"
    )


def test_police_told_text_when_only_the_record_says_so(db, analyst, case, observation_input):
    code = _incident(db, analyst, observation_input, ["police"])
    assert immediate_risk.police_told_text(_row(db, case, code)) == (
        "The record says reported to the police; no police-informed action recorded"
    )


def test_police_told_text_when_nothing_says_so(db, analyst, case, observation_input):
    code = _incident(db, analyst, observation_input, ["platform"])
    assert immediate_risk.police_told_text(_row(db, case, code)) == "NOT RECORDED"


# --- awaiting the police, and listing -------------------------------------------------------------


def test_awaiting_police_lists_only_the_uncovered_items(db, analyst, case, observation_input):
    covered = _risk(db, analyst, observation_input, observed_at="2025-07-10 09:00")
    first = _risk(db, analyst, observation_input, observed_at="2025-07-12 09:00")
    second = _risk(db, analyst, observation_input, observed_at="2025-07-14 09:00")
    _told(db, analyst, covered)
    waiting = immediate_risk.awaiting_police(db, case.case_id)
    assert waiting["code"].tolist() == [first, second]
    assert waiting.index.tolist() == [0, 1]
    _told(db, analyst, first, reference="LOG-2")
    _told(db, analyst, second, reference="LOG-3")
    assert immediate_risk.awaiting_police(db, case.case_id).empty


def test_list_risks_is_audited_with_the_rows_and_those_awaiting_police(db, analyst, reviewer, observation_input):
    covered = _risk(db, analyst, observation_input, summary="Told")
    _risk(db, analyst, observation_input, summary="Not told")
    _record(db, analyst, observation_input, summary="Not a risk")
    _told(db, analyst, covered)
    frame = immediate_risk.list_risks(db, reviewer, CASE)
    assert len(frame) == 2
    [event] = _events(db, "immediate_risk.list")
    assert (event["username"], event["case_ref"]) == ("reviewer", CASE)
    assert json.loads(event["details"]) == {"rows": 2, "awaiting_police": 1}


def test_list_risks_of_a_case_with_none_is_audited_too(db, analyst):
    assert immediate_risk.list_risks(db, analyst, CASE).empty
    [event] = _events(db, "immediate_risk.list")
    assert json.loads(event["details"]) == {"rows": 0, "awaiting_police": 0}


def test_list_risks_is_refused_to_a_non_member(db, analyst, analyst2, counts, observation_input):
    _risk(db, analyst, observation_input)
    before = counts()
    with pytest.raises(NotFound):
        immediate_risk.list_risks(db, analyst2, CASE)
    assert counts() == before
