"""The case's level of need on the overview: the current level and what it means in law, its
history, and (for those who record) the form that changes it with a reason."""

from __future__ import annotations

import pandas as pd
import sqlite_utils
import streamlit as st

from workbench import access, need
from workbench.access import Actor, Right
from workbench.schemas import load_catalog
from workbench.ui.feedback import FieldForm, field_error


def level_of_need(db: sqlite_utils.Database, user: Actor, reference: str, levels: pd.DataFrame) -> None:
    catalog = load_catalog()
    if levels.empty:
        st.text("Level of need: not recorded yet")
    else:
        current = levels.iloc[0]
        st.text(f"Level of need: {current['label']} ({current['anchor_label']}) · set {current['set_at']} by "
                f"{current['set_by']}")  # fmt: skip
    may_record = access.allowed(db, user, Right.RECORD, reference)
    if levels.empty and not may_record:
        return
    with st.expander("Level of need: history" + (" and change" if may_record else ""), icon=":material/stairs:"):
        if not levels.empty:
            st.dataframe(
                levels[["set_at", "label", "anchor_label", "reason", "set_by"]],
                hide_index=True,
                column_config={
                    "set_at": "When (UTC)",
                    "label": "Level",
                    "anchor_label": "In law",
                    "reason": st.column_config.TextColumn("Why", width="large"),
                    "set_by": "By",
                },
            )
        if not may_record:
            return
        changing = FieldForm("level_of_need")
        changing.show_errors()
        values = catalog.values("levels_of_need")
        with st.form(changing.key):
            level = st.selectbox(
                "Level *",
                values,
                index=values.index(levels.iloc[0]["level"])
                if not levels.empty and levels.iloc[0]["level"] in values
                else None,
                format_func=lambda v: catalog.label("levels_of_need", v),
                placeholder="choose the level agreed",
            )
            field_error(changing.errors, "level")
            reason = st.text_input(
                "Why *", max_chars=2000, placeholder="e.g. agreed at the strategy discussion on 26 Nov"
            )
            field_error(changing.errors, "reason")
            if st.form_submit_button("Record the level"):
                changing.submit(
                    lambda: need.set_level(db, user, reference, level or "", reason),
                    lambda value: f"Level of need: {catalog.label('levels_of_need', value)}.",
                )
