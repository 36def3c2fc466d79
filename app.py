"""Entrypoint: page frame, sign-in gate, and the navigation a user's role allows."""

import streamlit as st

from workbench.errors import ConfigurationError
from workbench.ui import session
from workbench.ui.safe import escape
from workbench.ui.signin import sign_in_page

st.set_page_config(page_title="Safeguarding workbench", page_icon=":material/shield_person:", layout="wide")

try:
    try:
        session.db()
    except ConfigurationError as e:
        st.error(f"The workbench is not set up right: {escape(e)}. Ask your administrator.")
        st.stop()
    user = session.actor()
    if user is None:
        navigation = st.navigation([st.Page(sign_in_page, title="Sign in", icon=":material/login:")])
    else:
        pages = [
            st.Page("pages/cases.py", title="Cases", icon=":material/folder_open:", default=True),
            st.Page("pages/case_overview.py", title="Case overview", icon=":material/dashboard:"),
            st.Page("pages/observations.py", title="Observations", icon=":material/list_alt:"),
        ]
        if user.role in ("analyst", "admin"):
            pages.insert(
                2, st.Page("pages/record_observation.py", title="Record observation", icon=":material/edit_note:")
            )
        navigation = st.navigation(pages)
        with st.sidebar:
            st.text(f"{user.display_name}\n{user.role}")
            case = session.current_case()
            if case:
                st.text(f"Case: {case}")
            if st.button("Sign out", icon=":material/logout:", key="sign_out"):
                session.sign_out()
                st.rerun()
    navigation.run()
finally:
    session.close_database()
