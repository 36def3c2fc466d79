"""The sign-in screen for local accounts."""

from __future__ import annotations

import streamlit as st

from workbench import access
from workbench.errors import AuthenticationFailed
from workbench.ui import session


def sign_in_page() -> None:
    st.title("Safeguarding evidence workbench")
    st.caption("For authorised safeguarding professionals. Every view and change is recorded in the audit log.")
    with st.form("sign_in"):
        username = st.text_input("Username", max_chars=200, autocomplete="username")
        password = st.text_input("Password", type="password", max_chars=1024, autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        try:
            user = access.authenticate(session.db(), username, password)
        except AuthenticationFailed as e:
            st.error(str(e))
        else:
            session.sign_in(user)
            st.rerun()
