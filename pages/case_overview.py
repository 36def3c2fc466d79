"""Case overview: who and what the case holds, and how the observations spread."""

import streamlit as st

from workbench import cases
from workbench.errors import WorkbenchError
from workbench.ui import session
from workbench.ui.actions_view import awaiting_police_banner, outstanding_banner
from workbench.ui.authorisation_view import review_banner, unauthorised_banner
from workbench.ui.case_status_view import case_status
from workbench.ui.context_view import child_context
from workbench.ui.feedback import show_error, show_notice
from workbench.ui.need_view import level_of_need

user = session.require_actor()
reference = session.require_case()
try:
    case = cases.overview(session.db(), user, reference)
except WorkbenchError as e:
    show_error(e)
    st.stop()

st.title("Case overview")
numbered = f" · case-management number {case.external_ref}" if case.external_ref else ""
st.text(
    f"{case.access.reference} · {case.access.title}{numbered}\nChild: {case.access.subject_pseudonym} · "
    f"status {case.access.status} · lead {case.lead} · your part: {case.access.member_role}"
)

show_notice()
awaiting_police_banner(case.risks)
outstanding_banner(case.outstanding)
review_banner(case.authorisations)
unauthorised_banner(case.unauthorised, int(case.authorisations["in_force"].sum()))
level_of_need(session.db(), user, reference, case.levels)
case_status(session.db(), user, case.access)
child_context(case.context)

counts = st.columns(4)
counts[0].metric("Observations", case.observations)
counts[1].metric("Retracted", case.retracted)
counts[2].metric("Immediate risk", case.immediate_risk)
counts[3].metric("Trusted facts", case.facts)

by_c, by_kind, by_grade = st.columns(3)
with by_c:
    st.subheader("By Five C")
    st.bar_chart(case.by_five_c, x="five_c", y="observations", horizontal=True, height=220)
with by_kind:
    st.subheader("By kind")
    st.dataframe(case.by_kind, hide_index=True, column_config={"kind": "Kind", "observations": "Observations"})
with by_grade:
    st.subheader("By grade")
    st.caption("Source / information / handling")
    st.dataframe(case.by_grade, hide_index=True, column_config={"grade": "Grade", "observations": "Observations"})

st.subheader("People")
st.dataframe(
    case.people,
    hide_index=True,
    column_config={"code": "Code", "name": "Name", "pseudonym": "Pseudonym", "role": "Part", "notes": "Notes"},
)
st.subheader("Accounts")
st.dataframe(
    case.accounts,
    hide_index=True,
    column_config={
        "code": "Code",
        "platform": "Platform",
        "handle": "Handle",
        "url": "URL",
        "person": "Whose",
        "person_name": "Name",
        "notes": "Notes",
    },
)
st.subheader("Members")
st.dataframe(case.members, hide_index=True)
