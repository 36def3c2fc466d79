"""Cross-references: every observation held against what trusted sources already know.

Two kinds live here. What the rules find (veracity.py) is recomputed whenever an observation, a
fact or an account changes, in the same transaction, and stored as derived data. What an analyst
links by hand (XR-0001: corroborates, contradicts or context, with a rationale) is a record,
append-only like observations: withdrawing a link adds a version and keeps the history.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import pandas as pd
import sqlite_utils

from workbench import audit, fields, veracity
from workbench.access import Actor, Right, authorize
from workbench.db import next_code, query_one, transaction
from workbench.errors import Conflict, NotFound, ValidationError
from workbench.schemas import Catalog, grade_text, load_catalog
from workbench.timeutil import london_day, now_utc
from workbench.veracity import Claim, Fact, Period

MANUAL_RELATIONS = (veracity.CORROBORATES, veracity.CONTRADICTS, veracity.CONTEXT)
STATUS_ORDER = {status: i for i, status in enumerate(veracity.STATUSES)}
ACCOUNTS_RECORD = "the case's accounts"

# One row per cross-reference, rule-found or analyst-made; `by` is the rule's name or the analyst.
COLUMNS = [
    "observation", "fact", "person", "relation", "labels", "by", "detail", "score", "threshold",
    "code", "claim_field", "claim_value", "fact_attribute", "fact_value", "special_category",
    "withdrawn", "recorded_at",
]  # fmt: skip


# --- what the rules find -------------------------------------------------------------------------


# An observation the rules read: its id, code and current version number, and that version's values
# (kind, indicator, details, person_id, occurred_at, occurred_precision, occurred_approximate, observed_at).
Current = tuple[int, str, int, Mapping]


def refresh(
    db: sqlite_utils.Database,
    case_id: int,
    observation_ids: list[int] | None = None,
    *,
    current: list[Current] | None = None,
    new: bool = False,
    parsed: dict[str, dict] | None = None,
) -> int:
    """Recompute what the rules find, for some observations or (None) the whole case. Call inside
    the transaction that changed them; the caller has authorized. Returns the findings stored.
    A caller that holds the observations' current versions (an import, which has just written
    them) passes them as `current`, as `_current_observations` gives them, to save reading them back,
    and `new` when they were first recorded in this transaction: they have no findings yet to remove."""
    catalog = load_catalog()
    topics = veracity.Topics.from_catalog(catalog)
    if current is None:
        current = _current_observations(db, case_id, observation_ids)
    claims = _claims(current, catalog, topics, parsed)
    results = veracity.evaluate(claims, _facts(db, case_id, catalog, topics))
    with transaction(db):
        if observation_ids is None:
            db.execute("DELETE FROM rule_findings WHERE case_id = ?", (case_id,))
            db.execute(
                """INSERT INTO rule_state (case_id, rules_version, computed_at) VALUES (?, ?, ?)
                   ON CONFLICT (case_id) DO UPDATE SET rules_version = excluded.rules_version,
                   computed_at = excluded.computed_at""",
                (case_id, veracity.RULES_VERSION, now_utc()),
            )
        elif not new:
            for chunk in _chunks(observation_ids, 500):
                db.execute(
                    f"DELETE FROM rule_findings WHERE case_id = ? AND observation_id IN ({','.join('?' * len(chunk))})",  # noqa: S608
                    (case_id, *chunk),
                )
        now = now_utc()
        labels_json: dict[tuple[str, ...], str] = {}  # a handful of label sets, thousands of findings
        db.conn.executemany(
            """INSERT INTO rule_findings (case_id, observation_id, observation_version, fact_id, fact_version,
                   account_id, person_id, rule, relation, labels, claim_field, claim_value, detail, score,
                   threshold, computed_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                (
                    case_id,
                    r.claim.observation_id,
                    r.claim.version,
                    r.fact.fact_id,
                    r.fact.version,
                    r.fact.account_id,
                    r.fact.person_id,
                    r.finding.rule,
                    r.finding.relation,
                    labels_json.get(r.finding.labels)
                    or labels_json.setdefault(r.finding.labels, json.dumps(list(r.finding.labels))),
                    r.claim.field,
                    r.claim.text,
                    r.finding.detail,
                    r.finding.score,
                    r.finding.threshold,
                    now,
                )
                for r in results
            ],
        )
    return len(results)


