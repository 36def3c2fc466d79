"""Persons of concern (strategy 6.8): who may pose a risk to the child, their accounts, and the
observations that link them to the child. A person of concern may be a child too; the page says so
first. Those who record can add a person of concern and an account of theirs."""

import pandas as pd
import streamlit as st

from workbench import access, people
from workbench import persons_of_concern as concern
from workbench.access import Right
from workbench.errors import WorkbenchError
from workbench.schemas import load_catalog
from workbench.timeutil import format_local
from workbench.ui import session
from workbench.ui.feedback import FieldForm, field_error, show_error, show_notice
from workbench.ui.safe import escape

user = session.require_actor()
reference = session.require_case()
db = session.db()
catalog = load_catalog()

st.title("Persons of concern")
try:
    found = concern.persons_of_concern(db, user, reference)
except WorkbenchError as e:
    show_error(e)
    st.stop()
st.text(f"{found.access.reference} · {found.access.title}")
st.info(escape(found.note), icon=":material/child_care:")
show_notice()
may_record = access.allowed(db, user, Right.RECORD, reference)

st.caption(
    "An observation links a person when it is about them, was recorded on one of their accounts, or names one "
    "of their accounts (a contact's handle, found by the cross-referencing rules). Retracted observations are "
    "left out. First and last seen: when the linked observations were observed, London time."
)
if not found.people:
    st.text("No person of concern is recorded in this case.")


def _observations_table(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Code": frame["code"],
            "Risk": frame["immediate_risk"].map(lambda v: "IMMEDIATE RISK" if v else ""),
            "Kind": frame["kind"],
            "Summary": frame["summary"],
            "Observed": frame["observed_at"].map(format_local),
            "Grade": frame["grade"],
            "How it links them": frame["link"],
        }
    )


for person in found.people:
    with st.container(border=True):
        st.subheader(escape(f"{person.code} · {person.pseudonym}"), anchor=False)
        st.text(person.name + (f"\n{person.notes}" if person.notes else ""))
        seen = (
            f"{person.count} linked observation{'' if person.count == 1 else 's'} · first seen "
            f"{format_local(person.first_seen)} · last seen {format_local(person.last_seen)}"
            if person.count
            else "No observation links them to the child yet."
        )
        if person.immediate_risk:
            seen += f" · {person.immediate_risk} at immediate risk"
        st.text(seen)
        if person.accounts.empty:
            st.text("No account of theirs is recorded.")
        else:
            st.dataframe(
                person.accounts,
                hide_index=True,
                column_config={
                    "code": "Code",
                    "platform": "Platform",
                    "handle": "Handle",
                    "url": "URL",
                    "notes": "Notes",
                },
            )
        if person.count:
            st.dataframe(
                _observations_table(person.observations),
                hide_index=True,
                column_config={"Summary": st.column_config.TextColumn(width="large")},
            )

if not may_record:
    st.stop()

# --- adding ---------------------------------------------------------------------------------------
with st.expander("Add a person of concern", icon=":material/person_add:", expanded=not found.people):
    st.caption(
        "Describe them as the sources do; a name may be unknown ('adult contact, identity unknown'). "
        "Without a pseudonym they get the next free letter (Person B, C, ...)."
    )
    adding = FieldForm("concern_add")
    adding.show_errors()
    with st.form(adding.key):
        name = st.text_input("Name or description *", max_chars=200, key=f"{adding.key}_name")
        field_error(adding.errors, "name", "role")
        pseudonym = st.text_input(
            "Pseudonym", max_chars=60, placeholder="the next free letter if left empty", key=f"{adding.key}_pseudonym"
        )
        field_error(adding.errors, "pseudonym")
        notes = st.text_area(
            "Notes",
            max_chars=4000,
            placeholder="what is known of them, and from whom; their age",
            key=f"{adding.key}_notes",
        )
        field_error(adding.errors, "notes")
        if st.form_submit_button("Add person of concern", type="primary", icon=":material/save:"):
            adding.submit(
                lambda: people.add_person(db, user, reference, name, concern.ROLE, pseudonym=pseudonym, notes=notes),
                lambda code: f"Added {code} as a person of concern.",
            )

if found.people:
    with st.expander("Add an account of theirs", icon=":material/alternate_email:"):
        whose = {p.code: f"{p.code} · {p.pseudonym}" for p in found.people}
        platforms = list(catalog.platforms)
        account = FieldForm("concern_account")
        account.show_errors()
        with st.form(account.key):
            person = st.selectbox("Whose *", list(whose), format_func=whose.get, key=f"{account.key}_person")
            field_error(account.errors, "person")
            platform = st.selectbox(
                "Platform *", platforms, index=None, placeholder="choose the platform", key=f"{account.key}_platform"
            )
            field_error(account.errors, "platform")
            handle = st.text_input(
                "Handle *", max_chars=200, placeholder="as shown on the platform", key=f"{account.key}_handle"
            )
            field_error(account.errors, "handle")
            url = st.text_input("Profile address", max_chars=2000, placeholder="https://...", key=f"{account.key}_url")
            field_error(account.errors, "url")
            account_notes = st.text_area("Notes", max_chars=4000, key=f"{account.key}_notes")
            field_error(account.errors, "notes")
            if st.form_submit_button("Add account", type="primary", icon=":material/save:"):
                account.submit(
                    lambda: people.add_account(
                        db,
                        user,
                        reference,
                        platform or "",
                        handle,
                        url=url,
                        person=person or "",
                        notes=account_notes,
                    ),
                    lambda code: f"Added account {code}.",
                )
