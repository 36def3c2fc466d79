"""Per-run plumbing: the database connection, the signed-in user and the case in hand.

A SQLite connection belongs to the thread that opened it and Streamlit runs every rerun in a
script thread, so db() opens one per thread on first use and app.py closes it when the run ends.
Pages also guard themselves (require_actor): hiding a page is convenience, not security.

The browser session holds only the id of a sign-in record (`workbench/signins.py`), bound to the
browser's key: an HttpOnly cookie the server set on the page (`workbench/web/browser_key.py`),
which a script can read from the websocket's handshake but no page script can. A connection that
presents this session's id without that cookie (a stolen session id, replayed from elsewhere) ends
the sign-in instead of acting as its user.

A session ends when its user signs out, after the configured idle minutes (checked at every run
and by a timer in the sidebar, so an unattended screen clears itself), and at the next click after
an administrator deactivates the account.
"""

from __future__ import annotations

import dataclasses
import threading
import time

import sqlite_utils
import streamlit as st

from workbench import access, signins, users
from workbench.config import Settings, SignInPolicy
from workbench.db import open_home
from workbench.errors import AuthenticationFailed
from workbench.web import browser_key as keys

_DB = "_workbench_db"
_SIGN_IN = "sign_in_id"
_TOUCHED = "sign_in_touched"  # when this session last wrote the sign-in's last_seen_at
_METHOD = "sign_in_method"
_LAST_ACTIVE = "last_active"
_NOTICE = "session_notice"
_CASE = "case_ref"


def db() -> sqlite_utils.Database:
    held = st.session_state.get(_DB)
    if held is None or held[0] != threading.get_ident():
        held = (threading.get_ident(), open_home(Settings.from_env()))
        st.session_state[_DB] = held
    return held[1]


def close_database() -> None:
    held = st.session_state.pop(_DB, None)
    if held is not None and held[0] == threading.get_ident():
        held[1].conn.close()


def policy() -> SignInPolicy:
    return Settings.from_env().sign_in


def browser_key() -> str | None:
    """The key this browser holds, as the connection's handshake carried it (None without one)."""
    if not _served_to_a_browser():
        return None
    value = st.context.cookies.get(keys.cookie_name(Settings.from_env()))
    return value if isinstance(value, str) and value else None


def _served_to_a_browser() -> bool:
    """Whether a browser is on the other end. Every HTTP request has headers; a run with none has no
    network connection at all (Streamlit's in-process AppTest harness), so no cookie to bind to."""
    return bool(st.context.headers)


def actor() -> access.Actor | None:
    """The signed-in user, re-read every run so a deactivated account stops at its next click."""
    sign_in_id = st.session_state.get(_SIGN_IN)
    if sign_in_id is None:
        return None
    record = signins.get(db(), sign_in_id)
    found = users.current_actor(db(), record.user_id) if record and record.ended_at is None else None
    if found is not None and not signins.key_matches(record, browser_key()):
        end(found, "a connection without this browser's key")
        st.session_state[_NOTICE] = "Your session has ended. Please sign in again."
        return None
    if found is not None and signed_in_with_sso() and found.must_change_password:
        # A temporary password guards the local sign-in; the identity provider vouched for this one.
        found = dataclasses.replace(found, must_change_password=False)
    if found is None:
        username = st.session_state.get("username", "(unknown)")
        ended = record is None or record.ended_at is not None
        end(access.Actor(None, username, username, "reviewer"), "sign-in ended" if ended else "account deactivated")
        st.session_state[_NOTICE] = (
            "Your session has ended. Please sign in again."
            if ended
            else "Your session has ended: your account is no longer active."
        )
    return found


def sign_in_id() -> str | None:
    return st.session_state.get(_SIGN_IN)


def require_actor() -> access.Actor:
    found = actor()
    if found is None:
        st.error("Please sign in.")
        st.stop()
    return found


def can_sign_in() -> None:
    """Refuse before any password is checked if this browser holds no key to bind a sign-in to."""
    if _served_to_a_browser() and not browser_key():
        raise AuthenticationFailed(
            "This browser has not been given the workbench's sign-in cookie. Allow cookies for this "
            "site and reload the page; if it persists, the workbench was started without its server "
            "(streamlit run server.py)."
        )


def sign_in(user: access.Actor, method: str = "password") -> None:
    can_sign_in()
    sign_in_id = signins.begin(db(), user, method, browser_key())
    st.session_state.clear()
    st.session_state[_SIGN_IN] = sign_in_id
    st.session_state["username"] = user.username
    st.session_state[_METHOD] = method
    st.session_state[_LAST_ACTIVE] = time.time()
    st.session_state[_TOUCHED] = time.time()


def has_user() -> bool:
    """Whether this browser session holds a sign-in (not yet re-checked this run)."""
    return st.session_state.get(_SIGN_IN) is not None


def signed_in_with_sso() -> bool:
    return st.session_state.get(_METHOD) == "sso"


def idle_expired() -> bool:
    last = st.session_state.get(_LAST_ACTIVE)
    return (
        st.session_state.get(_SIGN_IN) is not None
        and last is not None
        and time.time() - last > policy().idle_minutes * 60
    )


def touch() -> None:
    """This run is the user's doing: the idle clock starts again (and, once a minute, in the
    database, where the download endpoint reads it)."""
    sign_in_id = st.session_state.get(_SIGN_IN)
    if sign_in_id is None:
        return
    now = time.time()
    st.session_state[_LAST_ACTIVE] = now
    if now - st.session_state.get(_TOUCHED, 0) >= signins.TOUCH_EVERY.total_seconds():
        signins.touch(db(), sign_in_id)
        st.session_state[_TOUCHED] = now


def end_if_idle() -> bool:
    """End the session if it idled too long; True if it did."""
    if not idle_expired():
        return False
    user = actor()
    minutes = f"{policy().idle_minutes:g}"
    if user is not None:
        end(user, "idle timeout")
    st.session_state[_NOTICE] = f"Your session ended after {minutes} idle minutes. Please sign in again."
    return True


def end(user: access.Actor, reason: str) -> None:
    """Sign the user out: audited, then everything this browser session held is forgotten."""
    sso = signed_in_with_sso()
    signins.end(db(), st.session_state.get(_SIGN_IN), user.username, reason)
    close_database()
    st.session_state.clear()
    if sso:
        st.session_state[_METHOD] = "sso-ended"  # the identity provider's cookie must go too


def sign_out() -> None:
    user = actor()
    if user:
        end(user, "signed out")


def take_notice() -> str | None:
    return st.session_state.pop(_NOTICE, None)


def sso_session_ended() -> bool:
    return st.session_state.get(_METHOD) == "sso-ended"


def current_case() -> str | None:
    """The case in hand: the URL's ?case= wins (links can be shared), else the last one chosen."""
    from_url = st.query_params.get("case")
    if from_url:
        st.session_state[_CASE] = from_url
    return st.session_state.get(_CASE)


def choose_case(reference: str) -> None:
    st.session_state[_CASE] = reference
    st.query_params["case"] = reference


def require_case() -> str:
    reference = current_case()
    if not reference:
        st.info("Choose a case on the Cases page first.")
        st.page_link("pages/cases.py", label="Go to Cases", icon=":material/folder_open:")
        st.stop()
    st.query_params["case"] = reference
    return reference