def refresh_observations(db: sqlite_utils.Database, case_id: int, codes: list[str]) -> int:
    return refresh(db, case_id, list(_ids_of(db, case_id, codes).values()))


def refresh_recorded(
    db: sqlite_utils.Database,
    case_id: int,
    ids: dict[str, int],
    recorded: list[dict],
    *,
    parsed: dict[str, dict] | None = None,
) -> int:
    """`refresh` for observations just recorded: their codes with their ids (as `insert_many` gives
    them) and, in the same order, the version-1 values written. `parsed` holds details already
    read from their JSON (an import's checks read every row's), to save reading them again."""
    current = [
        (observation_id, code, 1, values) for (code, observation_id), values in zip(ids.items(), recorded, strict=True)
    ]
    return refresh(db, case_id, list(ids.values()), current=current, new=True, parsed=parsed)


def _ids_of(db: sqlite_utils.Database, case_id: int, codes: list[str]) -> dict[str, int]:
    return dict(
        db.execute(
            "SELECT code, id FROM observations WHERE case_id = ? AND code IN (SELECT value FROM json_each(?))",
            (case_id, json.dumps(codes)),
        ).fetchall()
    )


def _chunks(items: list, size: int) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _ensure_current(db: sqlite_utils.Database, case_id: int) -> None:
    """Findings from an older version of the rules (or none yet, after an upgrade) are recomputed."""
    state = query_one(db, "SELECT rules_version FROM rule_state WHERE case_id = ?", (case_id,))
    if state is None or state["rules_version"] != veracity.RULES_VERSION:
        with transaction(db):
            refresh(db, case_id)


# What the rules read (bench/crossref_recompute.py times the same reads as its floor).
CURRENT_OBSERVATIONS_SQL = """
    SELECT o.id, o.code, v.version, v.kind, v.indicator, v.details, v.person_id, v.occurred_at,
           v.occurred_precision, v.occurred_approximate, v.observed_at, v.retracted
    FROM observations o
    JOIN observation_versions v ON v.observation_id = o.id
     AND v.version = (SELECT MAX(version) FROM observation_versions WHERE observation_id = o.id)
    WHERE o.case_id = ? {}"""
CURRENT_FACTS_SQL = """
    SELECT f.id, f.code, v.version, f.person_id, p.code AS person, p.pseudonym, p.role, v.attribute,
           v.value, v.source_agency, v.source_reference, v.valid_from, v.valid_to, v.recorded_at
    FROM facts f
    JOIN fact_versions v ON v.fact_id = f.id
     AND v.version = (SELECT MAX(version) FROM fact_versions WHERE fact_id = f.id)
    JOIN people p ON p.id = f.person_id
    WHERE f.case_id = ? AND v.retracted = 0
    ORDER BY f.id"""
KNOWN_ACCOUNTS_SQL = """
    SELECT a.id, a.code, a.platform, a.handle, a.person_id, p.code AS person, p.pseudonym, p.role
    FROM accounts a JOIN people p ON p.id = a.person_id WHERE a.case_id = ? ORDER BY a.id"""


def _current_observations(db, case_id: int, observation_ids: list[int] | None) -> list[Current]:
    """The observations' current versions, leaving out the retracted: they claim nothing."""
    some = observation_ids is not None
    rows = db.query(
        CURRENT_OBSERVATIONS_SQL.format("AND o.id IN (SELECT value FROM json_each(?))" if some else ""),
        (case_id, json.dumps(observation_ids)) if some else (case_id,),
    )
    return [(row["id"], row["code"], row["version"], row) for row in rows if not row["retracted"]]


