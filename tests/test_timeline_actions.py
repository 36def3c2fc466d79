"""Actions on the timeline and in the conference view. On the timeline: a done action sits when it
was done (to the minute or the day), one still to do at the start of its due London day (or, with
no due date, when it was recorded), one that does not apply when that was decided; each version is
an event, only the current one shown unless history is asked for, retracted ones hidden; "OVERDUE"
only on the current version; the Action filters, the CSV download and the outstanding list. In the
conference view: the actions still to do, whether the police were told of each immediate-risk item,
names in action notes hidden behind pseudonyms, and action events in the chronology."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

import pandas as pd
import pytest

from tests.conftest import CASE
from workbench import actions, conference, milestones, observations, people, timeline, versioned
from workbench.timeline import TimelineFilter
from workbench.timeutil import LONDON

POLICE = {"kind": "police_informed", "status": "done", "done_by": "DC Fictional", "reference": "CAD-4471"}


def _today() -> date:
    return datetime.now(LONDON).date()


def _day(offset: int) -> date:
    return _today() + timedelta(days=offset)


def _day_start_utc(day: date) -> pd.Timestamp:
    """The first instant of a London day, in UTC."""
    return pd.Timestamp(datetime.combine(day, time(), tzinfo=LONDON).astimezone(UTC))


def _act(db, actor, kind: str = "dsl_informed", **given) -> str:
    return actions.add_action(db, actor, CASE, {"kind": kind, **given})


def _update(db, actor, code: str = "ACT-0001", **changes) -> str:
    return actions.update_action(db, actor, CASE, code, changes)


def _frame(db, case) -> pd.DataFrame:
    return timeline.events_frame(db, case.case_id)


def _events(db, actor, **filters) -> pd.DataFrame:
    return timeline.timeline(db, actor, CASE, TimelineFilter(**filters)).events


def _action_events(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["source"] == "action"].reset_index(drop=True)


def _event(frame: pd.DataFrame, event: str) -> dict:
    [row] = frame[frame["event"] == event].to_dict("records")
    return row


def _observe(db, actor, observation_input, **overrides) -> str:
    return observations.record(db, actor, CASE, observation_input(**overrides)).code


@pytest.fixture
def clock(monkeypatch) -> Iterator[list[str]]:
    """Versions are recorded at the times pushed onto this list, in order (creation and later
    versions alike), so that created_at and each recorded_at differ."""
    times: list[str] = []
    monkeypatch.setattr(versioned, "now_utc", lambda: times.pop(0))
    yield times
    assert times == [], "a pushed time was not used"


# --- where an action sits ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("done_at", "at", "when"),
    [
        ("2025-06-10 14:30", "2025-06-10T13:30:00Z", "10 Jun 2025 14:30"),  # BST
        ("2025-06-10", "2025-06-09T23:00:00Z", "10 Jun 2025"),  # the start of the London day
        ("2025-01-05", "2025-01-05T00:00:00Z", "05 Jan 2025"),  # GMT
    ],
)
def test_a_done_action_sits_when_it_was_done_to_its_precision(db, analyst, case, done_at, at, when):
    _act(db, analyst, done_at=done_at)
    [row] = _frame(db, case).to_dict("records")
    assert (row["event"], row["code"], row["at"], row["when"], row["approximate"]) == (
        "ACT-0001 v1", "ACT-0001", pd.Timestamp(at), when, False,
    )  # fmt: skip
    assert (row["source"], row["kind"], row["five_c"], row["what"]) == ("action", "Action", "Actions", "DSL informed")
    assert row["summary"] == f"Done {when} by {analyst.display_name}"
    assert (row["grade"], row["status"], row["person"], row["immediate_risk"]) == ("", "", "", False)


def test_what_is_the_label_of_the_actions_kind(db, analyst, case):
    for kind in ("reported_to_platform", "report_remove_used", "strategy_discussion_held"):
        _act(db, analyst, kind, done_at="2025-06-10")
    assert _frame(db, case)["what"].tolist() == [
        "Reported to platform", "Report Remove used", "Strategy discussion held",
    ]  # fmt: skip


def test_a_to_do_action_sits_at_the_start_of_its_due_london_day(db, analyst, case):
    due = _day(9)
    _act(db, analyst, due_date=due.isoformat(), note="Email the school")
    row = _event(_frame(db, case), "ACT-0001 v1")
    assert row["at"] == _day_start_utc(due)
    assert row["when"] == due.strftime("%d %b %Y")  # day precision: no time of day
    assert row["summary"] == f"To do, due {due.strftime('%d %b %Y')} · Email the school"


def test_a_to_do_action_without_a_due_date_sits_when_it_was_recorded(db, analyst, case, clock):
    clock += ["2025-07-01T09:00:00Z", "2025-07-03T15:20:00Z"]
    _act(db, analyst, note="Find the DSL's address")
    _update(db, analyst, note="Find the DSL's email address")
    assert db.execute("SELECT created_at FROM actions").fetchone()[0] == "2025-07-01T09:00:00Z"
    frame = _frame(db, case)
    assert frame[["event", "when"]].values.tolist() == [  # both at created_at, not the amendment
        ["ACT-0001 v1", "01 Jul 2025 10:00"], ["ACT-0001 v2", "01 Jul 2025 10:00"],
    ]  # fmt: skip
    assert (frame["at"] == pd.Timestamp("2025-07-01T09:00:00Z")).all()
    assert _event(frame, "ACT-0001 v2")["summary"] == "To do · Find the DSL's email address"


def test_a_not_applicable_action_sits_when_that_was_decided(db, analyst, case, clock):
    clock += ["2025-07-01T09:00:00Z", "2025-07-03T15:20:00Z"]
    _act(db, analyst, "safety_plan_considered")
    _update(db, analyst, status="not_applicable", status_reason="A plan is already in place")
    frame = _frame(db, case)
    assert frame[["event", "at", "when"]].values.tolist() == [
        ["ACT-0001 v1", pd.Timestamp("2025-07-01T09:00:00Z"), "01 Jul 2025 10:00"],
        ["ACT-0001 v2", pd.Timestamp("2025-07-03T15:20:00Z"), "03 Jul 2025 16:20"],
    ]
    assert _event(frame, "ACT-0001 v2")["summary"] == "Not applicable: A plan is already in place"


def test_an_action_moves_on_the_axis_as_its_versions_change(db, analyst, case):
    due = _day(4)
    _act(db, analyst, "police_informed", due_date=due.isoformat())
    _update(db, analyst, status="done", done_at="2025-06-10 14:30", reference="CAD-4471")
    frame = _frame(db, case)
    assert frame[["event", "at"]].values.tolist() == [
        ["ACT-0001 v2", pd.Timestamp("2025-06-10T13:30:00Z")], ["ACT-0001 v1", _day_start_utc(due)],
    ]  # fmt: skip
    assert frame["at"].is_monotonic_increasing


# --- versions ------------------------------------------------------------------------------------


def test_each_version_is_an_event_and_only_the_current_one_shows_without_history(db, analyst):
    _act(db, analyst, due_date=_day(4).isoformat())
    _update(db, analyst, status="done", done_at="2025-06-10 14:30")
    shown = timeline.timeline(db, analyst, CASE)
    assert shown.events[["event", "version", "current"]].values.tolist() == [["ACT-0001 v2", 2, True]]
    assert shown.total == 1
    every = timeline.timeline(db, analyst, CASE, TimelineFilter(include_history=True))
    assert every.events[["event", "version", "current", "retracted"]].values.tolist() == [
        ["ACT-0001 v2", 2, True, False], ["ACT-0001 v1", 1, False, False],
    ]  # fmt: skip
    assert every.total == 2


def test_a_retracted_action_is_hidden_unless_history_is_asked_for(db, analyst):
    _act(db, analyst, done_at="2025-06-10")
    _act(db, analyst, "referral_made", done_at="2025-06-11")
    actions.retract_action(db, analyst, CASE, "ACT-0002", "Entered on the wrong case")
    assert _events(db, analyst)["event"].tolist() == ["ACT-0001 v1"]
    every = _events(db, analyst, include_history=True)
    assert every[["event", "current", "retracted"]].values.tolist() == [
        ["ACT-0001 v1", True, False], ["ACT-0002 v1", False, False], ["ACT-0002 v2", True, True],
    ]  # fmt: skip


def test_overdue_is_said_only_of_the_current_version_of_an_overdue_action(db, analyst, case):
    due = _day(-3)
    _act(db, analyst, due_date=due.isoformat())
    _update(db, analyst, note="Chased by phone")
    frame = _frame(db, case)
    due_text = due.strftime("%d %b %Y")
    assert _event(frame, "ACT-0001 v1")["summary"] == f"To do, due {due_text}"
    assert _event(frame, "ACT-0001 v2")["summary"] == f"To do, due {due_text} (OVERDUE) · Chased by phone"


@pytest.mark.parametrize(("offset", "overdue"), [(-1, True), (0, False), (1, False), (30, False)])
def test_only_an_action_due_before_today_is_overdue(db, analyst, case, offset, overdue):
    due = _day(offset)
    _act(db, analyst, due_date=due.isoformat())
    summary = _event(_frame(db, case), "ACT-0001 v1")["summary"]
    assert summary == f"To do, due {due.strftime('%d %b %Y')}" + (" (OVERDUE)" if overdue else "")


def test_a_done_action_is_never_overdue(db, analyst, case):
    _act(db, analyst, due_date=_day(-5).isoformat())
    _update(db, analyst, status="done", done_at="2025-06-10")
    assert "OVERDUE" not in " ".join(_frame(db, case)["summary"])


def test_a_retracted_action_is_not_said_to_be_overdue(db, analyst):
    _act(db, analyst, due_date=_day(-3).isoformat())
    actions.retract_action(db, analyst, CASE, "ACT-0001", "Entered on the wrong case")
    retracted = _event(_events(db, analyst, include_history=True), "ACT-0001 v2")
    assert retracted["retracted"]
    assert "OVERDUE" not in retracted["summary"]


# --- filters, the CSV and the outstanding list ---------------------------------------------------


@pytest.fixture
def mixed(db, analyst, observation_input):
    """OBS-0001 observed 14 Mar 2025 10:30; M-0001 a referral on 13 Mar 2025; ACT-0001 done on
    15 Mar 2025, its note a formula; ACT-0002 to do, due in 6 days."""
    _observe(db, analyst, observation_input)
    milestones.add_milestone(db, analyst, CASE, {"kind": "referral", "occurred_at": "2025-03-13"})
    _act(db, analyst, "reported_to_platform", done_at="2025-03-15 09:00", note="=HYPERLINK(1)")
    _act(db, analyst, "dsl_informed", due_date=_day(6).isoformat())
    return db


@pytest.mark.parametrize(
    "filters",
    [{"kinds": ("Action",)}, {"sources": ("action",)}, {"five_cs": ("Actions",)}],
)
def test_the_action_filters_keep_only_actions(mixed, analyst, filters):
    assert _events(mixed, analyst)["code"].tolist() == ["M-0001", "OBS-0001", "ACT-0001", "ACT-0002"]
    assert _events(mixed, analyst, **filters)["code"].tolist() == ["ACT-0001", "ACT-0002"]


def test_filtering_out_actions_leaves_the_rest(mixed, analyst):
    assert _events(mixed, analyst, sources=("observation", "milestone"))["code"].tolist() == ["M-0001", "OBS-0001"]
    assert _events(mixed, analyst, kinds=("Milestone",))["code"].tolist() == ["M-0001"]


def test_a_date_filter_places_an_action_by_its_london_day(mixed, analyst):
    assert _events(mixed, analyst, date_from=date(2025, 3, 15), date_to=date(2025, 3, 15))["code"].tolist() == [
        "ACT-0001"
    ]
    assert _events(mixed, analyst, date_from=_day(6))["code"].tolist() == ["ACT-0002"]


def test_the_csv_download_includes_the_action_rows(mixed, analyst):
    data = timeline.download_csv(mixed, analyst, CASE, TimelineFilter())
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    body = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    done, to_do = [r for r in body if r["source"] == "action"]
    assert (done["event"], done["at"], done["what"], done["five_c"], done["kind"]) == (
        "ACT-0001 v1", "2025-03-15T09:00:00Z", "Reported to platform", "Actions", "Action",
    )  # fmt: skip
    assert done["summary"].startswith("Done 15 Mar 2025 09:00 by ")
    assert done["summary"].endswith(" · =HYPERLINK(1)")  # inside the cell, so left as typed
    assert (to_do["event"], to_do["at"]) == ("ACT-0002 v1", _day_start_utc(_day(6)).strftime("%Y-%m-%dT%H:%M:%SZ"))


def test_the_csv_download_of_actions_picked_on_the_chart(mixed, analyst):
    data = timeline.download_csv(mixed, analyst, CASE, TimelineFilter(), only={"ACT-0002 v1"})
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == ["ACT-0002 v1"]


def test_timeline_outstanding_lists_the_to_do_actions_overdue_first(db, analyst):
    _act(db, analyst, "dsl_informed", due_date=_day(6).isoformat())  # ACT-0001
    _act(db, analyst, "referral_made")  # ACT-0002: no due date, last
    _act(db, analyst, "police_informed", due_date=_day(-1).isoformat())  # ACT-0003: overdue
    _act(db, analyst, "reported_to_platform", done_at="2025-06-10")  # ACT-0004: done
    _act(db, analyst, "safety_plan_considered", status="not_applicable", status_reason="Not needed")
    _act(db, analyst, "report_remove_used", due_date=_day(-8).isoformat())  # ACT-0006: overdue longest
    _act(db, analyst, "other", note="Wrong case", due_date=_day(-20).isoformat())  # ACT-0007: retracted
    actions.retract_action(db, analyst, CASE, "ACT-0007", "Entered on the wrong case")
    outstanding = timeline.timeline(db, analyst, CASE).outstanding
    assert list(outstanding.columns) == actions.COLUMNS
    assert outstanding[["code", "overdue"]].values.tolist() == [
        ["ACT-0006", True], ["ACT-0003", True], ["ACT-0001", False], ["ACT-0002", False],
    ]  # fmt: skip


def test_timeline_outstanding_is_of_the_whole_case_whatever_the_filters(mixed, analyst):
    shown = timeline.timeline(mixed, analyst, CASE, TimelineFilter(sources=("milestone",)))
    assert shown.events["code"].tolist() == ["M-0001"]
    assert shown.outstanding["code"].tolist() == ["ACT-0002"]


# --- the conference view -------------------------------------------------------------------------


def _conference(db, actor, **options) -> conference.Conference:
    return conference.conference_view(db, actor, CASE, **options)


def test_conference_outstanding_says_what_is_due_and_what_is_overdue(db, analyst, observation_input):
    _observe(db, analyst, observation_input)
    later, earlier = _day(6), _day(-2)
    _act(db, analyst, "dsl_informed", due_date=later.isoformat(), note="Ring the school", observation="OBS-0001")
    _act(db, analyst, "referral_made", due_date=earlier.isoformat())
    _act(db, analyst, "safety_plan_considered", note="At the next visit")
    _act(db, analyst, "reported_to_platform", done_at="2025-06-10")
    outstanding = _conference(db, analyst).outstanding
    assert list(outstanding.columns) == ["code", "action", "due", "overdue", "about"]
    assert outstanding.values.tolist() == [
        ["ACT-0002", "Referral made", earlier.strftime("%d %b %Y"), "OVERDUE", ""],
        ["ACT-0001", "DSL informed", later.strftime("%d %b %Y"), "", "Ring the school (for OBS-0001)"],
        ["ACT-0003", "Safety plan considered", "", "", "At the next visit"],
    ]


def test_conference_outstanding_is_empty_when_nothing_is_to_do(db, analyst):
    _act(db, analyst, done_at="2025-06-10")
    outstanding = _conference(db, analyst).outstanding
    assert outstanding.empty
    assert list(outstanding.columns) == ["code", "action", "due", "overdue", "about"]


@pytest.fixture
def risky(db, analyst, observation_input):
    """OBS-0001 and OBS-0002, immediate risk, observed at 10:30 on 14 and 15 Mar 2025 (GMT)."""
    _observe(db, analyst, observation_input, immediate_risk=True)
    _observe(db, analyst, observation_input, immediate_risk=True, observed_at="2025-03-15 10:30")
    return db


def _police_told(db, actor) -> dict[str, str]:
    found = _conference(db, actor).immediate_risk
    return dict(zip(found["code"], found["police_told"], strict=True))


def test_conference_says_when_by_whom_and_with_what_reference_the_police_were_told(risky, analyst):
    _act(risky, analyst, **POLICE, observation="OBS-0001", done_at="2025-03-14 12:45")
    found = _conference(risky, analyst).immediate_risk
    assert found[["code", "marked"]].values.tolist() == [
        ["OBS-0001", "14 Mar 2025 10:30"], ["OBS-0002", "15 Mar 2025 10:30"],
    ]  # fmt: skip
    assert _police_told(risky, analyst) == {
        "OBS-0001": "Yes: 14 Mar 2025 12:45 by DC Fictional, ref CAD-4471 (ACT-0001); 2 h 15 min after it was marked",
        "OBS-0002": "NOT RECORDED",
    }


def test_a_police_action_naming_no_observation_covers_what_was_marked_before_it(risky, analyst):
    _act(risky, analyst, **POLICE, done_at="2025-03-15 11:00")
    assert _police_told(risky, analyst) == {
        "OBS-0001": "Yes: 15 Mar 2025 11:00 by DC Fictional, ref CAD-4471 (ACT-0001); 1 d 30 min after it was marked",
        "OBS-0002": "Yes: 15 Mar 2025 11:00 by DC Fictional, ref CAD-4471 (ACT-0001); 30 min after it was marked",
    }


def test_a_police_action_done_on_a_day_says_so(risky, analyst):
    _act(risky, analyst, **POLICE, observation="OBS-0002", done_at="2025-03-16")
    assert _police_told(risky, analyst)["OBS-0002"] == (
        "Yes: 16 Mar 2025 by DC Fictional, ref CAD-4471 (ACT-0001); told on 16 Mar 2025 (no time given)"
    )


@pytest.mark.parametrize(
    "given",
    [
        {"kind": "police_informed", "due_date": "2025-03-20"},  # still to do
        {"kind": "dsl_informed", "done_at": "2025-03-14 12:45"},  # not the police
    ],
)
def test_only_a_done_police_action_counts_as_telling_the_police(risky, analyst, given):
    actions.add_action(risky, analyst, CASE, {**given, "observation": "OBS-0001"})
    assert _police_told(risky, analyst) == {"OBS-0001": "NOT RECORDED", "OBS-0002": "NOT RECORDED"}


def test_a_retracted_police_action_no_longer_counts(risky, analyst):
    _act(risky, analyst, **POLICE, observation="OBS-0001", done_at="2025-03-14 12:45")
    actions.retract_action(risky, analyst, CASE, "ACT-0001", "Wrong child")
    assert _police_told(risky, analyst)["OBS-0001"] == "NOT RECORDED"


@pytest.fixture
def named(db, analyst, observation_input):
    """Person B is "Darren Fictional"; OBS-0001; ACT-0001 to do about him, due in 3 days, for
    OBS-0001; ACT-0002 done on 14 Mar 2025 12:00 with his name in lower case in the note."""
    assert people.add_person(db, analyst, CASE, "Darren Fictional", "person_of_concern") == "P-0002"
    _observe(db, analyst, observation_input)
    note = "Ask Darren Fictional's school to call back"
    _act(db, analyst, "dsl_informed", due_date=_day(3).isoformat(), note=note, observation="OBS-0001")
    _act(db, analyst, "reported_to_platform", done_at="2025-03-14 12:00", note="Reported darren fictional")
    return db


def test_with_pseudonyms_only_a_name_in_an_action_note_becomes_the_pseudonym(named, analyst):
    hidden = _conference(named, analyst, pseudonyms_only=True)
    assert hidden.outstanding["about"].tolist() == ["Ask Person B's school to call back (for OBS-0001)"]
    summaries = dict(zip(hidden.chronology["code"], hidden.chronology["summary"], strict=True))
    assert summaries["ACT-0001"].endswith(" · Ask Person B's school to call back · for OBS-0001")
    assert summaries["ACT-0002"].endswith(" · Reported Person B")
    assert "darren" not in " ".join(hidden.chronology["summary"]).lower()


def test_without_pseudonyms_only_the_name_in_an_action_note_stays(named, analyst):
    shown = _conference(named, analyst)
    assert shown.outstanding["about"].tolist() == ["Ask Darren Fictional's school to call back (for OBS-0001)"]
    assert "Reported darren fictional" in " ".join(shown.chronology["summary"])


def test_the_chronology_lists_action_events_in_time_order(db, analyst, observation_input):
    _observe(db, analyst, observation_input)  # 14 Mar 2025 10:30
    milestones.add_milestone(db, analyst, CASE, {"kind": "referral", "occurred_at": "2025-03-13"})
    due = _day(2)
    _act(db, analyst, "dsl_informed", due_date=due.isoformat())  # ACT-0001: sits on its due day
    _act(db, analyst, "police_informed", done_at="2025-03-14 12:45", reference="CAD-4471")  # ACT-0002
    _act(db, analyst, "reported_to_platform", done_at="2025-03-14")  # ACT-0003: the day, from midnight
    _act(db, analyst, "referral_made", done_at="2025-03-12", note="Wrong case")  # ACT-0004: retracted
    actions.retract_action(db, analyst, CASE, "ACT-0004", "Entered on the wrong case")
    chronology = _conference(db, analyst).chronology
    assert list(chronology.columns) == conference.CHRONOLOGY_COLUMNS
    assert chronology[["when", "code", "what"]].values.tolist() == [
        ["13 Mar 2025", "M-0001", "Referral"],
        ["14 Mar 2025", "ACT-0003", "Reported to platform"],
        ["~14 Mar 2025 10:30", "OBS-0001", "Profile indicator"],
        ["14 Mar 2025 12:45", "ACT-0002", "Police informed"],
        [due.strftime("%d %b %Y"), "ACT-0001", "DSL informed"],
    ]
    assert chronology.loc[chronology["code"].str.startswith("ACT"), "five_c"].tolist() == ["Actions"] * 3
    assert chronology.loc[chronology["code"] == "ACT-0002", "risk"].tolist() == [""]
