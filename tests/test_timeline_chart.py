"""The timeline chart, built without Streamlit from event frames made here with pandas (the columns
of `timeline.COLUMNS`): points with lanes, colours, veracity shapes, an immediate-risk ring, a
click selection and scale-bound zoom; past `max_points` events, time bins that stay under Altair's
row limit and coarsen as the case grows."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import pytest

from tests.conftest import CASE
from workbench import milestones, observations, timeline, timeline_chart
from workbench.schemas import load_catalog
from workbench.timeline_chart import MAX_BINNED_ROWS, PICKED, RISK_RED, SPAN, STATUS_SHAPES

START = pd.Timestamp("2025-01-06T12:00:00Z")  # a Monday, in winter


def _events(rows: list[dict]) -> pd.DataFrame:
    """An event frame as timeline.events_frame makes it; each row gives what differs from an
    uncorroborated Content note about Child A."""
    base = {
        "source": "observation", "approximate": False, "what": "General note", "summary": "A note",
        "five_c": "Content", "kind": "General note", "indicator": "Note", "person": "Child A", "account": "",
        "platform": "", "grade": "2 / B / P", "source_rank": 1, "information_rank": 1, "status": "uncorroborated",
        "immediate_risk": False, "version": 1, "current": True, "retracted": False,
    }  # fmt: skip
    full = []
    for i, row in enumerate(rows, start=1):
        code = row.get("code", f"OBS-{i:04d}")
        full.append({**base, "event": f"{code} v1", "code": code, "when": "", **row})
    frame = pd.DataFrame(full, columns=timeline.COLUMNS)
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    return frame


def _few() -> pd.DataFrame:
    return _events(
        [
            {"at": "2025-06-01T09:00:00Z", "summary": "Dance videos", "account": "zoe_dances", "platform": "TikTok"},
            {"at": "2025-06-10T22:30:00Z", "summary": "Adult asked to meet", "five_c": "Contact",
             "kind": "Contact event", "indicator": "Contact from an unknown adult", "person": "Person B",
             "account": "darkknight", "platform": "Instagram", "status": "contradicted", "immediate_risk": True},
            {"at": "2025-06-11T08:00:00Z", "summary": "Name-calling", "five_c": "Conduct", "indicator": "Bullying",
             "status": "corroborated", "approximate": True},
            {"at": "2025-06-12T00:00:00Z", "code": "M-0001", "source": "milestone", "summary": "Referral",
             "what": "Referral", "five_c": "Milestones", "kind": "Milestone", "indicator": "", "person": "",
             "grade": "", "source_rank": None, "information_rank": None, "status": ""},
        ]
    )  # fmt: skip


def _spread(n: int, *, days: float, lanes: int = 5, lane_column: str = "five_c", risk_every: int = 7) -> pd.DataFrame:
    """n events evenly over `days`, in `lanes` lanes, every `risk_every`-th at immediate risk."""
    offsets = pd.to_timedelta(np.linspace(0, days * 86400, n), unit="s")
    frame = pd.DataFrame({c: "" for c in timeline.COLUMNS}, index=range(n))
    frame["event"] = [f"OBS-{i:05d} v1" for i in range(n)]
    frame["code"] = [f"OBS-{i:05d}" for i in range(n)]
    frame["source"], frame["kind"], frame["status"] = "observation", "General note", "uncorroborated"
    frame["at"] = START + offsets
    frame["approximate"], frame["current"], frame["retracted"], frame["version"] = False, True, False, 1
    frame["source_rank"], frame["information_rank"] = None, None
    frame["five_c"] = "Content"
    frame[lane_column] = [f"lane {i % lanes:04d}" for i in range(n)]
    frame["immediate_risk"] = [i % risk_every == 0 for i in range(n)]
    return frame


def _rows(spec: dict) -> list[dict]:
    [rows] = spec["datasets"].values()
    return rows


def _params(spec: dict) -> dict[str, dict]:
    return {p["name"]: p for p in spec["params"]}


# --- points --------------------------------------------------------------------------------------


def test_a_few_events_are_a_layered_points_chart():
    chart = timeline_chart.chart(_few())
    assert isinstance(chart, alt.LayerChart)
    spec = chart.to_dict()
    marks, rings = spec["layer"]
    assert (marks["mark"]["type"], rings["mark"]["type"]) == ("point", "point")
    assert [r["code"] for r in _rows(spec)] == ["OBS-0001", "OBS-0002", "OBS-0003", "M-0001"]
    assert (marks["encoding"]["x"]["field"], marks["encoding"]["x"]["type"]) == ("at", "temporal")


def test_a_click_picks_an_event_and_the_x_scale_zooms_and_pans():
    spec = timeline_chart.chart(_few()).to_dict()
    params = _params(spec)
    picked = params[PICKED]
    assert picked["select"]["type"] == "point"
    assert picked["select"]["fields"] == ["event"]
    zooms = [p for p in spec["params"] if p.get("bind") == "scales"]
    assert len(zooms) == 1
    assert (zooms[0]["select"]["type"], zooms[0]["select"]["encodings"]) == ("interval", ["x"])


def test_tooltips_give_the_code_when_summary_grade_and_veracity():
    marks, rings = timeline_chart.chart(_few()).to_dict()["layer"]
    for layer in (marks, rings):
        fields = [t["field"] for t in layer["encoding"]["tooltip"]]
        assert {"code", "when", "summary", "grade", "status"} <= set(fields)


def test_shape_is_by_veracity_status_over_every_status():
    spec = timeline_chart.chart(_few()).to_dict()
    shape = spec["layer"][0]["encoding"]["shape"]
    assert shape["field"] == "status"
    statuses = load_catalog().values("veracity_statuses")
    assert set(statuses) <= set(shape["scale"]["domain"])
    assert dict(zip(shape["scale"]["domain"], shape["scale"]["range"], strict=True)) == STATUS_SHAPES
    assert len(set(STATUS_SHAPES.values())) == len(STATUS_SHAPES)  # each status looks different
    assert {r["code"]: r["status"] for r in _rows(spec)} == {
        "OBS-0001": "uncorroborated", "OBS-0002": "contradicted", "OBS-0003": "corroborated", "M-0001": "",
    }  # fmt: skip


def test_immediate_risk_is_ringed_in_red_and_only_those_events():
    spec = timeline_chart.chart(_few()).to_dict()
    rings = spec["layer"][1]
    assert (rings["mark"]["color"], rings["mark"]["filled"]) == (RISK_RED, False)
    [condition] = [t["filter"] for t in rings["transform"]]
    assert condition == "datum.risk != ''"
    ringed = [r["code"] for r in _rows(spec) if r["risk"] != ""]
    assert ringed == ["OBS-0002"]


def test_approximate_times_are_drawn_fainter():
    spec = timeline_chart.chart(_few()).to_dict()
    opacity = spec["layer"][0]["encoding"]["opacity"]
    assert "approximate" in opacity["condition"]["test"]
    assert opacity["condition"]["value"] < opacity["value"]
    assert [r["code"] for r in _rows(spec) if r["approximate"]] == ["OBS-0003"]


def test_the_summary_in_a_tooltip_is_cut_short():
    spec = timeline_chart.chart(_events([{"at": "2025-06-01T09:00:00Z", "summary": "x" * 5000}])).to_dict()
    assert len(_rows(spec)[0]["summary"]) <= 200


@pytest.mark.parametrize(
    ("lanes", "expected"),
    [
        ("five_c", ["Content", "Contact", "Conduct", "Milestones"]),
        ("person", ["Child A", "Person B", "Child A", "(none)"]),
        ("account", ["zoe_dances", "darkknight", "(none)", "(none)"]),
        ("platform", ["TikTok", "Instagram", "(none)", "(none)"]),
    ],
)
def test_lanes_switch_what_the_y_axis_shows(lanes, expected):
    spec = timeline_chart.chart(_few(), lanes=lanes).to_dict()
    y = spec["layer"][0]["encoding"]["y"]
    assert y["field"] == "lane"
    assert y["title"] == timeline_chart.LANES[lanes]
    assert [r["lane"] for r in _rows(spec)] == expected
    assert y["sort"] == sorted(set(expected))


@pytest.mark.parametrize(
    ("colour", "expected"),
    [
        ("kind", ["General note", "Contact event", "General note", "Milestone"]),
        # An event without an indicator is coloured by its kind.
        ("indicator", ["Note", "Contact from an unknown adult", "Bullying", "Milestone"]),
    ],
)
def test_colour_switches_between_kind_and_indicator(colour, expected):
    spec = timeline_chart.chart(_few(), colour=colour).to_dict()
    encoding = spec["layer"][0]["encoding"]["color"]
    assert (encoding["field"], encoding["title"]) == ("colour", timeline_chart.COLOURS[colour])
    assert [r["colour"] for r in _rows(spec)] == expected


@pytest.mark.parametrize(("lanes", "colour"), [("kinds", "kind"), ("", "kind"), ("five_c", "status")])
def test_an_unknown_lane_or_colour_is_a_value_error(lanes, colour):
    with pytest.raises(ValueError, match="lanes must be one of"):
        timeline_chart.chart(_few(), lanes=lanes, colour=colour)


def test_a_chart_is_drawn_from_what_the_domain_builds(db, analyst, observation_input):
    observations.record(db, analyst, CASE, observation_input(immediate_risk=True))
    milestones.add_milestone(db, analyst, CASE, {"kind": "referral", "occurred_at": "2025-03-01"})
    events = timeline.timeline(db, analyst, CASE).events
    spec = timeline_chart.chart(events, lanes="person", colour="indicator").to_dict()
    assert [(r["code"], r["lane"], r["risk"]) for r in _rows(spec)] == [
        ("M-0001", "(none)", ""), ("OBS-0001", "Child A", "IMMEDIATE RISK"),
    ]  # fmt: skip


# --- bins ----------------------------------------------------------------------------------------


def test_more_than_max_points_events_are_drawn_as_bins():
    events = _spread(60, days=20)
    assert isinstance(timeline_chart.chart(events, max_points=60), alt.LayerChart)
    chart = timeline_chart.chart(events, max_points=59)
    assert not isinstance(chart, alt.LayerChart)
    spec = chart.to_dict()
    assert spec["mark"]["type"] == "circle"
    assert SPAN in _params(spec)
    assert _params(spec)[SPAN]["select"] == {"type": "interval", "encodings": ["x"]}
    rows = _rows(spec)
    assert sum(r["events"] for r in rows) == 60
    assert sum(r["immediate_risk"] for r in rows) == int(events["immediate_risk"].sum()) == 9
    assert {r["lane"] for r in rows} == {f"lane {i:04d}" for i in range(5)}


def test_bins_past_the_default_limit_add_up():
    events = _spread(timeline_chart.MAX_POINTS + 1, days=300, lanes=3)
    spec = timeline_chart.chart(events).to_dict()
    rows = _rows(spec)
    assert len(rows) <= MAX_BINNED_ROWS
    assert sum(r["events"] for r in rows) == len(events)
    assert sum(r["immediate_risk"] for r in rows) == int(events["immediate_risk"].sum())
    tooltip = [t["field"] for t in spec["encoding"]["tooltip"]]
    assert {"lane", "start", "events", "immediate_risk"} <= set(tooltip)


def _period(spec: dict) -> str:
    """The period the bins are, from their start times (London) and from the x axis' title."""
    local = pd.DatetimeIndex(pd.to_datetime([r["start"] for r in _rows(spec)], utc=True)).tz_convert("Europe/London")
    title = spec["encoding"]["x"]["title"]
    if (local.month == 1).all() and (local.day == 1).all() and title.endswith("per year"):
        return "year"
    if (local.day == 1).all() and title.endswith("per month"):
        return "month"
    if (local.day_of_week == 0).all() and title.endswith("per week"):
        return "week"
    assert title.endswith("per day"), title
    return "day"


