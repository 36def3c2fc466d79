"""The case's status on the overview: open, or closed since when and to be reviewed by when, the
history of its closings, and (for its lead and administrators) closing or reopening it with a reason."""

from __future__ import annotations

import sqlite_utils
import streamlit as st

from workbench import access, retention
from workbench.access import Actor, CaseAccess, Right
from workbench.timeutil import format_local
from workbench.ui.feedback import FieldForm, field_error

EVENTS = {"close": "Closed", "reopen": "Reopened", "extend": "Kept longer"}


def case_status(db: sqlite_utils.Database, user: Actor, case: CaseAccess) -> None:
    """`case` is what the overview's authorize handed back: this adds no permission check of its own
    for what it shows, and asks authorize before offering the form."""
    state = retention.closure(db, case.case_id)
    closed = state.status == "closed"
    if closed:
        st.text(f"Closed {format_local(state.closed_at)} · review by {state.review_by} ({state.rule})")
    may_close = access.allowed(db, user, Right.CLOSE, case.reference)
    if state.history.empty and not may_close:
        return
    doing = ("reopen" if closed else "close") if may_close else ""
    with st.expander("Closing: history" + (f" and {doing}" if doing else ""), icon=":material/inventory_2:"):
        if not state.history.empty:
            closing_history(state.history, reason_width="large")
        if not may_close:
            return
        form = FieldForm("case_status")
        form.show_errors()
        with st.form(form.key):
            if closed:
                st.caption("Reopening takes the case off the review list; closing it again starts a new date.")
            else:
                st.caption("Closing gives the case a review-by date from the partnership's retention schedule.")
            reason = st.text_input(
                "Why reopen it *" if closed else "Why close it *",
                max_chars=2000,
                placeholder="e.g. a new referral" if closed else "e.g. plan ended at the review conference",
            )
            field_error(form.errors, "reason", "status")
            if st.form_submit_button("Reopen the case" if closed else "Close the case"):
                if closed:
                    form.submit(
                        lambda: retention.reopen_case(db, user, case.reference, reason),
                        lambda _: f"{case.reference} is open again.",
                    )
                else:
                    form.submit(
                        lambda: retention.close_case(db, user, case.reference, reason),
                        lambda review_by: f"{case.reference} is closed; review by {review_by}.",
                    )


def closing_history(history, *, reason_width: str = "medium") -> None:
    """A case's closings, reopenings and extensions (retention.HISTORY_COLUMNS), oldest first."""
    st.dataframe(
        history.assign(event=history["event"].map(EVENTS))[
            ["recorded_at", "event", "reason", "review_by", "recorded_by"]
        ],
        hide_index=True,
        column_config={
            "recorded_at": "When (UTC)",
            "event": "What",
            "reason": st.column_config.TextColumn("Why", width=reason_width),
            "review_by": "Review by",
            "recorded_by": "By",
        },
    )
