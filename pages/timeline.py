"""Timeline: everything in the case on one time axis. Filter it, switch the lanes, click a mark (or
drag across the bins of a large case) to list just those events, and download what is shown."""

from datetime import date

import altair as alt
import streamlit as st

from workbench import access, milestones, observations, timeline, timeline_chart
from workbench.access import Right
from workbench.errors import ValidationError, WorkbenchError
from workbench.schemas import load_catalog
from workbench.ui import session
from workbench.ui.download import file_download
from workbench.ui.feedback import notify_after_rerun, show_error, show_notice

user = session.require_actor()
reference = session.require_case()
db = session.db()
catalog = load_catalog()

st.title("Timeline")
try:
    everything = timeline.timeline(db, user, reference, timeline.TimelineFilter(include_history=True)).events
except WorkbenchError as e:
    show_error(e)
    st.stop()
st.text(reference)
show_notice()


def _options(column: str) -> list[str]:
    return sorted(v for v in everything[column].unique() if v)


# --- filters -------------------------------------------------------------------------------------
with st.expander("Filters", icon=":material/filter_list:", expanded=False):
    f1, f2, f3 = st.columns(3)
    span = f1.date_input(
        "Dates", value=(), min_value=date(1900, 1, 1), format="DD/MM/YYYY", help="From and to, inclusive"
    )
    five_cs = f2.multiselect("Five C", _options("five_c"))
    kinds = f3.multiselect("Kind", _options("kind"))
    f4, f5, f6 = st.columns(3)
    people_chosen = f4.multiselect("Person", _options("person"))
    accounts = f5.multiselect("Account", _options("account"))
    platforms = f6.multiselect("Platform", _options("platform"))
    f7, f8, f9 = st.columns(3)
    grading = catalog.grading(observations.default_grading_scheme())  # ranks compare across schemes
    source_grade = f7.selectbox(
        "Source graded at least", [c.label for c in grading.source], index=None, placeholder="any grade"
    )
    information_grade = f8.selectbox(
        "Information graded at least", [c.label for c in grading.information], index=None, placeholder="any grade"
    )
    statuses = f9.multiselect(
        "Veracity", catalog.values("veracity_statuses"), format_func=lambda v: catalog.label("veracity_statuses", v)
    )
    t1, t2 = st.columns(2)
    risk_only = t1.toggle("Immediate risk only")
    history = t2.toggle("Show superseded and retracted versions")

filters = timeline.TimelineFilter(
    date_from=span[0] if len(span) >= 1 else None,
    date_to=span[1] if len(span) == 2 else None,
    five_cs=tuple(five_cs),
    kinds=tuple(kinds),
    people=tuple(people_chosen),
    accounts=tuple(accounts),
    platforms=tuple(platforms),
    max_source_rank=[c.label for c in grading.source].index(source_grade) if source_grade else None,
    max_information_rank=[c.label for c in grading.information].index(information_grade) if information_grade else None,
    statuses=tuple(statuses),
    immediate_risk_only=risk_only,
    include_history=history,
)
shown = everything if history else everything[everything["current"] & ~everything["retracted"]]
events = timeline.apply(shown, filters)

# --- the chart -----------------------------------------------------------------------------------
c1, c2 = st.columns(2)
lanes = c1.radio("Lanes", list(timeline_chart.LANES), format_func=timeline_chart.LANES.get, horizontal=True)
colour = c2.radio("Colour", list(timeline_chart.COLOURS), format_func=timeline_chart.COLOURS.get, horizontal=True)
if events.empty:
    st.info("No events match these filters.", icon=":material/filter_alt_off:")
    st.stop()
drawn = timeline_chart.chart(events, lanes=lanes, colour=colour)
binned = len(events) > timeline_chart.MAX_POINTS
st.caption(
    f"{len(events)} of {len(shown)} events. "
    + (
        "A large case is drawn as time bins: drag across the chart to list the events of a period."
        if binned
        else "Scroll to zoom, drag to pan; click a mark to list it (shift-click for more, double-click to clear). "
        "Shapes: ■ uncorroborated ● corroborated ✚ contradicted ◆ conflicting; a red ring is immediate risk; "
        "faint marks are approximate times."
    )
)
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

# --- the list beneath ----------------------------------------------------------------------------
st.subheader("Events")
st.caption(f"{len(listed)} events listed" + (" (chosen on the chart)" if len(listed) != len(events) else "") + ".")
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
file_download(
    "Download the filtered timeline (CSV)",
    f"{reference}-timeline.csv",
    lambda conn: timeline.download_csv(conn, user, reference, filters),
    mime="text/csv",
    key="timeline_download",
)

# --- activity over time --------------------------------------------------------------------------
st.subheader("Activity per week")
by = st.radio(
    "Count by",
    ["topic", "five_c", "kind"],
    format_func={"topic": "Topic", "five_c": "Five C", "kind": "Kind"}.get,
    horizontal=True,
)
weekly = timeline.weekly_counts(events, by=by)
if weekly.empty:
    st.text("No observations in these filters.")
else:
    st.altair_chart(
        alt.Chart(weekly)
        .mark_bar()
        .encode(
            x=alt.X("week:T", title="Week starting"),
            y=alt.Y("observations:Q", title="Observations"),
            color=alt.Color(f"{by}:N", title={"topic": "Topic", "five_c": "Five C", "kind": "Kind"}[by]),
            tooltip=["week:T", f"{by}:N", "observations:Q"],
        )
        .properties(height=260),
        width="stretch",
    )

# --- milestones ----------------------------------------------------------------------------------
if access.allowed(db, user, Right.RECORD, reference):
    with st.expander("Add a milestone", icon=":material/flag:"):
        errors = st.session_state.get("milestone_errors", {})
        if errors:
            show_error(ValidationError(errors))
        with st.form(f"milestone_{st.session_state.get('milestone_round', 0)}"):
            kind = st.selectbox(
                "Milestone *",
                catalog.values("milestone_kinds"),
                format_func=lambda v: catalog.label("milestone_kinds", v),
            )
            when = st.text_input("When *", placeholder="2026-03-14, 2026-03-14 10:30, or ~2026-03")
            note = st.text_input("Note", max_chars=2000, placeholder="what was decided or done")
            if st.form_submit_button("Add milestone", type="primary", icon=":material/flag:"):
                try:
                    code = milestones.add_milestone(
                        db, user, reference, {"kind": kind, "occurred_at": when, "note": note}
                    )
                except ValidationError as e:
                    st.session_state["milestone_errors"] = e.errors
                    st.rerun()
                except WorkbenchError as e:
                    show_error(e)
                else:
                    st.session_state.pop("milestone_errors", None)
                    st.session_state["milestone_round"] = st.session_state.get("milestone_round", 0) + 1
                    notify_after_rerun(f"Added {code}.")
                    st.rerun()
