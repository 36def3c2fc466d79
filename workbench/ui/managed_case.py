"""Choosing a case to manage: every case for an administrator, the cases they lead for a lead."""

from __future__ import annotations

import streamlit as st

from workbench import cases, fields
from workbench.access import Actor
from workbench.ui import session
from workbench.ui.safe import escape


def pick_managed_case(user: Actor, *, key: str) -> str:
    managed = cases.managed_cases(session.db(), user)
    if managed.empty:
        st.info(
            "There are no cases for you to manage: you lead none." if not user.is_admin else "There are no cases yet."
        )
        st.stop()
    references = managed["reference"].tolist()
    current = session.current_case()
    if current and current not in references:
        # Named in the URL but not one of theirs: the same words as for a case that does not exist.
        st.error(escape(f"Case {fields.clip(current)} not found."))
    chosen = st.selectbox(
        "Case",
        references,
        index=references.index(current) if current in references else 0,
        key=key,
        help="Administrators manage every case without seeing its content; a lead manages the cases they lead.",
    )
    if chosen != current:
        session.choose_case(chosen)
    return chosen
