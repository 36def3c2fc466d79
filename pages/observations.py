"""Observations: the case's observations in a filterable table; open one for its veracity, history, amend or retract."""

import streamlit as st

from workbench import access, crossref, evidence, observations, people
from workbench.access import Right
from workbench.errors import WorkbenchError
from workbench.schemas import load_catalog
from workbench.ui import session
from workbench.ui.feedback import FieldForm, show_error, show_notice
from workbench.ui.observation_form import observation_fields
from workbench.ui.reason_form import reason_form
from workbench.ui.safe import escape
from workbench.ui.veracity_panel import veracity_panel

user = session.require_actor()
reference = session.require_case()
db = session.db()
catalog = load_catalog()

st.title("Observations")
try:
    frame = observations.list_observations(db, user, reference, include_retracted=True)
    veracity = crossref.statuses(crossref.list_crossrefs(db, user, reference))
except WorkbenchError as e:
    show_error(e)
    st.stop()
st.text(reference)

show_notice()

# --- filters -------------------------------------------------------------------------------------
f1, f2, f3 = st.columns([2, 2, 3])
five_cs = f1.multiselect("Five C", catalog.values("five_cs"), format_func=lambda v: catalog.label("five_cs", v))
kinds = f2.multiselect("Kind", list(catalog.kinds), format_func=lambda k: catalog.kinds[k].title)
search = f3.text_input("Search summaries", placeholder="words in the summary")
t1, t2, _ = st.columns([1, 1, 3])
risk_only = t1.toggle("Immediate risk only")
show_retracted = t2.toggle("Show retracted", help="Retracted observations stay on record; show them too.")

shown = frame
if not show_retracted:
    shown = shown[shown["retracted"] == 0]
if five_cs:
    shown = shown[shown["five_c"].isin(five_cs)]
if kinds:
    shown = shown[shown["kind"].isin(kinds)]
if search.strip():
    shown = shown[shown["summary"].str.contains(search.strip(), case=False, regex=False)]
if risk_only:
    shown = shown[shown["immediate_risk"] == 1]
shown = shown.reset_index(drop=True)

st.caption(f"{len(shown)} of {len(frame)} observations. Select a row, or pick a code below, to open one.")
table = st.dataframe(
    observations.for_display(shown, catalog, veracity),
    hide_index=True,
    on_select="rerun",
    selection_mode="single-row",
    key="observations_table",
    column_config={"Summary": st.column_config.TextColumn(width="medium")},
)
summaries = dict(zip(frame["code"], frame["summary"], strict=True))
picked = st.selectbox(
    "Open observation",
    frame["code"].tolist(),
    index=None,
    placeholder="type or choose a code, e.g. OBS-0007",
    format_func=lambda c: f"{c} · {summaries[c][:80]}",
    key="open_observation",
)

selected_rows = table.selection.rows if table else []
code = shown.iloc[selected_rows[0]]["code"] if selected_rows and selected_rows[0] < len(shown) else None
code = code or picked or st.query_params.get("obs")
if not code:
    st.stop()

# --- one observation -----------------------------------------------------------------------------
st.query_params["obs"] = code
try:
    opened = observations.view(db, user, reference, code)
except WorkbenchError as e:
    show_error(e)
    st.stop()
obs = opened.current
kind = catalog.kinds[obs.kind]

st.divider()
st.subheader(f"{obs.code} · {kind.title}")
if obs.retracted:
    st.warning("Retracted. It stays on record with the reason below.", icon=":material/undo:")
if obs.immediate_risk:
    st.error("Immediate risk of significant harm.", icon=":material/warning:")
if opened.unauthorised:
    st.warning(
        "Recorded without authorisation: no research authorisation in this case covered it on the day it was seen. "
        "Reason given: " + escape(obs.unauthorised_reason or "none"),
        icon=":material/gpp_maybe:",
    )
st.text(obs.summary)

facts = {
    "Indicator": (kind.indicator(obs.indicator).label if kind.indicator(obs.indicator) else obs.indicator),
    "Five C": catalog.label("five_cs", obs.five_c),
    "Grade": f"{obs.grade}  ({catalog.grading(obs.grading_scheme).label})",
    "Source": catalog.label("source_types", obs.source_type),
    "Visibility": catalog.label("visibility", obs.visibility),
    "Account": obs.account or "",
    "About": obs.person or "",
    "URL": obs.url,
    "Version": str(obs.version),
}
for name, value in obs.details.items():
    facts[kind.properties.get(name, {}).get("title", name)] = kind.label_of(name, value)
facts.update(catalog.derived_values(obs.kind, obs.details))
st.dataframe(
    {"field": list(facts), "value": [str(v) for v in facts.values()]},
    hide_index=True,
    column_config={"field": "Field", "value": st.column_config.TextColumn("Value", width="large")},
)

may_record = not obs.retracted and access.allowed(db, user, Right.RECORD, reference)
veracity_panel(db, user, reference, obs.code, can_link=may_record)

linked = [item for item in evidence.list_evidence(db, user, reference) if item.observation == obs.code]
st.markdown("**Evidence**")
if linked:
    for item in linked:
        st.page_link(
            "pages/evidence.py",
            label=f"{item.code} · {escape(item.file_name[:60])}" + (" (purged)" if item.purged else ""),
            icon=":material/photo_library:",
            query_params={"case": reference, "ev": item.code},
        )
else:
    st.text("No files attached.")
if not kind.no_attachments and may_record:
    st.page_link(
        "pages/evidence.py",
        label=f"Attach evidence to {obs.code}",
        icon=":material/upload:",
        query_params={"case": reference, "obs": obs.code},
    )

st.markdown("**Version history**")
history = opened.versions
st.dataframe(
    observations.for_display(history, catalog).assign(
        version=history["version"], reason=history["change_reason"], recorded_at=history["recorded_at"]
    )[["version", "Status", "Summary", "Grade", "reason", "Recorded by", "recorded_at"]],
    hide_index=True,
)

if not may_record:
    st.stop()

with st.expander("Amend", icon=":material/edit:"):
    st.caption("Amending keeps every earlier version; say why you are changing it.")
    amending = FieldForm(f"amend_{obs.code}", key=f"amend_{obs.code}_{obs.version}")
    amending.show_errors()
    case = people.directory(db, user, reference, right=Right.RECORD)
    with st.form(amending.key):
        indicator_values = [i.value for i in kind.indicators]
        indicator = st.selectbox(
            "Indicator",
            indicator_values,
            index=indicator_values.index(obs.indicator),
            format_func=lambda v: kind.indicator(v).label,
            key=f"amend_{obs.code}_{obs.version}_indicator",
        )
        given = observation_fields(
            catalog,
            kind,
            indicator,
            accounts=case.accounts,
            people=case.people,
            grading_scheme=obs.grading_scheme,
            key=f"amend_{obs.code}_{obs.version}",
            initial=obs.as_input(),
            errors=amending.errors,
        )
        reason = st.text_input("Reason for the amendment *", max_chars=2000)
        if st.form_submit_button("Save amendment", type="primary"):
            amending.submit(
                lambda: observations.amend(db, user, reference, obs.code, given, reason, expected_version=obs.version),
                lambda saved: f"Saved {saved.code} version {saved.version}.",
            )

with st.expander("Retract", icon=":material/undo:"):
    reason_form(
        f"retract_{obs.code}",
        explain="Retracting keeps the observation on record, marked retracted, with your reason.",
        label="Reason for retracting *",
        button="Retract observation",
        act=lambda reason: observations.retract(db, user, reference, obs.code, reason, expected_version=obs.version),
        done=f"Retracted {obs.code}.",
    )
