"""The upload form: several files dropped at once under one capture record, with a progress bar
and the confirmation that no file holds an indecent image of a child."""

from __future__ import annotations

import math

import pandas as pd
import sqlite_utils
import streamlit as st

from workbench import evidence, media, observations
from workbench.access import Actor
from workbench.config import EvidenceLimits
from workbench.errors import ValidationError, WorkbenchError
from workbench.schemas import Catalog
from workbench.ui.feedback import field_error, show_error

_ERRORS = "evidence_errors"
_RESULTS = "evidence_results"
_ROUND = "evidence_form_round"
# The form's labels, for naming refused fields as the user sees them.
LABELS = {
    "files": "Files",
    "method": "How it was captured",
    "platform": "Platform",
    "observation": "Observation it belongs to",
    "viewing_account": "Account used to view it",
    "source_url": "Source URL",
    "shows": "What it shows",
    "relevance": "Why it is relevant",
    "captured_at": "When it was captured",
    "confirmed_no_indecent_image": "Confirmation",
}


def upload_form(db: sqlite_utils.Database, user: Actor, reference: str, catalog: Catalog, linked: str | None) -> None:
    limits = EvidenceLimits.from_env()
    st.warning(evidence.NO_INDECENT_IMAGES, icon=":material/block:")
    errors = st.session_state.get(_ERRORS, {})
    if errors:
        show_error(ValidationError({LABELS.get(name, name): reason for name, reason in errors.items()}))
    choices = _observation_choices(db, user, reference, catalog)
    codes = [""] + list(choices)
    # A refused submit keeps the files and what was typed; a new key after a success empties it.
    with st.form(f"add_evidence_{st.session_state.get(_ROUND, 0)}"):
        files = st.file_uploader(
            "Files",
            accept_multiple_files=True,
            max_upload_size=max(1, math.ceil(limits.max_megabytes)),
            help=f"{media.ACCEPTED}; at most {limits.max_megabytes:g} MB each. Saved pages are stored, never shown.",
        )
        field_error(errors, "files")
        left, right = st.columns(2)
        methods = catalog.values("capture_methods")
        method = left.selectbox(
            "How it was captured", methods, format_func=lambda v: catalog.label("capture_methods", v)
        )
        field_error(errors, "method")
        platform = right.selectbox("Platform", ["", *catalog.platforms], format_func=lambda v: v or "(not stated)")
        observation = left.selectbox(
            "Observation it belongs to",
            codes,
            index=codes.index(linked) if linked in codes else 0,
            format_func=lambda c: f"{c} · {choices[c][:70]}" if c else "(none yet)",
            help="Image-sharing incidents take no files, so they are not offered here.",
        )
        field_error(errors, "observation")
        viewing_account = right.text_input(
            "Account used to view it",
            max_chars=200,
            help="Your organisation's overt account. The workbench never supports a false identity.",
        )
        field_error(errors, "viewing_account")
        source_url = st.text_input("Source URL", max_chars=2000, placeholder="https://")
        field_error(errors, "source_url")
        shows = st.text_area("What it shows *", max_chars=2000, height=80)
        field_error(errors, "shows")
        relevance = st.text_area("Why it is relevant", max_chars=2000, height=80)
        field_error(errors, "relevance")
        captured_at = st.text_input(
            "When it was captured", placeholder="e.g. 2025-03-14 09:30 (London time); leave empty if not known"
        )
        field_error(errors, "captured_at")
        confirmed = st.checkbox("I confirm these files hold no nude or semi-nude image of a child")
        field_error(errors, "confirmed_no_indecent_image")
        submitted = st.form_submit_button("Store evidence", type="primary", icon=":material/upload:")
    if not submitted:
        return
    capture = {
        "observation": observation,
        "source_url": source_url,
        "platform": platform,
        "shows": shows,
        "relevance": relevance,
        "method": method,
        "viewing_account": viewing_account,
        "captured_at": captured_at,
        "confirmed_no_indecent_image": confirmed,
    }
    missing = {}
    if not files:
        missing["files"] = "choose or drop at least one file"
    if not shows.strip():
        missing["shows"] = "is required: say what the files show"
    bar = st.progress(0.0, text="Checking the capture record")
    try:
        if missing:
            evidence.add_files(db, user, reference, [], capture)  # no files: names every bad field
            raise ValidationError(missing)
        uploads = [evidence.Upload.of_bytes(f.name, f.getvalue()) for f in files]
        results = evidence.add_files(
            db,
            user,
            reference,
            uploads,
            capture,
            limits=limits,
            progress=lambda done, total: bar.progress(done / total, text=f"Stored {done} of {total}"),
        )
    except ValidationError as e:
        st.session_state[_ERRORS] = {**missing, **e.errors}
        st.rerun()
    except WorkbenchError as e:
        show_error(e)
        return
    st.session_state.pop(_ERRORS, None)
    st.session_state[_RESULTS] = [r.as_json() for r in results]
    st.session_state[_ROUND] = st.session_state.get(_ROUND, 0) + 1
    st.rerun()


def show_last_results() -> None:
    """What happened to each file of the last upload, once, after the rerun."""
    results = st.session_state.pop(_RESULTS, None)
    if not results:
        return
    rejected = [r for r in results if r["status"] == evidence.REJECTED]
    stored = len(results) - len(rejected)
    summary = f"{stored} of {len(results)} files stored."
    if rejected:
        st.error(f"{summary} {len(rejected)} rejected: nothing of them was kept.", icon=":material/error:")
    else:
        st.success(summary, icon=":material/check_circle:")
    table = pd.DataFrame(
        {
            "File": [r["file"] for r in results],
            "Result": [r["status"] for r in results],
            "Code": [r["code"] or "" for r in results],
            "Duplicate of": [r["duplicate_of"] or "" for r in results],
            "Why rejected, or warnings": [r["error"] or "; ".join(r["warnings"]) for r in results],
        }
    )
    st.dataframe(
        table, hide_index=True, column_config={"Why rejected, or warnings": st.column_config.TextColumn(width="large")}
    )
    if rejected:  # in full: a table cell cuts a long reason short
        st.text("\n".join(f"{r['file']}: {r['error']}" for r in rejected))


def _observation_choices(db, user: Actor, reference: str, catalog: Catalog) -> dict[str, str]:
    """Current observations a file may belong to: code -> summary."""
    frame = observations.list_observations(db, user, reference)
    taking_files = [k for k, kind in catalog.kinds.items() if not kind.no_attachments]
    frame = frame[frame["kind"].isin(taking_files)]
    return dict(zip(frame["code"], frame["summary"], strict=True))
