"""Authorisations: the research authorisations of a case. Record one as it is given, record each
review (the next review date, or an end), open one for its history, retract one made in error."""

import streamlit as st

from workbench import access, authorisations, people
from workbench.access import Right
from workbench.errors import WorkbenchError
from workbench.schemas import load_catalog
from workbench.ui import session
from workbench.ui.authorisation_view import authorisations_table, review_banner
from workbench.ui.feedback import FieldForm, field_error, show_error, show_notice
from workbench.ui.reason_form import reason_form

user = session.require_actor()
reference = session.require_case()
db = session.db()
catalog = load_catalog()

st.title("Authorisations")
try:
    frame = authorisations.list_authorisations(db, user, reference, include_retracted=True)
except WorkbenchError as e:
    show_error(e)
    st.stop()
st.text(reference)
st.caption(
    "The written basis for looking at a public footprint in this case: purpose, lawful basis, who authorised it, "
    "when to review it, and what it covers (platforms or accounts; none named means the whole case). An "
    "observation no authorisation covers on the day it was seen is still recorded, with a reason, and flagged."
)
show_notice()
current = frame[~frame["retracted"]]
review_banner(current)
show_retracted = st.toggle("Show retracted")
shown = frame if show_retracted else current
if shown.empty:
    st.text("No research authorisation is recorded in this case.")
else:
    authorisations_table(shown)
may_record = access.allowed(db, user, Right.RECORD, reference)


def _scope_fields(key: str, initial: dict, accounts: dict[str, str]) -> dict:
    left, right = st.columns(2)
    return {
        "platforms": left.multiselect(
            "Platforms it covers",
            list(catalog.platforms),
            default=[p for p in initial.get("platforms", []) if p in catalog.platforms],
            key=f"{key}_platforms",
            help="Leave both empty for an authorisation covering the whole case.",
        ),
        "accounts": right.multiselect(
            "Accounts it covers",
            list(accounts),
            default=[a for a in initial.get("accounts", []) if a in accounts],
            format_func=lambda code: accounts.get(code, code),
            key=f"{key}_accounts",
        ),
    }


if may_record:
    directory = people.directory(db, user, reference, right=Right.RECORD)
    accounts = {r.code: f"{r.code} · {r.platform} {r.handle}" for r in directory.accounts.itertuples()}
    with st.expander("Record an authorisation", icon=":material/verified_user:", expanded=current.empty):
        adding = FieldForm("add_authorisation")
        adding.show_errors()
        errors = adding.errors
        with st.form(adding.key):
            given = {
                "purpose": st.text_area("Purpose *", key=f"{adding.key}_purpose", max_chars=2000, height=80),
            }
            field_error(errors, "purpose")
            given["lawful_basis"] = st.text_input(
                "Lawful basis *",
                key=f"{adding.key}_basis",
                max_chars=500,
                placeholder="e.g. Children Act 1989 s.47 enquiry; DPA 2018 Sch.1 para 18",
            )
            field_error(errors, "lawful_basis")
            left, right = st.columns(2)
            given["authorised_by"] = left.text_input(
                "Authorised by *", key=f"{adding.key}_by", max_chars=200, placeholder="name and post"
            )
            with left:
                field_error(errors, "authorised_by")
            given["reference"] = right.text_input("Their reference", key=f"{adding.key}_reference", max_chars=200)
            with right:
                field_error(errors, "reference")
            d1, d2, d3 = st.columns(3)
            given["authorised_on"] = d1.text_input(
                "Authorised on", key=f"{adding.key}_on", placeholder="YYYY-MM-DD (empty: today)"
            )
            with d1:
                field_error(errors, "authorised_on")
            given["review_date"] = d2.text_input("Review by *", key=f"{adding.key}_review", placeholder="YYYY-MM-DD")
            with d2:
                field_error(errors, "review_date")
            given["ends_on"] = d3.text_input("Ends on", key=f"{adding.key}_ends", placeholder="YYYY-MM-DD (optional)")
            with d3:
                field_error(errors, "ends_on")
            given |= _scope_fields(adding.key, {}, accounts)
            field_error(errors, "platforms", "accounts")
            if st.form_submit_button("Record authorisation", type="primary", icon=":material/save:"):
                adding.submit(
                    lambda: authorisations.add_authorisation(db, user, reference, given),
                    lambda code: f"Recorded {code}.",
                )

# --- one authorisation ---------------------------------------------------------------------------
if frame.empty:
    st.stop()
code = st.selectbox(
    "Open authorisation",
    frame["code"].tolist(),
    index=None,
    placeholder="choose a code, e.g. AUTH-0001",
    format_func=lambda c: f"{c} · {frame.set_index('code').loc[c, 'scope']}",
    key="open_authorisation",
)
if not code:
    st.stop()
try:
    versions = authorisations.history(db, user, reference, code)
except WorkbenchError as e:
    show_error(e)
    st.stop()
latest = versions.iloc[-1]
st.subheader(code)
st.markdown("**Versions**")
st.dataframe(
    versions[["version", "review_date", "ends_on", "scope", "change_reason", "recorded_by", "recorded_at"]],
    hide_index=True,
    column_config={
        "version": "Version",
        "review_date": "Review by",
        "ends_on": "Ends",
        "scope": "Covers",
        "change_reason": st.column_config.TextColumn("What the review decided", width="large"),
        "recorded_by": "Recorded by",
        "recorded_at": "When (UTC)",
    },
)
if not may_record or latest["retracted"]:
    st.stop()

with st.expander("Record a review", icon=":material/event_repeat:"):
    reviewing = FieldForm(f"review_{code}", key=f"review_{code}_{latest['version']}")
    reviewing.show_errors()
    errors = reviewing.errors
    with st.form(reviewing.key):
        left, right = st.columns(2)
        changes = {
            "review_date": left.text_input("Next review by *", value=latest["review_date"], key=f"{reviewing.key}_r"),
            "ends_on": right.text_input(
                "Ends on", value=latest["ends_on"], key=f"{reviewing.key}_e", placeholder="YYYY-MM-DD (optional)"
            ),
        }
        with left:
            field_error(errors, "review_date")
        with right:
            field_error(errors, "ends_on")
        reason = st.text_area("What the review decided *", key=f"{reviewing.key}_reason", max_chars=2000, height=80)
        field_error(errors, "reason")
        if st.form_submit_button("Save review", type="primary"):
            reviewing.submit(
                lambda: authorisations.review_authorisation(
                    db, user, reference, code, changes, reason, expected_version=int(latest["version"])
                ),
                lambda saved: f"Saved the review of {saved}.",
            )

with st.expander("Retract", icon=":material/undo:"):
    reason_form(
        f"retract_{code}",
        explain="Retracting keeps it on record, marked retracted, with your reason. What it covered is flagged again.",
        label="Reason for retracting *",
        button="Retract authorisation",
        act=lambda reason: authorisations.retract_authorisation(
            db, user, reference, code, reason, expected_version=int(latest["version"])
        ),
        done=f"Retracted {code}.",
    )
