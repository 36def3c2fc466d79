"""Grading pickers that say what each grade means (3x5x2 or Admiralty, plus handling)."""

from __future__ import annotations

import streamlit as st

from workbench.schemas import Catalog, Choice


def _radio(label: str, choices: tuple[Choice, ...], key: str, initial: str | None, help_text: str) -> str:
    values = [c.value for c in choices]
    labels = {c.value: c.label for c in choices}
    index = values.index(initial) if initial in values else None
    return st.radio(
        label,
        values,
        index=index,
        format_func=labels.get,
        captions=[c.description for c in choices],
        key=key,
        help=help_text,
    )


def grading_picker(catalog: Catalog, scheme_name: str, *, key: str, initial: dict | None = None) -> dict:
    """Three pickers side by side; returns {source_grade, information_grade, handling_code}."""
    initial = initial or {}
    scheme = catalog.grading(scheme_name)
    st.markdown(
        f"**Grading** ({scheme.label}). Source and information are graded separately: "
        "a reliable source can pass on false information."
    )
    left, middle, right = st.columns(3)
    with left:
        source = _radio(
            "Source grade",
            scheme.source,
            f"{key}_source",
            initial.get("source_grade"),
            "How far the source itself can be relied on.",
        )
    with middle:
        information = _radio(
            "Information grade",
            scheme.information,
            f"{key}_information",
            initial.get("information_grade"),
            "How the source came to know it.",
        )
    with right:
        handling = _radio(
            "Handling code",
            catalog.handling,
            f"{key}_handling",
            initial.get("handling_code") or "P",
            "Whether it may be shared lawfully, and on what conditions.",
        )
    return {"source_grade": source or "", "information_grade": information or "", "handling_code": handling or ""}
