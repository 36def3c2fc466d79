"""Case milestones: a referral, a strategy discussion, a case conference, an authorisation, the child
seen. Users add them so the timeline shows what was done beside what was seen; versioned like
observations and facts, never changed in place."""

from __future__ import annotations

import sqlite_utils

from workbench import audit, fields
from workbench.access import Actor, Right, authorize
from workbench.db import transaction
from workbench.errors import ValidationError
from workbench.fields import clip
from workbench.schemas import load_catalog
from workbench.timeutil import now_utc, parse_partial
from workbench.versioned import VersionedTable

COLUMNS = ("kind", "occurred_at", "occurred_precision", "occurred_approximate", "note")
MILESTONES = VersionedTable("milestone", "milestones", "milestone_versions", "milestone_id", "M", COLUMNS)


def add_milestone(db: sqlite_utils.Database, actor: Actor, reference: str, given: dict) -> str:
    """Record a milestone (kind, when, note); returns its code (M-0001)."""
    access = authorize(db, actor, Right.RECORD, reference)
    clean = normalise(given)
    with transaction(db):
        code = MILESTONES.insert(db, actor, access.case_id, clean)
        audit.record(
            db,
            actor.username,
            "milestone.create",
            case_ref=access.reference,
            item_code=code,
            details={"kind": clean["kind"]},
        )
    return code


def retract_milestone(db: sqlite_utils.Database, actor: Actor, reference: str, code: str, reason: str) -> str:
    """Withdraw a milestone recorded in error; it stays on record, marked retracted, with the reason."""
    access = authorize(db, actor, Right.RECORD, reference)
    return MILESTONES.retract(db, actor, access, code, reason)


def normalise(given: dict) -> dict:
    catalog = load_catalog()
    given = {k: ("" if v is None else v) for k, v in (given or {}).items()}
    check = fields.Checks()
    check("kind", lambda: fields.vocabulary(given.get("kind"), catalog.pairs("milestone_kinds")))
    check("occurred", lambda: _known_time(given.get("occurred_at")))
    check("note", lambda: fields.text(given.get("note"), required=False, max_length=2000))
    unknown = sorted(set(given) - {"kind", "occurred_at", "note"})
    if unknown:
        check.errors[unknown[0]] = "is not a milestone field"
    if "occurred" in check.errors:
        check.errors["occurred_at"] = check.errors.pop("occurred")
    if check.errors:
        raise ValidationError(check.errors)
    clean = check.clean
    occurred = clean.pop("occurred")
    clean |= {
        "occurred_at": occurred.at,
        "occurred_precision": occurred.precision,
        "occurred_approximate": int(occurred.approximate),
    }
    return clean


def _known_time(text):
    """A milestone sits on the timeline: when it happened must be known, at least to the year."""
    try:
        occurred = parse_partial(str(text or ""))
    except ValueError as e:
        if "the year must be" in str(e):
            raise
        typed = clip(str(text).strip(), 40)
        raise ValueError(f"{typed!r} is not a date; use 2026-03-14, 2026-03-14 10:30 or ~2026-03") from None
    if occurred.at is None:
        raise ValueError("is required: when it happened, e.g. 2026-03-14 or 2026-03-14 10:30")
    if occurred.at > now_utc():
        raise ValueError("is in the future")
    return occurred
