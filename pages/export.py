"""Export: the case as an evidence bundle (a ZIP of CSVs, the evidence files, a data package, a
README and SHA256SUMS) for a strategy meeting, the police, a court or a subject access request.
Each export is a sharing decision on record: why, for whom, with what left out."""

from datetime import date

import streamlit as st

from workbench import access, downloads, export
from workbench.access import Right
from workbench.errors import ValidationError, WorkbenchError
from workbench.ui import download, session
from workbench.ui.feedback import field_error, show_error
from workbench.ui.safe import escape

user = session.require_actor()
reference = session.require_case()
db = session.db()
REDACTIONS = {
    "names": "Names (people become Child A, Person B, ...)",
    "handles": "Account handles",
    "urls": "Web addresses",
    "gps": "GPS positions (and files that hold one)",
}
_BUNDLE = "export_bundle"  # the last bundle made in this session: its code and the link to fetch it once
_ERRORS = "export_errors"

st.title("Export")
try:
    earlier = export.list_exports(db, user, reference)
except WorkbenchError as e:
    show_error(e)
    st.stop()
st.text(reference)
st.caption(
    "An evidence bundle is one ZIP file: the case's records as CSV files a spreadsheet opens, the original "
    "evidence files, a description of every column (datapackage.json), a README and SHA256SUMS, so that "
    "whoever receives it can check nothing has changed (workbench verify-bundle, or sha256sum -c). Every "
    "export is recorded with its purpose and recipient."
)

if not access.allowed(db, user, Right.EXPORT, reference):
    st.info("Only the case lead can export this case.", icon=":material/lock:")
else:
    errors = st.session_state.get(_ERRORS, {})
    if errors:
        show_error(ValidationError(errors))
    with st.form("export_form"):
        purpose = st.text_area(
            "Purpose *", max_chars=500, height=68, placeholder="e.g. Strategy discussion on 26 Nov; s.47 enquiry"
        )
        field_error(errors, "purpose")
        recipient = st.text_input("Recipient *", max_chars=200, placeholder="e.g. Kent Police, DC Example")
        field_error(errors, "recipient")
        redact = st.multiselect("Redact", list(REDACTIONS), format_func=REDACTIONS.get)
        field_error(errors, "redact")
        c1, c2 = st.columns(2)
        span = c1.date_input("Dates", value=(), min_value=date(1900, 1, 1), format="DD/MM/YYYY", help="From and to")
        with c1:
            field_error(errors, "date_to")
        include_files = c2.toggle("Include the evidence files", value=True)
        conditions = st.text_area(
            "Records graded C (sharing with conditions)",
            max_chars=2000,
            height=68,
            placeholder="Leave empty to leave them out. To include them, say how the conditions are met.",
        )
        field_error(errors, "conditions_met")
        go = st.form_submit_button("Export", type="primary", icon=":material/ios_share:")

    if go:
        options = export.ExportOptions(
            purpose=purpose,
            recipient=recipient,
            redact=tuple(redact),
            include_files=include_files,
            date_from=span[0] if len(span) >= 1 else None,
            date_to=span[1] if len(span) == 2 else None,
            conditions_met=conditions,
        )
        bar = st.progress(0.0, text="Starting")
        try:
            result, token = downloads.export_for_download(
                db, user, reference, options, sign_in_id=session.sign_in_id(),
                progress=lambda fraction, message: bar.progress(min(fraction, 1.0), text=message),
            )  # fmt: skip
        except ValidationError as e:
            st.session_state[_ERRORS] = e.errors
            st.rerun()
        except WorkbenchError as e:
            bar.empty()
            show_error(e)
            st.stop()
        st.session_state.pop(_ERRORS, None)
        st.session_state[_BUNDLE] = {
            "code": result.code,
            "name": result.path.name,  # REF-date.zip, in a folder of its own in the outbox
            "sha256": result.sha256,
            "left_out": result.left_out_conditional,
            "token": token,
        }
        st.rerun()

    bundle = st.session_state.get(_BUNDLE)
    if bundle:
        st.success(escape(f"Exported {bundle['code']}: {bundle['name']}"), icon=":material/check_circle:")
        st.text(f"SHA-256 {bundle['sha256']}")
        if bundle["left_out"]:
            st.warning(
                f"{bundle['left_out']} observation(s) graded C were left out: the conditions on sharing them "
                "were not stated.",
                icon=":material/visibility_off:",
            )
        download.link(
            bundle["token"],
            "Download the bundle",
            minutes=downloads.minutes_valid("export.bundle"),
            key="export_download",
        )
        st.caption("Missed it? Export again: each bundle is handed over once and is not kept on the server.")

st.subheader("Earlier exports")
if earlier.empty:
    st.caption("None yet.")
else:
    st.dataframe(
        earlier[["code", "exported_at", "exported_by", "purpose", "recipient", "file_name", "files", "size", "sha256"]],
        hide_index=True,
        column_config={
            "code": "Code",
            "exported_at": "When (UTC)",
            "exported_by": "By",
            "purpose": st.column_config.TextColumn("Purpose", width="medium"),
            "recipient": "Recipient",
            "file_name": "File",
            "files": "Files",
            "size": "Bytes",
            "sha256": st.column_config.TextColumn("SHA-256", width="large"),
        },
    )
