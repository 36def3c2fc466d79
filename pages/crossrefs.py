"""Cross-references: what is corroborated, what is contradicted and what rests on one source.
Contradictions first; then claims against facts per person; then the facts nothing online touched."""

import streamlit as st

from workbench import crossref, veracity
from workbench.errors import WorkbenchError
from workbench.schemas import load_catalog
from workbench.ui import session
from workbench.ui.feedback import show_error
from workbench.ui.safe import escape

user = session.require_actor()
reference = session.require_case()
db = session.db()
catalog = load_catalog()

st.title("Cross-references")
try:
    found = crossref.review(db, user, reference)
except WorkbenchError as e:
    show_error(e)
    st.stop()
st.text(reference)
st.caption(
    "Each observation held against what trusted sources already know. Rules compare stated ages with dates of "
    "birth, stated schools, places and names with the known ones (fuzzy, with the score and threshold), "
    "accounts with the people the case knows, and concerns with known vulnerabilities; analysts add links by hand "
    "from an observation's veracity panel."
)

with st.expander("What the rules do", icon=":material/rule:"):
    st.text("\n".join(f"{name}: {description}" for name, description in veracity.RULE_DESCRIPTIONS.items()))

statuses = {c.value: c for c in catalog.choices("veracity_statuses")}
relations = dict(catalog.pairs("crossref_relations"))
observations = found.observations
counts = observations["status"].value_counts()
false_ages = int(observations["labels"].str.contains("false age stated", regex=False).sum())
metrics = st.columns(6)
for column, status in zip(metrics, ["contradicted", "conflicting", "corroborated", "uncorroborated"], strict=False):
    column.metric(statuses[status].label, int(counts.get(status, 0)), help=statuses[status].description)
metrics[4].metric(
    "On one untested source",
    int(observations["rests_on_one_untested_source"].sum()),
    help="Uncorroborated, and its only source is graded untested or worse: treat as unconfirmed.",
)
metrics[5].metric("False ages stated", false_ages, help="A stated age that the known date of birth contradicts.")

for line in found.disagreements:
    st.warning("Trusted sources disagree: " + escape(line), icon=":material/compare_arrows:")

# --- filters -------------------------------------------------------------------------------------
people = {r.code: f"{r.code} · {r.pseudonym}" for r in found.people.itertuples()}
f1, f2 = st.columns([3, 2])
wanted_statuses = f1.multiselect(
    "Status", list(statuses), format_func=lambda s: statuses[s].label, placeholder="every status"
)
person = f2.selectbox("Person", list(people), index=None, format_func=people.get, placeholder="everyone")

shown = observations
if wanted_statuses:
    shown = shown[shown["status"].isin(wanted_statuses)]
if person:
    shown = shown[shown["code"].isin(found.concerning(person))]

st.subheader("Observations by status")
st.caption(f"{len(shown)} of {len(observations)} observations, contradicted first.")
st.dataframe(
    shown.assign(status=shown["status"].map(lambda s: statuses[s].label))[
        ["code", "status", "labels", "rests_on_one_untested_source", "pseudonym", "kind", "summary", "grade"]
    ],
    hide_index=True,
    column_config={
        "code": "Code",
        "status": "Status",
        "labels": st.column_config.TextColumn("Findings", width="medium"),
        "rests_on_one_untested_source": st.column_config.CheckboxColumn(
            "One untested source", help="Uncorroborated, and its only source is graded untested or worse."
        ),
        "pseudonym": "About",
        "kind": "Kind",
        "summary": st.column_config.TextColumn("Summary", width="large"),
        "grade": "Grade",
    },
    key="crossref_observations",
)

st.subheader("Cross-references")
links = found.crossrefs[found.crossrefs["observation"].isin(set(shown["code"]))]
st.caption(f"{len(links)} cross-references, contradictions first. Rule names say which rule found it.")
st.dataframe(
    links.assign(relation=links["relation"].map(lambda r: relations.get(r, r)))[
        ["observation", "relation", "labels", "fact", "person", "by", "detail", "score", "threshold"]
    ],
    hide_index=True,
    column_config={
        "observation": "Observation",
        "relation": "Relation",
        "labels": "Finding",
        "fact": "Fact",
        "person": "About",
        "by": "Rule or analyst",
        "detail": st.column_config.TextColumn("Detail", width="large"),
        "score": st.column_config.NumberColumn("Score", format="%.0f"),
        "threshold": st.column_config.NumberColumn("Threshold", format="%.0f"),
    },
    key="crossref_links",
)

st.subheader("Claims against facts")
matrix_person = person or (found.people["code"].iloc[0] if not found.people.empty else None)
if matrix_person:
    st.caption(
        f"For {escape(people[matrix_person])}: a row per observation with claims about them, a column per fact. "
        "✘ contradicts · ✔ corroborates · · context · → relates to · ! heightens concern"
    )
    matrix = found.matrix(matrix_person)
    if matrix.empty:
        st.text("No observation makes a claim about this person yet.")
    else:
        st.dataframe(matrix, hide_index=True, key="crossref_matrix")

st.subheader("Facts nothing online has touched")
untouched = found.untouched_facts
if person:
    untouched = untouched[untouched["person"] == person]
st.caption("Trusted-source facts no rule or analyst has linked to any observation: worth a look online.")
st.dataframe(
    untouched[["code", "person", "attribute", "value", "record", "special_category"]],
    hide_index=True,
    column_config={
        "code": "Fact",
        "person": "About",
        "attribute": "Attribute",
        "value": st.column_config.TextColumn("Value", width="medium"),
        "record": "Source",
        "special_category": st.column_config.CheckboxColumn("Special category"),
    },
    key="crossref_untouched",
)
