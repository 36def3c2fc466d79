"""The Timeline page's chart, the list of events beneath it and the weekly activity chart."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from workbench import timeline, timeline_chart

_BY = {"topic": "Topic", "five_c": "Five C", "kind": "Kind"}


def chart_and_pick(events: pd.DataFrame, shown: int, *, lanes: str, colour: str) -> pd.DataFrame:
    """Draw the chart and return the events picked on it (every event when nothing is picked, or
    when what was picked is no longer drawn: a filter since removed it)."""
    binned = len(events) > timeline_chart.MAX_POINTS
    st.caption(
        f"{len(events)} of {shown} events. "
        + (
            "A large case is drawn as time bins: drag across the chart to list the events of a period."
            if binned
            else "Scroll to zoom, drag to pan; click a mark to list it (shift-click for more, double-click to clear). "
            "Shapes: ■ uncorroborated ● corroborated ✚ contradicted ◆ conflicting; a red ring is immediate risk; "
            "faint marks are approximate times."
        )
    )
    drawn = timeline_chart.chart(events, lanes=lanes, colour=colour)
    picked = st.altair_chart(drawn, on_select="rerun", key=f"timeline_chart_{lanes}_{colour}_{binned}", width="stretch")
    selection = picked.selection if picked else {}
    listed = events
    if not binned and selection.get(timeline_chart.PICKED):
        wanted = {point.get("event") for point in selection[timeline_chart.PICKED]}
        listed = events[events["event"].isin(wanted)]
    elif binned and selection.get(timeline_chart.SPAN):
        chosen = selection[timeline_chart.SPAN].get("start") or []
        if len(chosen) == 2:
            low, high = (timeline_chart.as_utc(v) for v in chosen)
            listed = events[(events["at"] >= low) & (events["at"] <= high)]
    return listed if not listed.empty else events


def events_table(listed: pd.DataFrame, of: int) -> None:
    st.caption(f"{len(listed)} events listed" + (" (chosen on the chart)" if len(listed) != of else "") + ".")
    st.dataframe(
        listed.assign(risk=listed["immediate_risk"].map({True: "IMMEDIATE RISK", False: ""}))[
            ["when", "code", "risk", "what", "summary", "five_c", "person", "account", "grade", "status"]
        ],
        hide_index=True,
        column_config={
            "when": "When",
            "code": "Code",
            "risk": "Risk",
            "what": "What",
            "summary": st.column_config.TextColumn("Summary", width="large"),
            "five_c": "Five C",
            "person": "About",
            "account": "Account",
            "grade": "Grade",
            "status": "Veracity",
        },
        key="timeline_events",
    )


def weekly_activity(events: pd.DataFrame) -> None:
    by = st.radio("Count by", list(_BY), format_func=_BY.get, horizontal=True)
    weekly = timeline.weekly_counts(events, by=by)
    if weekly.empty:
        st.text("No observations in these filters.")
        return
    st.altair_chart(
        alt.Chart(weekly)
        .mark_bar()
        .encode(
            x=alt.X("week:T", title="Week starting"),
            y=alt.Y("observations:Q", title="Observations"),
            color=alt.Color(f"{by}:N", title=_BY[by]),
            tooltip=["week:T", f"{by}:N", "observations:Q"],
        )
        .properties(height=260),
        width="stretch",
    )