def _claims(
    observations: list[Current], catalog: Catalog, topics: veracity.Topics, parsed: dict[str, dict] | None = None
) -> list[Claim]:
    claims = []
    claiming = {
        name for name, kind in catalog.kinds.items() if kind.claim_fields or any(i.concern for i in kind.indicators)
    }
    for observation_id, code, version, row in observations:
        if row["kind"] not in claiming:
            continue
        kind = catalog.kinds[row["kind"]]
        when, note = veracity.claim_period(
            row["occurred_at"], row["occurred_precision"], bool(row["occurred_approximate"]), row["observed_at"]
        )
        base = Claim(observation_id, code, version, row["person_id"], when, note, kind.claim_source)
        details = parsed.get(row["details"]) if parsed else None
        if details is None:
            details = json.loads(row["details"])
        claims += veracity.claims_of(kind, base, row["indicator"], details, topics)
    return claims


def _facts(db, case_id: int, catalog: Catalog, topics: veracity.Topics) -> list[Fact]:
    """The current facts, and the accounts the case knows are someone's (as known_account facts)."""
    attributes = {c.value: c for c in catalog.choices("fact_attributes")}
    records = {c.value: c.extra.get("record", c.label) for c in catalog.choices("source_agencies")}
    found = []
    for row in db.query(CURRENT_FACTS_SQL, (case_id,)):
        attribute = attributes.get(row["attribute"])
        found.append(
            Fact(
                code=row["code"],
                person_id=row["person_id"],
                person=f"{row['pseudonym']} ({row['person']})",
                person_role=row["role"],
                attribute=row["attribute"],
                attribute_label=attribute.label if attribute else row["attribute"],
                value=row["value"],
                record=records.get(row["source_agency"], row["source_agency"]),
                source_reference=row["source_reference"],
                valid=Period(
                    date.fromisoformat(row["valid_from"]) if row["valid_from"] else date.min,
                    date.fromisoformat(row["valid_to"]) if row["valid_to"] else date.max,
                ),
                recorded_on=london_day(row["recorded_at"]),
                fact_id=row["id"],
                version=row["version"],
                topics=topics.of(row["value"]) if attribute and attribute.extra.get("vulnerability") else frozenset(),
            )
        )
    for row in db.query(KNOWN_ACCOUNTS_SQL, (case_id,)):
        found.append(
            Fact(
                code=row["code"],
                person_id=row["person_id"],
                person=f"{row['pseudonym']} ({row['person']})",
                person_role=row["role"],
                attribute="known_account",
                attribute_label="Account",
                value=row["handle"],
                record=ACCOUNTS_RECORD,
                source_reference=row["platform"],
                account_id=row["id"],
            )
        )
    return found


# --- analysts' links ------------------------------------------------------------------------------


def link(
    db: sqlite_utils.Database,
    actor: Actor,
    reference: str,
    observation: str,
    fact: str,
    relation: str,
    rationale: str,
) -> str:
    """Link an observation to a fact by hand, with the reason; returns the link's code (XR-0001)."""
    access = authorize(db, actor, Right.RECORD, reference)
    check = fields.Checks()
    check("observation", lambda: _current_id(db, access.case_id, "observation", observation))
    check("fact", lambda: _current_id(db, access.case_id, "fact", fact))
    check("relation", lambda: fields.choice(relation, list(MANUAL_RELATIONS)))
    check("rationale", lambda: fields.text(rationale, max_length=2000))
    if check.errors:
        raise ValidationError(check.errors)
    clean = check.clean
    with transaction(db):
        taken = query_one(
            db,
            """SELECT x.code FROM crossrefs x
               JOIN crossref_versions v ON v.crossref_id = x.id
                AND v.version = (SELECT MAX(version) FROM crossref_versions WHERE crossref_id = x.id)
               WHERE x.observation_id = ? AND x.fact_id = ? AND v.withdrawn = 0""",
            (clean["observation"], clean["fact"]),
        )
        if taken:
            raise ValidationError(
                {"fact": f"is already linked to this observation as {taken['code']}; withdraw that link first"}
            )
        code = next_code(db, access.case_id, "XR")
        now = now_utc()
        crossref_id = db.execute(
            """INSERT INTO crossrefs (case_id, code, observation_id, fact_id, created_by, created_at)
               VALUES (?, ?, ?, ?, ?, ?)""",
            (access.case_id, code, clean["observation"], clean["fact"], actor.id, now),
        ).lastrowid
        db.execute(
            """INSERT INTO crossref_versions (crossref_id, version, relation, rationale, recorded_by, recorded_at)
               VALUES (?, 1, ?, ?, ?, ?)""",
            (crossref_id, clean["relation"], clean["rationale"], actor.id, now),
        )
        audit.record(
            db,
            actor.username,
            "crossref.link",
            case_ref=access.reference,
            item_code=code,
            details={
                "observation": _code_of(db, "observations", clean["observation"]),
                "fact": _code_of(db, "facts", clean["fact"]),
                "relation": clean["relation"],
            },
            justification=clean["rationale"],
        )
    return code


