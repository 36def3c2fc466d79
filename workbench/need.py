"""A case's level of need, with its history.

Every partnership numbers its levels differently ("Level 3: Targeted early help"), so the labels
come from the configuration (`levels_of_need` in schemas/vocabularies.json; WORKBENCH_SCHEMAS
points at a partnership's own folder). Each maps to one of the four statutory anchors, which
reports and exports can rely on whatever the labels say. Each decision is kept with its reason.
"""

from __future__ import annotations

import pandas as pd
import sqlite_utils

from workbench import audit, fields
from workbench.access import Actor, Right, authorize
from workbench.db import query_one, transaction
from workbench.errors import ValidationError
from workbench.schemas import load_catalog
from workbench.timeutil import now_utc

ANCHORS = {
    "universal": "Universal services",
    "early_help": "Early help",
    "s17_child_in_need": "Child in need (Children Act 1989 s.17)",
    "s47_child_protection": "Child protection (Children Act 1989 s.47)",
}
HISTORY_COLUMNS = ["level", "label", "anchor", "anchor_label", "reason", "set_by", "set_at"]


def set_level(db: sqlite_utils.Database, actor: Actor, reference: str, level: str, reason: str) -> str:
    """Record the case's level of need (a value or a label of the configured levels) and why.
    Returns the level's value."""
    access = authorize(db, actor, Right.RECORD, reference)
    catalog = load_catalog()
    check = fields.Checks()
    check("level", lambda: fields.vocabulary(level, catalog.pairs("levels_of_need")))
    check("reason", lambda: fields.text(reason, max_length=2000))
    errors = dict(check.errors)
    current = current_level(db, access.case_id)
    if not errors and current and current["level"] == check.clean["level"]:
        errors["level"] = f"is already {current['label']}; there is no change to record"
    if errors:
        raise ValidationError(errors)
    chosen = next(c for c in catalog.choices("levels_of_need") if c.value == check.clean["level"])
    with transaction(db):
        db.execute(
            """INSERT INTO case_levels (case_id, level, label, anchor, reason, set_by, set_at)
               VALUES (?, ?, ?, ?, ?, ?, ?)""",
            (access.case_id, chosen.value, chosen.label, chosen.extra["anchor"], check.clean["reason"], actor.id,
             now_utc()),
        )  # fmt: skip
        audit.record(
            db,
            actor.username,
            "case.level",
            case_ref=access.reference,
            details={
                "level": chosen.value,
                "anchor": chosen.extra["anchor"],
                "from": current["level"] if current else None,
            },
            justification=check.clean["reason"],
        )
    return chosen.value


def level_history(db: sqlite_utils.Database, actor: Actor, reference: str) -> pd.DataFrame:
    """Every level the case has had, newest first, with who set it, when and why; audited."""
    access = authorize(db, actor, Right.VIEW, reference)
    frame = history_frame(db, access.case_id)
    audit.record(db, actor.username, "case.level_history", case_ref=access.reference, details={"rows": len(frame)})
    return frame


def history_frame(db: sqlite_utils.Database, case_id: int) -> pd.DataFrame:
    """For modules that have authorized."""
    rows = db.query(
        """SELECT l.level, l.label, l.anchor, l.reason, u.username AS set_by, l.set_at
           FROM case_levels l JOIN users u ON u.id = l.set_by WHERE l.case_id = ? ORDER BY l.id DESC""",
        (case_id,),
    )
    frame = pd.DataFrame(list(rows), columns=[c for c in HISTORY_COLUMNS if c != "anchor_label"])
    frame.insert(3, "anchor_label", frame["anchor"].map(ANCHORS))
    return frame[HISTORY_COLUMNS]


def current_level(db: sqlite_utils.Database, case_id: int) -> dict | None:
    """The newest decision (level, label, anchor, set_at), or None when none was recorded."""
    return query_one(
        db,
        "SELECT level, label, anchor, set_at FROM case_levels WHERE case_id = ? ORDER BY id DESC LIMIT 1",
        (case_id,),
    )