@pytest.mark.parametrize(
    ("days", "period"),
    [(30, "day"), (400, "week"), (5 * 365, "month")],
)
def test_the_period_coarsens_as_the_span_grows(days, period):
    spec = timeline_chart.chart(_spread(4000, days=days)).to_dict()
    assert _period(spec) == period
    assert sum(r["events"] for r in _rows(spec)) == 4000


def test_the_period_coarsens_further_when_the_bins_would_be_too_many():
    lanes = timeline_chart.MAX_LANES
    # 110 days in 40 lanes: 4,400 day bins, over the limit, so weeks.
    days = _spread(12_000, days=110, lanes=lanes, lane_column="account")
    spec = timeline_chart.chart(days, lanes="account").to_dict()
    assert (_period(spec), len(_rows(spec)) <= MAX_BINNED_ROWS) == ("week", True)
    # Ten years in 40 lanes, one event per lane and month: 4,800 month bins, so years.
    months = pd.date_range("2015-01-01", periods=120, freq="MS", tz="UTC") + pd.Timedelta(days=14)
    frame = _spread(120 * lanes, days=1, lanes=lanes, lane_column="account")
    frame["at"] = pd.Series(months.repeat(lanes), index=frame.index)  # event i: month i // 40, lane i % 40
    spec = timeline_chart.chart(frame, lanes="account").to_dict()
    rows = _rows(spec)
    assert _period(spec) == "year"
    assert len(rows) == 10 * lanes
    assert sum(r["events"] for r in rows) == 120 * lanes


