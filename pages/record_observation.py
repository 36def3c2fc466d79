"""Record observation: choose the kind and indicator, then the form the kind's schema describes."""

import streamlit as st

from workbench import actions, observations, people
from workbench.access import Right
from workbench.errors import ValidationError, WorkbenchError
from workbench.schemas import load_catalog
from workbench.ui import session
from workbench.ui.feedback import show_error
from workbench.ui.observation_form import observation_fields

user = session.require_actor()
reference = session.require_case()
db = session.db()
catalog = load_catalog()
try:
    case = people.directory(db, user, reference, right=Right.RECORD)
except WorkbenchError as e:
    show_error(e)
    st.stop()

st.title("Record observation")
st.text(f"{case.access.reference} · {case.access.title}")

if recorded := st.session_state.pop("recorded_code", None):
    st.success(f"Recorded {recorded}.", icon=":material/check_circle:")
    if prompted := st.session_state.pop("recorded_actions", None):
        st.info(
            f"{len(prompted)} action(s) to do were created for {recorded}, as the strategy asks; see the Actions page:",
            icon=":material/add_task:",
        )
        st.text("\n".join(prompted))

kinds = list(catalog.kinds)
left, right = st.columns(2)
kind_name = left.selectbox("Kind", kinds, format_func=lambda k: catalog.kinds[k].title, key="record_kind")
kind = catalog.kinds[kind_name]
indicator_values = [i.value for i in kind.indicators]
indicator = right.selectbox(
    "Indicator", indicator_values, format_func=lambda v: kind.indicator(v).label, key=f"record_indicator_{kind_name}"
)
st.caption(kind.description)
if kind.no_attachments:
    st.warning(
        "Text only. Never view again, copy, screenshot, save or attach a nude or semi-nude image of a child: "
        "describe it, record where and when it was seen, refer to the designated safeguarding lead and the "
        "police, and use Report Remove (Childline and IWF) to get it taken down.",
        icon=":material/block:",
    )
if kind.guidance:
    st.info(kind.guidance, icon=":material/record_voice_over:")
if kind.prompted_actions:
    st.caption(
        "Recording it creates these actions, still to do: "
        + "; ".join(catalog.label("action_kinds", a.kind) for a in kind.prompted_actions)
        + "."
    )

# A new form key after each success gives the analyst an empty form for the next observation.
form_key = f"record_{st.session_state.get('record_form_round', 0)}"
errors = st.session_state.get("record_errors", {}) if st.session_state.get("record_errors_kind") == kind_name else {}
if errors:
    show_error(ValidationError(errors))
with st.form(form_key):
    given = observation_fields(
        catalog,
        kind,
        indicator,
        accounts=case.accounts,
        people=case.people,
        grading_scheme=observations.default_grading_scheme(),
        key=form_key,
        errors=errors,
    )
    submitted = st.form_submit_button("Record observation", type="primary", icon=":material/save:")

if submitted:
    try:
        saved = observations.record(db, user, reference, given)
    except ValidationError as e:
        st.session_state["record_errors"] = e.errors
        st.session_state["record_errors_kind"] = kind_name
        st.rerun()
    except WorkbenchError as e:
        show_error(e)
    else:
        st.session_state.pop("record_errors", None)
        st.session_state["record_form_round"] = st.session_state.get("record_form_round", 0) + 1
        st.session_state["recorded_code"] = saved.code
        if kind.prompted_actions:  # read back only when recording created some
            prompted = actions.list_actions(db, user, reference)
            prompted = prompted[prompted["observation"] == saved.code]
            st.session_state["recorded_actions"] = [
                f"{r.code} · {r.action} · due {actions.day_text(r.due_date)}" for r in prompted.itertuples()
            ]
        st.rerun()
