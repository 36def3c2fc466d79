"""Trusted-source facts: what school, police, health or social care already know about a person.

Facts are versioned like observations and never changed in place. Vulnerability and health facts
are special-category data (UK GDPR art. 9; DPA 2018 Sch.1 para 18) and are marked so.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import sqlite_utils

from workbench import audit, fields, imports
from workbench.access import Actor, Right, authorize
from workbench.db import next_code, transaction
from workbench.errors import ValidationError
from workbench.people import person_id_for
from workbench.schemas import Catalog, load_catalog
from workbench.timeutil import now_utc

INPUT_FIELDS = ("person", "attribute", "value", "source_agency", "source_reference", "valid_from", "valid_to")
REQUIRED_FIELDS = ("person", "attribute", "value", "source_agency")
_VERSION_COLUMNS = ("attribute", "value", "source_agency", "source_reference", "valid_from", "valid_to")


def add_fact(db: sqlite_utils.Database, actor: Actor, reference: str, given: dict) -> str:
    """Record one fact about a person; returns its code (F-0001)."""
    access = authorize(db, actor, Right.RECORD, reference)
    clean = normalise(db, access.case_id, given)
    with transaction(db):
        code = _insert(db, actor, access.case_id, clean)
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
        codes = [_insert(db, actor, access.case_id, clean) for clean in clean_rows]
        audit.record(
            db,
            actor.username,
            "fact.import",
            case_ref=access.reference,
            details={"count": len(codes), "first": codes[0], "last": codes[-1], "file_sha256": imports.sha256_of(data)},
        )
    return codes


def list_facts(
    db: sqlite_utils.Database, actor: Actor, reference: str, *, include_retracted: bool = False
) -> pd.DataFrame:
    access = authorize(db, actor, Right.VIEW, reference)
    frame = facts_frame(db, access.case_id, include_retracted=include_retracted)
    audit.record(db, actor.username, "fact.list", case_ref=access.reference, details={"rows": len(frame)})
    return frame


def facts_frame(db: sqlite_utils.Database, case_id: int, *, include_retracted: bool = False) -> pd.DataFrame:
    catalog = load_catalog()
    special = {c.value for c in catalog.choices("fact_attributes") if c.extra.get("special_category")}
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
        "valid_from": lambda: _optional_date(given.get("valid_from")),
        "valid_to": lambda: _optional_date(given.get("valid_to")),
    }
    for name, check in checks.items():
        try:
            clean[name] = check()
        except ValueError as e:
            errors["person" if name == "person_id" else name] = str(e)
    if clean.get("attribute") == "date_of_birth" and "value" in clean:
        try:
            clean["value"] = _date(clean["value"])
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


def _date(text: str) -> str:
    try:
        parsed = date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError("must be a date as YYYY-MM-DD") from None
    return parsed.isoformat()


def _optional_date(text: str | None) -> str | None:
    return _date(text) if text and text.strip() else None


def _insert(db, actor: Actor, case_id: int, clean: dict) -> str:
    code = next_code(db, case_id, "F")
    now = now_utc()
    fact_id = db.execute(
        "INSERT INTO facts (case_id, code, person_id, created_by, created_at) VALUES (?, ?, ?, ?, ?)",
        (case_id, code, clean["person_id"], actor.id, now),
    ).lastrowid
    db.execute(
        f"""INSERT INTO fact_versions (fact_id, version, {", ".join(_VERSION_COLUMNS)}, recorded_by, recorded_at)
            VALUES (?, 1, {", ".join("?" * len(_VERSION_COLUMNS))}, ?, ?)""",  # noqa: S608
        (fact_id, *(clean[c] for c in _VERSION_COLUMNS), actor.id, now),
    )
    return code
