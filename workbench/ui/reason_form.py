"""A form that does one thing that stays on record with a reason: retract, withdraw."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from workbench.errors import WorkbenchError
from workbench.ui.feedback import notify_after_rerun, show_error


def reason_form(key: str, *, explain: str, label: str, button: str, act: Callable[[str], object], done: str) -> None:
    """`act(reason)` on submit; its error is shown, or the page reruns saying `done`."""
    st.caption(explain)
    with st.form(key):
        reason = st.text_input(label, max_chars=2000)
        if st.form_submit_button(button):
            try:
                act(reason)
            except WorkbenchError as e:
                show_error(e)
            else:
                notify_after_rerun(done)
                st.rerun()
