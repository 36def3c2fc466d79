"""Activity: who viewed or changed what in a case, and when. For the case lead and administrators."""

import streamlit as st

from workbench import activity
from workbench.downloads import filters_as_params
from workbench.errors import WorkbenchError
from workbench.ui import session
from workbench.ui.download import prepared_download
from workbench.ui.events_table import events_table
from workbench.ui.feedback import show_error
from workbench.ui.managed_case import pick_managed_case

user = session.require_actor()
db = session.db()
st.title("Activity")
st.caption("Every sign-in, view, change and download in a case, from the tamper-evident audit log.")
if user.is_admin and st.toggle(
    "Refused attempts at cases (every case)",
    key="activity_refused",
    help="Someone asked for a case they may not see, or a reference that names none; they were told it was not"
    " found. Reading this list is audited.",
):
    try:
        refused = activity.refused_attempts(db, user)
    except WorkbenchError as e:
        show_error(e)
    else:
        st.caption(f"{len(refused)} refused attempts, newest first. Case is empty where the reference names no case.")
        events_table(refused)
    st.divider()
reference = pick_managed_case(user, key="activity_case")

# One read of the log per run: the filters' values are in the session before their widgets draw,
# and the widgets offer the users and actions the case's whole log holds.
dates = st.session_state.get(f"activity_dates_{reference}") or ()
filters = activity.ActivityFilter(
    username=st.session_state.get(f"activity_user_{reference}"),
    action=st.session_state.get(f"activity_action_{reference}"),
    date_from=dates[0] if len(dates) >= 1 else None,
    date_to=dates[1] if len(dates) == 2 else (dates[0] if dates else None),
)
try:
    shown = activity.case_activity(db, user, reference, filters)
except WorkbenchError as e:
    show_error(e)
    st.stop()
f1, f2, f3 = st.columns([2, 2, 3])
f1.selectbox("User", shown.usernames, index=None, placeholder="Everyone", key=f"activity_user_{reference}")
f2.selectbox("Action", shown.actions, index=None, placeholder="Every action", key=f"activity_action_{reference}")
f3.date_input(
    "Dates (London)",
    value=(),
    format="DD/MM/YYYY",
    key=f"activity_dates_{reference}",
    help="One day, or the first and last day.",
)
if shown.metadata_only:
    st.info(
        "You are not a member of this case, so you see who did what and when, and which item, but not what"
        " people typed (titles, purposes, recipients, reasons): those read as withheld.",
        icon=":material/visibility_off:",
    )
st.caption(
    f"{len(shown.events)} events, newest first"
    + (f" (the newest {activity.SHOWN_AT_MOST:,}; download for all of them)." if shown.truncated else ".")
)
events_table(shown.events)
prepared_download(
    "Download as CSV",
    reference=reference,
    kind="activity.csv",
    file_name=f"{reference}-activity.csv",
    params={"filters": filters_as_params(filters)},
    key="activity_csv",
)