def withdraw(db: sqlite_utils.Database, actor: Actor, reference: str, code: str, reason: str) -> None:
    """Withdraw a link: a new version marked withdrawn, with the reason. The link stays on record."""
    access = authorize(db, actor, Right.RECORD, reference)
    reason = fields.reason(reason)
    wanted = str(code or "").strip().upper()
    with transaction(db):
        latest = query_one(
            db,
            """SELECT x.id, v.version, v.relation, v.rationale, v.withdrawn FROM crossrefs x
               JOIN crossref_versions v ON v.crossref_id = x.id
               WHERE x.case_id = ? AND x.code = ? ORDER BY v.version DESC LIMIT 1""",
            (access.case_id, wanted),
        )
        if latest is None:
            raise NotFound(f"Cross-reference {wanted[:40]} not found.")
        if latest["withdrawn"]:
            raise Conflict(f"{wanted} is already withdrawn.")
        db.execute(
            """INSERT INTO crossref_versions (crossref_id, version, relation, rationale, withdrawn, change_reason,
                   recorded_by, recorded_at) VALUES (?, ?, ?, ?, 1, ?, ?, ?)""",
            (latest["id"], latest["version"] + 1, latest["relation"], latest["rationale"], reason, actor.id, now_utc()),
        )
        audit.record(
            db, actor.username, "crossref.withdraw", case_ref=access.reference, item_code=wanted, justification=reason
        )


def _current_id(db, case_id: int, noun: str, code: str) -> int:
    """An observation or fact by code that is not retracted (a link to a retracted one says nothing)."""
    table, versions, key = {
        "observation": ("observations", "observation_versions", "observation_id"),
        "fact": ("facts", "fact_versions", "fact_id"),
    }[noun]
    wanted = str(code or "").strip().upper()
    if not wanted:
        raise ValueError("is required")
    row = query_one(
        db,
        f"""SELECT t.id, v.retracted FROM {table} t JOIN {versions} v ON v.{key} = t.id
            WHERE t.case_id = ? AND t.code = ? ORDER BY v.version DESC LIMIT 1""",  # noqa: S608
        (case_id, wanted),
    )
    if row is None:
        raise ValueError(f"no {noun} {wanted[:40]} in this case")
    if row["retracted"]:
        raise ValueError(f"{wanted} is retracted")
    return row["id"]


def _code_of(db, table: str, row_id: int) -> str:
    return query_one(db, f"SELECT code FROM {table} WHERE id = ?", (row_id,))["code"]  # noqa: S608


# --- reading --------------------------------------------------------------------------------------


def recompute(db: sqlite_utils.Database, actor: Actor, reference: str) -> int:
    """Run every rule over the whole case again; returns how many findings it made."""
    access = authorize(db, actor, Right.RECORD, reference)
    with transaction(db):
        found = refresh(db, access.case_id)
        audit.record(db, actor.username, "crossref.recompute", case_ref=access.reference, details={"findings": found})
    return found


def list_crossrefs(
    db: sqlite_utils.Database, actor: Actor, reference: str, *, include_withdrawn: bool = False
) -> pd.DataFrame:
    """Every cross-reference of a case: contradictions first, then by observation."""
    access = authorize(db, actor, Right.VIEW, reference)
    _ensure_current(db, access.case_id)
    frame = crossref_frame(db, access.case_id, include_withdrawn=include_withdrawn)
    audit.record(db, actor.username, "crossref.list", case_ref=access.reference, details={"rows": len(frame)})
    return frame


