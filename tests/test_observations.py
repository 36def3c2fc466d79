"""Observations: recorded field by field, graded, amended as new versions, retracted, never lost."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from workbench import cases, observations, people
from workbench.access import SYSTEM
from workbench.errors import Conflict, NotFound, PermissionDenied, ValidationError
from workbench.timeutil import PartialTime, from_iso_utc


def _record(db, actor, given) -> observations.Observation:
    return observations.record(db, actor, "CASE-1", given)


# --- recording -----------------------------------------------------------------------------------


def test_record_returns_the_first_code_and_what_was_stored(db, analyst, observation_input):
    recorded = _record(db, analyst, observation_input())
    assert recorded.code == "OBS-0001"
    assert recorded.version == 1
    assert (recorded.kind, recorded.indicator, recorded.five_c) == ("profile_indicator", "stated_age", "content")
    assert recorded.summary == "Instagram bio states age 19"
    assert recorded.details == {"profile_element": "bio", "stated_age": 19}
    assert recorded.person == "P-0001"  # the child, when nobody else is named
    assert recorded.account is None
    assert recorded.visibility == "public"
    assert recorded.observed_at == "2025-03-14T10:30:00Z"
    assert recorded.occurred == PartialTime.unknown()
    assert (recorded.grading_scheme, recorded.grade) == ("3x5x2", "2 / B / P")
    assert recorded.recorded_by == "analyst"
    assert not recorded.immediate_risk and not recorded.retracted


def test_record_gives_consecutive_codes(db, analyst, observation_input):
    codes = [_record(db, analyst, observation_input(summary=f"number {i}")).code for i in range(3)]
    assert codes == ["OBS-0001", "OBS-0002", "OBS-0003"]


def test_record_writes_one_observation_one_version_and_one_event(db, analyst, observation_input, counts):
    before = counts()
    _record(db, analyst, observation_input())
    after = counts()
    changed = {table: after[table] - before[table] for table in after if after[table] != before[table]}
    assert changed == {"observations": 1, "observation_versions": 1, "audit_events": 1}


@pytest.mark.parametrize(
    ("kind", "indicator", "details", "five_c"),
    [
        ("profile_indicator", "stated_age", {"profile_element": "bio", "stated_age": 19}, "content"),
        ("contact_event", "grooming_pattern", {"counterpart_handle": "@x"}, "contact"),
        ("contact_event", "gifts_or_money_offered", {"counterpart_handle": "@x"}, "commercialisation"),
        ("general_note", "bullying", {"note": "n"}, "conduct"),
        ("group_membership", "harmful_community", {"group_name": "g", "category": "self_harm"}, "communities"),
        ("device_observation", "anonymous_chat_app", {"reported_by": "police"}, "contact"),
    ],
)
def test_record_derives_the_five_c_from_kind_and_indicator(db, analyst, observation_input, kind, indicator, details,
                                                           five_c):  # fmt: skip
    recorded = _record(db, analyst, observation_input(kind=kind, indicator=indicator, details=details))
    assert recorded.five_c == five_c


def test_an_explicit_five_c_overrides_the_derived_one(db, analyst, observation_input):
    assert _record(db, analyst, observation_input(five_c="Communities")).five_c == "communities"


def test_labels_are_accepted_in_any_letter_case(db, analyst, observation_input):
    recorded = _record(
        db, analyst,
        observation_input(
            kind="PROFILE INDICATOR", indicator="stated AGE", five_c="Content", source_type="viewed by the analyst",
            source_grade="2 untested", information_grade="b", handling_code="p", visibility="Friends only",
        ),
    )  # fmt: skip
    assert (recorded.kind, recorded.indicator, recorded.five_c) == ("profile_indicator", "stated_age", "content")
    assert (recorded.source_type, recorded.visibility) == ("analyst_viewed", "friends_only")
    assert (recorded.source_grade, recorded.information_grade, recorded.handling_code) == ("2", "B", "P")


def test_details_may_come_as_json_text(db, analyst, observation_input):
    recorded = _record(db, analyst, observation_input(details='{"profile_element": "bio", "stated_age": 19}'))
    assert recorded.details == {"profile_element": "bio", "stated_age": 19}


def test_occurred_time_keeps_its_precision(db, analyst, observation_input):
    recorded = _record(db, analyst, observation_input(occurred_at="~2025-03", observed_at="2025-03-20 09:00"))
    assert recorded.occurred == PartialTime("2025-03-01T00:00:00Z", "month", True)


def test_occurred_precision_and_approximate_may_be_given_apart(db, analyst, observation_input):
    recorded = _record(
        db, analyst,
        observation_input(occurred_at="2025-03-14 08:15", occurred_precision="day", occurred_approximate="yes"),
    )  # fmt: skip
    assert recorded.occurred == PartialTime("2025-03-14T00:00:00Z", "day", True)


def test_observed_at_defaults_to_now(db, analyst, observation_input):
    given = observation_input()
    del given["observed_at"]
    before = datetime.now(UTC).replace(microsecond=0)
    recorded = _record(db, analyst, given)
    assert before <= from_iso_utc(recorded.observed_at) <= datetime.now(UTC)


@pytest.mark.parametrize("flag", [True, "yes", "TRUE", "1"])
def test_immediate_risk_is_stored(db, analyst, observation_input, flag):
    recorded = _record(db, analyst, observation_input(immediate_risk=flag))
    assert recorded.immediate_risk is True
    frame = observations.list_observations(db, analyst, "CASE-1")
    assert frame["immediate_risk"].tolist() == [1]
    assert observations.for_display(frame)["Risk"].tolist() == ["IMMEDIATE RISK"]


def test_admiralty_grades_are_accepted_under_the_admiralty_scheme(db, analyst, observation_input):
    recorded = _record(
        db, analyst, observation_input(grading_scheme="admiralty", source_grade="B", information_grade="2")
    )
    assert (recorded.grading_scheme, recorded.source_grade, recorded.information_grade) == ("admiralty", "B", "2")
    assert recorded.grade == "B2 / P"


def test_3x5x2_grades_are_refused_under_the_admiralty_scheme(db, analyst, observation_input):
    with pytest.raises(ValidationError) as raised:
        _record(db, analyst, observation_input(grading_scheme="admiralty", source_grade="2", information_grade="B"))
    assert set(raised.value.errors) == {"source_grade", "information_grade"}
    assert "A, B, C, D, E, F" in raised.value.errors["source_grade"]


def test_the_default_grading_scheme_comes_from_the_environment(db, analyst, observation_input, monkeypatch):
    monkeypatch.setenv("WORKBENCH_GRADING", "admiralty")
    recorded = _record(db, analyst, observation_input(source_grade="F", information_grade="6"))
    assert (recorded.grading_scheme, recorded.grade) == ("admiralty", "F6 / P")


def test_an_account_links_the_observation_to_its_owner(db, analyst, observation_input):
    owner = people.add_person(db, analyst, "CASE-1", "Adult contact", "person_of_concern")
    account = people.add_account(db, analyst, "CASE-1", "Instagram", "@marco.example", person=owner)
    by_code = _record(db, analyst, observation_input(account=account.lower()))
    by_handle = _record(db, analyst, observation_input(account="@marco.example"))
    assert (by_code.account, by_code.person) == (account, owner)
    assert (by_handle.account, by_handle.person) == (account, owner)


def test_an_account_without_an_owner_is_about_the_child(db, analyst, observation_input):
    account = people.add_account(db, analyst, "CASE-1", "TikTok", "@someone")
    recorded = _record(db, analyst, observation_input(account=account))
    assert (recorded.account, recorded.person) == (account, "P-0001")


def test_a_named_person_wins_over_the_account_owner(db, analyst, observation_input):
    mother = people.add_person(db, analyst, "CASE-1", "Mother", "family")
    account = people.add_account(db, analyst, "CASE-1", "TikTok", "@someone", person="P-0001")
    assert _record(db, analyst, observation_input(account=account, person=mother.lower())).person == mother


# --- refusing bad input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field", "reason"),
    [
        ({"kind": "recipe"}, "kind", "must be one of: "),
        ({"kind": ""}, "kind", "is required"),
        ({"indicator": "sunburn"}, "indicator", "must be one of: "),
        ({"summary": ""}, "summary", "is required"),
        ({"summary": "   "}, "summary", "is required"),
        ({"summary": "x" * 1001}, "summary", "at most 1000 characters (it has 1001)"),
        ({"summary": "x" * 10_000}, "summary", "at most 1000 characters (it has 10000)"),
        ({"source_grade": "7"}, "source_grade", "must be one of: 1, 2, 3"),
        ({"information_grade": "Z"}, "information_grade", "must be one of: A, B, C, D, E"),
        ({"handling_code": "X"}, "handling_code", "must be one of: P, C"),
        ({"handling_code": ""}, "handling_code", "is required"),
        ({"source_type": "gossip"}, "source_type", "must be one of"),
        ({"visibility": "secret"}, "visibility", "must be one of"),
        ({"grading_scheme": "nato"}, "grading_scheme", "must be one of: 3x5x2, admiralty"),
        ({"immediate_risk": "maybe"}, "immediate_risk", "must be true or false"),
        ({"details": {"profile_element": "bio", "stated_age": 19, "x": 1}}, "details.x", "is not a field"),
        ({"details": {"profile_element": "bio"}}, "details.stated_age", "is required for the indicator"),
        ({"details": {"profile_element": "bio", "stated_age": "19 ish"}}, "details.stated_age", "whole number"),
        ({"details": "{not json"}, "details", "is not valid JSON"),
        ({"details": "[1, 2]"}, "details", "must be a JSON object"),
        ({"occurred_at": "2025-03-15"}, "occurred_at", "is after observed_at"),
        ({"occurred_at": "2025-02-30"}, "occurred_at", "is not a date"),
        ({"occurred_at": "2025", "occurred_precision": "day"}, "occurred_at", "not precise enough"),
        ({"observed_at": "2099-01-01 10:00"}, "observed_at", "is in the future"),
        ({"observed_at": "last week"}, "observed_at", "is not a date and time"),
        ({"url": "javascript:alert(1)"}, "url", "must be a web address starting with http:// or https://"),
        ({"url": "ftp://example.org/x"}, "url", "must be a web address"),
        ({"url": "https://example.org/a b"}, "url", "must be a web address"),
        ({"url": "https://example.org/\nx"}, "url", "one line"),
        ({"account": "AC-0099"}, "account", "no account 'AC-0099' in this case"),
        ({"person": "P-0099"}, "person", "no person 'P-0099' in this case"),
        ({"colour": "red"}, "colour", "is not an observation field"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(db, analyst, observation_input, counts,
                                                                      overrides, field, reason):  # fmt: skip
    before = counts()
    with pytest.raises(ValidationError) as raised:
        _record(db, analyst, observation_input(**overrides))
    assert field in raised.value.errors, raised.value.errors
    assert reason in raised.value.errors[field]
    assert counts() == before


def test_every_bad_field_is_named_at_once(db, analyst, observation_input):
    with pytest.raises(ValidationError) as raised:
        _record(
            db, analyst,
            observation_input(summary="", source_grade="9", handling_code="Q", url="javascript:x", account="AC-0404",
                              details={"profile_element": "bio", "stated_age": 19, "bogus": True}),
        )  # fmt: skip
    assert set(raised.value.errors) == {"summary", "source_grade", "handling_code", "url", "account", "details.bogus"}


IMAGE_INCIDENT = {
    "kind": "image_sharing_incident",
    "indicator": "image_shared_by_others",
    "details": {"what_was_seen": "Described in words only", "where_seen": "A group chat"},
}


@pytest.mark.parametrize(
    "url", ["https://cdn.example/img/123.JPG", "https://x.example/a/b.png?size=large", "http://v.example/clip.mp4"]
)
def test_an_image_sharing_incident_cannot_link_to_the_image_itself(db, analyst, observation_input, counts, url):
    before = counts()
    with pytest.raises(ValidationError) as raised:
        _record(db, analyst, observation_input(**IMAGE_INCIDENT, url=url))
    assert "must not link to the image itself" in raised.value.errors["url"]
    assert counts() == before


def test_an_image_sharing_incident_may_name_the_page_where_it_was_seen(db, analyst, observation_input):
    recorded = _record(db, analyst, observation_input(**IMAGE_INCIDENT, url="https://chat.example/group/42"))
    assert recorded.url == "https://chat.example/group/42"


def test_other_kinds_may_link_to_an_image(db, analyst, observation_input):
    assert _record(db, analyst, observation_input(url="https://cdn.example/pic.jpg")).url.endswith(".jpg")


def test_a_summary_of_exactly_the_limit_is_accepted(db, analyst, observation_input):
    summary = "y" * observations.MAX_SUMMARY
    assert _record(db, analyst, observation_input(summary=summary)).summary == summary


def test_an_account_of_another_case_is_unknown_here(db, analyst, observation_input):
    cases.create_case(db, SYSTEM, "CASE-2", "Other", lead="analyst")
    other = people.add_account(db, analyst, "CASE-2", "Instagram", "@elsewhere")
    with pytest.raises(ValidationError) as raised:
        _record(db, analyst, observation_input(account=other))
    assert "account" in raised.value.errors


def test_an_occurred_year_before_1000_is_refused_as_a_field_error(db, analyst, observation_input, counts):
    before = counts()
    with pytest.raises(ValidationError) as raised:
        _record(db, analyst, observation_input(occurred_at="0999"))
    assert "occurred_at" in raised.value.errors
    assert counts() == before


# --- hostile text --------------------------------------------------------------------------------

HOSTILE = [
    "=cmd|' /C calc'!A0",
    "+SUM(1,2)",
    "@import",
    'She said "meet me", then left',
    "one, two, three",
    "line one\nline two\r\nline three",
    "\u202egnp.exe",
    "Emoji 👧🏽✨ and Zoë Ødegård 李",
    "<script>alert(1)</script> **bold** [link](http://x)",
    "Robert'); DROP TABLE observations;--",
    "x" * 1000,
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_text_round_trips_unchanged(db, analyst, observation_input, text):
    details = {"profile_element": "bio", "stated_age": 19, "description": text}
    recorded = _record(db, analyst, observation_input(summary=text, details=details))
    assert recorded.summary == text
    assert recorded.details["description"] == text
    frame = observations.list_observations(db, analyst, "CASE-1")
    assert frame["summary"].tolist() == [text]
    assert json.loads(frame["details"][0])["description"] == text
    assert observations.view(db, analyst, "CASE-1", recorded.code).current.summary == text
    assert observations.for_display(frame)["Summary"].tolist() == [text]


def test_summary_outer_spaces_are_trimmed(db, analyst, observation_input):
    assert _record(db, analyst, observation_input(summary="  padded  ")).summary == "padded"


# --- amending ------------------------------------------------------------------------------------


@pytest.fixture
def recorded(db, analyst, observation_input):
    return _record(db, analyst, observation_input(occurred_at="~2025-03-01", account=""))


def test_amend_adds_version_2_and_keeps_version_1(db, analyst, recorded, counts):
    before = counts()
    amended = observations.amend(
        db, analyst, "CASE-1", recorded.code, {**recorded.as_input(), "summary": "Bio states age 18"}, "Misread"
    )
    assert (amended.code, amended.version, amended.summary) == ("OBS-0001", 2, "Bio states age 18")
    assert amended.change_reason == "Misread"
    history = observations.view(db, analyst, "CASE-1", "OBS-0001")
    assert history.current == amended
    assert history.versions["version"].tolist() == [1, 2]
    assert history.versions["summary"].tolist() == ["Instagram bio states age 19", "Bio states age 18"]
    assert history.versions["change_reason"].tolist() == ["", "Misread"]
    assert counts()["observations"] == before["observations"]
    assert counts()["observation_versions"] == before["observation_versions"] + 1


def test_as_input_round_trips_so_only_the_change_is_recorded(db, analyst, observation_input):
    original = _record(
        db, analyst,
        observation_input(occurred_at="~2025-07", observed_at="2025-07-20 22:30", immediate_risk=True,
                          url="https://instagram.example/p/1", visibility="friends_only"),
    )  # fmt: skip
    given = original.as_input()
    given["handling_code"] = "C"
    amended = observations.amend(db, analyst, "CASE-1", original.code, given, "Conditions agreed")
    assert amended.handling_code == "C"
    assert amended.occurred == original.occurred
    assert amended.observed_at == original.observed_at
    assert (amended.url, amended.visibility, amended.immediate_risk) == (original.url, "friends_only", True)
    last = next(db.query("SELECT details FROM audit_events ORDER BY seq DESC LIMIT 1"))
    assert json.loads(last["details"])["changed"] == ["handling_code"]


def test_amend_with_no_change_is_refused(db, analyst, recorded, counts):
    before = counts()
    with pytest.raises(ValidationError) as raised:
        observations.amend(db, analyst, "CASE-1", recorded.code, recorded.as_input(), "No reason")
    assert "nothing was changed" in raised.value.errors["observation"]
    assert counts() == before


def test_amend_needs_a_reason(db, analyst, recorded, counts):
    before = counts()
    with pytest.raises(ValidationError) as raised:
        observations.amend(db, analyst, "CASE-1", recorded.code, {**recorded.as_input(), "summary": "New"}, "  ")
    assert raised.value.errors == {"reason": "is required"}
    assert counts() == before


def test_amend_checks_the_new_input_like_record(db, analyst, recorded, counts):
    before = counts()
    with pytest.raises(ValidationError) as raised:
        observations.amend(db, analyst, "CASE-1", recorded.code, {**recorded.as_input(), "source_grade": "5"}, "")
    assert set(raised.value.errors) == {"source_grade", "reason"}
    assert counts() == before


def test_amend_with_a_stale_expected_version_is_a_conflict(db, analyst, recorded, counts):
    first = observations.amend(
        db, analyst, "CASE-1", recorded.code, {**recorded.as_input(), "summary": "Edit A"}, "A", expected_version=1
    )
    assert first.version == 2
    before = counts()
    with pytest.raises(Conflict, match="now version 2"):
        observations.amend(
            db, analyst, "CASE-1", recorded.code, {**recorded.as_input(), "summary": "Edit B"}, "B", expected_version=1
        )
    assert counts() == before
    assert observations.view(db, analyst, "CASE-1", recorded.code).current.summary == "Edit A"


def test_amend_of_an_unknown_code_is_not_found(db, analyst, recorded):
    with pytest.raises(NotFound, match="OBS-0404"):
        observations.amend(db, analyst, "CASE-1", "OBS-0404", recorded.as_input(), "Why")


def test_a_retracted_observation_cannot_be_amended(db, analyst, recorded, counts):
    observations.retract(db, analyst, "CASE-1", recorded.code, "Wrong child")
    before = counts()
    with pytest.raises(Conflict, match="retracted"):
        observations.amend(db, analyst, "CASE-1", recorded.code, {**recorded.as_input(), "summary": "Back"}, "Undo")
    assert counts() == before


# --- retracting ----------------------------------------------------------------------------------


def test_retract_keeps_the_record_with_its_reason(db, analyst, recorded):
    retracted = observations.retract(db, analyst, "CASE-1", recorded.code, "Wrong child's account")
    assert (retracted.version, retracted.retracted, retracted.change_reason) == (2, True, "Wrong child's account")
    assert retracted.summary == recorded.summary
    assert retracted.details == recorded.details
    history = observations.view(db, analyst, "CASE-1", recorded.code).versions
    assert history["retracted"].tolist() == [0, 1]


def test_retracted_observations_are_listed_only_when_asked(db, analyst, observation_input, recorded):
    kept = _record(db, analyst, observation_input(summary="Kept"))
    observations.retract(db, analyst, "CASE-1", recorded.code, "Withdrawn")
    assert observations.list_observations(db, analyst, "CASE-1")["code"].tolist() == [kept.code]
    everything = observations.list_observations(db, analyst, "CASE-1", include_retracted=True)
    assert everything["code"].tolist() == [recorded.code, kept.code]
    assert everything["retracted"].tolist() == [1, 0]
    shown = observations.for_display(everything)
    assert shown["Status"].tolist() == ["retracted", "current"]


def test_retract_needs_a_reason(db, analyst, recorded, counts):
    before = counts()
    with pytest.raises(ValidationError) as raised:
        observations.retract(db, analyst, "CASE-1", recorded.code, "")
    assert set(raised.value.errors) == {"reason"}
    assert counts() == before


def test_retracting_twice_is_a_conflict(db, analyst, recorded):
    observations.retract(db, analyst, "CASE-1", recorded.code, "Once")
    with pytest.raises(Conflict):
        observations.retract(db, analyst, "CASE-1", recorded.code, "Twice")


# --- who may do what -----------------------------------------------------------------------------


def test_a_reviewer_cannot_record_and_nothing_changes(db, reviewer, observation_input, counts):
    before = counts()
    with pytest.raises(PermissionDenied, match="record"):
        _record(db, reviewer, observation_input())
    assert counts() == before


def test_a_reviewer_cannot_amend_or_retract(db, reviewer, recorded, counts):
    before = counts()
    with pytest.raises(PermissionDenied):
        observations.amend(db, reviewer, "CASE-1", recorded.code, {**recorded.as_input(), "summary": "x"}, "Why")
    with pytest.raises(PermissionDenied):
        observations.retract(db, reviewer, "CASE-1", recorded.code, "Why")
    assert counts() == before


def test_a_reviewer_can_list_and_view(db, reviewer, recorded):
    assert observations.list_observations(db, reviewer, "CASE-1")["code"].tolist() == [recorded.code]
    assert observations.view(db, reviewer, "CASE-1", recorded.code).current == recorded


def test_another_analyst_in_the_case_can_amend(db, analyst2, recorded):
    cases.add_member(db, SYSTEM, "CASE-1", "analyst2", "analyst")
    amended = observations.amend(db, analyst2, "CASE-1", recorded.code, {**recorded.as_input(), "summary": "x"}, "Why")
    assert amended.recorded_by == "analyst2"


@pytest.mark.parametrize(
    "attempt",
    [
        lambda db, who, obs: observations.record(db, who, "CASE-1", obs.as_input()),
        lambda db, who, obs: observations.list_observations(db, who, "CASE-1"),
        lambda db, who, obs: observations.view(db, who, "CASE-1", obs.code),
        lambda db, who, obs: observations.amend(db, who, "CASE-1", obs.code, obs.as_input(), "Why"),
        lambda db, who, obs: observations.retract(db, who, "CASE-1", obs.code, "Why"),
        lambda db, who, obs: observations.import_csv(db, who, "CASE-1", b"kind\n"),
    ],
    ids=["record", "list", "view", "amend", "retract", "import"],
)
def test_a_non_member_gets_not_found_and_nothing_changes(db, analyst2, recorded, counts, attempt):
    before = counts()
    with pytest.raises(NotFound, match="^Case CASE-1 not found.$"):
        attempt(db, analyst2, recorded)
    assert counts() == before


def test_view_of_an_unknown_code_is_not_found(db, analyst, recorded):
    with pytest.raises(NotFound, match="OBS-0002"):
        observations.view(db, analyst, "CASE-1", "obs-0002")
    assert observations.view(db, analyst, "CASE-1", " obs-0001 ").current.code == "OBS-0001"


def test_codes_are_per_case_so_another_case_cannot_be_reached_by_code(db, analyst, analyst2, observation_input):
    cases.create_case(db, SYSTEM, "CASE-2", "Other", lead="analyst2")
    _record(db, analyst, observation_input())
    with pytest.raises(NotFound):
        observations.view(db, analyst2, "CASE-2", "OBS-0001")


# --- what a person reads -------------------------------------------------------------------------


def test_for_display_shows_labels_and_london_times(db, analyst, observation_input):
    _record(
        db, analyst,
        observation_input(observed_at="2025-07-01 10:00", occurred_at="~2025-06", immediate_risk=False),
    )  # fmt: skip
    frame = observations.list_observations(db, analyst, "CASE-1")
    assert frame["observed_at"].tolist() == ["2025-07-01T09:00:00Z"]  # stored in UTC
    row = observations.for_display(frame).iloc[0].to_dict()
    assert row["Code"] == "OBS-0001"
    assert row["Kind"] == "Profile indicator"
    assert row["Five C"] == "Content"
    assert row["Indicator"] == "Stated age"
    assert row["Observed"] == "01 Jul 2025 10:00"  # shown in BST
    assert row["Occurred"] == "~Jun 2025"
    assert row["Grade"] == "2 / B / P"
    assert row["Source"] == "Viewed by the analyst"
    assert row["Status"] == "current"
    assert row["Risk"] == ""
    assert row["Recorded by"] == "analyst"


def test_for_display_marks_amended_observations(db, analyst, recorded):
    observations.amend(db, analyst, "CASE-1", recorded.code, {**recorded.as_input(), "summary": "New"}, "Why")
    shown = observations.for_display(observations.list_observations(db, analyst, "CASE-1"))
    assert shown["Status"].tolist() == ["amended (v2)"]


def test_for_display_of_an_empty_case_is_an_empty_table(db, analyst):
    shown = observations.for_display(observations.list_observations(db, analyst, "CASE-1"))
    assert shown.empty
    assert {"Code", "Summary", "Observed"} <= set(shown.columns)


def test_grade_text_reads_each_scheme():
    assert observations.grade_text("3x5x2", "2", "C", "P") == "2 / C / P"
    assert observations.grade_text("admiralty", "B", "2", "C") == "B2 / C"
