"""Showing what went wrong: one message per field, in words, never a traceback."""

from __future__ import annotations

import streamlit as st

from workbench.errors import ValidationError, WorkbenchError
from workbench.ui.safe import escape


def show_error(error: WorkbenchError) -> None:
    if isinstance(error, ValidationError):
        lines = [f"- **{escape(field)}**: {escape(reason)}" for field, reason in error.errors.items()]
        st.error("Please correct the following:\n\n" + "\n".join(lines))
    else:
        st.error(escape(str(error)))


def field_error(errors: dict[str, str], *names: str) -> None:
    """Under a widget: the reason its field was refused, if it was."""
    for name in names:
        if name in errors:
            st.error(escape(errors[name]), icon=":material/error:")


_NOTICE = "_notice"


def notify_after_rerun(message: str) -> None:
    """Say that something worked, on the run that follows st.rerun()."""
    st.session_state[_NOTICE] = message


def show_notice() -> None:
    if message := st.session_state.pop(_NOTICE, None):
        st.success(escape(message), icon=":material/check_circle:")