def crossref_frame(db: sqlite_utils.Database, case_id: int, *, include_withdrawn: bool = False) -> pd.DataFrame:
    """For other domain modules that have authorized already. A link to a fact or an observation
    retracted since says nothing and is left out (its history stays in the link's versions)."""
    special = _special_attributes()
    rules = db.query(
        """SELECT o.code AS observation, COALESCE(f.code, a.code) AS fact, p.pseudonym AS person,
                  r.relation, r.labels, r.rule AS by, r.detail, r.score, r.threshold, '' AS code,
                  r.claim_field, r.claim_value,
                  COALESCE(fv.attribute, 'known_account') AS fact_attribute, COALESCE(fv.value, a.handle) AS fact_value,
                  0 AS withdrawn, r.computed_at AS recorded_at
           FROM rule_findings r
           JOIN observations o ON o.id = r.observation_id
           LEFT JOIN facts f ON f.id = r.fact_id
           LEFT JOIN fact_versions fv ON fv.fact_id = r.fact_id AND fv.version = r.fact_version
           LEFT JOIN accounts a ON a.id = r.account_id
           LEFT JOIN people p ON p.id = r.person_id
           WHERE r.case_id = ?""",
        (case_id,),
    )
    manual = db.query(
        """SELECT o.code AS observation, f.code AS fact, p.pseudonym AS person, v.relation, '[]' AS labels,
                  u.username AS by, v.rationale AS detail, NULL AS score, NULL AS threshold, x.code,
                  '' AS claim_field, '' AS claim_value, fv.attribute AS fact_attribute, fv.value AS fact_value,
                  v.withdrawn, v.recorded_at
           FROM crossrefs x
           JOIN crossref_versions v ON v.crossref_id = x.id
            AND v.version = (SELECT MAX(version) FROM crossref_versions WHERE crossref_id = x.id)
           JOIN users u ON u.id = x.created_by
           JOIN observations o ON o.id = x.observation_id
           JOIN facts f ON f.id = x.fact_id
           JOIN fact_versions fv ON fv.fact_id = f.id
            AND fv.version = (SELECT MAX(version) FROM fact_versions WHERE fact_id = f.id)
           JOIN people p ON p.id = f.person_id
           WHERE x.case_id = ? AND fv.retracted = 0
             AND (SELECT ov.retracted FROM observation_versions ov WHERE ov.observation_id = o.id
                  ORDER BY ov.version DESC LIMIT 1) = 0""",
        (case_id,),
    )
    frame = pd.DataFrame([*rules, *manual], columns=[c for c in COLUMNS if c != "special_category"])
    if not include_withdrawn:
        frame = frame[frame["withdrawn"] == 0]
    frame = frame.assign(
        labels=frame["labels"].map(lambda text: "; ".join(json.loads(text))),
        special_category=frame["fact_attribute"].isin(special),
        _order=frame["relation"].map({veracity.CONTRADICTS: 0, veracity.CORROBORATES: 1}).fillna(2),
    )
    frame = frame.sort_values(["_order", "observation", "fact", "by"], kind="stable").drop(columns="_order")
    return frame[COLUMNS].reset_index(drop=True)


def status_by_observation(db: sqlite_utils.Database, case_id: int) -> dict[str, str]:
    """Each observation's status, straight from the relations that decide it (a large case's
    timeline needs only this, not every cross-reference's detail). Observations with none are
    uncorroborated and left out."""
    _ensure_current(db, case_id)
    rows = db.execute(
        """SELECT o.code, r.relation FROM rule_findings r JOIN observations o ON o.id = r.observation_id
           WHERE r.case_id = ? AND r.relation IN ('corroborates', 'contradicts')
           UNION ALL
           SELECT o.code, v.relation FROM crossrefs x
           JOIN crossref_versions v ON v.crossref_id = x.id
            AND v.version = (SELECT MAX(version) FROM crossref_versions WHERE crossref_id = x.id)
           JOIN observations o ON o.id = x.observation_id
           WHERE x.case_id = ? AND v.withdrawn = 0 AND v.relation IN ('corroborates', 'contradicts')
             AND (SELECT fv.retracted FROM fact_versions fv WHERE fv.fact_id = x.fact_id
                  ORDER BY fv.version DESC LIMIT 1) = 0
             AND (SELECT ov.retracted FROM observation_versions ov WHERE ov.observation_id = o.id
                  ORDER BY ov.version DESC LIMIT 1) = 0""",
        (case_id, case_id),
    ).fetchall()
    relations: dict[str, set[str]] = {}
    for code, relation in rows:
        relations.setdefault(code, set()).add(relation)
    return {code: veracity.status_of(found) for code, found in relations.items()}


