"""Entrypoint: page frame, sign-in gate, idle timeout, and the navigation a user's role allows."""

from datetime import timedelta

import streamlit as st

from workbench import access
from workbench.errors import ConfigurationError
from workbench.ui import run_times, session, signin
from workbench.ui.safe import escape

st.set_page_config(page_title="Safeguarding workbench", page_icon=":material/shield_person:", layout="wide")


def _page(path: str, title: str, icon: str, **kwargs) -> st.Page:
    return st.Page(path, title=title, icon=f":material/{icon}:", **kwargs)


def _pages_for(user: access.Actor) -> dict[str, list[st.Page]]:
    """Only the pages this user may use, in sections. Each page also checks for itself."""
    can = access.capabilities(session.db(), user)
    case, managing = [], []
    if can.view_cases:
        case.append(_page("pages/case_overview.py", "Case overview", "dashboard"))
    if can.record:
        case.append(_page("pages/record_observation.py", "Record observation", "edit_note"))
    if can.view_cases:
        case.append(_page("pages/observations.py", "Observations", "list_alt"))
        case.append(_page("pages/evidence.py", "Evidence", "photo_library"))
        case.append(_page("pages/facts.py", "Trusted facts", "fact_check"))
        case.append(_page("pages/persons_of_concern.py", "Persons of concern", "person_alert"))
        case.append(_page("pages/crossrefs.py", "Cross-references", "rule"))
        case.append(_page("pages/actions.py", "Actions", "task_alt"))
        case.append(_page("pages/viewing_log.py", "Viewing log", "visibility"))
        case.append(_page("pages/authorisations.py", "Authorisations", "verified_user"))
        case.append(_page("pages/timeline.py", "Timeline", "timeline"))
        case.append(_page("pages/conference.py", "Conference view", "groups"))
        case.append(_page("pages/export.py", "Export", "ios_share"))
    if can.manage_members:
        managing.append(_page("pages/members.py", "Members", "group"))
    if can.see_activity:
        managing.append(_page("pages/activity.py", "Activity", "history"))
    if can.manage_users:
        managing.append(_page("pages/users.py", "Users", "manage_accounts"))
        managing.append(_page("pages/retention.py", "Retention", "auto_delete"))
    sections = {
        "": [_page("pages/home.py", "Home", "home", default=True), _page("pages/cases.py", "Cases", "folder_open")],
        "This case": case,
        "Manage": managing,
        "You": [_page("pages/account.py", "My account", "account_circle")],
    }
    return {section: pages for section, pages in sections.items() if pages}


def _idle_check() -> None:
    """Runs on a timer; timer runs do not count as activity, so an unattended screen clears itself."""
    if session.idle_expired():
        st.rerun(scope="app")


def _idle_watch() -> None:
    every = min(60.0, max(1.0, session.policy().idle_minutes * 60 / 4))
    st.fragment(_idle_check, run_every=timedelta(seconds=every))()


def _sidebar(user: access.Actor) -> None:
    with st.sidebar:
        st.text(f"{user.display_name}\n{user.role}")
        case = session.current_case()
        if case:
            st.text(f"Case: {case}")
        if st.button("Sign out", icon=":material/logout:", key="sign_out"):
            session.sign_out()
            st.rerun()
        _idle_watch()


navigation = None
with run_times.timed(lambda: navigation.title if navigation else "(before navigation)"):
    try:
        try:
            session.db()
        except ConfigurationError as e:
            st.error(f"The workbench is not set up right: {escape(e)}. Ask your administrator.")
            st.stop()
        session.end_if_idle()
        signin.try_single_sign_on()
        user = session.actor()  # None once the account is deactivated: that ends the session too
        if session.sso_session_ended():
            # The identity provider's cookie would sign this browser straight back in. (The redirect
            # starts a new session, so a notice such as the idle one cannot follow it.)
            st.session_state.pop("sign_in_method", None)
            st.logout()
            st.stop()
        session.touch()
        if user is None:
            navigation = st.navigation([st.Page(signin.sign_in_page, title="Sign in", icon=":material/login:")])
        elif user.must_change_password:
            navigation = st.navigation(
                [st.Page(signin.set_password_page, title="Choose your password", icon=":material/key:")]
            )
            _sidebar(user)
        else:
            navigation = st.navigation(_pages_for(user), expanded=True)  # every page in sight: no "View more"
            _sidebar(user)
            if st.session_state.pop("password_changed", False):
                st.toast("Your password is changed.", icon=":material/check_circle:")
        navigation.run()
    finally:
        session.close_database()
