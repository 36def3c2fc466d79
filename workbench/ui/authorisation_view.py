"""Research authorisations on screen: their table, and the banners a case shows about them."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from workbench.actions import day_text
from workbench.ui.safe import escape


def authorisations_table(frame: pd.DataFrame) -> None:
    st.dataframe(
        frame.assign(
            state=[_state(row) for row in frame.itertuples()],
            authorised_on=frame["authorised_on"].map(day_text),
            review_date=frame["review_date"].map(day_text),
            ends_on=frame["ends_on"].map(lambda d: day_text(d) if d else ""),
        )[
            [
                "code",
                "state",
                "purpose",
                "lawful_basis",
                "authorised_by",
                "authorised_on",
                "review_date",
                "ends_on",
                "scope",
                "reference",
                "version",
            ]
        ],  # fmt: skip
        hide_index=True,
        column_config={
            "code": "Code",
            "state": "State",
            "purpose": st.column_config.TextColumn("Purpose", width="medium"),
            "lawful_basis": st.column_config.TextColumn("Lawful basis", width="medium"),
            "authorised_by": "Authorised by",
            "authorised_on": "On",
            "review_date": "Review by",
            "ends_on": "Ends",
            "scope": "Covers",
            "reference": "Their reference",
            "version": "Version",
        },
    )


def _state(row) -> str:
    if row.retracted:
        return "retracted"
    if row.review_overdue:
        return "REVIEW OVERDUE"
    return "in force" if row.in_force else "not in force"


def review_banner(frame: pd.DataFrame) -> None:
    """A warning for each authorisation in force whose review date has passed."""
    due = frame[frame["review_overdue"] & ~frame["retracted"]]
    if due.empty:
        return
    lines = [f"{r.code}: review was due {day_text(r.review_date)} ({r.scope})" for r in due.itertuples()]
    st.warning(
        "Research authorisation review overdue. Review it: is looking still necessary and proportionate?\n\n"
        + "\n\n".join(escape(line) for line in lines),
        icon=":material/event_busy:",
    )


def unauthorised_banner(codes: list[str], in_force: int) -> None:
    """Observations no authorisation covered, and a case with none in force."""
    if in_force == 0:
        st.warning(
            "No research authorisation is in force in this case. Anything recorded now is flagged "
            '"recorded without authorisation" and needs a reason; record the authorisation on the '
            "Authorisations page.",
            icon=":material/gpp_maybe:",
        )
    if codes:
        shown = ", ".join(codes[:30]) + (", …" if len(codes) > 30 else "")
        st.warning(
            f"{len(codes)} observation(s) recorded without authorisation: {escape(shown)}. Each stays flagged "
            "until an authorisation covering its account or platform on the day it was seen is recorded.",
            icon=":material/gpp_maybe:",
        )
