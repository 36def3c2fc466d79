"""The timeline as an Altair chart: one lane per Five C (or person, account, platform), a mark per
event, coloured by kind or indicator, shaped by corroboration status, immediate risk ringed in red.

Past `max_points` events the chart draws time bins instead (how many events per lane and period),
so a large case neither hits Altair's row limit nor freezes the browser. Built here, without
Streamlit, so the benchmark and the tests build exactly what the page shows.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from workbench.timeutil import LONDON

LANES = {"five_c": "Five C", "person": "Person", "account": "Account", "platform": "Platform"}
COLOURS = {"kind": "Kind", "indicator": "Indicator"}
MAX_POINTS = 3000
MAX_BINNED_ROWS = 4000  # under Altair's 5,000-row limit
MAX_LANES = 40  # past this the busiest lanes keep their own and the rest share one
PICKED, SPAN = "picked", "span"  # the selections a page reads back
RISK_RED = "#c62828"
STATUS_SHAPES = {
    "contradicted": "cross",
    "conflicting": "diamond",
    "corroborated": "circle",
    "uncorroborated": "square",
    "": "triangle-up",  # not an observation
}


def chart(
    events: pd.DataFrame, *, lanes: str = "five_c", colour: str = "kind", max_points: int = MAX_POINTS
) -> alt.Chart:
    """Points when there are at most `max_points` events, else time bins."""
    if lanes not in LANES or colour not in COLOURS:
        raise ValueError(f"lanes must be one of {list(LANES)} and colour one of {list(COLOURS)}")
    if len(events) > max_points:
        return binned(events, lanes=lanes)
    return points(events, lanes=lanes, colour=colour)


OTHER_LANES = "(other lanes)"


def _lane(events: pd.DataFrame, lanes: str) -> pd.Series:
    """Each event's lane; with more than MAX_LANES, the quieter ones fold into one lane."""
    lane = events[lanes].where(events[lanes] != "", "(none)")
    busiest = lane.value_counts()
    if len(busiest) > MAX_LANES:
        kept = set(busiest.index[: MAX_LANES - 1])
        lane = lane.where(lane.isin(kept), OTHER_LANES)
    return lane


def points(events: pd.DataFrame, *, lanes: str, colour: str) -> alt.Chart:
    data = pd.DataFrame(
        {
            "event": events["event"],
            "code": events["code"],
            "at": events["at"],
            "when": events["when"],
            "lane": _lane(events, lanes),
            "colour": events[colour].where(events[colour] != "", events["kind"]),
            "status": events["status"],
            "summary": events["summary"].str.slice(0, 200),
            "grade": events["grade"],
            "risk": events["immediate_risk"].map({True: "IMMEDIATE RISK", False: ""}),
            "approximate": events["approximate"].map({True: "approximate", False: ""}),
        }
    )
    picked = alt.selection_point(name=PICKED, fields=["event"], on="click", clear="dblclick")
    zoom = alt.selection_interval(bind="scales", encodings=["x"])
    tooltip = [
        alt.Tooltip("code:N", title="Code"),
        alt.Tooltip("when:N", title="When"),
        alt.Tooltip("summary:N", title="Summary"),
        alt.Tooltip("grade:N", title="Grade"),
        alt.Tooltip("status:N", title="Veracity"),
        alt.Tooltip("risk:N", title="Risk"),
        alt.Tooltip("approximate:N", title="Time"),
    ]
    # Open on the observations' span: trusted facts may date back years; pan left to reach them.
    observed = events.loc[events["source"] == "observation", "at"]
    focus = observed if not observed.empty else events["at"]
    scale = alt.Undefined
    if not focus.empty:
        pad = max((focus.max() - focus.min()) * 0.04, pd.Timedelta(days=2))
        scale = alt.Scale(domain=[(focus.min() - pad).isoformat(), (focus.max() + pad).isoformat()])
    x = alt.X("at:T", title="When", axis=alt.Axis(format="%d %b %Y"), scale=scale)
    y = alt.Y("lane:N", title=LANES[lanes], sort=sorted(data["lane"].unique()))
    base = alt.Chart(data).encode(x=x, y=y)
    marks = (
        base.mark_point(size=90, filled=True)
        .encode(
            color=alt.Color("colour:N", title=COLOURS[colour]),
            shape=alt.Shape(
                "status:N",
                title="Veracity",
                scale=alt.Scale(domain=list(STATUS_SHAPES), range=list(STATUS_SHAPES.values())),
                legend=alt.Legend(labelExpr="datum.label || 'not an observation'"),
            ),
            opacity=alt.condition("datum.approximate == 'approximate'", alt.value(0.45), alt.value(0.95)),
            tooltip=tooltip,
        )
        .add_params(picked, zoom)
    )
    rings = (
        base.transform_filter("datum.risk != ''")
        .mark_point(size=420, strokeWidth=3, color=RISK_RED, filled=False)
        .encode(tooltip=tooltip)
    )
    return (marks + rings).properties(height=max(320, 46 * data["lane"].nunique()), width="container")


def binned(events: pd.DataFrame, *, lanes: str) -> alt.Chart:
    """How many events per lane and period, and how many of them at immediate risk."""
    lane = _lane(events, lanes)
    span = events["at"].max() - events["at"].min()
    period = "D" if span <= pd.Timedelta(days=120) else ("W" if span <= pd.Timedelta(days=3 * 365) else "M")
    counted = _count(events, lane, period)
    while len(counted) > MAX_BINNED_ROWS and period != "Y":
        period = {"D": "W", "W": "M", "M": "Y"}[period]
        counted = _count(events, lane, period)
    span_select = alt.selection_interval(name=SPAN, encodings=["x"])
    circles = (
        alt.Chart(counted)
        .mark_circle(opacity=0.8)
        .encode(
            x=alt.X("start:T", title=f"When, per {_PERIOD_WORDS[period]}"),
            y=alt.Y("lane:N", title=LANES[lanes]),
            size=alt.Size("events:Q", title="Events", scale=alt.Scale(range=[20, 900])),
            color=alt.condition("datum.immediate_risk > 0", alt.value(RISK_RED), alt.value("#4c78a8")),
            tooltip=[
                alt.Tooltip("lane:N", title=LANES[lanes]),
                alt.Tooltip("start:T", title="From", format="%d %b %Y"),
                alt.Tooltip("events:Q", title="Events"),
                alt.Tooltip("immediate_risk:Q", title="Immediate risk"),
            ],
        )
        .add_params(span_select)
    )
    return circles.properties(height=max(160, 46 * counted["lane"].nunique()), width="container")


_PERIOD_WORDS = {"D": "day", "W": "week", "M": "month", "Y": "year"}


def as_utc(value) -> pd.Timestamp:
    """A time the chart's selection gives back (milliseconds since 1970, or ISO text) in UTC."""
    if isinstance(value, int | float):
        return pd.Timestamp(value, unit="ms", tz="UTC")
    moment = pd.Timestamp(value)
    return moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC")


def _count(events: pd.DataFrame, lane: pd.Series, period: str) -> pd.DataFrame:
    # Periods are London days, weeks and months, as the people reading the chart count them.
    local = events["at"].dt.tz_convert(LONDON).dt.tz_localize(None)
    start = local.dt.to_period(period).dt.start_time.dt.tz_localize(LONDON, nonexistent="shift_forward")
    grouped = pd.DataFrame({"start": start, "lane": lane, "risk": events["immediate_risk"].astype(int)}).groupby(
        ["start", "lane"]
    )
    return grouped["risk"].agg(events="size", immediate_risk="sum").reset_index()
