"""My account: who I am here, my password, and what I have done recently."""

import streamlit as st

from workbench import activity
from workbench.ui import session
from workbench.ui.events_table import events_table
from workbench.ui.signin import change_password_form

user = session.require_actor()
st.title("My account")
st.text(f"{user.display_name} ({user.username}) · {user.role}")

if not session.signed_in_with_sso():
    with st.expander("Change my password", icon=":material/key:"):
        change_password_form(user, key="change_password")

st.subheader("My recent activity")
st.caption("Your last 200 events in the audit log: sign-ins, views, changes, downloads.")
events_table(activity.own_activity(session.db(), user))
