"""Timeline: the list beneath the chart holds the case's current events as the domain computes them;
every filter narrows it as the domain's filter does (superseded and retracted versions only when asked
for); the lanes and colour switches redraw the chart, not the list; a milestone added through the form
is stored, audited and listed, a bad "When" is refused; a reviewer has no form; opening the page is
audited; the weekly counts are the domain's.

The chart's own selection cannot be driven here (AppTest has no browser): the browser test clicks it."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df

from tests.pages.conftest import button, errors, signed_in
from workbench import access, cases, observations, timeline, users
from workbench.schemas import load_catalog
from workbench.timeline import TimelineFilter
from workbench.timeutil import LONDON
from workbench.ui.safe import escape

PAGE = "pages/timeline.py"
CASE = "DEMO-001"
ANALYST = "demo-analyst"
REVIEWER = "demo-reviewer"
NEW_CASE = "DEMO-002"


def _page(db, username: str = ANALYST):
    at = signed_in(db, username, page=PAGE)
    assert not at.exception, at.exception
    return at


def _domain(db, **filters) -> pd.DataFrame:
    """What the domain lists for the case with these filters (the analyst's view)."""
    return timeline.timeline(db, users.user_by_name(db, ANALYST), CASE, TimelineFilter(**filters)).events


def _listed(at) -> pd.DataFrame:
    """The events table beneath the chart (the page's only dataframe)."""
    assert len(at.dataframe) == 1, f"{len(at.dataframe)} tables on the page"
    return at.dataframe[0].value


def _rows(frame: pd.DataFrame) -> list[tuple[str, str, str]]:
    """(when, code, summary) of each row, in order: what a reader tells the events apart by."""
    return list(zip(frame["when"], frame["code"], frame["summary"], strict=True))


def _listed_caption(at) -> str:
    found = [c.value for c in at.caption if "events listed" in c.value]
    assert len(found) == 1, [c.value for c in at.caption]
    return found[0]


def _widget(elements, label: str):
    found = [e for e in elements if e.label == label]
    assert len(found) == 1, f"{len(found)} widgets labelled {label!r}: {[e.label for e in elements]}"
    return found[0]


def _text_input(at, label: str):
    return _widget(at.text_input, label)


def _charts(at) -> list:
    return list(at.get("vega_lite_chart"))


def _weekly_data(at) -> pd.DataFrame:
    """The data of the "Activity per week" chart (the second chart on the page)."""
    charts = _charts(at)
    assert len(charts) == 2, f"{len(charts)} charts"
    [dataset] = charts[1].proto.datasets
    return convert_arrow_bytes_to_pandas_df(dataset.data.data)


def _audit(db, action: str, after: int) -> list[tuple]:
    return db.execute(
        "SELECT username, case_ref, item_code, details FROM audit_events WHERE action = ? AND seq > ? ORDER BY seq",
        (action, after),
    ).fetchall()


def _last_seq(db) -> int:
    return db.execute("SELECT COALESCE(MAX(seq), 0) FROM audit_events").fetchone()[0]


# --- the list ---------------------------------------------------------------------------------------


def test_the_list_shows_the_current_events_of_the_case(db):
    at = _page(db)
    expected = _domain(db)
    assert len(expected) > 30  # the demo: observations, dated facts
    assert set(expected["source"]) >= {"observation", "fact"}
    shown = _listed(at)
    assert _rows(shown) == _rows(expected)
    assert shown["grade"].tolist() == expected["grade"].tolist()
    assert shown["risk"].tolist() == ["IMMEDIATE RISK" if r else "" for r in expected["immediate_risk"]]
    assert _listed_caption(at) == f"{len(expected)} events listed."
    assert f"{len(expected)} of {len(expected)} events. " in "\n".join(c.value for c in at.caption)
    assert [t.value for t in at.text][0] == CASE


# --- the filters ------------------------------------------------------------------------------------


def test_choosing_a_five_c_lists_only_its_events(db):
    at = _page(db)
    everything = len(_listed(at))
    _widget(at.multiselect, "Five C").set_value(["Contact"]).run()
    assert not at.exception, at.exception
    shown = _listed(at)
    expected = _domain(db, five_cs=("Contact",))
    assert 0 < len(expected) < everything
    assert _rows(shown) == _rows(expected)
    assert set(shown["five_c"]) == {"Contact"}
    assert f"{len(expected)} of {everything} events. " in "\n".join(c.value for c in at.caption)


def test_choosing_a_kind_lists_only_that_kind(db):
    at = _page(db)
    everything = len(_listed(at))
    _widget(at.multiselect, "Kind").set_value(["Contact event", "Trusted fact"]).run()
    assert not at.exception, at.exception
    shown = _listed(at)
    expected = _domain(db, kinds=("Contact event", "Trusted fact"))
    assert 0 < len(expected) < everything
    assert _rows(shown) == _rows(expected)
    assert set(shown["what"]) - {"Contact event"} <= set(_domain(db, sources=("fact",))["what"])


def test_immediate_risk_only_lists_the_items_at_immediate_risk(db):
    at = _page(db)
    _widget(at.toggle, "Immediate risk only").set_value(True).run()
    assert not at.exception, at.exception
    shown = _listed(at)
    expected = _domain(db, immediate_risk_only=True)
    assert set(expected["code"]) == {"OBS-0031", "OBS-0032"}  # the demo: the planned meeting, the live location
    assert _rows(shown) == _rows(expected)
    assert set(shown["risk"]) == {"IMMEDIATE RISK"}


def test_a_veracity_status_lists_only_that_status(db):
    at = _page(db)
    _widget(at.multiselect, "Veracity").set_value(["conflicting", "corroborated"]).run()
    assert not at.exception, at.exception
    shown = _listed(at)
    expected = _domain(db, statuses=("conflicting", "corroborated"))
    assert "OBS-0009" in set(expected["code"])  # the false age
    assert _rows(shown) == _rows(expected)
    assert set(shown["status"]) == {"conflicting", "corroborated"}


def test_a_minimum_grade_drops_the_observations_graded_lower(db):
    catalog = load_catalog()
    grading = catalog.grading(observations.default_grading_scheme())
    best_source, best_information = grading.source[0], grading.information[0]
    at = _page(db)
    everything = _listed(at)
    _widget(at.selectbox, "Source graded at least").select(best_source.label).run()
    assert not at.exception, at.exception
    shown = _listed(at)
    expected = _domain(db, max_source_rank=0)
    assert len(expected) < len(everything)
    assert _rows(shown) == _rows(expected)
    graded = shown[shown["grade"] != ""]
    assert len(graded) > 0
    assert all(g.startswith(f"{best_source.value} / ") for g in graded["grade"])
    # Ungraded events (trusted facts) are not graded lower: they stay.
    assert set(everything.loc[everything["grade"] == "", "code"]) == set(shown.loc[shown["grade"] == "", "code"])

    _widget(at.selectbox, "Information graded at least").select(best_information.label).run()
    shown = _listed(at)
    expected = _domain(db, max_source_rank=0, max_information_rank=0)
    assert _rows(shown) == _rows(expected)
    graded = shown[shown["grade"] != ""]
    assert all(g.split(" / ")[1] == best_information.value for g in graded["grade"])


def test_a_date_range_keeps_the_events_of_those_london_days(db):
    at = _page(db)
    everything = len(_listed(at))
    _widget(at.date_input, "Dates").set_value((date(2026, 10, 1), date(2026, 10, 31))).run()
    assert not at.exception, at.exception
    shown = _listed(at)
    expected = _domain(db, date_from=date(2026, 10, 1), date_to=date(2026, 10, 31))
    assert 0 < len(expected) < everything
    assert _rows(shown) == _rows(expected)
    days = expected["at"].dt.tz_convert(LONDON).dt.date
    assert days.between(date(2026, 10, 1), date(2026, 10, 31)).all()


def test_superseded_and_retracted_versions_show_only_when_asked_for(db):
    analyst = users.user_by_name(db, ANALYST)
    superseded = len(_domain(db, include_history=True)) - len(_domain(db))  # the demo's own (actions marked done)
    given = observations.view(db, analyst, CASE, "OBS-0007").current.as_input()
    old_summary = given["summary"]
    observations.amend(
        db, analyst, CASE, "OBS-0007", given | {"summary": old_summary + " (re-checked)"}, "Wording checked"
    )
    observations.retract(db, analyst, CASE, "OBS-0004", "Recorded against the wrong case (fictional)")

    at = _page(db)
    shown = _listed(at)
    assert _rows(shown) == _rows(_domain(db))
    assert shown["code"].tolist().count("OBS-0007") == 1
    assert old_summary + " (re-checked)" in shown["summary"].tolist()
    assert old_summary not in shown["summary"].tolist()
    assert "OBS-0004" not in shown["code"].tolist()

    _widget(at.toggle, "Show superseded and retracted versions").set_value(True).run()
    assert not at.exception, at.exception
    shown = _listed(at)
    expected = _domain(db, include_history=True)
    assert _rows(shown) == _rows(expected)
    assert shown["code"].tolist().count("OBS-0007") == 2
    assert {old_summary, old_summary + " (re-checked)"} <= set(shown["summary"])
    assert shown["code"].tolist().count("OBS-0004") == 2  # as recorded, and its retraction
    assert len(shown) == len(_domain(db)) + superseded + 3


def test_filters_that_match_nothing_say_so(db):
    at = _page(db)
    _widget(at.multiselect, "Five C").set_value(["Contact"])
    _widget(at.multiselect, "Kind").set_value(["Trusted fact"]).run()
    assert not at.exception, at.exception
    assert _domain(db, five_cs=("Contact",), kinds=("Trusted fact",)).empty
    assert [i.value for i in at.info] == ["No events match these filters."]
    assert not at.dataframe
    assert not _charts(at)


# --- the chart's lanes and colours ------------------------------------------------------------------


def test_the_lanes_and_colour_switches_redraw_the_chart(db):
    at = _page(db)
    listed = _rows(_listed(at))
    spec = json.loads(_charts(at)[0].proto.spec)
    assert spec["layer"][0]["encoding"]["y"]["title"] == "Five C"
    assert spec["layer"][0]["encoding"]["color"]["title"] == "Kind"

    _widget(at.radio, "Lanes").set_value("account")
    _widget(at.radio, "Colour").set_value("indicator").run()
    assert not at.exception, at.exception
    chart = _charts(at)[0]
    spec = json.loads(chart.proto.spec)
    assert spec["layer"][0]["encoding"]["y"]["title"] == "Account"
    assert spec["layer"][0]["encoding"]["color"]["title"] == "Indicator"
    [dataset] = chart.proto.datasets
    drawn = convert_arrow_bytes_to_pandas_df(dataset.data.data)
    expected = _domain(db)
    assert drawn["event"].tolist() == expected["event"].tolist()
    assert drawn["lane"].tolist() == expected["account"].where(expected["account"] != "", "(none)").tolist()
    assert _rows(_listed(at)) == listed  # the list does not change with the drawing


# --- milestones -------------------------------------------------------------------------------------


def _milestone_form(at, kind: str, when: str, note: str):
    _widget(at.selectbox, "Milestone *").set_value(kind)
    _text_input(at, "When *").input(when)
    _text_input(at, "Note").input(note)
    button(at, "Add milestone").click().run()
    assert not at.exception, at.exception


def test_adding_a_milestone_stores_it_audits_it_and_lists_it(db):
    seq = _last_seq(db)
    at = _page(db)
    note = "Initial child protection conference held (fictional)"
    _milestone_form(at, "case_conference", "2026-11-18 14:00", note)
    assert not errors(at)
    assert [s.value for s in at.success] == [escape("Added M-0001.")]

    rows = db.execute(
        """SELECT m.code, v.version, v.kind, v.occurred_at, v.occurred_precision, v.note, v.retracted
           FROM milestones m JOIN milestone_versions v ON v.milestone_id = m.id
           JOIN cases c ON c.id = m.case_id WHERE c.reference = ?""",
        (CASE,),
    ).fetchall()
    assert rows == [("M-0001", 1, "case_conference", "2026-11-18T14:00:00Z", "exact", note, 0)]
    assert _audit(db, "milestone.create", seq) == [(ANALYST, CASE, "M-0001", '{"kind": "case_conference"}')]

    shown = _listed(at)
    [row] = shown[shown["code"] == "M-0001"].to_dict("records")
    label = load_catalog().label("milestone_kinds", "case_conference")
    assert row["when"] == "18 Nov 2026 14:00"
    assert row["what"] == label
    assert row["summary"] == f"{label}: {note}"
    assert _rows(shown) == _rows(_domain(db))
    # The form is empty again, ready for the next milestone.
    assert _text_input(at, "When *").value == ""
    assert _text_input(at, "Note").value == ""


def test_a_bad_when_is_refused_naming_the_field(db):
    seq = _last_seq(db)
    at = _page(db)
    _milestone_form(at, "referral", "next Tuesday", "Referral from school (fictional)")
    shown = errors(at)
    assert "Please correct the following:" in shown
    assert f"**{escape('occurred_at')}**" in shown
    assert escape("'next Tuesday' is not a date") in shown
    assert db.execute("SELECT COUNT(*) FROM milestones").fetchone()[0] == 0
    assert _audit(db, "milestone.create", seq) == []
    # What was typed survives the refusal.
    assert _text_input(at, "When *").value == "next Tuesday"
    assert _text_input(at, "Note").value == "Referral from school (fictional)"

    _text_input(at, "When *").input("")
    button(at, "Add milestone").click().run()
    assert f"**{escape('occurred_at')}**" in errors(at)
    assert escape("is required") in errors(at)

    _text_input(at, "When *").input("2099-01-01")
    button(at, "Add milestone").click().run()
    assert escape("is in the future") in errors(at)
    assert db.execute("SELECT COUNT(*) FROM milestones").fetchone()[0] == 0


def test_the_refusal_of_a_bad_when_does_not_advise_leaving_it_empty(db):
    at = _page(db)
    _milestone_form(at, "referral", "next Tuesday", "")
    assert escape("is not a date") in errors(at)
    assert escape("leave empty") not in errors(at)


def test_the_first_milestone_of_a_new_case_can_be_added(db):
    cases.create_case(db, access.SYSTEM, NEW_CASE, "New referral (fictional)", lead=ANALYST)
    at = signed_in(db, ANALYST, case=NEW_CASE, page=PAGE)
    assert not at.exception, at.exception
    assert timeline.timeline(db, users.user_by_name(db, ANALYST), NEW_CASE).events.empty
    assert "Add a milestone" in [e.label for e in at.expander]
    _milestone_form(at, "referral", "2026-11-20 09:15", "Referral from the school's DSL (fictional)")
    assert not errors(at)
    assert _listed(at)["code"].tolist() == ["M-0001"]


def test_a_reviewer_sees_the_timeline_but_no_milestone_form(db):
    at = _page(db, REVIEWER)
    assert _rows(_listed(at)) == _rows(_domain(db))
    assert "Add a milestone" not in [e.label for e in at.expander]
    assert not [b for b in at.button if b.label == "Add milestone"]
    assert not [t for t in at.text_input if t.label == "When *"]
    assert not errors(at)


# --- the audit and the weekly counts ----------------------------------------------------------------


def test_opening_the_page_is_audited(db):
    seq = _last_seq(db)
    _page(db, REVIEWER)
    events = _audit(db, "timeline.view", seq)
    assert events
    assert {(u, c) for u, c, _, _ in events} == {(REVIEWER, CASE)}


def test_the_weekly_counts_are_the_domains(db):
    at = _page(db)
    listed = _domain(db)
    shown = _weekly_data(at)
    expected = timeline.weekly_counts(listed, by="topic")
    assert len(expected) > 5
    pd.testing.assert_frame_equal(
        shown.reset_index(drop=True), expected.reset_index(drop=True), check_dtype=False, check_index_type=False
    )
    # Every observation listed is counted once, and nothing else is.
    assert shown["observations"].sum() == (listed["source"] == "observation").sum()

    _widget(at.radio, "Count by").set_value("five_c").run()
    assert not at.exception, at.exception
    shown = _weekly_data(at)
    expected = timeline.weekly_counts(listed, by="five_c")
    assert list(shown.columns) == ["week", "five_c", "observations"]
    pd.testing.assert_frame_equal(
        shown.reset_index(drop=True), expected.reset_index(drop=True), check_dtype=False, check_index_type=False
    )


def test_the_weekly_counts_follow_the_filters(db):
    at = _page(db)
    _widget(at.multiselect, "Five C").set_value(["Contact"]).run()
    shown = _weekly_data(at)
    listed = _domain(db, five_cs=("Contact",))
    assert shown["observations"].sum() == len(listed[listed["source"] == "observation"])
    pd.testing.assert_frame_equal(
        shown.reset_index(drop=True),
        timeline.weekly_counts(listed, by="topic").reset_index(drop=True),
        check_dtype=False,
        check_index_type=False,
    )
