"""Actions against the real SQLite file: adding one (ACT-0001) writes an identity, version 1 and an
audit event; the status is implied from a done time; done times are read in London time and kept
with their precision; bad input is refused field by field and stores nothing; updating adds a
version keeping what was not given; retracting adds a version marked retracted; reading gives the
current versions with overdue worked out; nothing is changed in place; only members who record may
write."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from tests.conftest import CASE, authorised_case
from workbench import actions, observations
from workbench.errors import Conflict, NotFound, PermissionDenied, ValidationError
from workbench.timeutil import from_iso_utc

POLICE = {
    "kind": "police_informed",
    "done_at": "2025-07-14 10:30",
    "done_by": "DC Example",
    "reference": "LOG-4471",
}
TODO = {"kind": "dsl_informed", "due_date": "2025-08-01", "note": "Tell the school's DSL"}


def _add(db, actor, given: dict) -> str:
    return actions.add_action(db, actor, CASE, given)


def _update(db, actor, changes: dict, code: str = "ACT-0001", **kwargs) -> str:
    return actions.update_action(db, actor, CASE, code, changes, **kwargs)


def _versions(db, code: str = "ACT-0001") -> list[dict]:
    return list(
        db.query(
            """SELECT v.* FROM action_versions v JOIN actions a ON a.id = v.action_id
               WHERE a.code = ? ORDER BY v.version""",
            (code,),
        )
    )


def _latest(db, code: str = "ACT-0001") -> dict:
    return _versions(db, code)[-1]


def _events(db, action: str) -> list[dict]:
    return list(db.query("SELECT * FROM audit_events WHERE action = ? ORDER BY seq", (action,)))


def _changed(before: dict, after: dict) -> dict:
    return {t: after[t] - before[t] for t in after if after[t] != before[t]}


def _observation(db, actor, observation_input, **overrides) -> str:
    return observations.record(db, actor, CASE, observation_input(**overrides)).code


def _observation_row_id(db, code: str) -> int:
    return db.execute("SELECT id FROM observations WHERE code = ?", (code,)).fetchone()[0]


def _refused(db, actor, counts, given: dict) -> dict:
    """Adding `given` is refused and stores nothing; returns the errors."""
    before = counts()
    with pytest.raises(ValidationError) as raised:
        _add(db, actor, given)
    assert counts() == before
    return raised.value.errors


# --- adding --------------------------------------------------------------------------------------


def test_add_returns_the_code_and_stores_one_identity_one_version_one_event(db, analyst, counts):
    before = counts()
    assert _add(db, analyst, POLICE) == "ACT-0001"
    assert _changed(before, counts()) == {"actions": 1, "action_versions": 1, "audit_events": 1}
    [version] = _versions(db)
    assert (version["version"], version["kind"], version["status"], version["retracted"]) == (
        1, "police_informed", "done", 0,
    )  # fmt: skip
    assert version["recorded_by"] == analyst.id
    [event] = _events(db, "action.create")
    assert (event["username"], event["case_ref"], event["item_code"]) == ("analyst", CASE, "ACT-0001")
    assert json.loads(event["details"]) == {"kind": "police_informed", "status": "done"}


def test_codes_count_up_per_case(db, analyst):
    assert [_add(db, analyst, POLICE), _add(db, analyst, TODO)] == ["ACT-0001", "ACT-0002"]


def test_a_done_action_stores_when_by_whom_and_the_reference(db, analyst, observation_input):
    code = _observation(db, analyst, observation_input)
    _add(db, analyst, {**POLICE, "observation": code.lower()})
    version = _latest(db)
    # 10:30 in London in July is 09:30 UTC.
    assert (version["status"], version["done_at"], version["done_precision"]) == (
        "done", "2025-07-14T09:30:00Z", "exact",
    )  # fmt: skip
    assert (version["done_by"], version["reference"]) == ("DC Example", "LOG-4471")
    assert version["observation_id"] == _observation_row_id(db, code)
    assert (version["due_date"], version["status_reason"], version["note"]) == (None, "", "")


def test_a_to_do_action_stores_its_due_date_and_no_done_time(db, analyst):
    _add(db, analyst, TODO)
    version = _latest(db)
    assert (version["status"], version["due_date"], version["note"]) == (
        "to_do", "2025-08-01", "Tell the school's DSL",
    )  # fmt: skip
    assert (version["done_at"], version["done_precision"], version["done_by"]) == (None, "unknown", "")
    assert version["observation_id"] is None


def test_the_status_is_done_when_a_done_time_is_given(db, analyst):
    _add(db, analyst, {"kind": "reported_to_platform", "done_at": "2025-07-14 10:30"})
    assert _latest(db)["status"] == "done"


def test_the_status_is_to_do_when_nothing_says_otherwise(db, analyst):
    _add(db, analyst, {"kind": "reported_to_platform"})
    assert _latest(db)["status"] == "to_do"


def test_done_with_no_time_means_now_by_the_person_recording_it(db, analyst):
    start = datetime.now(UTC).replace(microsecond=0)
    _add(db, analyst, {"kind": "reported_to_platform", "status": "done"})
    end = datetime.now(UTC)
    version = _latest(db)
    assert version["done_precision"] == "exact"
    assert start <= from_iso_utc(version["done_at"]) <= end
    assert version["done_by"] == analyst.display_name


def test_a_done_by_given_is_kept_over_the_recorder(db, analyst):
    _add(db, analyst, {"kind": "reported_to_platform", "status": "done", "done_by": "A. Teacher"})
    assert _latest(db)["done_by"] == "A. Teacher"


@pytest.mark.parametrize(
    ("typed", "at", "precision"),
    [
        ("2025-07-14 10:30", "2025-07-14T09:30:00Z", "exact"),  # BST
        ("2025-01-14 10:30", "2025-01-14T10:30:00Z", "exact"),  # GMT
        ("2025-07-14T10:30Z", "2025-07-14T10:30:00Z", "exact"),  # an explicit UTC time
        ("2025-07-14", "2025-07-13T23:00:00Z", "day"),  # midnight in London (BST)
    ],
)
def test_the_done_time_is_read_in_london_time_and_keeps_its_precision(db, analyst, typed, at, precision):
    _add(db, analyst, {**POLICE, "done_at": typed})
    version = _latest(db)
    assert (version["done_at"], version["done_precision"]) == (at, precision)


@pytest.mark.parametrize("typed", ["2025-07", "2025", "~2025-07-14", "~2025-07-14 10:30", "unknown"])
def test_a_done_time_must_name_the_day_exactly(db, analyst, counts, typed):
    errors = _refused(db, analyst, counts, {**POLICE, "done_at": typed})
    assert errors == {"done_at": "must say the day it was done: 2026-03-14, or 2026-03-14 10:30"}


def test_a_done_time_in_the_future_is_refused(db, analyst, counts):
    soon = (datetime.now(UTC) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%MZ")
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    for when in (soon, tomorrow):
        errors = _refused(db, analyst, counts, {**POLICE, "done_at": when})
        assert set(errors) == {"done_at"}
        assert "future" in errors["done_at"]


@pytest.mark.parametrize("typed", ["last Tuesday", "2025-13-01", "1850-01-01"])
def test_a_done_time_that_is_not_a_date_is_refused(db, analyst, counts, typed):
    assert set(_refused(db, analyst, counts, {**POLICE, "done_at": typed})) == {"done_at"}


NOT_DONE = {"done_at": "", "done_by": "", "reference": ""}
OTHER_BY_LABEL = {
    "kind": "Other",
    "note": "Told the youth worker",
    "status": "Not applicable",
    "status_reason": "Closed",
}


@pytest.mark.parametrize(
    ("typed", "kind", "status"),
    [
        ({"kind": "Police informed"}, "police_informed", "done"),
        ({"kind": "  DSL INFORMED ", "status": "To do", **NOT_DONE}, "dsl_informed", "to_do"),
        ({"status": "Done"}, "police_informed", "done"),
        ({**OTHER_BY_LABEL, **NOT_DONE}, "other", "not_applicable"),
    ],
)
def test_vocabulary_values_are_taken_by_value_or_label(db, analyst, typed, kind, status):
    _add(db, analyst, {**POLICE, **typed})
    version = _latest(db)
    assert (version["kind"], version["status"]) == (kind, status)


def test_empty_and_none_values_count_as_not_given(db, analyst):
    _add(db, analyst, {"kind": "referral_made", "note": None, "due_date": None, "status": None, "observation": ""})
    version = _latest(db)
    assert (version["status"], version["note"], version["due_date"], version["observation_id"]) == (
        "to_do", "", None, None,
    )  # fmt: skip


# --- refusing bad input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"kind": "sent_a_letter"}, "kind"),
        ({"kind": ""}, "kind"),
        ({"status": "finished", "done_at": "", "done_by": ""}, "status"),
        ({"due_date": "next week"}, "due_date"),
        ({"due_date": "2025-02-30"}, "due_date"),
        ({"observation": "OBS-0099"}, "observation"),
        ({"status": "not_applicable", "done_at": "", "done_by": ""}, "status_reason"),
        ({"status_reason": "No need"}, "status_reason"),
        ({"kind": "other", "note": "  "}, "note"),
        ({"colour": "red"}, "colour"),
        ({"note": "x" * 2001}, "note"),
        ({"status": "not_applicable", "status_reason": "x" * 2001, "done_at": "", "done_by": ""}, "status_reason"),
        ({"done_by": "x" * 201}, "done_by"),
        ({"done_by": "DC Example\nand another"}, "done_by"),
        ({"reference": "x" * 201}, "reference"),
    ],
)
def test_each_bad_field_is_refused_by_name_and_nothing_is_stored(db, analyst, counts, given, field):
    assert set(_refused(db, analyst, counts, {**POLICE, **given})) == {field}


def test_a_status_reason_is_refused_for_a_to_do_action(db, analyst, counts):
    errors = _refused(db, analyst, counts, {**TODO, "status_reason": "Because"})
    assert errors == {"status_reason": "is only for an action that does not apply; leave it empty"}


def test_not_applicable_needs_a_reason(db, analyst, counts):
    errors = _refused(db, analyst, counts, {"kind": "safety_plan_considered", "status": "not_applicable"})
    assert errors == {"status_reason": "is required: say why this action does not apply"}


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"status": "to_do", "done_at": "2025-07-14 10:30"}, "done_at"),
        ({"status": "to_do", "done_by": "DC Example"}, "done_by"),
        ({"status": "to_do", "done_at": "2025-07-14", "done_by": "DC Example"}, ("done_at", "done_by")),
        ({"status": "not_applicable", "status_reason": "Closed", "done_by": "DC Example"}, "done_by"),
    ],
)
def test_when_and_by_whom_are_refused_for_an_action_not_done(db, analyst, counts, given, field):
    errors = _refused(db, analyst, counts, {"kind": "reported_to_platform", **given})
    named = field if isinstance(field, tuple) else (field,)
    assert errors == dict.fromkeys(named, "is only for a done action; leave it empty")


@pytest.mark.parametrize("reference", ["", "   ", None])
def test_the_police_informed_done_needs_the_reference_they_gave(db, analyst, counts, reference):
    errors = _refused(db, analyst, counts, {**POLICE, "reference": reference})
    assert errors == {"reference": actions.POLICE_REFERENCE_NEEDED}


def test_the_police_reference_is_needed_when_done_now_too(db, analyst, counts):
    errors = _refused(db, analyst, counts, {"kind": "police_informed", "status": "done"})
    assert errors == {"reference": actions.POLICE_REFERENCE_NEEDED}


def test_a_police_informed_action_to_do_needs_no_reference(db, analyst):
    _add(db, analyst, {"kind": "police_informed", "due_date": "2025-08-01"})
    assert (_latest(db)["status"], _latest(db)["reference"]) == ("to_do", "")


def test_other_kinds_done_need_no_reference(db, analyst):
    _add(db, analyst, {**POLICE, "kind": "dsl_informed", "reference": ""})
    assert _latest(db)["reference"] == ""


def test_the_kind_other_needs_a_note(db, analyst, counts):
    assert _refused(db, analyst, counts, {"kind": "other"}) == {"note": "is required"}


def test_an_unknown_field_is_named(db, analyst, counts):
    assert _refused(db, analyst, counts, {**TODO, "colour": "red"}) == {"colour": "is not an action field"}


def test_an_observation_of_another_case_is_refused(db, analyst, counts, observation_input):
    authorised_case(db, "CASE-2")
    observations.record(db, analyst, "CASE-2", observation_input())
    errors = _refused(db, analyst, counts, {**TODO, "observation": "OBS-0001"})
    assert errors == {"observation": "OBS-0001 is not an observation in this case"}


def test_a_retracted_observation_cannot_be_named(db, analyst, counts, observation_input):
    code = _observation(db, analyst, observation_input)
    observations.retract(db, analyst, CASE, code, "Recorded on the wrong child")
    errors = _refused(db, analyst, counts, {**TODO, "observation": code})
    assert errors == {"observation": f"{code} is retracted; name a current observation"}


def test_several_bad_fields_are_named_at_once(db, analyst, counts):
    given = {"kind": "sent_a_letter", "status": "finished", "due_date": "soon", "observation": "OBS-0042", "x": 1}
    assert set(_refused(db, analyst, counts, given)) == {"kind", "status", "due_date", "observation", "x"}


def test_the_refusals_say_what_is_allowed(db, analyst, counts):
    errors = _refused(db, analyst, counts, {"kind": "sent_a_letter", "status": "finished"})
    assert "police_informed" in errors["kind"] and "other" in errors["kind"]
    assert "to_do" in errors["status"] and "not_applicable" in errors["status"]


# --- updating ------------------------------------------------------------------------------------


def test_update_adds_version_two_and_keeps_what_was_not_given(db, analyst, counts, observation_input):
    code = _observation(db, analyst, observation_input)
    _add(db, analyst, {**TODO, "observation": code})
    before = counts()
    assert _update(db, analyst, {"due_date": "2025-08-15"}, reason="The DSL is away") == "ACT-0001"
    assert _changed(before, counts()) == {"action_versions": 1, "audit_events": 1}
    first, second = _versions(db)
    assert (second["version"], second["due_date"], second["change_reason"]) == (2, "2025-08-15", "The DSL is away")
    keep = ("kind", "observation_id", "note", "status", "status_reason", "done_at", "done_precision", "done_by")
    assert {k: second[k] for k in keep} == {k: first[k] for k in keep}
    assert first["due_date"] == "2025-08-01"  # version 1 is untouched


def test_update_marks_a_to_do_action_done_with_the_reference(db, analyst):
    _add(db, analyst, {"kind": "police_informed", "due_date": "2025-08-01"})
    _update(db, analyst, {"status": "done", "done_at": "2025-07-20 16:05", "reference": "LOG-9"})
    version = _latest(db)
    assert (version["status"], version["done_at"], version["done_precision"]) == (
        "done", "2025-07-20T15:05:00Z", "exact",
    )  # fmt: skip
    assert (version["reference"], version["done_by"]) == ("LOG-9", analyst.display_name)


def test_update_marking_police_informed_done_without_a_reference_is_refused(db, analyst, counts):
    _add(db, analyst, {"kind": "police_informed"})
    before = counts()
    with pytest.raises(ValidationError) as raised:
        _update(db, analyst, {"status": "done"})
    assert raised.value.errors == {"reference": actions.POLICE_REFERENCE_NEEDED}
    assert counts() == before


def test_update_of_a_done_action_keeps_when_and_by_whom(db, analyst):
    _add(db, analyst, POLICE)
    _update(db, analyst, {"note": "Officer will call back"})
    first, second = _versions(db)
    keep = ("status", "done_at", "done_precision", "done_by", "reference")
    assert {k: second[k] for k in keep} == {k: first[k] for k in keep}
    assert second["note"] == "Officer will call back"


def test_update_of_a_done_action_keeps_a_day_precision(db, analyst):
    _add(db, analyst, {**POLICE, "done_at": "2025-07-14"})
    _update(db, analyst, {"reference": "LOG-4472"})
    assert (_latest(db)["done_at"], _latest(db)["done_precision"]) == ("2025-07-13T23:00:00Z", "day")


def test_leaving_done_clears_when_and_by_whom(db, analyst):
    _add(db, analyst, {**POLICE, "kind": "reported_to_platform"})
    _update(db, analyst, {"status": "to_do", "due_date": "2025-08-01"}, reason="The report did not go through")
    version = _latest(db)
    assert (version["status"], version["done_at"], version["done_precision"], version["done_by"]) == (
        "to_do", None, "unknown", "",
    )  # fmt: skip
    assert version["reference"] == "LOG-4471"  # the reference is not when or by whom


def test_update_to_not_applicable_needs_a_reason(db, analyst, counts):
    _add(db, analyst, TODO)
    before = counts()
    with pytest.raises(ValidationError) as raised:
        _update(db, analyst, {"status": "not_applicable"})
    assert set(raised.value.errors) == {"status_reason"}
    assert counts() == before
    _update(db, analyst, {"status": "not_applicable", "status_reason": "The child has left the school"})
    version = _latest(db)
    assert (version["status"], version["status_reason"]) == ("not_applicable", "The child has left the school")


def test_leaving_not_applicable_clears_the_reason(db, analyst):
    _add(db, analyst, {**TODO, "status": "not_applicable", "status_reason": "Left the school"})
    _update(db, analyst, {"status": "to_do"})
    assert (_latest(db)["status"], _latest(db)["status_reason"]) == ("to_do", "")


def test_update_of_a_not_applicable_action_keeps_its_reason(db, analyst):
    _add(db, analyst, {**TODO, "status": "not_applicable", "status_reason": "Left the school"})
    _update(db, analyst, {"note": "Confirmed with the new school"})
    assert (_latest(db)["status"], _latest(db)["status_reason"]) == ("not_applicable", "Left the school")


def test_update_giving_the_status_label_done_keeps_when_and_by_whom(db, analyst):
    _add(db, analyst, POLICE)
    _update(db, analyst, {"status": "Done", "note": "Officer will call back"})
    version = _latest(db)
    assert (version["done_at"], version["done_precision"], version["done_by"]) == (
        "2025-07-14T09:30:00Z", "exact", "DC Example",
    )  # fmt: skip


def test_update_giving_the_status_label_not_applicable_keeps_the_reason(db, analyst):
    _add(db, analyst, {**TODO, "status": "not_applicable", "status_reason": "Left the school"})
    _update(db, analyst, {"status": "Not applicable", "note": "Confirmed with the new school"})
    assert (_latest(db)["status"], _latest(db)["status_reason"]) == ("not_applicable", "Left the school")


def test_update_with_no_change_is_refused(db, analyst, counts):
    _add(db, analyst, TODO)
    before = counts()
    for changes in ({}, {"due_date": "2025-08-01"}, {"note": "  Tell the school's DSL  "}):
        with pytest.raises(ValidationError) as raised:
            _update(db, analyst, changes)
        assert set(raised.value.errors) == {"action"}
        assert "nothing was changed" in raised.value.errors["action"]
    assert counts() == before


def test_update_refuses_bad_fields_and_an_over_long_reason_together(db, analyst, counts):
    _add(db, analyst, TODO)
    before = counts()
    with pytest.raises(ValidationError) as raised:
        _update(db, analyst, {"due_date": "soon", "status": "finished"}, reason="x" * 2001)
    assert set(raised.value.errors) == {"due_date", "status", "reason"}
    assert counts() == before


def test_update_with_a_stale_version_is_a_conflict(db, analyst, counts):
    _add(db, analyst, TODO)
    _update(db, analyst, {"due_date": "2025-08-15"}, expected_version=1)
    before = counts()
    with pytest.raises(Conflict, match="now version 2"):
        _update(db, analyst, {"due_date": "2025-08-20"}, expected_version=1)
    assert counts() == before
    _update(db, analyst, {"due_date": "2025-08-20"}, expected_version=2)
    assert _latest(db)["version"] == 3


def test_update_is_audited_with_the_changed_fields(db, analyst):
    _add(db, analyst, {"kind": "police_informed"})
    _update(db, analyst, {"status": "done", "done_at": "2025-07-20 16:05", "reference": "LOG-9"}, reason="Rang 101")
    [event] = _events(db, "action.update")
    assert (event["username"], event["case_ref"], event["item_code"], event["justification"]) == (
        "analyst", CASE, "ACT-0001", "Rang 101",
    )  # fmt: skip
    details = json.loads(event["details"])
    assert details["version"] == 2 and details["status"] == "done"
    assert set(details["changed"]) == {"status", "done_at", "done_precision", "done_by", "reference"}


def test_an_action_naming_a_since_retracted_observation_can_still_be_updated(db, analyst, observation_input):
    code = _observation(db, analyst, observation_input)
    _add(db, analyst, {**POLICE, "observation": code})
    observations.retract(db, analyst, CASE, code, "Recorded on the wrong child")
    _update(db, analyst, {"note": "The observation was withdrawn"})
    version = _latest(db)
    assert (version["version"], version["observation_id"]) == (2, _observation_row_id(db, code))


def test_an_update_cannot_name_another_retracted_observation(db, analyst, counts, observation_input):
    kept = _observation(db, analyst, observation_input)
    withdrawn = _observation(db, analyst, observation_input, summary="Another bio")
    observations.retract(db, analyst, CASE, withdrawn, "Duplicate")
    _add(db, analyst, {**POLICE, "observation": kept})
    before = counts()
    with pytest.raises(ValidationError) as raised:
        _update(db, analyst, {"observation": withdrawn})
    assert set(raised.value.errors) == {"observation"}
    assert counts() == before


def test_update_can_clear_the_observation(db, analyst, observation_input):
    code = _observation(db, analyst, observation_input)
    _add(db, analyst, {**TODO, "observation": code})
    _update(db, analyst, {"observation": ""})
    assert _latest(db)["observation_id"] is None


def test_updating_an_unknown_code_is_not_found(db, analyst, counts):
    _add(db, analyst, TODO)
    before = counts()
    with pytest.raises(NotFound, match="ACT-0009"):
        _update(db, analyst, {"note": "x"}, code="ACT-0009")
    assert counts() == before


def test_an_update_giving_only_when_it_was_done_marks_it_done(db, analyst):
    _add(db, analyst, TODO)
    _update(db, analyst, {"done_at": "2025-07-20 15:00", "done_by": "Head of year"})
    latest = _latest(db)
    assert (latest["status"], latest["done_at"], latest["done_by"]) == ("done", "2025-07-20T14:00:00Z", "Head of year")


def test_an_update_form_sending_back_everything_can_reopen_a_done_action(db, analyst):
    """A form sends every field back, the old when and by whom included: reopening drops them."""
    _add(db, analyst, {**POLICE, "observation": ""})
    sent_back = actions.view_action(db, analyst, CASE, "ACT-0001").current
    _update(db, analyst, {**sent_back, "status": "to_do", "due_date": "2025-08-01"})
    latest = _latest(db)
    assert (latest["status"], latest["done_at"], latest["done_by"]) == ("to_do", None, "")
    assert latest["reference"] == "LOG-4471"  # not tied to being done: kept


def test_a_new_when_typed_while_reopening_is_still_refused(db, analyst):
    _add(db, analyst, POLICE)
    with pytest.raises(ValidationError) as refused:
        _update(db, analyst, {"status": "to_do", "done_at": "2025-07-15 09:00"})
    assert refused.value.errors == {"done_at": "is only for a done action; leave it empty"}


# --- retracting ----------------------------------------------------------------------------------


def test_retract_adds_a_version_marked_retracted_with_the_reason(db, analyst, counts):
    _add(db, analyst, POLICE)
    before = counts()
    assert actions.retract_action(db, analyst, CASE, "act-0001", "Entered on the wrong case") == "ACT-0001"
    assert _changed(before, counts()) == {"action_versions": 1, "audit_events": 1}
    first, second = _versions(db)
    assert (first["retracted"], first["change_reason"]) == (0, "")
    assert (second["version"], second["retracted"], second["change_reason"]) == (2, 1, "Entered on the wrong case")
    keep = ("kind", "observation_id", "note", "status", "done_at", "done_precision", "done_by", "reference")
    assert {k: second[k] for k in keep} == {k: first[k] for k in keep}
    [event] = _events(db, "action.retract")
    assert (event["item_code"], event["justification"]) == ("ACT-0001", "Entered on the wrong case")
    assert json.loads(event["details"]) == {"version": 2}


def test_a_retracted_action_cannot_be_updated_or_retracted_again(db, analyst, counts):
    _add(db, analyst, TODO)
    actions.retract_action(db, analyst, CASE, "ACT-0001", "Wrong case")
    before = counts()
    with pytest.raises(Conflict, match="ACT-0001 is retracted"):
        _update(db, analyst, {"due_date": "2025-09-01"})
    with pytest.raises(Conflict, match="ACT-0001 is retracted"):
        actions.retract_action(db, analyst, CASE, "ACT-0001", "Again")
    assert counts() == before


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_retract_without_a_reason_is_refused(db, analyst, counts, reason):
    _add(db, analyst, TODO)
    before = counts()
    with pytest.raises(ValidationError) as raised:
        actions.retract_action(db, analyst, CASE, "ACT-0001", reason)
    assert set(raised.value.errors) == {"reason"}
    assert counts() == before


def test_retract_with_a_stale_version_is_a_conflict(db, analyst, counts):
    _add(db, analyst, TODO)
    _update(db, analyst, {"due_date": "2025-08-15"})
    before = counts()
    with pytest.raises(Conflict):
        actions.retract_action(db, analyst, CASE, "ACT-0001", "Wrong case", expected_version=1)
    assert counts() == before


# --- viewing -------------------------------------------------------------------------------------


def test_view_gives_the_current_fields_as_a_form_gives_them(db, analyst, observation_input):
    code = _observation(db, analyst, observation_input)
    _add(db, analyst, {**POLICE, "observation": code, "note": "Rang 101"})
    view = actions.view_action(db, analyst, CASE, "act-0001")
    assert (view.code, view.version, view.retracted) == ("ACT-0001", 1, False)
    assert view.current == {
        "kind": "police_informed",
        "observation": code,
        "note": "Rang 101",
        "due_date": "",
        "status": "done",
        "status_reason": "",
        "done_at": "2025-07-14 10:30",  # local time, as typed
        "done_by": "DC Example",
        "reference": "LOG-4471",
    }


def test_view_gives_every_version_oldest_first(db, analyst):
    _add(db, analyst, {"kind": "police_informed", "due_date": "2025-08-01"})
    _update(db, analyst, {"status": "done", "done_at": "2025-07-20", "reference": "LOG-9"})
    actions.retract_action(db, analyst, CASE, "ACT-0001", "Wrong case")
    view = actions.view_action(db, analyst, CASE, "ACT-0001")
    assert (view.version, view.retracted) == (3, True)
    assert list(view.versions.columns) == actions.COLUMNS
    assert view.versions["version"].tolist() == [1, 2, 3]
    assert view.versions["status"].tolist() == ["to_do", "done", "done"]
    assert view.versions["retracted"].tolist() == [False, False, True]
    assert view.versions["done"].tolist() == ["", "20 Jul 2025", "20 Jul 2025"]


def test_view_is_audited(db, analyst):
    _add(db, analyst, TODO)
    actions.view_action(db, analyst, CASE, "ACT-0001")
    [event] = _events(db, "action.view")
    assert (event["username"], event["case_ref"], event["item_code"]) == ("analyst", CASE, "ACT-0001")


def test_viewing_an_unknown_code_is_not_found(db, analyst):
    with pytest.raises(NotFound):
        actions.view_action(db, analyst, CASE, "ACT-0001")


# --- listing -------------------------------------------------------------------------------------


def test_list_gives_the_current_versions_in_the_order_recorded(db, analyst, reviewer):
    _add(db, analyst, TODO)
    _add(db, analyst, POLICE)
    _update(db, analyst, {"status": "done", "done_at": "2025-07-20 16:05"}, code="ACT-0001")
    frame = actions.list_actions(db, reviewer, CASE)
    assert list(frame.columns) == actions.COLUMNS
    assert frame["code"].tolist() == ["ACT-0001", "ACT-0002"]
    assert frame["version"].tolist() == [2, 1]
    assert frame["status"].tolist() == ["done", "done"]
    assert frame["action"].tolist() == ["DSL informed", "Police informed"]
    assert frame["state"].tolist() == ["Done", "Done"]
    assert frame["done"].tolist() == ["20 Jul 2025 16:05", "14 Jul 2025 10:30"]
    assert frame["recorded_by"].tolist() == ["analyst", "analyst"]


def test_list_is_audited_with_the_row_count(db, analyst):
    _add(db, analyst, TODO)
    _add(db, analyst, POLICE)
    actions.list_actions(db, analyst, CASE)
    [event] = _events(db, "action.list")
    assert (event["username"], event["case_ref"]) == ("analyst", CASE)
    assert json.loads(event["details"]) == {"rows": 2}


def test_retracted_actions_are_hidden_unless_asked_for(db, analyst):
    _add(db, analyst, TODO)
    _add(db, analyst, POLICE)
    actions.retract_action(db, analyst, CASE, "ACT-0001", "Wrong case")
    assert actions.list_actions(db, analyst, CASE)["code"].tolist() == ["ACT-0002"]
    shown = actions.list_actions(db, analyst, CASE, include_retracted=True)
    assert shown["code"].tolist() == ["ACT-0001", "ACT-0002"]
    assert shown["retracted"].tolist() == [True, False]


def test_an_empty_case_lists_no_actions_with_the_columns(db, analyst):
    frame = actions.list_actions(db, analyst, CASE)
    assert frame.empty
    assert list(frame.columns) == actions.COLUMNS


def test_unset_days_and_observations_read_as_empty_text(db, analyst):
    _add(db, analyst, {"kind": "reported_to_platform"})
    row = actions.actions_frame(db, 1, today=date(2025, 8, 2)).iloc[0]
    assert (row["due_date"], row["done_at"], row["done"], row["observation"]) == ("", "", "", "")


@pytest.mark.parametrize(
    ("given", "overdue"),
    [
        ({"kind": "dsl_informed", "due_date": "2025-08-01"}, True),  # due yesterday
        ({"kind": "dsl_informed", "due_date": "2025-08-02"}, False),  # due today
        ({"kind": "dsl_informed", "due_date": "2025-08-03"}, False),
        ({"kind": "dsl_informed"}, False),  # no due date
        ({"kind": "dsl_informed", "due_date": "2025-08-01", "done_at": "2025-07-31"}, False),  # done
        ({"kind": "dsl_informed", "due_date": "2025-08-01", "status": "not_applicable", "status_reason": "n/a"}, False),
    ],
)
def test_overdue_is_only_a_to_do_action_past_its_due_date(db, analyst, case, given, overdue):
    _add(db, analyst, given)
    frame = actions.actions_frame(db, case.case_id, today=date(2025, 8, 2))
    assert frame["overdue"].tolist() == [overdue]


def test_outstanding_orders_overdue_first_then_by_due_date_then_none(db, analyst, case):
    _add(db, analyst, {"kind": "dsl_informed"})  # ACT-0001: no due date
    _add(db, analyst, {"kind": "dsl_informed", "due_date": "2025-08-20"})  # ACT-0002
    _add(db, analyst, {"kind": "dsl_informed", "due_date": "2025-07-30"})  # ACT-0003: overdue
    _add(db, analyst, {"kind": "dsl_informed", "due_date": "2025-08-10"})  # ACT-0004
    _add(db, analyst, {"kind": "dsl_informed", "due_date": "2025-07-01"})  # ACT-0005: overdue
    _add(db, analyst, {"kind": "referral_made"})  # ACT-0006: no due date
    frame = actions.actions_frame(db, case.case_id, today=date(2025, 8, 2))
    got = actions.outstanding(frame)
    assert got["code"].tolist() == ["ACT-0005", "ACT-0003", "ACT-0004", "ACT-0002", "ACT-0001", "ACT-0006"]
    assert list(got.columns) == actions.COLUMNS


def test_outstanding_leaves_out_done_not_applicable_and_retracted(db, analyst, case):
    _add(db, analyst, {"kind": "dsl_informed", "due_date": "2025-07-01"})  # ACT-0001: to do
    _add(db, analyst, {**POLICE, "due_date": "2025-07-01"})  # ACT-0002: done
    _add(db, analyst, {"kind": "dsl_informed", "status": "not_applicable", "status_reason": "n/a"})  # ACT-0003
    _add(db, analyst, {"kind": "dsl_informed", "due_date": "2025-07-01"})  # ACT-0004: retracted
    actions.retract_action(db, analyst, CASE, "ACT-0004", "Duplicate")
    frame = actions.actions_frame(db, case.case_id, include_retracted=True, today=date(2025, 8, 2))
    assert actions.outstanding(frame)["code"].tolist() == ["ACT-0001"]


# --- what people read ----------------------------------------------------------------------------


def _rows(db, case_id: int) -> list[dict]:
    return actions.actions_frame(db, case_id, today=date(2025, 8, 2)).to_dict("records")


def test_summary_lines(db, analyst, case, observation_input):
    code = _observation(db, analyst, observation_input)
    _add(db, analyst, {**POLICE, "observation": code})
    _add(db, analyst, {"kind": "dsl_informed", "due_date": "2025-07-30", "note": "Ring the DSL"})
    _add(db, analyst, {"kind": "dsl_informed", "due_date": "2025-08-05"})
    _add(db, analyst, {"kind": "safety_plan_considered", "status": "not_applicable", "status_reason": "Already in"})
    _add(db, analyst, {"kind": "referral_made"})
    _add(db, analyst, {"kind": "reported_to_platform", "done_at": "2025-07-14", "done_by": ""})
    lines = [actions.summary_line(row) for row in _rows(db, case.case_id)]
    assert lines == [
        f"Done 14 Jul 2025 10:30 by DC Example · ref LOG-4471 · for {code}",
        "To do, due 30 Jul 2025 (OVERDUE) · Ring the DSL",
        "To do, due 05 Aug 2025",
        "Not applicable: Already in",
        "To do",
        f"Done 14 Jul 2025 by {analyst.display_name}",
    ]


def test_for_export_gives_plain_values(db, analyst, case):
    _add(db, analyst, POLICE)
    _add(db, analyst, {"kind": "dsl_informed", "due_date": "2025-07-30"})
    exported = actions.for_export(actions.actions_frame(db, case.case_id, today=date(2025, 8, 2)))
    assert list(exported.columns) == [
        "code", "version", "kind", "observation", "note", "due_date", "status", "status_reason", "done_at",
        "done_precision", "done_by", "reference", "overdue", "retracted", "recorded_by", "recorded_at",
    ]  # fmt: skip
    assert "action" not in exported.columns and "done" not in exported.columns
    rows = exported.to_dict("records")
    assert {k: rows[0][k] for k in ("code", "kind", "status", "done_at", "done_precision", "reference")} == {
        "code": "ACT-0001",
        "kind": "police_informed",
        "status": "done",
        "done_at": "2025-07-14T09:30:00Z",
        "done_precision": "exact",
        "reference": "LOG-4471",
    }
    assert [(r["due_date"], r["overdue"], r["retracted"]) for r in rows] == [
        ("", False, False),
        ("2025-07-30", True, False),
    ]
    assert exported["overdue"].dtype == bool and exported["retracted"].dtype == bool


def test_for_export_of_no_actions_is_empty_with_the_columns(db, case):
    exported = actions.for_export(actions.actions_frame(db, case.case_id))
    assert exported.empty and "reference" in exported.columns


@pytest.mark.parametrize(
    ("day", "text"),
    [("2026-03-20", "20 Mar 2026"), ("2025-08-05", "05 Aug 2025"), ("", ""), (None, "")],
)
def test_day_text(day, text):
    assert actions.day_text(day) == text


def test_all_versions_gives_each_version_and_the_latest_number(db, analyst, case):
    _add(db, analyst, TODO)
    _update(db, analyst, {"due_date": "2025-08-15"})
    _add(db, analyst, POLICE)
    frame = actions.all_versions(db, case.case_id, today=date(2025, 8, 2))
    assert list(zip(frame["code"], frame["version"], frame["latest"], strict=True)) == [
        ("ACT-0001", 1, 2), ("ACT-0001", 2, 2), ("ACT-0002", 1, 1),
    ]  # fmt: skip
    assert isinstance(frame, pd.DataFrame)


# --- append-only ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE actions SET code = 'ACT-0099'",
        "DELETE FROM actions",
        "UPDATE action_versions SET retracted = 1",
        "UPDATE action_versions SET reference = 'rewritten'",
        "UPDATE action_versions SET status = 'to_do', done_at = NULL",
        "DELETE FROM action_versions",
    ],
)
def test_actions_and_their_versions_cannot_be_changed_or_deleted(db, analyst, sql):
    _add(db, analyst, POLICE)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute(sql)
    stored = db.execute("SELECT COUNT(*), MAX(reference), MAX(retracted), MAX(status) FROM action_versions")
    assert stored.fetchone() == (1, "LOG-4471", 0, "done")
    assert db.execute("SELECT code FROM actions").fetchall() == [("ACT-0001",)]


@pytest.mark.parametrize(
    "sql",
    [
        # done with no time, and not applicable with no reason, are refused by the table itself
        """INSERT INTO action_versions (action_id, version, kind, status, recorded_by, recorded_at)
           VALUES (1, 2, 'police_informed', 'done', 1, '2025-07-14T09:30:00Z')""",
        """INSERT INTO action_versions (action_id, version, kind, status, recorded_by, recorded_at)
           VALUES (1, 2, 'police_informed', 'not_applicable', 1, '2025-07-14T09:30:00Z')""",
        """INSERT INTO action_versions (action_id, version, kind, status, recorded_by, recorded_at)
           VALUES (1, 2, 'police_informed', 'finished', 1, '2025-07-14T09:30:00Z')""",
    ],
)
def test_the_table_refuses_an_inconsistent_status(db, analyst, sql):
    _add(db, analyst, POLICE)
    with pytest.raises(sqlite3.IntegrityError):
        db.execute(sql)
    assert db.execute("SELECT COUNT(*) FROM action_versions").fetchone() == (1,)


# --- who may ---------------------------------------------------------------------------------------


def test_a_reviewer_member_may_not_add_update_or_retract(db, analyst, reviewer, counts):
    _add(db, analyst, TODO)
    before = counts()
    with pytest.raises(PermissionDenied):
        _add(db, reviewer, POLICE)
    with pytest.raises(PermissionDenied):
        _update(db, reviewer, {"due_date": "2025-09-01"})
    with pytest.raises(PermissionDenied):
        actions.retract_action(db, reviewer, CASE, "ACT-0001", "Wrong case")
    assert counts() == before


def test_a_reviewer_member_may_view_and_list(db, analyst, reviewer):
    _add(db, analyst, TODO)
    assert actions.view_action(db, reviewer, CASE, "ACT-0001").code == "ACT-0001"
    assert actions.list_actions(db, reviewer, CASE)["code"].tolist() == ["ACT-0001"]


def test_a_non_member_is_told_the_case_is_not_found(db, analyst, analyst2, counts):
    _add(db, analyst, TODO)
    before = counts()
    with pytest.raises(NotFound):
        _add(db, analyst2, POLICE)
    with pytest.raises(NotFound):
        _update(db, analyst2, {"due_date": "2025-09-01"})
    with pytest.raises(NotFound):
        actions.retract_action(db, analyst2, CASE, "ACT-0001", "Wrong case")
    with pytest.raises(NotFound):
        actions.view_action(db, analyst2, CASE, "ACT-0001")
    with pytest.raises(NotFound):
        actions.list_actions(db, analyst2, CASE)
    assert counts() == before