def statuses(frame: pd.DataFrame) -> dict[str, str]:
    """Each observation's status from its current (not withdrawn) cross-references."""
    active = frame[frame["withdrawn"] == 0]
    relations: dict[str, set[str]] = {}
    for code, relation in zip(active["observation"], active["relation"], strict=True):
        relations.setdefault(code, set()).add(relation)
    return {code: veracity.status_of(found) for code, found in relations.items()}


def _special_attributes() -> set[str]:
    return {c.value for c in load_catalog().choices("fact_attributes") if c.extra.get("special_category")}


@dataclass(frozen=True)
class GradeMeaning:
    scheme: str
    source: str  # "2 Untested: The source has not been tested before, ..."
    information: str
    handling: str
    untested_or_worse: bool


@dataclass(frozen=True)
class Veracity:
    """What the veracity panel of one observation shows."""

    observation: str
    status: str
    status_label: str
    status_description: str
    grades: GradeMeaning
    warning: str  # said plainly when it rests on one weak source; "" otherwise
    crossrefs: pd.DataFrame  # current findings and links
    links: pd.DataFrame  # every analyst link with its history, withdrawn ones included


def observation_veracity(db: sqlite_utils.Database, actor: Actor, reference: str, code: str) -> Veracity:
    access = authorize(db, actor, Right.VIEW, reference)
    wanted = str(code or "").strip().upper()
    row = query_one(
        db,
        """SELECT o.code, v.grading_scheme, v.source_grade, v.information_grade, v.handling_code
           FROM observations o JOIN observation_versions v ON v.observation_id = o.id
           WHERE o.case_id = ? AND o.code = ? ORDER BY v.version DESC LIMIT 1""",
        (access.case_id, wanted),
    )
    if row is None:
        raise NotFound(f"Observation {wanted[:40]} not found.")
    _ensure_current(db, access.case_id)
    everything = crossref_frame(db, access.case_id, include_withdrawn=True)
    mine = everything[everything["observation"] == row["code"]]
    current = mine[mine["withdrawn"] == 0].reset_index(drop=True)
    status = veracity.status_of(current["relation"])
    catalog = load_catalog()
    status_choice = next(c for c in catalog.choices("veracity_statuses") if c.value == status)
    grades = _grade_meaning(catalog, row)
    warning = ""
    if status == "uncorroborated" and grades.untested_or_worse:
        warning = (
            f"Uncorroborated, from a single source graded {grades.source.split(':')[0]}: nothing known from a "
            "trusted source supports it. Treat it as unconfirmed until something does."
        )
    audit.record(db, actor.username, "crossref.veracity", case_ref=access.reference, item_code=row["code"])
    return Veracity(
        row["code"],
        status,
        status_choice.label,
        status_choice.description,
        grades,
        warning,
        current,
        _link_history(db, access.case_id, row["code"]),
    )


def _grade_meaning(catalog: Catalog, row: dict) -> GradeMeaning:
    scheme = catalog.grading(row["grading_scheme"])
    source = scheme.source_choice(row["source_grade"])
    information = scheme.information_choice(row["information_grade"])
    handling = next((c for c in catalog.handling if c.value == row["handling_code"]), None)

    def said(choice, fallback: str) -> str:
        return f"{choice.label}: {choice.description}" if choice else fallback

    return GradeMeaning(
        scheme=scheme.label,
        source=said(source, row["source_grade"]),
        information=said(information, row["information_grade"]),
        handling=said(handling, row["handling_code"]),
        untested_or_worse=bool(source and source.extra.get("untested_or_worse")),
    )


