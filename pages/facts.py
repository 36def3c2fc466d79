"""Trusted facts: what school, police, health, social care or the family already know, per person.
Add one, import a file, open one for its history, amend or retract it."""

import streamlit as st

from workbench import access, facts, people
from workbench.access import Right
from workbench.errors import WorkbenchError
from workbench.imports import ImportRejected
from workbench.schemas import load_catalog
from workbench.ui import session
from workbench.ui.feedback import FieldForm, field_error, notify_after_rerun, show_error, show_notice
from workbench.ui.reason_form import reason_form
from workbench.ui.safe import escape

user = session.require_actor()
reference = session.require_case()
db = session.db()
catalog = load_catalog()

st.title("Trusted facts")
try:
    frame = facts.list_facts(db, user, reference, include_retracted=True)
    case = people.directory(db, user, reference)
except WorkbenchError as e:
    show_error(e)
    st.stop()
st.text(f"{case.access.reference} · {case.access.title}")
st.caption(
    "What trusted sources already know, to hold what is seen online against. Vulnerability and health facts "
    "are special-category data (UK GDPR art. 9; DPA 2018 Sch.1 para 18): record only what the safeguarding "
    "purpose needs. Every change re-runs the cross-referencing rules."
)
show_notice()
may_record = access.allowed(db, user, Right.RECORD, reference)
attribute_values = catalog.values("fact_attributes")
agency_values = catalog.values("source_agencies")
special_attributes = {c.value for c in catalog.choices("fact_attributes") if c.extra.get("special_category")}
who = {row.code: f"{row.code} · {row.pseudonym}" for row in case.people.itertuples()}

# --- the facts -----------------------------------------------------------------------------------
f1, f2, f3 = st.columns([2, 2, 1])
chosen_people = f1.multiselect("Person", list(who), format_func=who.get)
chosen_attributes = f2.multiselect(
    "Attribute", attribute_values, format_func=lambda v: catalog.label("fact_attributes", v)
)
show_retracted = f3.toggle("Show retracted")
shown = frame if show_retracted else frame[frame["retracted"] == 0]
if chosen_people:
    shown = shown[shown["person"].isin(chosen_people)]
if chosen_attributes:
    shown = shown[shown["attribute"].isin(chosen_attributes)]
st.caption(f"{len(shown)} of {len(frame)} facts.")
st.dataframe(
    shown.assign(
        attribute=shown["attribute"].map(lambda v: catalog.label("fact_attributes", v)),
        source_agency=shown["source_agency"].map(lambda v: catalog.label("source_agencies", v)),
        status=[
            "retracted" if r.retracted else (f"amended (v{r.version})" if r.version > 1 else "")
            for r in shown.itertuples()
        ],
    )[
        [
            "code",
            "pseudonym",
            "attribute",
            "value",
            "special_category",
            "source_agency",
            "source_reference",
            "valid_from",
            "valid_to",
            "status",
            "recorded_by",
            "recorded_at",
        ]
    ],  # fmt: skip
    hide_index=True,
    column_config={
        "code": "Code",
        "pseudonym": "About",
        "attribute": "Attribute",
        "value": st.column_config.TextColumn("Value", width="medium"),
        "special_category": st.column_config.CheckboxColumn("Special category"),
        "source_agency": "Source",
        "source_reference": "Source reference",
        "valid_from": "Valid from",
        "valid_to": "Valid to",
        "status": "Status",
        "recorded_by": "Recorded by",
        "recorded_at": "Recorded (UTC)",
    },
)


def _fact_form(key: str, initial: dict, errors: dict, *, person_fixed: bool) -> dict:
    """The fields of a fact; dates are typed as YYYY-MM-DD so a wrong one is named, not guessed."""
    given = {}
    if person_fixed:
        st.text(f"About {who.get(initial['person'], initial['person'])}")
    else:
        given["person"] = st.selectbox("About *", list(who), format_func=who.get, key=f"{key}_person")
        field_error(errors, "person")
    left, right = st.columns(2)
    given["attribute"] = left.selectbox(
        "Attribute *",
        attribute_values,
        index=attribute_values.index(initial["attribute"]) if initial.get("attribute") in attribute_values else 0,
        format_func=lambda v: (
            catalog.label("fact_attributes", v) + (" (special category)" if v in special_attributes else "")
        ),
        key=f"{key}_attribute",
    )
    field_error(errors, "attribute")
    given["source_agency"] = right.selectbox(
        "Source *",
        agency_values,
        index=agency_values.index(initial["source_agency"]) if initial.get("source_agency") in agency_values else 0,
        format_func=lambda v: catalog.label("source_agencies", v),
        key=f"{key}_agency",
    )
    given["value"] = st.text_area(
        "Value *",
        value=initial.get("value", ""),
        max_chars=2000,
        height=80,
        placeholder="a date of birth as YYYY-MM-DD; a name; a school; what is known",
        key=f"{key}_value",
    )
    field_error(errors, "value")
    given["source_reference"] = st.text_input(
        "Source reference",
        value=initial.get("source_reference", ""),
        max_chars=200,
        placeholder="e.g. Admissions record, CAMHS referral 88",
        key=f"{key}_reference",
    )
    field_error(errors, "source_reference")
    left, right = st.columns(2)
    given["valid_from"] = left.text_input(
        "Valid from", value=initial.get("valid_from", ""), placeholder="YYYY-MM-DD", key=f"{key}_from"
    )
    with left:
        field_error(errors, "valid_from")
    given["valid_to"] = right.text_input(
        "Valid to", value=initial.get("valid_to", ""), placeholder="YYYY-MM-DD", key=f"{key}_to"
    )
    with right:
        field_error(errors, "valid_to")
    return given


