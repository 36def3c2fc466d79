"""Audit events as a table: the Activity page and My account show them the same way."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from workbench.timeutil import format_local

_COLUMNS = {
    "seq": st.column_config.NumberColumn("Seq", format="%d"),
    "at": "When (London)",
    "username": "User",
    "action": "Action",
    "case_ref": "Case",
    "item_code": "Item",
    "details": "Details",
    "justification": "Justification",
    "reference": "Reference tried",
    "right": "Right asked for",
    "channel": "Channel",
}


def events_table(events: pd.DataFrame) -> None:
    st.dataframe(
        events.assign(at=events["at"].map(format_local)),
        hide_index=True,
        column_config={name: _COLUMNS[name] for name in events.columns},
    )