def _link_history(db, case_id: int, observation: str) -> pd.DataFrame:
    columns = ["code", "version", "fact", "relation", "rationale", "withdrawn", "change_reason", "by", "at"]
    rows = db.query(
        """SELECT x.code, v.version, f.code AS fact, v.relation, v.rationale, v.withdrawn, v.change_reason,
                  u.username AS by, v.recorded_at AS at
           FROM crossrefs x JOIN crossref_versions v ON v.crossref_id = x.id
           JOIN observations o ON o.id = x.observation_id
           JOIN facts f ON f.id = x.fact_id
           JOIN users u ON u.id = v.recorded_by
           WHERE x.case_id = ? AND o.code = ?
           ORDER BY x.id, v.version""",
        (case_id, observation),
    )
    return pd.DataFrame(list(rows), columns=columns)


# --- the case's cross-reference review -----------------------------------------------------------

RELATION_MARKS = {
    veracity.CONTRADICTS: "✘ contradicts",
    veracity.CORROBORATES: "✔ corroborates",
    veracity.CONTEXT: "· context",
    veracity.RELATES_TO: "→ relates to",
    veracity.HEIGHTENS_CONCERN: "! heightens concern",
}


@dataclass(frozen=True)
class Review:
    """What the cross-reference page shows for a case."""

    # Every current observation with its status, contradicted first; `rests_on_one_untested_source`
    # marks the uncorroborated ones whose only source is graded untested or worse.
    observations: pd.DataFrame
    crossrefs: pd.DataFrame  # every current cross-reference; contradictions first
    claims: pd.DataFrame  # observation, person, field, title, value: what each observation claims
    facts: pd.DataFrame  # current facts, with how many cross-references touch each
    accounts: pd.DataFrame  # code, person, handle: the accounts the case knows are someone's
    people: pd.DataFrame  # code, pseudonym, role
    disagreements: list[str]  # facts about one person that cannot both be true

    @property
    def untouched_facts(self) -> pd.DataFrame:
        return self.facts[self.facts["crossrefs"] == 0].reset_index(drop=True)

    def touching(self, person: str) -> set[str]:
        """Observations cross-referenced to this person's facts (a contact with their account)."""
        theirs = set(self.facts.loc[self.facts["person"] == person, "code"])
        theirs |= set(self.accounts.loc[self.accounts["person"] == person, "code"])
        return set(self.crossrefs.loc[self.crossrefs["fact"].isin(theirs), "observation"])

    def concerning(self, person: str) -> set[str]:
        """Observations about this person, or touching their facts."""
        return set(self.observations.loc[self.observations["person"] == person, "code"]) | self.touching(person)

    def matrix(self, person: str) -> pd.DataFrame:
        """Claims against facts for one person (code P-0001): a row per observation about them that
        claims something (or touching their facts), a column per fact, a mark where a rule or an
        analyst linked the two."""
        facts = self.facts[self.facts["person"] == person]
        claiming = set(self.claims["observation"]) | set(self.crossrefs["observation"])
        rows = sorted((self.concerning(person) & claiming) | self.touching(person))
        links = self.crossrefs[self.crossrefs["observation"].isin(rows)]
        columns = list(dict.fromkeys([*facts["code"], *links["fact"]]))
        labels = {r.code: f"{r.code} {r.attribute}: {r.value[:40]}" for r in self.facts.itertuples()}
        labels |= {r.code: f"{r.code} Account: {r.handle[:40]}" for r in self.accounts.itertuples()}
        claimed = self.claims.groupby("observation")["value"].apply(lambda v: "; ".join(map(str, v))).to_dict()
        table = pd.DataFrame(
            "", index=pd.Index(rows, name="observation"), columns=[labels.get(c, c) for c in columns], dtype=object
        )
        for link in links.itertuples():
            column = labels.get(link.fact, link.fact)
            mark = RELATION_MARKS.get(link.relation, link.relation)
            table.loc[link.observation, column] = "\n".join(filter(None, [table.loc[link.observation, column], mark]))
        table.insert(0, "claims", [claimed.get(code, "") for code in rows])
        return table.reset_index()


