"""Actions on screen: the table, what is still to do, and the immediate-risk items the police have
not been told of. Shared by the Actions page, the case overview and the timeline."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from workbench.actions import day_text, summary_line


def actions_table(frame: pd.DataFrame, *, history: bool = False) -> None:
    """Actions as plain text cells (never Markdown); with `history`, one row per version."""
    shown = frame.assign(
        due=frame["due_date"].map(day_text),
        overdue=frame["overdue"].map({True: "OVERDUE", False: ""}),
        retracted=frame["retracted"].map({True: "retracted", False: ""}),
    )
    columns = ["code", "action", "state", "overdue", "due", "done", "done_by", "reference", "observation", "note",
               "status_reason", "retracted", "recorded_by", "recorded_at"]  # fmt: skip
    if history:
        columns = ["version", *columns[1:]]
    st.dataframe(
        shown[columns],
        hide_index=True,
        column_config={
            "code": "Code",
            "version": "Version",
            "action": "Action",
            "state": "Status",
            "overdue": "Overdue",
            "due": "Due by",
            "done": "Done (London)",
            "done_by": "Done by",
            "reference": "Reference",
            "observation": "For",
            "note": st.column_config.TextColumn("Note", width="medium"),
            "status_reason": "Why not applicable",
            "retracted": "Retracted",
            "recorded_by": "Recorded by",
            "recorded_at": "Recorded (UTC)",
        },
    )


def outstanding_banner(outstanding: pd.DataFrame) -> None:
    """The actions still to do, overdue first: a warning when any is overdue, else a note."""
    if outstanding.empty:
        return
    overdue = int(outstanding["overdue"].sum())
    lines = "\n".join(
        f"{row['code']} · {row['action']} · {summary_line(row)}" for row in outstanding.to_dict("records")
    )
    heading = f"{len(outstanding)} action(s) still to do" + (f", {overdue} OVERDUE" if overdue else "")
    with st.container(border=True):
        if overdue:
            st.warning(heading, icon=":material/schedule:")
        else:
            st.info(heading, icon=":material/pending_actions:")
        st.text(lines)


def awaiting_police_banner(risks: pd.DataFrame) -> None:
    """Immediate-risk items no police-informed action covers yet: the red banner (strategy 6.6)."""
    waiting = risks[risks["action"] == ""]
    if waiting.empty:
        return
    with st.container(border=True):
        st.error(
            f"{len(waiting)} item(s) marked IMMEDIATE RISK of significant harm with no record that the police "
            "were informed. Inform the police without delay (strategy 6.6), then record a Police informed "
            "action with when, by whom and the reference they gave.",
            icon=":material/warning:",
        )
        st.text("\n".join(f"{row.code} · marked {row.marked} · {row.summary}" for row in waiting.itertuples()))
