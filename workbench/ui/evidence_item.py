"""One evidence item: its preview, capture record, metadata (GPS flagged), warnings, the link to its
observation, the audited download of the original, and for those allowed, the purge."""

from __future__ import annotations

import sqlite_utils
import streamlit as st

from workbench import evidence
from workbench.access import Actor, Right, allowed
from workbench.errors import WorkbenchError
from workbench.exif import NORMALISED
from workbench.schemas import Catalog
from workbench.timeutil import format_local
from workbench.ui import download
from workbench.ui.feedback import notify_after_rerun, show_error
from workbench.ui.safe import escape

SENSITIVE_LOCATION = (
    "Sensitive location data: this file's metadata holds GPS coordinates, which may show where a child "
    "lives or goes. Share them only where the purpose needs them."
)
_METADATA_LABELS = {
    "camera_make": "Camera make",
    "camera_model": "Camera model",
    "software": "Software",
    "taken_at": "Taken at (as the camera wrote it)",
    "gps_latitude": "GPS latitude (sensitive location)",
    "gps_longitude": "GPS longitude (sensitive location)",
    "orientation": "Orientation (EXIF 1-8)",
}


def show_item(db: sqlite_utils.Database, user: Actor, reference: str, code: str, catalog: Catalog) -> None:
    try:
        item = evidence.view(db, user, reference, code)
    except WorkbenchError as e:
        show_error(e)
        return
    kind = "Image" if item.category == "image" else "Saved page"
    st.subheader(f"{item.code} · {kind}")
    st.text(item.file_name)
    if item.purged:
        st.warning(
            f"Purged {format_local(item.purged_at)} by {escape(item.purged_by)}: its bytes and every copy are deleted. "
            "The record and its SHA-256 stay. Reason:",
            icon=":material/delete_forever:",
        )
        st.text(item.purge_reason or "")
    if item.has_gps:
        st.error(SENSITIVE_LOCATION, icon=":material/location_on:")
    if item.warnings:
        st.warning("Received with warnings:", icon=":material/warning:")
        st.text("\n".join(f"- {w}" for w in item.warnings))
    if item.observation:
        st.page_link(
            "pages/observations.py",
            label=f"Open observation {item.observation}",
            icon=":material/list_alt:",
            query_params={"case": reference, "obs": item.observation},
        )

    if item.category == "image" and not item.purged:
        # Made (or found made) now, so that a picture too large to preview says so here; the browser
        # then fetches the copy from the workbench's endpoint.
        outcome = evidence.preview_outcomes(db, user, reference, [item.code])[item.code]
        if outcome.jpeg:
            token = download.previews(reference, [item.code])[item.code]
            download.image(token, f"Preview of {item.code}", max_width=800)  # never enlarged past its own size
            st.caption("A copy re-encoded from the pixels, without metadata. The original is unchanged.")
        else:
            st.info(outcome.note or evidence.NO_PREVIEW)
    elif item.category == "page":
        st.info(
            "Saved pages are never opened inside the workbench. Download the original to view it on a "
            "machine set up for it.",
            icon=":material/description:",
        )

    left, right = st.columns(2)
    with left:
        st.markdown("**Capture record**")
        st.dataframe(_pairs(_capture_rows(item, catalog)), hide_index=True, column_config=_COLUMNS)
    with right:
        st.markdown("**Metadata**")
        if item.category == "image":
            rows = {_METADATA_LABELS[n]: _value(item.metadata.get(n)) for n in NORMALISED}
            rows["Width × height"] = f"{item.width} × {item.height}"
            st.dataframe(_pairs(rows), hide_index=True, column_config=_COLUMNS)
            raw = item.metadata.get("raw", {})
            with st.expander(f"Every EXIF tag ({len(raw)})"):
                st.dataframe(_pairs(raw), hide_index=True, column_config=_COLUMNS)
        else:
            st.text("Saved pages are not opened, so no metadata is read from them.")

    if not item.purged:
        if allowed(db, user, Right.DOWNLOAD, reference):
            download.prepared_download(
                "Download the original",
                reference=reference,
                kind="evidence.original",
                file_name=item.download_name,
                params={"code": item.code},
                key=f"download_{item.code}",
            )
        if allowed(db, user, Right.PURGE, reference):
            _purge_form(db, user, reference, item)


def _purge_form(db, user: Actor, reference: str, item: evidence.EvidenceItem) -> None:
    with st.expander("Purge", icon=":material/delete_forever:"):
        st.caption(
            "Purging deletes the bytes and every copy made from them, for good. The record, its SHA-256 "
            "and your reason stay. Items in this case holding the same bytes are purged with it."
        )
        with st.form(f"purge_{item.code}"):
            reason = st.text_input("Reason for purging *", max_chars=2000)
            sure = st.checkbox("I understand the file cannot be recovered")
            if st.form_submit_button("Purge the file"):
                if not sure:
                    st.error("Tick the box to confirm: a purged file cannot be recovered.")
                    return
                try:
                    codes = evidence.purge(db, user, reference, item.code, reason)
                except WorkbenchError as e:
                    show_error(e)
                else:
                    notify_after_rerun(f"Purged {', '.join(codes)}.")
                    st.rerun()


def _capture_rows(item: evidence.EvidenceItem, catalog: Catalog) -> dict[str, str]:
    checked = "never"
    if item.last_checked_at:
        checked = f"{format_local(item.last_checked_at)} ({item.last_check})"
    return {
        "Code": item.code,
        "File name": item.file_name,
        "Type": item.media_type,
        "Size": f"{item.size:,} bytes",
        "SHA-256": item.sha256,
        "Observation": item.observation or "",
        "Duplicate of": item.duplicate_of or "",
        "Source URL": item.source_url,
        "Platform": item.platform,
        "What it shows": item.shows,
        "Why it is relevant": item.relevance,
        "How it was captured": catalog.label("capture_methods", item.method),
        "Account used to view it": item.viewing_account,
        "Captured at (as stated)": format_local(item.captured_at) if item.captured_at else "not stated",
        "Received at": f"{format_local(item.received_at)} (UTC {item.received_at})",
        "Received by": item.received_by,
        "Last verified": checked,
    }


_COLUMNS = {"field": "Field", "value": st.column_config.TextColumn("Value", width="large")}


def _pairs(rows: dict) -> dict[str, list[str]]:
    return {"field": [str(k) for k in rows], "value": [_value(v) for v in rows.values()]}


def _value(value) -> str:
    return "" if value is None else str(value)
