"""The observation form: common fields, the kind's own fields, grading. Used to record and to amend."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from workbench.schemas import Catalog, Kind
from workbench.timeutil import now_utc, to_input_text
from workbench.ui.feedback import field_error
from workbench.ui.grading import grading_picker
from workbench.ui.schema_form import details_form


def observation_fields(
    catalog: Catalog,
    kind: Kind,
    indicator: str,
    *,
    accounts: pd.DataFrame,
    people: pd.DataFrame,
    grading_scheme: str,
    key: str,
    initial: dict | None = None,
    errors: dict | None = None,
) -> dict:
    """Draw the fields (inside the caller's st.form) and return them as observations.record takes them."""
    initial = initial or {}
    errors = errors or {}
    given: dict = {"kind": kind.name, "indicator": indicator, "grading_scheme": grading_scheme}

    five_cs = catalog.values("five_cs")
    default_five_c = initial.get("five_c") or kind.five_c_for(indicator)
    given["five_c"] = st.selectbox(
        "Five C",
        five_cs,
        index=five_cs.index(default_five_c),
        format_func=lambda v: catalog.label("five_cs", v),
        key=f"{key}_five_c",
        help="Defaults to the kind's and indicator's usual category; change it if another fits better.",
    )
    given["summary"] = st.text_area(
        "Summary *",
        value=initial.get("summary", ""),
        key=f"{key}_summary",
        height=80,
        max_chars=1000,
        placeholder="One or two sentences: what was seen, in neutral words.",
    )
    field_error(errors, "summary")

    st.markdown(f"**{kind.title}**")
    given["details"] = details_form(kind, key=key, initial=initial.get("details"), errors=errors)
    field_error(errors, "details")

    st.markdown("**Where and when**")
    left, right = st.columns(2)
    with left:
        given["account"] = _code_picker(
            "Account",
            {r.code: f"{r.code} · {r.platform} {r.handle}" for r in accounts.itertuples()},
            initial.get("account"),
            none_label="(no account)",
            key=f"{key}_account",
        )
        field_error(errors, "account")
        given["url"] = st.text_input("URL where it was seen", value=initial.get("url", ""), key=f"{key}_url")
        field_error(errors, "url")
        visibility = catalog.values("visibility")
        given["visibility"] = st.radio(
            "Visibility",
            visibility,
            index=visibility.index(initial.get("visibility") or "public"),
            format_func=lambda v: catalog.label("visibility", v),
            horizontal=True,
            key=f"{key}_visibility",
        )
    with right:
        given["person"] = _code_picker(
            "About whom",
            {r.code: f"{r.code} · {r.pseudonym} ({r.role})" for r in people.itertuples()},
            initial.get("person"),
            none_label="(the account's owner, else the child)",
            key=f"{key}_person",
        )
        given["occurred_at"] = st.text_input(
            "When it happened or was posted",
            value=to_input_text(
                initial.get("occurred_at"),
                initial.get("occurred_precision", "exact"),
                bool(initial.get("occurred_approximate")),
            ),
            key=f"{key}_occurred",
            placeholder="empty if unknown",
            help="Europe/London time. 2026-03-14 21:30, or just 2026-03-14, 2026-03 or 2026; "
            "put ~ in front when approximate (~2026-03). Leave empty when unknown.",
        )
        field_error(errors, "occurred_at")
        given["observed_at"] = st.text_input(
            "When you saw it",
            value=to_input_text(initial.get("observed_at") or now_utc()),
            key=f"{key}_observed",
            help="Europe/London time, e.g. 2026-03-14 21:30.",
        )
        field_error(errors, "observed_at")

    st.markdown("**Source and grading**")
    sources = catalog.values("source_types")
    given["source_type"] = st.selectbox(
        "Source type",
        sources,
        index=sources.index(initial["source_type"]) if initial.get("source_type") in sources else None,
        format_func=lambda v: catalog.label("source_types", v),
        key=f"{key}_source_type",
        placeholder="choose",
    )
    field_error(errors, "source_type")
    given.update(grading_picker(catalog, grading_scheme, key=key, initial=initial))
    field_error(errors, "source_grade", "information_grade", "handling_code")
    given["immediate_risk"] = st.checkbox(
        "Immediate risk of significant harm",
        value=bool(initial.get("immediate_risk")),
        key=f"{key}_risk",
        help="Tick when the child may be at immediate risk. The police must be informed without delay (strategy 6.6).",
    )
    _authorisation_fields(given, key=key, initial=initial, errors=errors)
    return given


def _authorisation_fields(given: dict, *, key: str, initial: dict, errors: dict) -> None:
    """Shown once recording was refused for want of them (the error says why), or when the version
    being amended has them: a reason for recording what no authorisation covers, and the
    authorisation reference that repeated viewing of one account needs."""
    if "unauthorised_reason" in errors or initial.get("unauthorised_reason"):
        given["unauthorised_reason"] = st.text_area(
            "Why it is recorded without authorisation *",
            value=initial.get("unauthorised_reason", ""),
            key=f"{key}_unauthorised_reason",
            height=80,
            max_chars=2000,
            help="It is recorded and flagged until a research authorisation covers it; record the authorisation "
            "on the Authorisations page once it is given.",
        )
        field_error(errors, "unauthorised_reason")
    if "repeat_viewing_reference" in errors or initial.get("repeat_viewing_reference"):
        given["repeat_viewing_reference"] = st.text_input(
            "Authorisation reference for repeated viewing *",
            value=initial.get("repeat_viewing_reference", ""),
            key=f"{key}_repeat_viewing_reference",
            max_chars=200,
        )
        field_error(errors, "repeat_viewing_reference")


def _code_picker(label: str, names: dict[str, str], chosen: str | None, *, none_label: str, key: str) -> str:
    """A select box of case codes (AC-0001, P-0002) shown with their names; "" is none chosen."""
    codes = ["", *names]
    return st.selectbox(
        label,
        codes,
        index=codes.index(chosen) if chosen in codes else 0,
        format_func=lambda c: names.get(c, none_label),
        key=key,
    )
