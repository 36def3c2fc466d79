"""Actions: what was done about what was seen. Record one (done, to do with a due date, or not
applicable and why), mark it done when it is, open one for its history, retract one made in error."""

from contextlib import nullcontext

import streamlit as st

from workbench import access, actions, immediate_risk, observations
from workbench.access import Right
from workbench.errors import WorkbenchError
from workbench.schemas import load_catalog
from workbench.ui import session
from workbench.ui.actions_view import actions_table, awaiting_police_banner, outstanding_banner
from workbench.ui.feedback import FieldForm, field_error, show_error, show_notice
from workbench.ui.reason_form import reason_form

user = session.require_actor()
reference = session.require_case()
db = session.db()
catalog = load_catalog()

st.title("Actions")
try:
    frame = actions.list_actions(db, user, reference, include_retracted=True)
    risks = immediate_risk.list_risks(db, user, reference)
    observed = observations.list_observations(db, user, reference)
except WorkbenchError as e:
    show_error(e)
    st.stop()
st.text(reference)
st.caption(
    "What was done about what was seen: reports to the platform, the police and the DSL told, Report Remove, "
    "safety plans, strategy discussions, referrals. An action still to do shows on the case, the timeline and "
    "the conference view until it is done or marked not applicable."
)
show_notice()
awaiting_police_banner(risks)
current = frame[~frame["retracted"]]
outstanding_banner(actions.outstanding(current))
may_record = access.allowed(db, user, Right.RECORD, reference)
kinds, statuses = catalog.values("action_kinds"), catalog.values("action_statuses")
about = {row.code: f"{row.code} · {row.summary}" for row in observed.itertuples()}

# --- the actions ---------------------------------------------------------------------------------
f1, f2 = st.columns([3, 1])
chosen = f1.multiselect("Status", statuses, format_func=lambda v: catalog.label("action_statuses", v))
show_retracted = f2.toggle("Show retracted")
shown = frame if show_retracted else current
if chosen:
    shown = shown[shown["status"].isin(chosen)]
st.caption(f"{len(shown)} of {len(frame) if show_retracted else len(current)} actions.")
actions_table(shown)


def _action_form(key: str, initial: dict, errors: dict) -> dict:
    """The fields of an action. Dates are typed, so a wrong one is named rather than guessed."""
    given = {}
    left, right = st.columns(2)
    given["kind"] = left.selectbox(
        "Action *",
        kinds,
        index=kinds.index(initial["kind"]) if initial.get("kind") in kinds else 0,
        format_func=lambda v: catalog.label("action_kinds", v),
        key=f"{key}_kind",
    )
    with left:
        field_error(errors, "kind")
    given["status"] = right.radio(
        "Status *",
        statuses,
        index=statuses.index(initial["status"]) if initial.get("status") in statuses else 0,
        format_func=lambda v: catalog.label("action_statuses", v),
        horizontal=True,
        key=f"{key}_status",
    )
    with right:
        field_error(errors, "status")
    options = list(about)
    if initial.get("observation") and initial["observation"] not in about:
        options.insert(0, initial["observation"])  # named before it was retracted
    given["observation"] = (
        st.selectbox(
            "For observation",
            options,
            index=options.index(initial["observation"]) if initial.get("observation") in options else None,
            format_func=lambda c: about.get(c, c),
            placeholder="none: the case as a whole",
            key=f"{key}_observation",
        )
        or ""
    )
    field_error(errors, "observation")

    def text(where, label: str, name: str, suffix: str | None = None, **options) -> None:
        """A text field, the reason it was refused beneath it."""
        given[name] = where.text_input(label, value=initial.get(name, ""), key=f"{key}_{suffix or name}", **options)
        with where if where is not st else nullcontext():  # a column, or the form itself
            field_error(errors, name)

    text(st, "Note", "note", max_chars=2000, placeholder="what, to whom; required for Other")
    c1, c2, c3 = st.columns(3)
    text(c1, "Due by", "due_date", "due", placeholder="YYYY-MM-DD")
    text(
        c2,
        "Done at",
        "done_at",
        placeholder="now, if done and left empty",
        help="A day (2026-03-14) or a day and time (2026-03-14 10:30), London time. Only for a done action.",
    )
    text(c3, "Done by", "done_by", max_chars=200, placeholder="you, if done and left empty")
    text(
        st,
        "Reference given",
        "reference",
        max_chars=200,
        placeholder="the police incident or log number; the platform's report number",
    )
    text(st, "Why it does not apply", "status_reason", max_chars=2000, placeholder="only for Not applicable")
    return given


# --- recording -----------------------------------------------------------------------------------
if may_record:
    with st.expander("Record an action", icon=":material/add_task:", expanded=frame.empty):
        adding = FieldForm("action_add")
        adding.show_errors()
        with st.form(adding.key):
            given = _action_form(adding.key, {}, adding.errors)
            if st.form_submit_button("Record action", type="primary", icon=":material/save:"):
                adding.submit(lambda: actions.add_action(db, user, reference, given), lambda code: f"Recorded {code}.")

# --- one action ------------------------------------------------------------------------------------
labels = {
    r.code: f"{r.code} · {r.action} · {r.state}" + (" (retracted)" if r.retracted else "") for r in frame.itertuples()
}
code = st.selectbox(
    "Open action",
    list(labels),
    index=None,
    format_func=labels.get,
    placeholder="choose an action to see its history" + (", update or retract it" if may_record else ""),
    key="open_action",
)
if not code:
    st.stop()
try:
    opened = actions.view_action(db, user, reference, code)
except WorkbenchError as e:
    show_error(e)
    st.stop()

st.subheader(f"{opened.code} · {catalog.label('action_kinds', opened.current['kind'])}")
if opened.retracted:
    st.warning("Retracted. It stays on record with the reason below.", icon=":material/undo:")
st.text(actions.summary_line(opened.versions.iloc[-1].to_dict()))
st.markdown("**Version history**")
actions_table(opened.versions, history=True)
if opened.retracted or not may_record:
    st.stop()

with st.expander("Update", icon=":material/edit:", expanded=opened.current["status"] == "to_do"):
    st.caption("Mark it done or not applicable, set a due date, add the reference. Earlier versions are kept.")
    updating = FieldForm(f"action_update_{opened.code}", key=f"action_update_{opened.code}_{opened.version}")
    updating.show_errors()
    with st.form(updating.key):
        given = _action_form(updating.key, opened.current, updating.errors)
        reason = st.text_input("Reason for the change", max_chars=2000, placeholder="optional")
        field_error(updating.errors, "reason")
        if st.form_submit_button("Save", type="primary"):
            updating.submit(
                lambda: actions.update_action(
                    db, user, reference, opened.code, given, reason=reason, expected_version=opened.version
                ),
                lambda _: f"Saved {opened.code} version {opened.version + 1}.",
            )

with st.expander("Retract", icon=":material/undo:"):
    reason_form(
        f"action_retract_{opened.code}",
        explain="Retract an action recorded in error. It stays on record, marked retracted, with your reason.",
        label="Reason for retracting *",
        button="Retract action",
        act=lambda reason: actions.retract_action(
            db, user, reference, opened.code, reason, expected_version=opened.version
        ),
        done=f"Retracted {opened.code}.",
    )
