"""Signing in: local accounts by default, single sign-on (OIDC) where a deployment configures it,
and the page a temporary password leads to."""

from __future__ import annotations

import streamlit as st

from workbench import throttle, users
from workbench.errors import AuthenticationFailed, WorkbenchError
from workbench.ui import session
from workbench.ui.feedback import show_error
from workbench.ui.safe import escape

_SSO_REFUSED = "sso_refused"


def sso_provider() -> str | None:
    """The provider st.login should use: "" for a single `[auth]` provider, its name for
    `[auth.<name>]`; None when the deployment has no single sign-on."""
    try:
        auth = st.secrets.get("auth")
    except FileNotFoundError:
        return None
    if not auth:
        return None
    if "client_id" in auth or "server_metadata_url" in auth:
        return ""
    named = [name for name, value in auth.items() if hasattr(value, "keys")]
    return named[0] if named else None


def try_single_sign_on() -> None:
    """If the identity provider has signed this browser in, map its e-mail to a workbench account."""
    if session.has_user() or session.sso_session_ended() or _SSO_REFUSED in st.session_state:
        return
    if sso_provider() is None:
        return
    if not st.user.is_logged_in:
        return
    claims = users.SingleSignOnClaims(
        email=st.user.get("email"),
        email_verified=st.user.get("email_verified"),
        subject=st.user.get("sub"),
        issuer=st.user.get("iss"),
    )
    try:
        session.can_sign_in()
        user = users.authenticate_sso(session.db(), claims)
    except AuthenticationFailed as e:
        st.session_state[_SSO_REFUSED] = str(e)
    else:
        session.sign_in(user, method="sso")


def client_address(policy) -> str:
    """The address failed sign-ins count against (throttle.client_address): the connection's, or
    the one trusted proxies forwarded (WORKBENCH_TRUSTED_PROXIES)."""
    forwarded = None
    if policy.trusted_proxies:
        forwarded = ",".join(st.context.headers.get_all("X-Forwarded-For")) or None
    return throttle.client_address(st.context.ip_address, forwarded, policy.trusted_proxies)


def sign_in_page() -> None:
    st.title("Safeguarding evidence workbench")
    st.caption("For authorised safeguarding professionals. Every view and change is recorded in the audit log.")
    notice = session.take_notice()
    if notice:
        st.info(escape(notice), icon=":material/schedule:")
    refused = st.session_state.get(_SSO_REFUSED)
    if refused:
        st.error(escape(refused))
        if st.button("Sign out of single sign-on", key="sso_sign_out"):
            st.session_state.clear()
            st.logout()
            st.stop()
        return
    provider = sso_provider()
    if provider is not None:
        if st.button("Sign in with your organisation's account", type="primary", key="sso_sign_in"):
            st.login(provider) if provider else st.login()
        st.caption("Or with a workbench password:")
    with st.form("sign_in"):
        username = st.text_input("Username", max_chars=200, autocomplete="username")
        password = st.text_input("Password", type="password", max_chars=1024, autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary" if provider is None else "secondary")
    if submitted:
        policy = session.policy()
        try:
            session.can_sign_in()
            user = throttle.authenticate(session.db(), client_address(policy), username, password, policy)
        except AuthenticationFailed as e:
            st.error(escape(e))
        else:
            session.sign_in(user)
            st.rerun()


def set_password_page() -> None:
    """The only page a temporary password opens: the user chooses their own."""
    user = session.require_actor()
    st.title("Choose your password")
    st.info(
        "Your administrator gave you a temporary password. Choose your own before you go on: at least "
        "12 characters, not your username, and not a common password. A few unrelated words work well.",
        icon=":material/key:",
    )
    change_password_form(user, key="first_password", then_rerun=True)


def change_password_form(user, *, key: str, then_rerun: bool = False) -> None:
    """Current, new, new again. After the first password the whole app must rerun (the
    navigation changes), and app.py says it worked; elsewhere the form says so itself."""
    with st.form(key, clear_on_submit=True):
        current = st.text_input("Current password", type="password", max_chars=1024, autocomplete="current-password")
        new = st.text_input("New password", type="password", max_chars=1024, autocomplete="new-password")
        confirm = st.text_input("New password again", type="password", max_chars=1024, autocomplete="new-password")
        submitted = st.form_submit_button("Set password", type="primary")
    if not submitted:
        return
    try:
        users.change_password(session.db(), user, current, new, confirm, session.policy())
    except WorkbenchError as e:
        show_error(e)
    else:
        if then_rerun:
            st.session_state["password_changed"] = True
            st.rerun()
        st.success("Your password is changed.", icon=":material/check_circle:")
