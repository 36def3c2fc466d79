"""Trusted-source facts: what school, police, health or social care already know about a person.

Facts are versioned like observations and never changed in place: amending adds a version with
the reason, retracting adds one marked retracted. Vulnerability and health facts are
special-category data (UK GDPR art. 9; DPA 2018 Sch.1 para 18) and are marked so. Every change
re-runs the cross-referencing rules over the case in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
import sqlite_utils

from workbench import audit, crossref, fields, imports
from workbench.access import Actor, Right, authorize
from workbench.db import query_one, transaction
from workbench.errors import ValidationError
from workbench.people import person_id_for
from workbench.schemas import Catalog, load_catalog
from workbench.versioned import VersionedTable

INPUT_FIELDS = ("person", "attribute", "value", "source_agency", "source_reference", "valid_from", "valid_to")
REQUIRED_FIELDS = ("person", "attribute", "value", "source_agency")
_VERSION_COLUMNS = ("attribute", "value", "source_agency", "source_reference", "valid_from", "valid_to")
FACTS = VersionedTable("fact", "facts", "fact_versions", "fact_id", "F", _VERSION_COLUMNS, ("person_id",))


def add_fact(db: sqlite_utils.Database, actor: Actor, reference: str, given: dict) -> str:
    """Record one fact about a person; returns its code (F-0001)."""
    access = authorize(db, actor, Right.RECORD, reference)
    clean = normalise(db, access.case_id, given)
    with transaction(db):
        code = FACTS.insert(db, actor, access.case_id, clean)
        crossref.refresh(db, access.case_id)
        audit.record(
            db,
            actor.username,
            "fact.create",
            case_ref=access.reference,
            item_code=code,
            details={"attribute": clean["attribute"]},
        )
    return code


def import_csv(
    db: sqlite_utils.Database, actor: Actor, reference: str, data: bytes | str, *, max_rows: int = 100_000
) -> list[str]:
    """Check every row, then record them all in one transaction, or none and name the bad rows."""
    access = authorize(db, actor, Right.RECORD, reference)
    rows = imports.read_rows(data, allowed=INPUT_FIELDS, required=REQUIRED_FIELDS, max_rows=max_rows)
    clean_rows = imports.check_all(rows, lambda cells: normalise(db, access.case_id, cells))
    with transaction(db):
        codes = [FACTS.insert(db, actor, access.case_id, clean) for clean in clean_rows]
        crossref.refresh(db, access.case_id)
        audit.record(
            db,
            actor.username,
            "fact.import",
            case_ref=access.reference,
            details={"count": len(codes), "first": codes[0], "last": codes[-1], "file_sha256": imports.sha256_of(data)},
        )
    return codes


def amend_fact(
    db: sqlite_utils.Database,
    actor: Actor,
    reference: str,
    code: str,
    given: dict,
    reason: str,
    *,
    expected_version: int | None = None,
) -> str:
    """Add a version that supersedes the current one (fields not given keep their value)."""
    access = authorize(db, actor, Right.RECORD, reference)
    latest = _latest(db, access.case_id, code)
    current = {name: latest[name] or "" for name in _VERSION_COLUMNS} | {"person": latest["person"]}
    errors = {}
    try:
        reason = fields.text(reason, max_length=2000)
    except ValueError as e:
        errors["reason"] = str(e)
    if str((given or {}).get("person", "")).strip():
        try:
            same = person_id_for(db, access.case_id, given["person"]) == latest["person_id"]
        except ValueError as e:
            errors["person"] = str(e)
        else:
            if not same:
                errors["person"] = "cannot change; retract this fact and record it for the right person"
    try:
        clean = normalise(db, access.case_id, current | {k: v for k, v in (given or {}).items() if k != "person"})
    except ValidationError as e:
        errors.update(e.errors)
    if errors:
        raise ValidationError(errors)
    with transaction(db):
        code = FACTS.supersede(
            db, actor, access, latest, clean, reason=reason, expected_version=expected_version,
            event="fact.amend", unchanged_field="fact",
        )  # fmt: skip
        crossref.refresh(db, access.case_id)
    return code


def retract_fact(
    db: sqlite_utils.Database,
    actor: Actor,
    reference: str,
    code: str,
    reason: str,
    *,
    expected_version: int | None = None,
) -> str:
    """Withdraw a fact (wrong, or about someone else): it stays on record, marked retracted."""
    access = authorize(db, actor, Right.RECORD, reference)
    return FACTS.retract(
        db,
        actor,
        access,
        code,
        reason,
        expected_version=expected_version,
        then=lambda _: crossref.refresh(db, access.case_id),
    )


@dataclass(frozen=True)
class FactView:
    code: str
    person: str
    version: int
    retracted: bool
    special_category: bool
    current: dict  # the current version's fields, as a form gives them
    versions: pd.DataFrame  # every version, oldest first


def view_fact(db: sqlite_utils.Database, actor: Actor, reference: str, code: str) -> FactView:
    """One fact with its whole version history."""
    access = authorize(db, actor, Right.VIEW, reference)
    latest = _latest(db, access.case_id, code)
    versions = pd.DataFrame(
        list(
            db.query(
                f"""SELECT v.version, {", ".join("v." + c for c in _VERSION_COLUMNS)}, v.retracted, v.change_reason,
                           u.username AS recorded_by, v.recorded_at
                    FROM fact_versions v JOIN users u ON u.id = v.recorded_by
                    WHERE v.fact_id = ? ORDER BY v.version""",  # noqa: S608
                (latest["id"],),
            )
        )
    )
    audit.record(db, actor.username, "fact.view", case_ref=access.reference, item_code=latest["code"])
    return FactView(
        code=latest["code"],
        person=latest["person"],
        version=latest["version"],
        retracted=bool(latest["retracted"]),
        special_category=latest["attribute"] in _special_attributes(),
        current={name: latest[name] or "" for name in _VERSION_COLUMNS} | {"person": latest["person"]},
        versions=versions,
    )


def list_facts(
    db: sqlite_utils.Database, actor: Actor, reference: str, *, include_retracted: bool = False
) -> pd.DataFrame:
    access = authorize(db, actor, Right.VIEW, reference)
    frame = facts_frame(db, access.case_id, include_retracted=include_retracted)
    audit.record(db, actor.username, "fact.list", case_ref=access.reference, details={"rows": len(frame)})
    return frame


def facts_frame(db: sqlite_utils.Database, case_id: int, *, include_retracted: bool = False) -> pd.DataFrame:
    special = _special_attributes()
    rows = db.query(
        """
        SELECT f.code, p.code AS person, p.pseudonym, v.attribute, v.value, v.source_agency,
               v.source_reference, v.valid_from, v.valid_to, v.version, v.retracted,
               u.username AS recorded_by, v.recorded_at
        FROM facts f
        JOIN fact_versions v ON v.fact_id = f.id
         AND v.version = (SELECT MAX(version) FROM fact_versions WHERE fact_id = f.id)
        JOIN people p ON p.id = f.person_id
        JOIN users u ON u.id = v.recorded_by
        WHERE f.case_id = ?
        ORDER BY f.id
        """,
        (case_id,),
    )
    columns = [
        "code",
        "person",
        "pseudonym",
        "attribute",
        "value",
        "source_agency",
        "source_reference",
        "valid_from",
        "valid_to",
        "version",
        "retracted",
        "recorded_by",
        "recorded_at",
    ]
    frame = pd.DataFrame(list(rows), columns=columns)
    frame["special_category"] = frame["attribute"].isin(special)
    if not include_retracted:
        frame = frame[frame["retracted"] == 0].reset_index(drop=True)
    return frame


def normalise(db: sqlite_utils.Database, case_id: int, given: dict, catalog: Catalog | None = None) -> dict:
    catalog = catalog or load_catalog()
    given = {k: ("" if v is None else str(v)) for k, v in (given or {}).items()}
    clean, errors = {}, {}
    checks = {
        "person_id": lambda: person_id_for(db, case_id, given.get("person", "")),
        "attribute": lambda: fields.vocabulary(given.get("attribute"), catalog.pairs("fact_attributes")),
        "value": lambda: fields.text(given.get("value"), max_length=2000),
        "source_agency": lambda: fields.vocabulary(given.get("source_agency"), catalog.pairs("source_agencies")),
        "source_reference": lambda: fields.text(given.get("source_reference"), required=False, max_length=200),
        "valid_from": lambda: fields.day(given.get("valid_from"), required=False),
        "valid_to": lambda: fields.day(given.get("valid_to"), required=False),
    }
    for name, check in checks.items():
        try:
            clean[name] = check()
        except ValueError as e:
            errors["person" if name == "person_id" else name] = str(e)
    if clean.get("attribute") == "date_of_birth" and "value" in clean:
        try:
            clean["value"] = fields.day(clean["value"])
            if clean["value"] > date.today().isoformat():
                errors["value"] = "a date of birth cannot be in the future"
        except ValueError as e:
            errors["value"] = f"a date of birth {e}"
    if clean.get("valid_from") and clean.get("valid_to") and clean["valid_from"] > clean["valid_to"]:
        errors["valid_to"] = "cannot be before valid_from"
    unknown = sorted(set(given) - set(INPUT_FIELDS))
    if unknown:
        errors[unknown[0]] = "is not a fact field"
    if errors:
        raise ValidationError(errors)
    return clean


def _special_attributes() -> set[str]:
    return {c.value for c in load_catalog().choices("fact_attributes") if c.extra.get("special_category")}


def _latest(db, case_id: int, code: str) -> dict:
    """The newest version, with whom the fact is about (`person_id`, and `person`: their code)."""
    latest = FACTS.latest(db, case_id, code)
    about = query_one(
        db,
        "SELECT f.person_id, p.code AS person FROM facts f JOIN people p ON p.id = f.person_id WHERE f.id = ?",
        (latest["id"],),
    )
    return latest | about
