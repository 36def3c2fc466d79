"""The veracity panel of one observation: its grades and what they mean, whether trusted sources
corroborate or contradict it and which facts and rules say so, and the analysts' links."""

from __future__ import annotations

import pandas as pd
import sqlite_utils
import streamlit as st

from workbench import crossref, facts
from workbench.access import Actor
from workbench.errors import WorkbenchError
from workbench.schemas import load_catalog
from workbench.ui.feedback import FieldForm, notify_after_rerun, show_error
from workbench.ui.safe import escape

_STATUS_BOX = {
    "corroborated": (st.success, ":material/verified:"),
    "contradicted": (st.error, ":material/report:"),
    "conflicting": (st.warning, ":material/compare_arrows:"),
    "uncorroborated": (st.info, ":material/help:"),
}


def veracity_panel(db: sqlite_utils.Database, user: Actor, reference: str, code: str, *, can_link: bool) -> None:
    catalog = load_catalog()
    try:
        found = crossref.observation_veracity(db, user, reference, code)
    except WorkbenchError as e:
        show_error(e)
        return
    st.markdown("**Veracity**")
    box, icon = _STATUS_BOX[found.status]
    box(f"{found.status_label}: {escape(found.status_description)}", icon=icon)
    if found.warning:
        st.warning(escape(found.warning), icon=":material/warning:")
    st.caption(f"What the grades mean ({escape(found.grades.scheme)})")
    st.text(
        f"Source: {found.grades.source}\nInformation: {found.grades.information}\nHandling: {found.grades.handling}"
    )

    relations = dict(catalog.pairs("crossref_relations"))
    if found.crossrefs.empty:
        st.text("No trusted-source fact bears on it yet.")
    else:
        st.caption("The facts and rules behind the status")
        for row in found.crossrefs.itertuples():
            mark = crossref.RELATION_MARKS.get(row.relation, row.relation).split(" ", 1)[0]
            heading = " · ".join(
                filter(
                    None,
                    [
                        f"{mark} {relations.get(row.relation, row.relation)}",
                        row.labels,
                        f"{row.fact} ({row.person})",
                        f"rule {row.by}" if not row.code else f"linked by {row.by} as {row.code}",
                    ],
                )
            )
            st.text(f"{heading}\n    {row.detail}")
    if not found.links.empty:
        st.caption("Analysts' links, with their history")
        st.dataframe(
            found.links,
            hide_index=True,
            column_config={
                "code": "Link",
                "version": "Version",
                "fact": "Fact",
                "relation": "Relation",
                "rationale": st.column_config.TextColumn("Rationale", width="medium"),
                "withdrawn": st.column_config.CheckboxColumn("Withdrawn"),
                "change_reason": "Why withdrawn",
                "by": "By",
                "at": "When (UTC)",
            },
        )
    if can_link:
        _link_forms(db, user, reference, code, found.links)


def _link_forms(db, user: Actor, reference: str, code: str, links: pd.DataFrame) -> None:
    catalog = load_catalog()
    with st.expander("Link to a trusted fact", icon=":material/link:"):
        known = facts.list_facts(db, user, reference)
        options = {
            row.code: f"{row.code} · {row.pseudonym} · {catalog.label('fact_attributes', row.attribute)}: {row.value}"
            for row in known.itertuples()
        }
        manual = [c for c in catalog.choices("crossref_relations") if c.extra.get("manual")]
        linking = FieldForm(f"link_{code}", key=f"link_{code}")
        linking.show_errors()
        with st.form(linking.key, clear_on_submit=True):
            fact = st.selectbox(
                "Fact",
                list(options),
                index=None,
                format_func=lambda c: options[c][:120],
                placeholder="choose a fact",
            )
            relation = st.radio(
                "Relation",
                [c.value for c in manual],
                format_func=lambda v: catalog.label("crossref_relations", v),
                captions=[c.description for c in manual],
                horizontal=True,
            )
            rationale = st.text_area("Rationale *", max_chars=2000, placeholder="why the fact bears on it")
            if st.form_submit_button("Link", type="primary", icon=":material/link:"):
                linking.submit(
                    lambda: crossref.link(db, user, reference, code, fact or "", relation, rationale),
                    lambda made: f"Linked {code} to {fact} as {made}.",
                )

    latest = links.drop_duplicates("code", keep="last") if not links.empty else links
    active = latest[latest["withdrawn"] == 0]["code"].tolist() if not latest.empty else []
    if not active:
        return
    with st.expander("Withdraw a link", icon=":material/link_off:"):
        st.caption("The link stays on record, marked withdrawn, with your reason.")
        with st.form(f"withdraw_link_{code}", clear_on_submit=True):
            chosen = st.selectbox("Link", active)
            reason = st.text_input("Reason *", max_chars=2000)
            if st.form_submit_button("Withdraw link"):
                try:
                    crossref.withdraw(db, user, reference, chosen, reason)
                except WorkbenchError as e:
                    show_error(e)
                else:
                    notify_after_rerun(f"Withdrew {chosen}.")
                    st.rerun()
