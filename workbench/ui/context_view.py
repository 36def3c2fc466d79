"""The child's context on the case overview: vulnerability and family risk factors (special-category
data) as a compact table, and a warning when a family risk factor meets a thin footprint review."""

from __future__ import annotations

import streamlit as st

from workbench.child_context import ChildContext
from workbench.ui.safe import escape


def child_context(context: ChildContext) -> None:
    if context.notice:
        st.warning(escape(context.notice), icon=":material/travel_explore:")
    factors = context.factors
    if factors.empty:
        st.text(f"Vulnerability and family risk factors: none recorded for {context.subject} from trusted sources")
        return
    st.markdown("**Vulnerability and family risk factors**")
    st.caption(
        "Special-category data (UK GDPR art. 9; DPA 2018 Sch.1 para 18): from trusted sources' current facts "
        "about the child, for safeguarding only. Family risk factors call for a deeper look online (strategy 6.5)."
    )
    st.dataframe(
        factors[["kind", "factor", "value", "source", "source_reference", "when", "code"]],
        hide_index=True,
        column_config={
            "kind": "Kind",
            "factor": "Factor",
            "value": st.column_config.TextColumn("What the source says", width="large"),
            "source": "Source agency",
            "source_reference": "Their reference",
            "when": "When known",
            "code": "Fact",
        },
    )