def review(db: sqlite_utils.Database, actor: Actor, reference: str) -> Review:
    access = authorize(db, actor, Right.VIEW, reference)
    _ensure_current(db, access.case_id)
    catalog = load_catalog()
    crossrefs = crossref_frame(db, access.case_id)
    status = statuses(crossrefs)
    observations = _observations(db, access.case_id, catalog)
    labels = crossrefs.groupby("observation")["labels"].apply(lambda v: "; ".join(sorted({x for x in v if x})))
    observations = observations.assign(
        status=observations["code"].map(status).fillna("uncorroborated"),
        labels=observations["code"].map(labels).fillna(""),
    )
    observations["rests_on_one_untested_source"] = (observations["status"] == "uncorroborated") & observations[
        "untested_source"
    ]
    observations = observations.sort_values("status", key=lambda s: s.map(STATUS_ORDER), kind="stable").reset_index(
        drop=True
    )
    facts = _facts(db, access.case_id, catalog, veracity.Topics.from_catalog(catalog))
    touched = crossrefs["fact"].value_counts().to_dict()
    special = _special_attributes()
    fact_frame = pd.DataFrame(
        [
            {
                "code": f.code,
                "person": _person_code(f),
                "attribute": f.attribute_label,
                "value": f.value,
                "record": f.record,
                "source_reference": f.source_reference,
                "special_category": f.attribute in special,
                "crossrefs": int(touched.get(f.code, 0)),
            }
            for f in facts
            if f.fact_id is not None
        ],
        columns=["code", "person", "attribute", "value", "record", "source_reference", "special_category", "crossrefs"],
    )
    accounts = pd.DataFrame(
        [(f.code, _person_code(f), f.value) for f in facts if f.account_id is not None],
        columns=["code", "person", "handle"],
    )
    single = {c.value for c in catalog.choices("fact_attributes") if c.extra.get("single_valued")}
    claims = _claims(_current_observations(db, access.case_id, None), catalog, veracity.Topics.from_catalog(catalog))
    person_codes = dict(zip(observations["code"], observations["person"], strict=True))
    claim_frame = pd.DataFrame(
        [(c.observation, person_codes.get(c.observation, ""), c.field, c.title, c.text) for c in claims],
        columns=["observation", "person", "field", "title", "value"],
    )
    people = pd.DataFrame(
        list(db.query("SELECT code, pseudonym, role FROM people WHERE case_id = ? ORDER BY code", (access.case_id,))),
        columns=["code", "pseudonym", "role"],
    )
    audit.record(db, actor.username, "crossref.review", case_ref=access.reference, details={"rows": len(crossrefs)})
    return Review(
        observations=observations,
        crossrefs=crossrefs,
        claims=claim_frame,
        facts=fact_frame,
        accounts=accounts,
        people=people,
        disagreements=[d.detail for d in veracity.disagreements(facts, single)],
    )


def _person_code(fact: Fact) -> str:
    """P-0002 from "Person B (P-0002)"."""
    return fact.person.rsplit("(", 1)[-1].rstrip(")")


def _observations(db, case_id: int, catalog: Catalog) -> pd.DataFrame:
    columns = ["code", "person", "pseudonym", "kind", "summary", "grade", "untested_source", "immediate_risk"]
    rows = db.query(
        """SELECT o.code, p.code AS person, p.pseudonym, v.kind, v.summary, v.grading_scheme, v.source_grade,
                  v.information_grade, v.handling_code, v.immediate_risk
           FROM observations o
           JOIN observation_versions v ON v.observation_id = o.id
            AND v.version = (SELECT MAX(version) FROM observation_versions WHERE observation_id = o.id)
           LEFT JOIN people p ON p.id = v.person_id
           WHERE o.case_id = ? AND v.retracted = 0 ORDER BY o.id""",
        (case_id,),
    )
    found = []
    for row in rows:
        kind = catalog.kinds.get(row["kind"])
        scheme = catalog.gradings.get(row["grading_scheme"])
        source = scheme.source_choice(row["source_grade"]) if scheme else None
        found.append(
            {
                "code": row["code"],
                "person": row["person"] or "",
                "pseudonym": row["pseudonym"] or "",
                "kind": kind.title if kind else row["kind"],
                "summary": row["summary"],
                "grade": grade_text(
                    row["grading_scheme"], row["source_grade"], row["information_grade"], row["handling_code"]
                ),
                "untested_source": bool(source and source.extra.get("untested_or_worse")),
                "immediate_risk": bool(row["immediate_risk"]),
            }
        )
    return pd.DataFrame(found, columns=columns)
