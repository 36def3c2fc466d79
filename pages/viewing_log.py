"""Viewing log: every look at a platform account (each observation recorded of it, and each view
logged without recording anything), how many in the current period against the limit, and a form
to log a view. Past the limit, repeated viewing may amount to directed surveillance (RIPA 2000
Part II): the form asks for the authorisation's reference and keeps it."""

import streamlit as st

from workbench import access, viewing
from workbench.access import Right
from workbench.errors import WorkbenchError
from workbench.timeutil import format_local
from workbench.ui import session
from workbench.ui.feedback import FieldForm, field_error, show_error, show_notice

user = session.require_actor()
reference = session.require_case()
db = session.db()

st.title("Viewing log")
try:
    log = viewing.viewing_log(db, user, reference)
except WorkbenchError as e:
    show_error(e)
    st.stop()
st.text(reference)
st.caption(
    f"Every look at an account counts: each observation recorded of it and each view logged here. Past "
    f"{log.limit} views of one account in {log.period_days} days, repeated viewing to monitor someone may amount "
    "to directed surveillance (RIPA 2000 Part II), which needs an authorisation: its reference is asked for and "
    "kept. View only as far as necessary and proportionate, from the organisation's overt account, never a "
    "false identity."
)
show_notice()
may_record = access.allowed(db, user, Right.RECORD, reference)
accounts = log.accounts


def _state(row) -> str:
    if row["over_limit"]:
        return "OVER LIMIT"
    if row["views_in_period"] == row["limit"]:
        return "at the limit"
    return ""


# --- per account -----------------------------------------------------------------------------------
st.subheader(f"Accounts: views in the last {log.period_days} days")
over = accounts[accounts["over_limit"]]
if not over.empty:
    with st.container(border=True):
        st.warning(
            f"{len(over)} account(s) viewed more than {log.limit} times in the last {log.period_days} days. "
            "Repeated viewing to monitor someone may amount to directed surveillance (RIPA 2000 Part II): "
            "check that an authorisation covers it and that its reference is on the views below.",
            icon=":material/visibility:",
        )
        st.text(
            "\n".join(f"{r.account} · {r.platform} {r.handle} · {r.views_in_period} views" for r in over.itertuples())
        )
if accounts.empty:
    st.text("The case has no accounts yet: add them where observations are recorded.")
else:
    st.dataframe(
        accounts.assign(
            state=[_state(row) for row in accounts.to_dict("records")],
            last_viewed=accounts["last_viewed"].map(lambda v: format_local(v) if v else ""),
        )[
            [
                "account",
                "platform",
                "handle",
                "whose",
                "views_in_period",
                "limit",
                "state",
                "last_viewed",
                "views_total",
            ]
        ],
        hide_index=True,
        column_config={
            "account": "Account",
            "platform": "Platform",
            "handle": "Handle",
            "whose": "Whose",
            "views_in_period": st.column_config.NumberColumn(f"Views, last {log.period_days} days"),
            "limit": st.column_config.NumberColumn("Limit"),
            "state": "Over limit",
            "last_viewed": "Last viewed (London)",
            "views_total": st.column_config.NumberColumn("Views in all"),
        },
    )

# --- logging a view --------------------------------------------------------------------------------
if may_record and not accounts.empty:
    with st.expander("Log a view", icon=":material/visibility:", expanded=True):
        st.caption(
            "You looked at an account without recording an observation: say which, when and why. "
            "Recording an observation counts as a view by itself."
        )
        logging = FieldForm("view_log")
        logging.show_errors()
        errors = logging.errors
        labels = {r.account: f"{r.account} · {r.platform} {r.handle}" for r in accounts.itertuples()}
        with st.form(logging.key):
            account = st.selectbox(
                "Account *",
                list(labels),
                index=None,
                format_func=labels.get,
                placeholder="choose the account you looked at",
                key=f"{logging.key}_account",
            )
            field_error(errors, "account")
            viewed_at = st.text_input(
                "When",
                placeholder="now, if left empty",
                help="A day and time, London time: 2026-03-14 10:30.",
                key=f"{logging.key}_viewed_at",
            )
            field_error(errors, "viewed_at")
            note = st.text_input(
                "Why you looked",
                max_chars=2000,
                placeholder="e.g. checking whether the account is still public before the strategy discussion",
                key=f"{logging.key}_note",
            )
            field_error(errors, "note")
            needed = "authorisation_reference" in errors
            authorisation_reference = st.text_input(
                "Authorisation reference *" if needed else "Authorisation reference",
                max_chars=200,
                placeholder="needed past the limit: the reference of the authorisation for repeated viewing",
                help=f"Asked for when this view would make more than {log.limit} views of one account in "
                f"{log.period_days} days.",
                key=f"{logging.key}_authorisation_reference",
            )
            field_error(errors, "authorisation_reference")
            if st.form_submit_button("Log view", type="primary", icon=":material/save:"):
                logging.submit(
                    lambda: viewing.log_view(
                        db, user, reference, account or "", viewed_at, note, authorisation_reference
                    ),
                    lambda logged: (
                        f"Logged {logged.code} ({logged.account})."
                        + (" Past the limit: the authorisation reference is kept." if logged.repeated else "")
                    ),
                )

# --- every view ------------------------------------------------------------------------------------
st.subheader("Every view")
views = log.views
chosen = st.multiselect("Account", accounts["account"].tolist(), placeholder="all accounts", key="views_account_filter")
if chosen:
    views = views[views["account"].isin(chosen)]
st.caption(f"{len(views)} of {len(log.views)} views, oldest first.")
st.dataframe(
    views.assign(viewed_at=views["viewed_at"].map(format_local))[
        ["viewed_at", "account", "platform", "handle", "source", "code", "viewed_by", "note", "authorisation_reference"]
    ],
    hide_index=True,
    column_config={
        "viewed_at": "Viewed (London)",
        "account": "Account",
        "platform": "Platform",
        "handle": "Handle",
        "source": "How",
        "code": "Code",
        "viewed_by": "By",
        "note": st.column_config.TextColumn("Note or summary", width="large"),
        "authorisation_reference": "Authorisation reference",
    },
)
if not may_record:
    st.caption("Your part in this case lets you read the log, not add to it.")
