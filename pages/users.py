"""Users: accounts, roles, sign-in state. For administrators."""

import pandas as pd
import streamlit as st

from workbench import throttle, users
from workbench.access import ROLES
from workbench.errors import WorkbenchError
from workbench.timeutil import format_local
from workbench.ui import session, temporary_password
from workbench.ui.feedback import notify_after_rerun, show_error, show_notice
from workbench.ui.safe import escape

ROLE_HELP = {
    "admin": "Administrator: manages users and case membership; sees no case content unless a member",
    "analyst": "Analyst: records and amends in the cases they are a member of",
    "reviewer": "Reviewer: reads the cases they are a member of",
}

user = session.require_actor()
db = session.db()
st.title("Users")
try:
    accounts = users.list_users(db, user)
except WorkbenchError as e:
    show_error(e)
    st.stop()

if handed := st.session_state.pop("handover", None):
    who, password = handed
    st.success(
        f"Give {escape(who)} this temporary password by a separate channel. It is shown once; they must choose"
        " their own when they first sign in.",
        icon=":material/key:",
    )
    st.code(password, language=None)
show_notice()

st.dataframe(
    accounts,
    hide_index=True,
    column_config={
        "username": "Username",
        "display_name": "Name",
        "role": "Role",
        "email": "E-mail (single sign-on)",
        "active": st.column_config.CheckboxColumn("Active"),
        "locked_until": st.column_config.DatetimeColumn("Locked until (UTC)", format="D MMM HH:mm"),
        "temporary_password": st.column_config.CheckboxColumn("Temporary password"),
        "created_at": st.column_config.DatetimeColumn("Created (UTC)", format="D MMM YYYY"),
        "last_sign_in": st.column_config.DatetimeColumn("Last sign-in (UTC)", format="D MMM YYYY HH:mm"),
    },
)


def _act(do, outcome: str) -> None:
    try:
        do()
    except WorkbenchError as e:
        show_error(e)
    else:
        notify_after_rerun(outcome)
        st.rerun()


# Sign-in locks (issue 24): accounts locked by failures in a row, and addresses held back.
locked = accounts[accounts["locked_until"].notna()]
if not locked.empty:
    st.subheader("Locked accounts")
    st.caption(
        "Locked after failed sign-ins in a row; a lock runs out by itself. Unlocking lets the account try at once"
        " and is recorded in the audit log."
    )
    for row in locked.itertuples():
        left, right = st.columns([4, 1], vertical_alignment="center")
        left.text(f"{row.username} · locked until {format_local(row.locked_until)}")
        if right.button("Unlock", key=f"unlock_locked_{row.username}"):
            _act(lambda name=row.username: users.unlock(db, user, name), f"{row.username} is unlocked.")

policy = session.policy()
try:
    by_address = throttle.clients(db, user, policy)
except WorkbenchError as e:
    show_error(e)
    st.stop()
if not by_address.empty:
    st.subheader("Failed sign-ins by address")
    st.caption(
        f"An address with {policy.client_attempts} failed sign-ins within {policy.client_minutes:g} minutes is held"
        " back: its attempts are refused without counting against any account until its oldest failure is older"
        " than that. Clearing an address lets it try at once and is recorded in the audit log."
    )
    st.dataframe(
        by_address,
        hide_index=True,
        column_config={
            "client": "Address",
            "failures": st.column_config.NumberColumn("Failures", format="%d"),
            "first_failure": st.column_config.DatetimeColumn("First (UTC)", format="D MMM HH:mm"),
            "last_failure": st.column_config.DatetimeColumn("Last (UTC)", format="D MMM HH:mm"),
            "held_back": st.column_config.CheckboxColumn("Held back"),
        },
    )
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    address = left.selectbox("Address", by_address["client"].tolist(), index=None, key="client_to_clear")
    if right.button("Clear its failures", key="clear_client", disabled=address is None):
        _act(lambda: throttle.clear(db, user, address), f"Failed sign-ins from {address} are cleared.")

add, manage = st.tabs(["Add a user", "Change a user"])
with add, st.form("add_user", clear_on_submit=True):
    username = st.text_input("Username *", max_chars=64, help="Lower-case letters, digits, . _ @ -")
    display_name = st.text_input("Name", max_chars=200)
    role = st.selectbox("Role *", ROLES, index=1, format_func=ROLE_HELP.get)
    email = st.text_input("E-mail for single sign-on", max_chars=254, help="Leave empty where sign-in is by password.")
    if st.form_submit_button("Add user", type="primary"):
        password = temporary_password.generate()
        try:
            created = users.create_user(
                db, user, username, role, password, display_name=display_name, email=email, temporary=True
            )
        except WorkbenchError as e:
            show_error(e)
        else:
            st.session_state["handover"] = (created.username, password)
            st.rerun()

with manage:
    chosen = st.selectbox("User", accounts["username"].tolist(), index=None, placeholder="Choose a user")
    if chosen:
        row = accounts.set_index("username").loc[chosen]
        c1, c2, c3, c4 = st.columns(4)
        action = None
        if row["active"]:
            if c1.button("Deactivate", key="deactivate", help="Their open sessions end at their next click."):
                action = (lambda: users.set_active(db, user, chosen, False), f"{chosen} is deactivated.")
        elif c1.button("Reactivate", key="reactivate"):
            action = (lambda: users.set_active(db, user, chosen, True), f"{chosen} is active again.")
        if c2.button("Unlock", key="unlock", disabled=pd.isna(row["locked_until"])):
            action = (lambda: users.unlock(db, user, chosen), f"{chosen} is unlocked.")
        if c3.button("Reset password", key="reset_password", help="Gives a temporary password, shown once."):
            password = temporary_password.generate()
            action = (lambda: users.reset_password(db, user, chosen, password), (chosen, password))
        with c4.popover("Role or e-mail"):
            # Keyed by user, so an unsaved edit for one user never carries over to the next.
            new_role = st.selectbox(
                "Role", ROLES, index=ROLES.index(row["role"]), format_func=ROLE_HELP.get, key=f"role_of_{chosen}"
            )
            new_email = st.text_input("E-mail", value=row["email"] or "", max_chars=254, key=f"email_of_{chosen}")
            if st.button("Save", key="save_user"):

                def change():
                    if new_role != row["role"]:
                        users.set_role(db, user, chosen, new_role)
                    if (new_email or None) != row["email"]:
                        users.set_email(db, user, chosen, new_email)

                action = (change, f"{chosen} is saved.")
        if action:
            do, outcome = action  # a notice, or (who, temporary password) to hand over once
            try:
                do()
            except WorkbenchError as e:
                show_error(e)
            else:
                if isinstance(outcome, tuple):
                    st.session_state["handover"] = outcome
                else:
                    notify_after_rerun(outcome)
                st.rerun()
