"""My account: who I am here, my password, and what I have done recently."""

import streamlit as st

from workbench import activity
from workbench.timeutil import format_local
from workbench.ui import session
from workbench.ui.signin import change_password_form

user = session.require_actor()
st.title("My account")
st.text(f"{user.display_name} ({user.username}) · {user.role}")

if not session.signed_in_with_sso():
    with st.expander("Change my password", icon=":material/key:"):
        change_password_form(user, key="change_password")

st.subheader("My recent activity")
st.caption("Your last 200 events in the audit log: sign-ins, views, changes, downloads.")
mine = activity.own_activity(session.db(), user)
st.dataframe(
    mine.assign(at=mine["at"].map(format_local)),
    hide_index=True,
    column_config={
        "seq": st.column_config.NumberColumn("Seq", format="%d"),
        "at": "When (London)",
        "action": "Action",
        "case_ref": "Case",
        "item_code": "Item",
        "details": "Details",
        "justification": "Justification",
    },
)