def test_past_the_lane_limit_the_quieter_lanes_share_one():
    frame = _spread(6000, days=30, lanes=100, lane_column="account")
    frame.loc[frame.index < 100, "account"] = "lane busy"  # the busiest lane keeps its own
    spec = timeline_chart.chart(frame, lanes="account").to_dict()
    lanes = {r["lane"] for r in _rows(spec)}
    assert len(lanes) == timeline_chart.MAX_LANES
    assert {"lane busy", timeline_chart.OTHER_LANES} <= lanes
    assert sum(r["events"] for r in _rows(spec)) == 6000


def test_fifty_thousand_events_make_a_spec_under_altairs_row_limit():
    events = _spread(50_000, days=2 * 365)
    spec = timeline_chart.chart(events).to_dict()  # raises MaxRowsError past 5,000 rows
    rows = _rows(spec)
    assert len(rows) < 5000
    assert sum(r["events"] for r in rows) == 50_000
    assert sum(r["immediate_risk"] for r in rows) == int(events["immediate_risk"].sum())


def test_bins_stay_under_the_row_limit_even_with_thousands_of_lanes():
    events = _spread(6000, days=5, lanes=6000, lane_column="account")
    spec = timeline_chart.chart(events, lanes="account").to_dict()
    assert len(_rows(spec)) <= MAX_BINNED_ROWS
