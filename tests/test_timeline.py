"""The timeline against the real SQLite file: observations, dated facts, evidence captures and
milestones on one axis, each at the time it is known to (UTC) and shown no finer than that
(London); superseded and retracted versions hidden unless asked for; every filter; the audited
read; weekly counts; formula-safe CSV."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pandas as pd
import pytest

from tests import evidence_files as files
from tests.conftest import CASE
from workbench import evidence, facts, milestones, observations, people, timeline
from workbench.errors import NotFound
from workbench.timeline import TimelineFilter

DOB = {"person": "P-0001", "attribute": "date_of_birth", "value": "2010-05-14", "source_agency": "school"}
SCHOOL = {**DOB, "attribute": "school", "value": "Northfield Academy"}
CSV_HEADER = [c for c in timeline.COLUMNS if c not in ("source_rank", "information_rank")]


def _note(observation_input, summary: str = "Seen at the park", **overrides) -> dict:
    """A general note, observed on 1 Aug 2025 unless said otherwise."""
    overrides.setdefault("observed_at", "2025-08-01 12:00")
    return observation_input(
        kind="general_note", indicator="note", summary=summary, details={"note": summary}, **overrides
    )


def _observe(db, actor, given: dict) -> str:
    return observations.record(db, actor, CASE, given).code


def _frame(db, case) -> pd.DataFrame:
    return timeline.events_frame(db, case.case_id)


def _events(db, actor, **filters) -> pd.DataFrame:
    return timeline.timeline(db, actor, CASE, TimelineFilter(**filters)).events


def _codes(frame: pd.DataFrame) -> list[str]:
    return frame["code"].tolist()


def _iso(frame: pd.DataFrame) -> list[str]:
    return frame["at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ").tolist()


def _row(frame: pd.DataFrame, code: str) -> dict:
    [row] = frame[frame["code"] == code].to_dict("records")
    return row


def _png_evidence(db, actor, **capture) -> str:
    [result] = evidence.add_files(
        db,
        actor,
        CASE,
        [evidence.Upload.of_bytes("bio.png", files.png((40, 30), colour="teal"))],
        {"confirmed_no_indecent_image": True, **capture},
    )
    assert result.code, result.error
    return result.code


# --- where each source sits ----------------------------------------------------------------------


def test_every_source_is_an_event_at_its_time_shown_no_finer_than_known(db, analyst, case, observation_input):
    _observe(db, analyst, _note(observation_input, occurred_at="2025-07-14 10:30", observed_at="2025-07-15 09:00"))
    facts.add_fact(db, analyst, CASE, {**SCHOOL, "valid_from": "2025-06-02"})
    milestones.add_milestone(db, analyst, CASE, {"kind": "referral", "occurred_at": "~2025-03", "note": "From school"})
    milestones.add_milestone(db, analyst, CASE, {"kind": "child_seen", "occurred_at": "~2025-07-20"})
    ev = _png_evidence(db, analyst, observation="OBS-0001", shows="The bio", platform="instagram")
    frame = _frame(db, case)
    assert list(frame.columns) == timeline.COLUMNS
    assert frame[["event", "code", "source"]].values.tolist() == [
        ["M-0001 v1", "M-0001", "milestone"],
        ["F-0001 v1", "F-0001", "fact"],
        ["OBS-0001 v1", "OBS-0001", "observation"],
        ["M-0002 v1", "M-0002", "milestone"],
        ["EV-0001", ev, "evidence"],
    ]
    assert str(frame["at"].dt.tz) == "UTC"
    observation = _row(frame, "OBS-0001")
    assert observation["at"] == pd.Timestamp("2025-07-14T09:30:00Z")  # 10:30 in London (BST)
    assert (observation["when"], observation["approximate"]) == ("14 Jul 2025 10:30", False)
    assert (observation["what"], observation["kind"], observation["five_c"], observation["indicator"]) == (
        "General note", "General note", "Content", "Note",
    )  # fmt: skip
    assert (observation["person"], observation["grade"], observation["status"]) == (
        "Child A",
        "2 / B / P",
        "uncorroborated",
    )
    referral = _row(frame, "M-0001")
    assert referral["at"] == pd.Timestamp("2025-03-01T00:00:00Z")  # March: London is on GMT
    assert (referral["when"], referral["approximate"]) == ("~Mar 2025", True)
    assert (referral["what"], referral["summary"], referral["five_c"], referral["kind"]) == (
        "Referral", "Referral: From school", "Milestones", "Milestone",
    )  # fmt: skip
    seen = _row(frame, "M-0002")
    assert (seen["at"], seen["when"], seen["summary"]) == (
        pd.Timestamp("2025-07-19T23:00:00Z"), "~20 Jul 2025", "Child seen",
    )  # fmt: skip
    school = _row(frame, "F-0001")
    assert school["when"] == "02 Jun 2025"
    assert school["at"].tz_convert("Europe/London").date() == date(2025, 6, 2)
    assert school["summary"] == "School: Northfield Academy · School"
    assert (school["person"], school["five_c"], school["kind"], school["grade"]) == (
        "Child A", "Trusted facts", "Trusted fact", "",
    )  # fmt: skip
    captured = _row(frame, ev)
    received = db.execute("SELECT received_at FROM evidence WHERE code = ?", (ev,)).fetchone()[0]
    assert captured["at"] == pd.Timestamp(received)
    assert captured["when"] == pd.Timestamp(received).tz_convert("Europe/London").strftime("%d %b %Y %H:%M")
    assert (captured["summary"], captured["platform"], captured["five_c"]) == (
        "The bio · for OBS-0001", "Instagram", "Evidence",
    )  # fmt: skip
    assert frame["at"].is_monotonic_increasing


def test_evidence_without_a_description_is_named_by_its_file(db, analyst, case):
    _png_evidence(db, analyst)
    assert _frame(db, case)["summary"].tolist() == ["bio.png"]


def test_a_fact_without_valid_from_is_not_an_event(db, analyst, case):
    facts.add_fact(db, analyst, CASE, DOB)
    facts.add_fact(db, analyst, CASE, SCHOOL)
    assert _frame(db, case).empty


def test_an_observation_with_unknown_occurred_at_sits_at_observed_at_as_approximate(
    db, analyst, case, observation_input
):
    _observe(db, analyst, _note(observation_input, observed_at="2025-03-14 10:30"))
    _observe(db, analyst, _note(observation_input, occurred_at="unknown", observed_at="2025-07-14 10:30"))
    frame = _frame(db, case)
    assert _iso(frame) == ["2025-03-14T10:30:00Z", "2025-07-14T09:30:00Z"]
    assert frame["approximate"].tolist() == [True, True]
    assert frame["when"].tolist() == ["~14 Mar 2025 10:30", "~14 Jul 2025 10:30"]


@pytest.mark.parametrize(
    ("occurred", "at", "when"),
    [
        ("2025", "2025-01-01T00:00:00Z", "2025"),
        ("~2025-07", "2025-06-30T23:00:00Z", "~Jul 2025"),
        ("2025-07-14", "2025-07-13T23:00:00Z", "14 Jul 2025"),
        ("~2025-03-14", "2025-03-14T00:00:00Z", "~14 Mar 2025"),
        ("2025-01-05 08:05", "2025-01-05T08:05:00Z", "05 Jan 2025 08:05"),
    ],
)
def test_an_observation_is_shown_to_the_precision_it_is_known(db, analyst, case, observation_input, occurred, at, when):
    _observe(db, analyst, _note(observation_input, occurred_at=occurred, observed_at="2025-08-01 12:00"))
    frame = _frame(db, case)
    assert (_iso(frame), frame["when"].tolist()) == ([at], [when])
    assert frame["approximate"].tolist() == [when.startswith("~")]


def test_events_are_oldest_first_whatever_order_they_were_recorded(db, analyst, case, observation_input):
    for day in ("2025-05-03", "2025-01-20", "2025-03-09"):
        _observe(db, analyst, _note(observation_input, summary=f"On {day}", occurred_at=day))
    milestones.add_milestone(db, analyst, CASE, {"kind": "case_conference", "occurred_at": "2025-02-01"})
    frame = _frame(db, case)
    assert _codes(frame) == ["OBS-0002", "M-0001", "OBS-0003", "OBS-0001"]


def test_a_dated_fact_sits_at_the_start_of_its_london_day_like_an_observation_known_to_that_day(
    db, analyst, case, observation_input
):
    _observe(db, analyst, _note(observation_input, occurred_at="2025-07-01"))
    facts.add_fact(db, analyst, CASE, {**SCHOOL, "valid_from": "2025-07-01"})
    frame = _frame(db, case)
    assert _row(frame, "F-0001")["at"] == _row(frame, "OBS-0001")["at"] == pd.Timestamp("2025-06-30T23:00:00Z")


# --- versions ------------------------------------------------------------------------------------


def test_an_amended_observation_shows_its_current_version_unless_history_is_asked_for(db, analyst, observation_input):
    first = observations.record(db, analyst, CASE, _note(observation_input, summary="Seen at the park"))
    changed = {**first.as_input(), "summary": "Seen at the skate park"}
    observations.amend(db, analyst, CASE, "OBS-0001", changed, "Wrong place typed")
    shown = timeline.timeline(db, analyst, CASE)
    assert shown.events[["event", "version", "current", "summary"]].values.tolist() == [
        ["OBS-0001 v2", 2, True, "Seen at the skate park"]
    ]
    assert shown.total == 1
    every = timeline.timeline(db, analyst, CASE, TimelineFilter(include_history=True))
    assert every.events[["event", "version", "current", "retracted", "summary"]].values.tolist() == [
        ["OBS-0001 v1", 1, False, False, "Seen at the park"],
        ["OBS-0001 v2", 2, True, False, "Seen at the skate park"],
    ]
    assert every.total == 2


def test_retracted_records_are_hidden_unless_history_is_asked_for(db, analyst, observation_input):
    _observe(db, analyst, _note(observation_input, summary="Kept"))
    _observe(db, analyst, _note(observation_input, summary="Withdrawn"))
    observations.retract(db, analyst, CASE, "OBS-0002", "Wrong child")
    milestones.add_milestone(db, analyst, CASE, {"kind": "referral", "occurred_at": "2025-02-01"})
    milestones.retract_milestone(db, analyst, CASE, "M-0001", "Wrong case")
    facts.add_fact(db, analyst, CASE, {**SCHOOL, "valid_from": "2024-09-01"})
    facts.retract_fact(db, analyst, CASE, "F-0001", "Wrong school")
    assert _codes(_events(db, analyst)) == ["OBS-0001"]
    every = _events(db, analyst, include_history=True)
    assert every[["event", "current", "retracted"]].values.tolist() == [
        ["F-0001 v1", False, False],
        ["F-0001 v2", True, True],
        ["M-0001 v1", False, False],
        ["M-0001 v2", True, True],
        ["OBS-0001 v1", True, False],
        ["OBS-0002 v1", False, False],
        ["OBS-0002 v2", True, True],
    ]
    assert _row(every[every["event"] == "OBS-0002 v2"], "OBS-0002")["status"] == ""


# --- filters -------------------------------------------------------------------------------------


@pytest.fixture
def mixed(db, analyst, observation_input):
    """OBS-0001 Content, 1 Jun 2025, graded 1/A, Child A's TikTok; OBS-0002 Contact, 23:30 London on
    10 Jun, 3/E, Person B's Instagram, immediate risk; OBS-0003 Conduct, 00:30 London on 11 Jun (still
    10 Jun in UTC), 2/C, no account; OBS-0004 admiralty F/6; M-0001 referral on 12 Jun."""
    assert people.add_person(db, analyst, CASE, "Unknown adult", "person_of_concern") == "P-0002"
    people.add_account(db, analyst, CASE, "Instagram", "darkknight", person="P-0002")
    people.add_account(db, analyst, CASE, "TikTok", "zoe_dances", person="P-0001")
    seen = {"observed_at": "2025-06-20 09:00"}
    dance = _note(observation_input, summary="Dance videos", occurred_at="2025-06-01", account="AC-0002", **seen)
    _observe(db, analyst, {**dance, "source_grade": "1", "information_grade": "A"})
    contact = {
        "kind": "contact_event",
        "indicator": "unknown_adult_contact",
        "summary": "Adult asked to meet",
        "details": {"counterpart_handle": "darkknight"},
        "account": "AC-0001",
        "occurred_at": "2025-06-10 23:30",
        "source_grade": "3",
        "information_grade": "E",
        "immediate_risk": True,
    }
    _observe(db, analyst, observation_input(**contact, **seen))
    bullying = {
        "kind": "general_note",
        "indicator": "bullying",
        "summary": "Name-calling",
        "details": {"note": "Name-calling in a group chat"},
        "occurred_at": "2025-06-11 00:30",
        "source_grade": "2",
        "information_grade": "C",
    }
    _observe(db, analyst, observation_input(**bullying, **seen))
    hearsay = {"grading_scheme": "admiralty", "source_grade": "F", "information_grade": "6"}
    _observe(db, analyst, _note(observation_input, summary="Hearsay", occurred_at="2025-06-15", **hearsay, **seen))
    milestones.add_milestone(db, analyst, CASE, {"kind": "referral", "occurred_at": "2025-06-12"})
    return db


def test_the_mixed_case_is_as_described(mixed, analyst):
    frame = _events(mixed, analyst)
    assert _codes(frame) == ["OBS-0001", "OBS-0002", "OBS-0003", "M-0001", "OBS-0004"]
    assert _iso(frame)[1:3] == ["2025-06-10T22:30:00Z", "2025-06-10T23:30:00Z"]
    assert frame["when"].tolist()[1:3] == ["10 Jun 2025 23:30", "11 Jun 2025 00:30"]
    assert frame["five_c"].tolist() == ["Content", "Contact", "Conduct", "Milestones", "Content"]
    assert frame["person"].tolist() == ["Child A", "Person B", "Child A", "", "Child A"]
    assert frame["source_rank"].tolist()[:3] == [0, 2, 1]
    assert frame["grade"].tolist()[4] == "F6 / P"


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["OBS-0001", "OBS-0002", "OBS-0003", "M-0001", "OBS-0004"]),
        # London days, inclusive: 23:30 on the 10th is the 10th; 00:30 on the 11th is not, though UTC says so.
        ({"date_from": date(2025, 6, 10), "date_to": date(2025, 6, 10)}, ["OBS-0002"]),
        ({"date_to": date(2025, 6, 10)}, ["OBS-0001", "OBS-0002"]),
        ({"date_from": date(2025, 6, 11)}, ["OBS-0003", "M-0001", "OBS-0004"]),
        ({"date_from": date(2025, 6, 11), "date_to": date(2025, 6, 12)}, ["OBS-0003", "M-0001"]),
        ({"five_cs": ("Contact",)}, ["OBS-0002"]),
        ({"five_cs": ("Conduct", "Milestones")}, ["OBS-0003", "M-0001"]),
        ({"kinds": ("Contact event",)}, ["OBS-0002"]),
        ({"kinds": ("Milestone",)}, ["M-0001"]),
        ({"people": ("Person B",)}, ["OBS-0002"]),
        ({"people": ("Child A",)}, ["OBS-0001", "OBS-0003", "OBS-0004"]),
        ({"accounts": ("darkknight",)}, ["OBS-0002"]),
        ({"platforms": ("TikTok",)}, ["OBS-0001"]),
        ({"platforms": ("TikTok", "Instagram")}, ["OBS-0001", "OBS-0002"]),
        # A minimum grade keeps that grade or better, and keeps events that have no grade.
        ({"max_source_rank": 0}, ["OBS-0001", "M-0001"]),
        ({"max_source_rank": 1}, ["OBS-0001", "OBS-0003", "M-0001"]),
        ({"max_source_rank": 2}, ["OBS-0001", "OBS-0002", "OBS-0003", "M-0001"]),
        ({"max_information_rank": 0}, ["OBS-0001", "M-0001"]),
        ({"max_information_rank": 2}, ["OBS-0001", "OBS-0003", "M-0001"]),
        ({"max_information_rank": 5}, ["OBS-0001", "OBS-0002", "OBS-0003", "M-0001", "OBS-0004"]),
        ({"immediate_risk_only": True}, ["OBS-0002"]),
        ({"sources": ("milestone",)}, ["M-0001"]),
        ({"sources": ("observation",)}, ["OBS-0001", "OBS-0002", "OBS-0003", "OBS-0004"]),
        ({"statuses": ("uncorroborated",)}, ["OBS-0001", "OBS-0002", "OBS-0003", "OBS-0004"]),
        ({"five_cs": ("Content",), "max_source_rank": 1}, ["OBS-0001"]),
        ({"people": ("Child A",), "date_from": date(2025, 6, 11)}, ["OBS-0003", "OBS-0004"]),
        ({"accounts": ("nobody",)}, []),
    ],
)
def test_each_filter_narrows_as_it_says(mixed, analyst, filters, expected):
    assert _codes(_events(mixed, analyst, **filters)) == expected


def test_apply_works_on_a_frame_without_the_database(mixed, case):
    every = _frame(mixed, case)
    assert _codes(timeline.apply(every, TimelineFilter(immediate_risk_only=True, platforms=("Instagram",)))) == [
        "OBS-0002"
    ]
    assert timeline.apply(every, TimelineFilter(platforms=("Snapchat",))).columns.tolist() == timeline.COLUMNS


def test_statuses_come_from_the_cross_references(db, analyst, observation_input):
    facts.add_fact(db, analyst, CASE, DOB)  # 14 on 14 Mar 2025
    _observe(db, analyst, observation_input(summary="Bio states 19"))
    _observe(
        db, analyst, observation_input(summary="Bio states 14", details={"profile_element": "bio", "stated_age": 14})
    )
    _observe(db, analyst, _note(observation_input))
    frame = _events(db, analyst)
    assert frame[["code", "status"]].values.tolist() == [
        ["OBS-0001", "contradicted"], ["OBS-0002", "corroborated"], ["OBS-0003", "uncorroborated"],
    ]  # fmt: skip
    assert _codes(_events(db, analyst, statuses=("contradicted",))) == ["OBS-0001"]
    assert _codes(_events(db, analyst, statuses=("corroborated", "uncorroborated"))) == ["OBS-0002", "OBS-0003"]


@pytest.mark.filterwarnings("error::pandas.errors.Pandas4Warning")
def test_a_case_without_cross_references_builds_without_a_pandas_deprecation(db, analyst, case, observation_input):
    _observe(db, analyst, _note(observation_input))
    assert _frame(db, case)["status"].tolist() == ["uncorroborated"]


# --- the read is audited -------------------------------------------------------------------------


def test_timeline_writes_one_audit_event_with_the_count_shown(mixed, analyst, counts):
    before = counts()
    shown = timeline.timeline(mixed, analyst, CASE, TimelineFilter(five_cs=("Content",)))
    assert (len(shown.events), shown.total) == (2, 5)
    after = counts()
    assert {t: after[t] - before[t] for t in after if after[t] != before[t]} == {"audit_events": 1}
    [event] = mixed.query("SELECT * FROM audit_events ORDER BY seq DESC LIMIT 1")
    assert (event["action"], event["username"], event["case_ref"]) == ("timeline.view", "analyst", CASE)
    assert json.loads(event["details"]) == {"events": 2}


def test_a_reviewer_member_may_read_the_timeline(mixed, reviewer):
    assert len(timeline.timeline(mixed, reviewer, CASE).events) == 5


def test_a_non_member_is_told_the_case_is_not_found_and_nothing_is_logged_for_the_case(mixed, analyst2):
    with pytest.raises(NotFound):
        timeline.timeline(mixed, analyst2, CASE)
    assert mixed.execute("SELECT COUNT(*) FROM audit_events WHERE action = 'timeline.view'").fetchone()[0] == 0


# --- weekly counts -------------------------------------------------------------------------------


def _post(observation_input, occurred: str, indicator: str = "radical_propaganda", **overrides) -> dict:
    return observation_input(
        kind="posting_activity", indicator=indicator, summary="Posts", occurred_at=occurred,
        details={"topic": "extremist propaganda", "post_count": 3}, observed_at="2025-07-01 09:00", **overrides,
    )  # fmt: skip


def test_weekly_counts_show_a_surge_in_monday_start_london_weeks(db, analyst, case, observation_input):
    # Week of Mon 2 Jun: one post, on Sunday 8 Jun at 23:30 London.
    _observe(db, analyst, _post(observation_input, "2025-06-08 23:30"))
    # Week of Mon 9 Jun: five, from 00:30 London on the Monday (still Sunday in UTC) to 23:30 on Sunday 15th.
    for moment in ("2025-06-09 00:30", "2025-06-10 12:00", "2025-06-12", "2025-06-14 18:00", "2025-06-15 23:30"):
        _observe(db, analyst, _post(observation_input, moment))
    # Week of Mon 16 Jun: a bullying post and a note; a milestone is not an observation.
    _observe(db, analyst, _post(observation_input, "2025-06-16 09:00", indicator="bullying_posts"))
    _observe(db, analyst, _note(observation_input, occurred_at="2025-06-17"))
    milestones.add_milestone(db, analyst, CASE, {"kind": "strategy_discussion", "occurred_at": "2025-06-10"})
    frame = _frame(db, case)
    by_topic = timeline.weekly_counts(frame)
    assert list(by_topic.columns) == ["week", "topic", "observations"]
    assert [(w.strftime("%a %Y-%m-%d"), t, n) for w, t, n in by_topic.itertuples(index=False)] == [
        ("Mon 2025-06-02", "Radical propaganda posts", 1),
        ("Mon 2025-06-09", "Radical propaganda posts", 5),
        ("Mon 2025-06-16", "Bullying posts", 1),
        ("Mon 2025-06-16", "Note", 1),
    ]
    by_five_c = timeline.weekly_counts(frame, by="five_c")
    assert by_five_c[["five_c", "observations"]].values.tolist() == [
        ["Content", 1], ["Content", 5], ["Conduct", 1], ["Content", 1],
    ]  # fmt: skip
    by_kind = timeline.weekly_counts(frame, by="kind")
    assert by_kind[["kind", "observations"]].values.tolist() == [
        ["Posting activity", 1], ["Posting activity", 5], ["General note", 1], ["Posting activity", 1],
    ]  # fmt: skip
    assert by_kind["observations"].sum() == 8


def test_weekly_counts_of_no_observations_is_empty_with_its_columns(db, analyst, case):
    milestones.add_milestone(db, analyst, CASE, {"kind": "referral", "occurred_at": "2025-06-10"})
    counted = timeline.weekly_counts(_frame(db, case), by="five_c")
    assert counted.empty
    assert list(counted.columns) == ["week", "five_c", "observations"]


# --- CSV -----------------------------------------------------------------------------------------


def test_csv_has_iso_utc_times_and_formula_safe_cells(mixed, analyst, observation_input):
    _observe(mixed, analyst, _note(observation_input, summary="=SUM(A1)", occurred_at="2025-06-20 08:15"))
    rows = list(csv.reader(io.StringIO(timeline.as_csv(_events(mixed, analyst)))))
    assert rows[0] == CSV_HEADER
    body = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    assert [r["code"] for r in body] == ["OBS-0001", "OBS-0002", "OBS-0003", "M-0001", "OBS-0004", "OBS-0005"]
    assert [r["at"] for r in body] == [
        "2025-05-31T23:00:00Z", "2025-06-10T22:30:00Z", "2025-06-10T23:30:00Z", "2025-06-11T23:00:00Z",
        "2025-06-14T23:00:00Z", "2025-06-20T07:15:00Z",
    ]  # fmt: skip
    assert body[-1]["summary"] == "'=SUM(A1)"
    assert body[1]["when"] == "10 Jun 2025 23:30"


# --- an empty case -------------------------------------------------------------------------------


def test_an_empty_case_gives_an_empty_frame_with_the_columns(db, analyst, case):
    frame = _frame(db, case)
    assert frame.empty and list(frame.columns) == timeline.COLUMNS
    filters = TimelineFilter(
        date_from=date(2025, 1, 1), immediate_risk_only=True, max_source_rank=0, five_cs=("Content",)
    )
    shown = timeline.timeline(db, analyst, CASE, filters)
    assert (shown.events.empty, shown.total, list(shown.events.columns)) == (True, 0, timeline.COLUMNS)
    assert list(csv.reader(io.StringIO(timeline.as_csv(shown.events)))) == [CSV_HEADER]
    assert timeline.weekly_counts(shown.events).empty
