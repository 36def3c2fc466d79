"""Conference view: the case on one clean, read-only page for the meeting, and for paper. A summary
on top, then the chronology. The pseudonyms switch hides names and handles in the text."""

import streamlit as st

from workbench import conference
from workbench.errors import WorkbenchError
from workbench.ui import session
from workbench.ui.feedback import show_error
from workbench.ui.print_style import print_style

user = session.require_actor()
reference = session.require_case()
db = session.db()

pseudonyms = st.toggle(
    "Pseudonyms only",
    key="conference_pseudonyms",
    help="Names and account handles in the text become Child A, Person B.",
)
try:
    view = conference.conference_view(db, user, reference, pseudonyms_only=pseudonyms)
except WorkbenchError as e:
    show_error(e)
    st.stop()
print_style()

st.title("Case conference")
st.text(
    f"{view.reference} · {view.title}\nAbout {view.subject} · prepared {view.prepared_at}"
    + (" · pseudonyms only" if view.pseudonyms_only else "")
)

st.subheader("Summary")
counts = st.columns(5)
counts[0].metric("Observations", int(view.by_five_c["observations"].sum()))
counts[1].metric("Contradicted or conflicting", view.contradicted + view.conflicting)
counts[2].metric("False ages stated", view.false_ages)
counts[3].metric("Immediate risk", len(view.immediate_risk))
counts[4].metric("Actions outstanding", len(view.outstanding))
st.text("Observations per Five C: " + "; ".join(f"{r.five_c} {r.observations}" for r in view.by_five_c.itertuples()))

if not view.immediate_risk.empty:
    st.markdown("**Immediate risk of significant harm**")
    st.text(
        "\n".join(
            f"{r.code} · {r.when} · marked {r.marked}\n    {r.summary}\n    Police told: {r.police_told}"
            for r in view.immediate_risk.itertuples()
        )
    )
if not view.outstanding.empty:
    st.markdown("**Actions still to do**")
    st.text(
        "\n".join(
            f"{r.code} · {r.action}"
            + (f" · due {r.due}" if r.due else " · no due date")
            + (f" · {r.overdue}" if r.overdue else "")
            + (f"\n    {r.about}" if r.about else "")
            for r in view.outstanding.itertuples()
        )
    )
if not view.contradictions.empty:
    st.markdown("**What trusted sources contradict**")
    st.text("\n".join(f"{r.observation} · {r.fact}\n    {r.detail}" for r in view.contradictions.itertuples()))

if not view.persons_of_concern.empty:
    st.markdown("**Persons of concern**")
    st.text(
        "\n".join(
            [view.concern_note]
            + [
                f"{r.person} · {r.observations} linked observation{'' if r.observations == 1 else 's'}"
                + (f" ({r.first_seen} to {r.last_seen})" if r.observations else "")
                + (f" · {r.immediate_risk} at immediate risk" if r.immediate_risk else "")
                + (f"\n    Accounts: {r.accounts}" if r.accounts else "")
                + (f"\n    Linked: {r.linked}" if r.linked else "")
                for r in view.persons_of_concern.itertuples()
            ]
        )
    )

st.subheader("Chronology")
st.caption("Oldest first. Times in London; ~ marks an approximate time. Grades: source / information / handling.")
st.text(
    "\n".join(
        f"{r.when} · {r.code} · {r.what}"
        + (f" · {r.five_c}" if r.grade else "")
        + (f" · {r.grade}" if r.grade else "")
        + (f" · {r.status}" if r.status else "")
        + (f" · {r.risk}" if r.risk else "")
        + f"\n    {r.summary}"
        for r in view.chronology.itertuples()
    )
    or "Nothing recorded yet."
)
