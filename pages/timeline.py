"""Timeline: everything in the case on one time axis. Filter it, switch the lanes, click a mark (or
drag across the bins of a large case) to list just those events, and download what is shown."""

from datetime import date

import streamlit as st

from workbench import access, milestones, observations, timeline, timeline_chart
from workbench.access import Right
from workbench.downloads import filters_as_params
from workbench.errors import WorkbenchError
from workbench.schemas import load_catalog
from workbench.ui import session
from workbench.ui.actions_view import outstanding_banner
from workbench.ui.download import prepared_download
from workbench.ui.feedback import FieldForm, show_error, show_notice
from workbench.ui.timeline_view import chart_and_pick, events_table, weekly_activity

user = session.require_actor()
reference = session.require_case()
db = session.db()
catalog = load_catalog()

st.title("Timeline")
try:
    read = timeline.timeline(db, user, reference, timeline.TimelineFilter(include_history=True))
except WorkbenchError as e:
    show_error(e)
    st.stop()
everything = read.events
st.text(reference)
show_notice()
outstanding_banner(read.outstanding)


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
shown = timeline.visible(everything, history)
events = timeline.apply(shown, filters)

# --- the chart, the events picked on it, the weekly activity --------------------------------------
c1, c2 = st.columns(2)
lanes = c1.radio("Lanes", list(timeline_chart.LANES), format_func=timeline_chart.LANES.get, horizontal=True)
colour = c2.radio("Colour", list(timeline_chart.COLOURS), format_func=timeline_chart.COLOURS.get, horizontal=True)
if events.empty:
    st.info("No events match these filters.", icon=":material/filter_alt_off:")
else:
    listed = chart_and_pick(events, len(shown), lanes=lanes, colour=colour)
    st.subheader("Events")
    events_table(listed, of=len(events))
    picked = None if len(listed) == len(events) else tuple(listed["event"])
    if access.allowed(db, user, Right.DOWNLOAD, reference):
        prepared_download(
            "Download these events (CSV)",
            reference=reference,
            kind="timeline.csv",
            file_name=f"{reference}-timeline.csv",
            params={"filters": filters_as_params(filters), "only": picked},
            key="timeline_download",
        )
    st.subheader("Activity per week")
    weekly_activity(events)

# --- milestones ----------------------------------------------------------------------------------
if access.allowed(db, user, Right.RECORD, reference):
    with st.expander("Add a milestone", icon=":material/flag:"):
        adding = FieldForm("milestone")
        adding.show_errors()
        with st.form(adding.key):
            kind = st.selectbox(
                "Milestone *",
                catalog.values("milestone_kinds"),
                format_func=lambda v: catalog.label("milestone_kinds", v),
            )
            when = st.text_input("When *", placeholder="2026-03-14, 2026-03-14 10:30, or ~2026-03")
            note = st.text_input("Note", max_chars=2000, placeholder="what was decided or done")
            if st.form_submit_button("Add milestone", type="primary", icon=":material/flag:"):
                adding.submit(
                    lambda: milestones.add_milestone(
                        db, user, reference, {"kind": kind, "occurred_at": when, "note": note}
                    ),
                    lambda code: f"Added {code}.",
                )
