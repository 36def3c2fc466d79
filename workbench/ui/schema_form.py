"""The entry form for a kind's own fields, generated from its JSON Schema.

A new kind is a new file in schemas/kinds: its properties become widgets here by type:
integer -> number input, string enum -> select, array of enum -> multiselect, array of text ->
one entry per line, boolean -> checkbox, date -> date input, long text -> text area.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from workbench.schemas import Kind
from workbench.ui.feedback import field_error


def details_form(kind: Kind, *, key: str, initial: dict | None = None, errors: dict | None = None) -> dict:
    """Draw a widget per property (inside the caller's st.form); returns the values as given."""
    initial = initial or {}
    errors = errors or {}
    values = {}
    required = set(kind.required)
    for name, prop in kind.properties.items():
        label = prop.get("title", name) + (" *" if name in required else "")
        widget_key = f"{key}_{kind.name}_{name}"
        values[name] = _widget(kind, name, prop, label, widget_key, initial.get(name))
        field_error(errors, f"details.{name}")
    return values


def _widget(kind: Kind, name: str, prop: dict, label: str, key: str, initial):
    help_text = prop.get("description")
    kind_of = prop.get("type")
    if kind_of == "integer":
        return st.number_input(
            label,
            min_value=prop.get("minimum"),
            max_value=prop.get("maximum"),
            step=1,
            value=initial if isinstance(initial, int) else None,
            key=key,
            help=help_text,
            placeholder="not recorded",
        )
    if kind_of == "boolean":
        return st.checkbox(label, value=bool(initial), key=key, help=help_text)
    if kind_of == "array":
        items = prop.get("items", {})
        if "enum" in items:
            return st.multiselect(
                label,
                items["enum"],
                default=[v for v in (initial or []) if v in items["enum"]],
                format_func=lambda v: kind.label_of(name, v),
                key=key,
                help=help_text,
            )
        text = st.text_area(label, value="\n".join(initial or []), key=key, help=help_text, height=80)
        return [line.strip() for line in text.splitlines() if line.strip()]
    if "enum" in prop:
        options = prop["enum"]
        return st.selectbox(
            label,
            options,
            index=options.index(initial) if initial in options else None,
            format_func=lambda v: kind.label_of(name, v),
            key=key,
            help=help_text,
            placeholder="choose",
        )
    if prop.get("format") == "date":
        chosen = st.date_input(label, value=_date_or_none(initial), key=key, help=help_text, format="YYYY-MM-DD")
        return chosen.isoformat() if chosen else None
    if prop.get("x-widget") == "textarea":
        return st.text_area(label, value=initial or "", key=key, help=help_text, max_chars=prop.get("maxLength"))
    return st.text_input(label, value=initial or "", key=key, help=help_text, max_chars=prop.get("maxLength"))


def _date_or_none(value) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None
