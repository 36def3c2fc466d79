"""Persons of concern (strategy 6.8): the people in a case who may pose a risk to the child, their
accounts, and the observations that link them to the child.

An observation links a person of concern when its current version (not retracted) is about them
(its person), was recorded against one of their accounts, or names one of their accounts in its
details (the cross-referencing rules' "relates to" finding: a contact's handle, an account of note
in a friend network). First and last seen are when the analyst observed the earliest and latest
of them. A person of concern may be a child too: the record says so every time it is shown.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import sqlite_utils

from workbench import audit, crossref
from workbench.access import Actor, CaseAccess, Right, authorize
from workbench.schemas import grade_text, load_catalog

ROLE = "person_of_concern"
STANDING_NOTE = (
    "A person of concern may be a child too. Some who pose a risk to children are children themselves "
    "(strategy 6.8): where one is, or may be, under 18, they are owed safeguarding in their own right, and "
    "the partnership's child safeguarding procedures apply to them as well as to the child in this case."
)
ACCOUNT_COLUMNS = ["code", "platform", "handle", "url", "notes"]
# How each observation links them: "about them", "on their account AC-0005", "names their account AC-0006".
OBSERVATION_COLUMNS = ["code", "kind", "summary", "observed_at", "grade", "immediate_risk", "link"]


@dataclass(frozen=True)
class PersonOfConcern:
    code: str
    name: str
    pseudonym: str
    notes: str
    accounts: pd.DataFrame  # ACCOUNT_COLUMNS
    observations: pd.DataFrame  # OBSERVATION_COLUMNS, oldest observed first; observed_at ISO UTC
    first_seen: str | None  # ISO UTC: when the earliest linked observation was observed
    last_seen: str | None

    @property
    def count(self) -> int:
        return len(self.observations)

    @property
    def immediate_risk(self) -> int:
        return int(self.observations["immediate_risk"].sum()) if self.count else 0


@dataclass(frozen=True)
class PersonsOfConcern:
    access: CaseAccess
    note: str  # STANDING_NOTE
    people: list[PersonOfConcern]


def persons_of_concern(db: sqlite_utils.Database, actor: Actor, reference: str) -> PersonsOfConcern:
    access = authorize(db, actor, Right.VIEW, reference)
    found = people_of_concern(db, access.case_id)
    audit.record(
        db,
        actor.username,
        "person_of_concern.list",
        case_ref=access.reference,
        details={"people": len(found), "observations": sum(p.count for p in found)},
    )
    return PersonsOfConcern(access, STANDING_NOTE, found)


def people_of_concern(db: sqlite_utils.Database, case_id: int) -> list[PersonOfConcern]:
    """For other domain modules that have authorized already (the conference view)."""
    crossref._ensure_current(db, case_id)  # "names their account" comes from the rules: recompute stale ones
    catalog = load_catalog()
    people = list(
        db.query(
            "SELECT id, code, name, pseudonym, notes FROM people WHERE case_id = ? AND role = ? ORDER BY code",
            (case_id, ROLE),
        )
    )
    accounts = pd.DataFrame(
        list(
            db.query(
                f"""SELECT a.person_id, {", ".join("a." + c for c in ACCOUNT_COLUMNS)}
                    FROM accounts a JOIN people p ON p.id = a.person_id
                    WHERE a.case_id = ? AND p.role = ? ORDER BY a.code""",  # noqa: S608
                (case_id, ROLE),
            )
        ),
        columns=["person_id", *ACCOUNT_COLUMNS],
    )
    links = pd.DataFrame(list(db.query(_LINKS_SQL, {"case_id": case_id, "role": ROLE})), columns=_LINK_COLUMNS)
    links = links.assign(
        kind=links["kind"].map(lambda k: catalog.kinds[k].title if k in catalog.kinds else k),
        grade=[
            grade_text(r.grading_scheme, r.source_grade, r.information_grade, r.handling_code)
            for r in links.itertuples()
        ],
        immediate_risk=links["immediate_risk"].astype(bool),
        link=[_link_text(r.route, r.account) for r in links.itertuples()],
    )
    found = []
    for person in people:
        mine = links[links["person_id"] == person["id"]]
        # One row per observation: the closest link first (about them, then on their account, then named).
        mine = mine.sort_values(["observed_at", "code", "route"], kind="stable")
        linked = (
            mine.groupby("code", sort=False)
            .agg(
                {
                    "kind": "first",
                    "summary": "first",
                    "observed_at": "first",
                    "grade": "first",
                    "immediate_risk": "first",
                    "link": lambda texts: "; ".join(dict.fromkeys(texts)),
                }
            )
            .reset_index()
        )[OBSERVATION_COLUMNS]
        found.append(
            PersonOfConcern(
                code=person["code"],
                name=person["name"],
                pseudonym=person["pseudonym"],
                notes=person["notes"] or "",
                accounts=accounts[accounts["person_id"] == person["id"]][ACCOUNT_COLUMNS]
                .fillna("")
                .reset_index(drop=True),
                observations=linked,
                first_seen=linked["observed_at"].min() if len(linked) else None,
                last_seen=linked["observed_at"].max() if len(linked) else None,
            )
        )
    return found


_LINK_COLUMNS = [
    "person_id", "route", "account", "code", "kind", "summary", "observed_at", "grading_scheme", "source_grade",
    "information_grade", "handling_code", "immediate_risk",
]  # fmt: skip
# Every (person of concern, current observation) pair that links them, by route: 1 the observation is
# about them (and not on their account, which makes them its person anyway), 2 it was recorded against
# their account, 3 the rules found their account named in it.
_LINKS_SQL = """
    WITH current AS (
        SELECT o.id, o.code, v.version, v.person_id, v.account_id, v.kind, v.summary, v.observed_at,
               v.grading_scheme, v.source_grade, v.information_grade, v.handling_code, v.immediate_risk
        FROM observations o
        JOIN observation_versions v ON v.observation_id = o.id
         AND v.version = (SELECT MAX(version) FROM observation_versions WHERE observation_id = o.id)
        WHERE o.case_id = :case_id AND v.retracted = 0
    ),
    concern AS (SELECT id FROM people WHERE case_id = :case_id AND role = :role),
    routes AS (
        SELECT c.person_id, 1 AS route, NULL AS account, c.id FROM current c
        LEFT JOIN accounts a ON a.id = c.account_id
        WHERE c.person_id IN (SELECT id FROM concern) AND a.person_id IS NOT c.person_id
        UNION
        SELECT a.person_id, 2, a.code, c.id FROM current c JOIN accounts a ON a.id = c.account_id
        WHERE a.person_id IN (SELECT id FROM concern)
        UNION
        SELECT a.person_id, 3, a.code, c.id FROM current c
        JOIN rule_findings r ON r.observation_id = c.id AND r.observation_version = c.version
        JOIN accounts a ON a.id = r.account_id
        WHERE r.case_id = :case_id AND r.relation = 'relates_to' AND a.person_id IN (SELECT id FROM concern)
    )
    SELECT r.person_id, r.route, r.account, c.code, c.kind, c.summary, c.observed_at, c.grading_scheme,
           c.source_grade, c.information_grade, c.handling_code, c.immediate_risk
    FROM routes r JOIN current c ON c.id = r.id
    ORDER BY c.observed_at, c.code, r.route"""


def _link_text(route: int, account: str | None) -> str:
    return {1: "about them", 2: f"on their account {account}", 3: f"names their account {account}"}[int(route)]
