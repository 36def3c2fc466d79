"""Members: who is in a case and in what part. For the case lead and administrators."""

import streamlit as st

from workbench import cases
from workbench.access import MEMBER_ROLES
from workbench.errors import WorkbenchError
from workbench.ui import session
from workbench.ui.feedback import notify_after_rerun, show_error, show_notice
from workbench.ui.managed_case import pick_managed_case

PARTS = {
    "analyst": "Analyst: records and amends",
    "reviewer": "Reviewer: reads only",
    "lead": "Lead: also manages members, exports, purges (hands the lead over)",
}

user = session.require_actor()
db = session.db()
st.title("Members")
reference = pick_managed_case(user, key="members_case")
try:
    members = cases.members(db, user, reference)
except WorkbenchError as e:
    show_error(e)
    st.stop()

show_notice()

st.dataframe(
    members,
    hide_index=True,
    column_config={
        "username": "Username",
        "display_name": "Name",
        "account_role": "Account role",
        "role": "Part in this case",
        "active": st.column_config.CheckboxColumn("Account active"),
        "added_at": st.column_config.DatetimeColumn("Added (UTC)", format="D MMM YYYY HH:mm"),
    },
)

left, right = st.columns(2)
with left, st.form("add_member", clear_on_submit=True):
    st.subheader("Add a member or change a part")
    username = st.text_input("Username", max_chars=64)
    role = st.selectbox("Part", MEMBER_ROLES, format_func=PARTS.get)
    if st.form_submit_button("Save", type="primary"):
        try:
            cases.add_member(db, user, reference, username, role)
        except WorkbenchError as e:
            show_error(e)
        else:
            notify_after_rerun(f"{username.strip().lower()} is now {role} in {reference}.")
            st.rerun()

with right, st.form("remove_member", clear_on_submit=True):
    st.subheader("Remove a member")
    removable = members.loc[members["role"] != "lead", "username"].tolist()
    leaving = st.selectbox("Member", removable, index=None, placeholder="Choose a member")
    sure = st.checkbox("They will no longer see anything in this case")
    if st.form_submit_button("Remove"):
        if not leaving or not sure:
            st.error("Choose a member and tick the box to confirm.")
        else:
            try:
                cases.remove_member(db, user, reference, leaving)
            except WorkbenchError as e:
                show_error(e)
            else:
                notify_after_rerun(f"{leaving} was removed from {reference}.")
                st.rerun()
