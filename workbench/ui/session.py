"""Per-run plumbing: the database connection, the signed-in user and the case in hand.

A SQLite connection belongs to the thread that opened it and Streamlit runs every rerun in a
script thread, so db() opens one per thread on first use and app.py closes it when the run ends.
Pages also guard themselves (require_actor): hiding a page is convenience, not security.
"""

from __future__ import annotations

import threading

import sqlite_utils
import streamlit as st

from workbench import access
from workbench.config import Settings
from workbench.db import open_home

_DB = "_workbench_db"
_USER_ID = "user_id"
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


def actor() -> access.Actor | None:
    """The signed-in user, re-read every run so a deactivated account stops at its next click."""
    user_id = st.session_state.get(_USER_ID)
    if user_id is None:
        return None
    found = access.current_actor(db(), user_id)
    if found is None:
        st.session_state.pop(_USER_ID, None)
    return found


def require_actor() -> access.Actor:
    found = actor()
    if found is None:
        st.error("Please sign in.")
        st.stop()
    return found


def sign_in(user: access.Actor) -> None:
    st.session_state.clear()
    st.session_state[_USER_ID] = user.id


def sign_out() -> None:
    user = actor()
    if user:
        access.sign_out(db(), user)
    close_database()
    st.session_state.clear()


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
