"""The conference view: what a case conference reads on one screen or on paper.

A summary on top (observations per Five C, what trusted sources contradict, false ages stated,
immediate-risk items and whether the police were told, the actions still to do, the persons of
concern and what links them to the child), then the chronology. With pseudonyms
only, people's names and account handles in the text become "Child A", "Person B", so the page
can be shown to a room that need not know who they are. Every opening is audited.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import sqlite_utils

from workbench import actions, audit, crossref, immediate_risk, persons_of_concern, redaction, timeline
from workbench.access import Actor, Right, authorize
from workbench.timeutil import format_local, now_utc

CHRONOLOGY_COLUMNS = ["when", "code", "what", "summary", "five_c", "person", "grade", "status", "risk"]
# Each person of concern: with pseudonyms only, the pseudonym and their accounts by platform and code.
CONCERN_COLUMNS = ["person", "accounts", "observations", "immediate_risk", "first_seen", "last_seen", "linked"]


@dataclass(frozen=True)
class Conference:
    reference: str
    title: str
    subject: str
    pseudonyms_only: bool
    prepared_at: str  # London time, as read
    by_five_c: pd.DataFrame  # five_c, observations
    contradicted: int
    conflicting: int
    false_ages: int
    contradictions: pd.DataFrame  # observation, fact, detail
    immediate_risk: pd.DataFrame  # code, when, summary, marked, police_told
    outstanding: pd.DataFrame  # code, action, due, overdue, about: the actions still to do, overdue first
    chronology: pd.DataFrame  # CHRONOLOGY_COLUMNS, oldest first
    persons_of_concern: pd.DataFrame  # CONCERN_COLUMNS (strategy 6.8)
    concern_note: str  # a person of concern may be a child too


def conference_view(
    db: sqlite_utils.Database, actor: Actor, reference: str, *, pseudonyms_only: bool = False
) -> Conference:
    access = authorize(db, actor, Right.VIEW, reference)
    events = timeline.events_frame(db, access.case_id)
    events = timeline.visible(events, include_history=False).reset_index(drop=True)
    found = crossref.crossref_frame(db, access.case_id)
    contradictions = found[found["relation"] == "contradicts"][["observation", "fact", "detail"]]
    observed = events[events["source"] == "observation"]
    hide = redaction.pseudonymiser(db, access.case_id) if pseudonyms_only else (lambda text: text)
    risky = observed[observed["immediate_risk"]]
    told = immediate_risk.risks(db, access.case_id).set_index("code")
    to_do = actions.outstanding(actions.actions_frame(db, access.case_id))
    concern = persons_of_concern.people_of_concern(db, access.case_id)
    conference = Conference(
        reference=access.reference,
        title=access.title,
        subject=access.subject_pseudonym,
        pseudonyms_only=pseudonyms_only,
        prepared_at=format_local(now_utc()),
        by_five_c=observed.groupby("five_c").size().rename("observations").reset_index(),
        contradicted=int((observed["status"] == "contradicted").sum()),
        conflicting=int((observed["status"] == "conflicting").sum()),
        false_ages=int(found["labels"].str.contains("false age stated", regex=False).sum()),
        contradictions=contradictions.assign(detail=contradictions["detail"].map(hide)).reset_index(drop=True),
        immediate_risk=pd.DataFrame(
            {
                "code": risky["code"],
                "when": risky["when"],
                "summary": risky["summary"].map(hide),
                "marked": risky["code"].map(told["marked"]),
                "police_told": risky["code"].map(lambda code: immediate_risk.police_told_text(told.loc[code])),
            }
        ).reset_index(drop=True),
        outstanding=pd.DataFrame(
            {
                "code": to_do["code"],
                "action": to_do["action"],
                "due": to_do["due_date"].map(actions.day_text),
                "overdue": to_do["overdue"].map({True: "OVERDUE", False: ""}),
                "about": (to_do["note"] + to_do["observation"].map(lambda c: f" (for {c})" if c else "")).map(hide),
            }
        ).reset_index(drop=True),
        chronology=pd.DataFrame(
            {
                "when": events["when"],
                "code": events["code"],
                "what": events["what"],
                "summary": events["summary"].map(hide),
                "five_c": events["five_c"],
                "person": events["person"],
                "grade": events["grade"],
                "status": events["status"],
                "risk": events["immediate_risk"].map({True: "IMMEDIATE RISK", False: ""}),
            }
        ),
        persons_of_concern=pd.DataFrame(
            [
                {
                    "person": p.pseudonym if pseudonyms_only else f"{p.pseudonym} · {p.name}",
                    "accounts": "; ".join(
                        f"{a.platform} {a.code if pseudonyms_only else a.handle}" for a in p.accounts.itertuples()
                    ),
                    "observations": p.count,
                    "immediate_risk": p.immediate_risk,
                    "first_seen": format_local(p.first_seen) if p.first_seen else "",
                    "last_seen": format_local(p.last_seen) if p.last_seen else "",
                    "linked": " ".join(p.observations["code"]),
                }
                for p in concern
            ],
            columns=CONCERN_COLUMNS,
        ),
        concern_note=persons_of_concern.STANDING_NOTE,
    )
    audit.record(
        db,
        actor.username,
        "conference.view",
        case_ref=access.reference,
        details={"events": len(events), "pseudonyms_only": pseudonyms_only},
    )
    return conference
