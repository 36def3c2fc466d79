"""The child's offline context beside the footprint: vulnerability factors and family risk factors.

Both come from the current (not retracted) trusted facts about the child (the case's subject):
an attribute marked `vulnerability` in vocabularies.json is a vulnerability factor (looked after,
SEND or disability, mental or physical health, strategy 1.6), and `family_risk_factor` (domestic
abuse, neglect, social isolation, ...) is a family risk factor. All of them are special-category
data (UK GDPR art. 9; DPA 2018 Sch.1 para 18).

A family risk factor should prompt a deeper look at the child's online presence (strategy 6.5).
When one is recorded and the footprint review is thin, the case says so, in words, and leaves the
judgement to the people reading it: there is nothing to tick. The review is thin when the case
holds fewer current observations than WORKBENCH_THIN_OBSERVATIONS (5), or they come from fewer
platforms than WORKBENCH_THIN_PLATFORMS (2). A platform counts as looked at when a current
observation is recorded against an account on it.

No permission check and no audit event here: the caller (`cases.overview`) has authorized and
records its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import sqlite_utils

from workbench import facts
from workbench.config import ThinFootprint
from workbench.db import query_one
from workbench.schemas import load_catalog

FAMILY_RISK = "family_risk_factor"
# One row per factor: the fact's code, what it is, what the source says, which agency and record,
# and when it is known to hold (valid_from, valid_to as YYYY-MM-DD, or empty; `when` in words).
FACTOR_COLUMNS = ["code", "factor", "value", "source", "source_reference", "valid_from", "valid_to", "when"]


@dataclass(frozen=True)
class Footprint:
    """How far the footprint review has gone, against the thresholds that call it thin."""

    observations: int  # current (not retracted) observations in the case
    platforms: tuple[str, ...]  # the platforms those observations were recorded on (via their accounts)
    unlooked: tuple[str, ...]  # platforms of the child's own accounts with no current observation
    thresholds: ThinFootprint

    @property
    def thin(self) -> bool:
        return self.observations < self.thresholds.observations or len(self.platforms) < self.thresholds.platforms

    def describe(self) -> str:
        """'3 current observations on 1 platform (Instagram)'."""
        seen = _plural(self.observations, "current observation")
        if not self.platforms:
            return f"{seen}, none recorded against an account on any platform"
        return f"{seen} on {_plural(len(self.platforms), 'platform')} ({', '.join(self.platforms)})"

    def criteria(self) -> str:
        return (
            f"fewer than {_plural(self.thresholds.observations, 'current observation')}, or observations from "
            f"fewer than {_plural(self.thresholds.platforms, 'platform')}"
        )


@dataclass(frozen=True)
class ChildContext:
    subject: str  # the child's pseudonym
    vulnerabilities: pd.DataFrame  # FACTOR_COLUMNS
    family_risks: pd.DataFrame  # FACTOR_COLUMNS
    footprint: Footprint

    @property
    def factors(self) -> pd.DataFrame:
        """Both, in one table: `kind` says which (family risk factors first)."""
        return pd.concat(
            [
                self.family_risks.assign(kind="Family risk factor"),
                self.vulnerabilities.assign(kind="Vulnerability"),
            ],
            ignore_index=True,
        )[["kind", *FACTOR_COLUMNS]]

    @property
    def notice(self) -> str | None:
        """What the overview says when a family risk factor is recorded and the review is thin."""
        if self.family_risks.empty or not self.footprint.thin:
            return None
        recorded = "; ".join(f"{r.code}, from {r.source}" for r in self.family_risks.itertuples())
        text = (
            f"A family risk factor is recorded for {self.subject} ({recorded}). Family risk factors such as "
            "domestic abuse, neglect or social isolation call for a deeper look at the child's online presence "
            f"(strategy 6.5), and the footprint review so far is thin: {self.footprint.describe()}. "
            f"The workbench calls a review thin with {self.footprint.criteria()}."
        )
        if self.footprint.unlooked:
            text += (
                f" No current observation yet from {self.subject}'s known accounts on "
                f"{', '.join(self.footprint.unlooked)}."
            )
        return text


def child_context(db: sqlite_utils.Database, case_id: int, *, thresholds: ThinFootprint | None = None) -> ChildContext:
    """For domain modules that have authorized already."""
    thresholds = thresholds or ThinFootprint.from_env()
    subject = query_one(
        db,
        "SELECT id, code, pseudonym FROM people WHERE case_id = ? AND role = 'subject' ORDER BY id LIMIT 1",
        (case_id,),
    )
    catalog = load_catalog()
    vulnerable = {c.value for c in catalog.choices("fact_attributes") if c.extra.get("vulnerability")}
    known = facts.facts_frame(db, case_id)  # current versions, retracted left out
    about = known[known["person"] == (subject["code"] if subject else None)]
    about = about[about["attribute"].isin(vulnerable | {FAMILY_RISK})]
    frame = pd.DataFrame(
        {
            "code": about["code"],
            "attribute": about["attribute"],
            "factor": about["attribute"].map(lambda v: catalog.label("fact_attributes", v)),
            "value": about["value"],
            "source": about["source_agency"].map(lambda v: catalog.label("source_agencies", v)),
            "source_reference": about["source_reference"].fillna(""),
            "valid_from": about["valid_from"].fillna(""),
            "valid_to": about["valid_to"].fillna(""),
        }
    )
    frame["when"] = [_when(start, end) for start, end in zip(frame["valid_from"], frame["valid_to"], strict=True)]
    is_family = frame["attribute"] == FAMILY_RISK
    return ChildContext(
        subject=subject["pseudonym"] if subject else "the child",
        vulnerabilities=frame[~is_family][FACTOR_COLUMNS].reset_index(drop=True),
        family_risks=frame[is_family][FACTOR_COLUMNS].reset_index(drop=True),
        footprint=_footprint(db, case_id, subject["id"] if subject else None, thresholds),
    )


def _footprint(db: sqlite_utils.Database, case_id: int, subject_id: int | None, thresholds: ThinFootprint) -> Footprint:
    current = list(
        db.query(
            """SELECT a.platform FROM observations o
               JOIN observation_versions v ON v.observation_id = o.id
                AND v.version = (SELECT MAX(version) FROM observation_versions WHERE observation_id = o.id)
               LEFT JOIN accounts a ON a.id = v.account_id
               WHERE o.case_id = ? AND v.retracted = 0""",
            (case_id,),
        )
    )
    looked = _platforms(row["platform"] for row in current)
    own = _platforms(
        row["platform"]
        for row in db.query("SELECT platform FROM accounts WHERE case_id = ? AND person_id = ?", (case_id, subject_id))
    )
    seen = {p.casefold() for p in looked}
    return Footprint(
        observations=len(current),
        platforms=looked,
        unlooked=tuple(p for p in own if p.casefold() not in seen),
        thresholds=thresholds,
    )


def _platforms(names) -> tuple[str, ...]:
    """Distinct platform names, ignoring letter case and spaces around them, sorted."""
    found: dict[str, str] = {}
    for name in names:
        clean = str(name or "").strip()
        if clean:
            found.setdefault(clean.casefold(), clean)
    return tuple(sorted(found.values(), key=str.casefold))


def _when(start: str, end: str) -> str:
    if start and end:
        return f"from {start} to {end}"
    if start:
        return f"since {start}"
    if end:
        return f"until {end}"
    return "not known"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
