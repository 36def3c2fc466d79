"""A fictional case of N timeline events for the timeline benchmark, the same every run for a size.

    plan(events) -> Plan          # pure: the people, facts, observations, amendments, milestones (seeded)
    load(plan, home) -> Case      # through the domain, into a fresh workbench home

The events are what the timeline shows by default (current, not retracted versions): observations,
the facts that have a date (valid_from) and the case's milestones, exactly `events` of them. Most are
observations, of every kind: the cross-referencing benchmark's mix (bench/crossref_data.py: profile
indicators, contacts, friend networks, groups, posting, devices, notes; about 2 % at immediate risk)
and some image-sharing incidents (a quarter of them at immediate risk), seen over two years
(2023-09 to 2025-08) with occurred_at known to the minute, day, month or year, approximately, or not
at all (then the timeline places them at observed_at). About 1 in 100 observations (at most 300) is
amended once, so the case has superseded versions the default view hides. The people, their accounts
and the facts come from crossref_data (10 facts for 500 events, 200 from 50,000) and the milestones
from a fixed list of a case's life (referral, strategy discussions, authorisations, the child seen,
conferences), one for every 50 events up to all 13.

Loading is as an analyst would: people, accounts and facts as crossref_data loads them, observations
with `observations.import_csv` in files of CHUNK rows, amendments with `observations.amend`, milestones
with `milestones.add_milestone`. Every name, school, place and handle is invented.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import random
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from bench import crossref_data
from workbench import milestones, observations
from workbench.access import Actor
from workbench.db import query_one
from workbench.schemas import load_catalog

SEED = 2026
DEFAULT_SIZES = (500, 50_000)
CHUNK = 5_000  # observations a CSV file (one import, one transaction)
REFERENCE = "BENCH-TIMELINE-1"
TITLE = "Timeline benchmark (fictional)"
IMAGE_SHARE = 0.04  # of the observations, image-sharing incidents (the one kind crossref_data leaves out)
AMEND_EVERY, MAX_AMENDED = 100, 300
MILESTONE_EVERY = 50
# (kind, occurred_at as typed: every precision, one approximate, note). Oldest first.
MILESTONES = (
    ("referral", "2023-08-21 09:40", "Referral from the school's designated safeguarding lead (fictional)"),
    ("strategy_discussion", "2023-08-23 14:00", "Police, social care and school: s.47 enquiry agreed"),
    ("authorisation", "2023-08-25", "Online research authorised for three months"),
    ("child_seen", "2023-09-04 16:15", "Child A seen alone at school"),
    ("case_conference", "2023-10-12 10:00", "Initial child protection conference"),
    ("authorisation", "2023-11-24", "Online research renewed"),
    ("child_seen", "~2024-02", "Child A seen at home with a parent"),
    ("case_conference", "2024-04-11 10:00", "Review child protection conference"),
    ("strategy_discussion", "2024-06", "Strategy discussion after new contact events"),
    ("authorisation", "2024-08-23", "Online research reviewed and renewed"),
    ("case_conference", "2024-10-10 10:00", "Review child protection conference"),
    ("other", "2025", "Transfer to the new school's safeguarding lead"),
    ("child_seen", "2025-06-02 15:30", "Child A seen alone"),
)
IMAGE_INDICATORS = ("self_generated_image_shared", "image_shared_by_others", "sextortion", "other")


@dataclass(frozen=True)
class Plan:
    events: int  # current events on the timeline: observations + dated facts + milestones + prompted actions
    seed: int
    case: crossref_data.Plan  # the people, accounts, facts and observation CSV files
    dated_facts: int
    amendments: tuple[tuple[int, dict, str], ...]  # (index of the observation, its amended row, reason)
    milestones: tuple[dict, ...]
    prompted_actions: int = 0  # the actions the image-sharing incidents create, each an event

    @property
    def observations(self) -> int:
        return self.case.observations

    @property
    def versions(self) -> int:
        """Rows of events_frame: every event plus the superseded versions."""
        return self.events + len(self.amendments)


@dataclass(frozen=True)
class Case:
    db: sqlite_utils.Database
    analyst: Actor
    reference: str
    case_id: int
    plan: Plan


def fact_count(events: int) -> int:
    return max(10, min(200, events // 250))


def plan(events: int, seed: int = SEED) -> Plan:
    """The case as data: the same for the same size and seed."""
    facts = fact_count(events)
    base = crossref_data.plan(1, facts, seed)  # the people, their accounts and the facts
    dated = sum(1 for row in csv.DictReader(io.StringIO(base.facts_csv.decode("utf-8"))) if row["valid_from"])
    chosen_milestones = tuple(
        {"kind": kind, "occurred_at": when, "note": note}
        for kind, when, note in MILESTONES[: min(len(MILESTONES), max(1, events // MILESTONE_EVERY))]
    )
    budget = events - dated - len(chosen_milestones)
    if budget < 1:
        raise ValueError(f"a case of {events} events is too small: {dated + len(chosen_milestones) + 1} at least")
    rng = random.Random(seed + 1)
    cast = list(base.people)
    # Recording an image-sharing incident also creates its kind's actions: each is an event too.
    per_incident = 1 + len(load_catalog().kinds["image_sharing_incident"].prompted_actions)
    rows, prompted = [], 0
    while budget > 0:
        number = len(rows) + 1
        if rng.random() < IMAGE_SHARE and budget >= per_incident:
            rows.append(_image_sharing(rng, cast, number))
            prompted += per_incident - 1
            budget -= per_incident
        else:
            rows.append(crossref_data._observation(rng, cast, number))
            budget -= 1
    count = len(rows)
    amended = sorted(rng.sample(range(count), min(MAX_AMENDED, max(1, count // AMEND_EVERY))))
    amendments = tuple((index, *_amended(rng, rows[index], number)) for number, index in enumerate(amended, 1))
    columns = crossref_data.OBSERVATION_COLUMNS
    case = dataclasses.replace(
        base,
        observations=count,
        observation_csvs=tuple(
            crossref_data._csv(columns, rows[start : start + CHUNK]) for start in range(0, count, CHUNK)
        ),
    )
    return Plan(events, seed, case, dated, amendments, chosen_milestones, prompted)


def _image_sharing(rng: random.Random, cast: list[crossref_data.Person], number: int) -> dict:
    """An image-sharing incident: described in words only, as the kind requires."""
    row = crossref_data._observation(rng, cast, number)  # its times, account, grades; the rest replaced
    indicator = rng.choice(IMAGE_INDICATORS)
    details = {
        "what_was_seen": f"Bench description {number}: an image of a child described in words only (fictional).",
        "where_seen": f"{rng.choice(crossref_data.PLATFORMS)} direct messages, as shown by the child",
        "seen_by": rng.choice(["Analyst", "Parent", "School DSL"]),
        "reported_to": rng.sample(["platform", "police", "designated_safeguarding_lead", "report_remove"], 2),
    }
    return row | {
        "kind": "image_sharing_incident",
        "indicator": indicator,
        "summary": f"Bench observation {number} (image-sharing incident, fictional)",
        "details": json.dumps(details, sort_keys=True),
        "immediate_risk": "true" if indicator == "sextortion" or rng.random() < 0.15 else "false",
    }


def _amended(rng: random.Random, row: dict, number: int) -> tuple[dict, str]:
    """A second version: the information graded again, and an unknown time pinned to the day seen."""
    grades = [g for g in "ABCD" if g != row["information_grade"]]
    new = row | {"information_grade": rng.choice(grades), "summary": row["summary"] + " (amended)"}
    if not row["occurred_at"]:
        new["occurred_at"] = row["observed_at"][:10]
    return new, f"Bench amendment {number}: graded again after checking (fictional)"


# --- loading (through the domain) ----------------------------------------------------------------


def load(case_plan: Plan, home: Path) -> Case:
    """A fresh workbench home with one analyst and the planned case, loaded as an analyst would."""
    loaded = crossref_data.load(case_plan.case, home, reference=REFERENCE, title=TITLE)
    db, analyst = loaded.db, loaded.analyst
    for index, given, reason in case_plan.amendments:
        observations.amend(db, analyst, REFERENCE, loaded.observation_codes[index], given, reason)
    for given in case_plan.milestones:
        milestones.add_milestone(db, analyst, REFERENCE, given)
    found = current_events(db, loaded.case_id)
    if found != case_plan.events:
        raise crossref_data.LoadFailed(f"the case has {found} current events, not {case_plan.events}")
    return Case(db, analyst, REFERENCE, loaded.case_id, case_plan)


def current_events(db: sqlite_utils.Database, case_id: int) -> int:
    """The events the timeline shows by default, counted in SQL: current observations, dated facts,
    milestones and actions (none of the bench's are retracted)."""
    sql = """SELECT
        (SELECT COUNT(*) FROM observations WHERE case_id = :case)
        + (SELECT COUNT(*) FROM facts f JOIN fact_versions v ON v.fact_id = f.id
           WHERE f.case_id = :case AND v.valid_from IS NOT NULL)
        + (SELECT COUNT(*) FROM milestones WHERE case_id = :case)
        + (SELECT COUNT(*) FROM actions WHERE case_id = :case) AS n"""
    return query_one(db, sql, {"case": case_id})["n"]
