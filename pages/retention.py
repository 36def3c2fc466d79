"""Retention: closed cases due for review, one case's dates and size, keeping it longer, reopening
or deleting it for good; and what is left of deleted cases. For administrators. No titles, no content."""

import pandas as pd
import streamlit as st

from workbench import need, retention
from workbench.errors import WorkbenchError
from workbench.timeutil import format_local
from workbench.ui import session
from workbench.ui.case_status_view import closing_history
from workbench.ui.feedback import FieldForm, field_error, show_error, show_notice

user = session.require_actor()
db = session.db()
st.title("Retention")
every_closed = st.toggle("Every closed case, not only those due", key="retention_every_closed")
try:
    schedule = retention.load_schedule()
    due = retention.due_for_review(db, user, every_closed=every_closed)
except WorkbenchError as e:
    show_error(e)
    st.stop()

show_notice()
st.caption(
    f"A closed case comes up for review {schedule.due_within_days} days before its review-by date. "
    "Its date comes from the partnership's retention schedule when it closes."
)
if due.empty:
    st.info("No closed case is due for review." if not every_closed else "No case is closed.")
else:
    st.dataframe(
        due,
        hide_index=True,
        column_config={
            "reference": "Case",
            "status": "Status",
            "closed_at": st.column_config.DatetimeColumn("Closed (UTC)", format="D MMM YYYY"),
            "review_by": "Review by",
            "days_left": st.column_config.NumberColumn("Days left", help="Negative: the date has passed."),
            "lead": "Lead",
        },
    )

# A deletion or a reopening takes the case off the list: the choice starts empty again.
rounds = f"{st.session_state.get('retention_delete_round', 0)}_{st.session_state.get('retention_reopen_round', 0)}"
chosen = st.selectbox(
    "Case to review",
    due["reference"].tolist(),
    index=None,
    placeholder="Choose a case",
    key=f"retention_case_{rounds}",
)
if chosen:
    try:
        details = retention.review_details(db, user, chosen)
    except WorkbenchError as e:
        show_error(e)
        st.stop()
    closure = details.closure
    level = f"{details.level} ({need.ANCHORS.get(details.anchor, '')})" if details.level else "not recorded"
    st.text(
        f"{closure.reference} · {closure.status}\n"
        f"Closed {format_local(closure.closed_at) if closure.closed_at else '-'} · review by "
        f"{closure.review_by or '-'} ({closure.rule or 'no rule'})\n"
        f"Level of need: {level}\n"
        f"Evidence files: {details.files} ({details.bytes:,} bytes)"
    )
    left, right = st.columns(2)
    with left:
        st.subheader("What it holds")
        st.dataframe(
            pd.DataFrame(list(details.counts.items()), columns=["table", "rows"]),
            hide_index=True,
            column_config={"table": "Table", "rows": "Rows"},
        )
    with right:
        st.subheader("Closings")
        closing_history(closure.history)

    keep, reopen, delete = st.tabs(["Keep longer", "Reopen", "Delete"])
    with keep:
        keeping = FieldForm("retention_keep")
        keeping.show_errors()
        with st.form(keeping.key):
            until = st.date_input("Review by *", value=None, format="YYYY-MM-DD")
            field_error(keeping.errors, "review_by", "status")
            why = st.text_input("Why keep it longer *", max_chars=2000, key="retention_keep_reason")
            field_error(keeping.errors, "reason")
            if st.form_submit_button("Keep it longer"):
                keeping.submit(
                    lambda: retention.extend_review(db, user, chosen, until.isoformat() if until else "", why),
                    lambda day: f"{chosen} is kept; review by {day}.",
                )
    with reopen:
        reopening = FieldForm("retention_reopen")
        reopening.show_errors()
        with st.form(reopening.key):
            why = st.text_input("Why reopen it *", max_chars=2000, key="retention_reopen_reason")
            field_error(reopening.errors, "reason", "status")
            if st.form_submit_button("Reopen the case"):
                reopening.submit(
                    lambda: retention.reopen_case(db, user, chosen, why),
                    lambda _: f"{chosen} is open again.",
                )
    with delete:
        deleting = FieldForm("retention_delete")
        deleting.show_errors()
        st.warning(
            "Deleting removes every record of the case and its evidence files, for good. What stays: a "
            "tombstone (reference, when, by whom, why, how many rows) and the audit log.",
            icon=":material/warning:",
        )
        with st.form(deleting.key):
            field_error(deleting.errors, "reference")
            why = st.text_area("Why it is deleted *", max_chars=2000, key="retention_delete_reason")
            field_error(deleting.errors, "reason")
            typed = st.text_input("Type the case reference to confirm *", max_chars=200, key="retention_confirm")
            field_error(deleting.errors, "confirm")
            if st.form_submit_button("Delete this case for good", type="primary"):
                deleting.submit(
                    lambda: retention.delete_case(db, user, chosen, why, confirm=typed),
                    lambda done: (
                        f"{done.reference} is deleted: {sum(done.counts.values())} rows and "
                        f"{done.files_removed} evidence files."
                        + (
                            f" {len(done.files_left)} files could not be removed: run `workbench retention sweep`."
                            if done.files_left
                            else ""
                        )
                    ),
                )

st.subheader("Deleted cases")
try:
    stones = retention.tombstones(db, user)
except WorkbenchError as e:
    show_error(e)
    st.stop()
if stones.empty:
    st.text("None yet.")
else:
    st.dataframe(
        stones.drop(columns=["counts"]),
        hide_index=True,
        column_config={
            "reference": "Case",
            "closed_at": st.column_config.DatetimeColumn("Closed (UTC)", format="D MMM YYYY"),
            "review_by": "Review by",
            "deleted_at": st.column_config.DatetimeColumn("Deleted (UTC)", format="D MMM YYYY HH:mm"),
            "deleted_by": "By",
            "reason": st.column_config.TextColumn("Why", width="large"),
            "rows_deleted": "Rows",
            "files_removed": "Files",
            "bytes_removed": "Bytes",
        },
    )
