"""Showing what went wrong: one message per field, in words, never a traceback."""

from __future__ import annotations

from collections.abc import Callable

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


class FieldForm:
    """A form whose refused fields stay named after the rerun, and that starts empty again after it
    worked (its key changes by round) unless the caller gives a key of its own (an amend form keyed
    by the version it edits)."""

    def __init__(self, name: str, key: str | None = None):
        self._errors_key, self._round_key = f"{name}_errors", f"{name}_round"
        self.key = key or f"{name}_{st.session_state.get(self._round_key, 0)}"

    @property
    def errors(self) -> dict[str, str]:
        return st.session_state.get(self._errors_key, {})

    def show_errors(self) -> None:
        if self.errors:
            show_error(ValidationError(self.errors))

    def submit(self, act: Callable[[], object], done: Callable[[object], str]) -> None:
        """Run `act`; a refusal names its fields on the next run, success reruns saying `done(result)`."""
        try:
            result = act()
        except ValidationError as e:
            st.session_state[self._errors_key] = e.errors
            st.rerun()
        except WorkbenchError as e:
            show_error(e)
        else:
            st.session_state.pop(self._errors_key, None)
            st.session_state[self._round_key] = st.session_state.get(self._round_key, 0) + 1
            notify_after_rerun(done(result))
            st.rerun()