# --- adding ----------------------------------------------------------------------------------------
if may_record:
    with st.expander("Add a fact", icon=":material/add:", expanded=frame.empty):
        adding = FieldForm("fact_add")
        adding.show_errors()
        with st.form(adding.key):
            given = _fact_form(adding.key, {}, adding.errors, person_fixed=False)
            if st.form_submit_button("Add fact", type="primary", icon=":material/save:"):
                adding.submit(lambda: facts.add_fact(db, user, reference, given), lambda code: f"Added {code}.")

    with st.expander("Import facts from a CSV file", icon=":material/upload_file:"):
        st.caption(
            "Columns: person, attribute, value, source_agency, source_reference, valid_from, valid_to. "
            "Every row is checked first; one bad row and nothing is imported."
        )
        upload = st.file_uploader("CSV file", type=["csv"], key="fact_import_file")
        if st.button("Import", disabled=upload is None, key="fact_import"):
            try:
                codes = facts.import_csv(db, user, reference, upload.getvalue())
            except ImportRejected as e:
                st.error("Import refused; nothing was imported:\n\n" + "\n".join(f"- {escape(x)}" for x in e.lines()))
            except WorkbenchError as e:
                show_error(e)
            else:
                notify_after_rerun(f"Imported {len(codes)} facts ({codes[0]} to {codes[-1]}).")
                st.rerun()

# --- one fact --------------------------------------------------------------------------------------
labels = {
    r.code: f"{r.code} · {r.pseudonym} · {catalog.label('fact_attributes', r.attribute)}" for r in frame.itertuples()
}
code = st.selectbox(
    "Open fact",
    list(labels),
    index=None,
    format_func=labels.get,
    placeholder="choose a fact to see its history, amend or retract it",
    key="open_fact",
)
if not code:
    st.stop()
try:
    opened = facts.view_fact(db, user, reference, code)
except WorkbenchError as e:
    show_error(e)
    st.stop()

st.subheader(f"{opened.code} · {catalog.label('fact_attributes', opened.current['attribute'])}")
if opened.retracted:
    st.warning("Retracted. It stays on record with the reason below.", icon=":material/undo:")
if opened.special_category:
    st.info("Special-category data: share only as the safeguarding purpose needs.", icon=":material/lock:")
st.text(opened.current["value"])
st.markdown("**Version history**")
st.dataframe(
    opened.versions,
    hide_index=True,
    column_config={
        "version": "Version",
        "retracted": st.column_config.CheckboxColumn("Retracted"),
        "change_reason": "Reason",
        "recorded_by": "By",
        "recorded_at": "When (UTC)",
    },
)
if opened.retracted or not may_record:
    st.stop()

with st.expander("Amend", icon=":material/edit:"):
    st.caption("Amending keeps every earlier version; say why you are changing it.")
    amending = FieldForm(f"fact_amend_{opened.code}", key=f"fact_amend_{opened.code}_{opened.version}")
    amending.show_errors()
    with st.form(amending.key):
        given = _fact_form(amending.key, opened.current, amending.errors, person_fixed=True)
        reason = st.text_input("Reason for the amendment *", max_chars=2000)
        if st.form_submit_button("Save amendment", type="primary"):
            amending.submit(
                lambda: facts.amend_fact(
                    db, user, reference, opened.code, given, reason, expected_version=opened.version
                ),
                lambda _: f"Saved {opened.code} version {opened.version + 1}.",
            )

with st.expander("Retract", icon=":material/undo:"):
    reason_form(
        f"fact_retract_{opened.code}",
        explain="Retracting keeps the fact on record, marked retracted, with your reason.",
        label="Reason for retracting *",
        button="Retract fact",
        act=lambda reason: facts.retract_fact(
            db, user, reference, opened.code, reason, expected_version=opened.version
        ),
        done=f"Retracted {opened.code}.",
    )
