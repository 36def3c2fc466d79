"""Evidence: add screenshots, supplied photos and saved pages; browse them as a gallery; open one
for its capture record and metadata; download the original (audited); verify the stored files."""

import streamlit as st

from workbench import access, evidence
from workbench.access import Right
from workbench.errors import WorkbenchError
from workbench.schemas import load_catalog
from workbench.timeutil import format_local
from workbench.ui import download, session
from workbench.ui.evidence_item import show_item
from workbench.ui.evidence_upload import show_last_results, upload_form
from workbench.ui.feedback import notify_after_rerun, show_error, show_notice

PER_PAGE = 12
COLUMNS = 4

user = session.require_actor()
reference = session.require_case()
db = session.db()
catalog = load_catalog()

st.title("Evidence")
try:
    items = evidence.list_evidence(db, user, reference)
except WorkbenchError as e:
    show_error(e)
    st.stop()
st.text(reference)
show_notice()
show_last_results()

if access.allowed(db, user, Right.RECORD, reference):
    with st.expander("Add evidence", icon=":material/upload:", expanded=not items or "obs" in st.query_params):
        upload_form(db, user, reference, catalog, linked=st.query_params.get("obs"))

if not items:
    st.info("No evidence in this case yet.")
    st.stop()

# --- overview: a gallery of previews, and the same items as a table ------------------------------
top_left, top_right = st.columns([3, 1])
show_purged = top_left.toggle(
    "Show purged items", help="Purged items keep their record and SHA-256; the bytes are gone."
)
if access.allowed(db, user, Right.VERIFY, reference) and top_right.button(
    "Verify stored files", icon=":material/verified:"
):
    try:
        report = evidence.verify_case(db, user, reference)
    except WorkbenchError as e:
        show_error(e)
    else:
        if report.intact:
            notify_after_rerun(f"{report.checked} items intact.")
            st.rerun()
        st.error(f"{len(report.problems)} of {report.checked} items failed the check:", icon=":material/error:")
        st.text("\n".join(problem.line() for problem in report.problems))

shown = [item for item in items if show_purged or not item.purged]
gallery, table = st.tabs(["Gallery", "Table"])
with gallery:
    pages = max(1, -(-len(shown) // PER_PAGE))
    page = st.number_input("Page", 1, pages, 1, key="evidence_page") if pages > 1 else 1
    batch = shown[(page - 1) * PER_PAGE : page * PER_PAGE]
    st.caption(f"{len(shown)} items. Previews are copies re-encoded from the pixels, without metadata.")
    images = [item.code for item in batch if item.category == "image" and not item.purged]
    previews = download.previews(reference, images) if images else {}
    for start in range(0, len(batch), COLUMNS):
        for column, item in zip(st.columns(COLUMNS), batch[start : start + COLUMNS], strict=False):
            with column.container(border=True):
                if item.purged:
                    st.info("Purged", icon=":material/delete_forever:")
                elif item.category == "page":
                    st.info("Saved page: not shown in the app", icon=":material/description:")
                elif previews.get(item.code):
                    download.image(previews[item.code], f"Preview of {item.code}")
                else:
                    st.info("No preview", icon=":material/hide_image:")
                st.text(f"{item.code} · {item.file_name[:40]}")
                if item.has_gps:
                    st.caption(":material/location_on: Holds GPS: sensitive location data")
                if item.warnings:
                    st.caption(f":material/warning: {len(item.warnings)} warning(s)")
                if st.button("Open", key=f"open_{item.code}"):
                    st.query_params["ev"] = item.code
                    st.rerun()
with table:
    frame = evidence.as_frame(shown)
    st.dataframe(
        frame.assign(
            received_at=frame["received_at"].map(format_local),
            last_checked_at=frame["last_checked_at"].map(lambda v: format_local(v) if v else "never"),
            has_gps=frame["has_gps"].map(lambda v: "GPS: sensitive location" if v else ""),
        )[["code", "file_name", "media_type", "size", "observation", "received_at", "received_by", "has_gps",
           "purged", "last_checked_at", "last_check"]],
        hide_index=True,
        column_config={
            "code": "Code", "file_name": "File name", "media_type": "Type", "size": "Bytes",
            "observation": "Observation", "received_at": "Received", "received_by": "Received by",
            "has_gps": "Location", "purged": "Purged", "last_checked_at": "Last verified", "last_check": "Result",
        },
    )  # fmt: skip

# --- one item --------------------------------------------------------------------------------------
codes = [item.code for item in items]
names = {item.code: item.file_name for item in items}
wanted = st.query_params.get("ev")
picked = st.selectbox(
    "Open item",
    codes,
    index=codes.index(wanted) if wanted in codes else None,
    placeholder="type or choose a code, e.g. EV-0003",
    format_func=lambda c: f"{c} · {names[c][:80]}",
    key=f"open_evidence_{wanted}",
)
if picked:
    st.query_params["ev"] = picked
    st.divider()
    show_item(db, user, reference, picked, catalog)
