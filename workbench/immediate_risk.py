"""Immediate risk: which observations are marked "immediate risk of significant harm", when each was
marked, and whether the police were told (strategy 6.6: without delay).

An item counts as marked from when the analyst saw it, if it was marked when first recorded (the
risk was known then, and recording comes after); from when the marking version was recorded, if
an amendment marked it later.

The police count as told of an item when a done "police informed" action names it, or names no
observation and was done after the item was marked (one call about everything known then; an
action done on a day, with no time, counts for all that day). One that names the item comes
first. An image-sharing incident's own "reported to: police" is kept as what the record says, but
only an action says when, by whom and with what reference.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pandas as pd
import sqlite_utils

from workbench import actions, audit
from workbench.access import Actor, Right, authorize
from workbench.timeutil import format_local, from_iso_utc

COLUMNS = [
    "code", "summary", "marked_at", "marked", "action", "informed_at", "informed", "informed_by", "police_reference",
    "delay_minutes", "delay", "reported_in_record",
]  # fmt: skip


def list_risks(db: sqlite_utils.Database, actor: Actor, reference: str) -> pd.DataFrame:
    """The case's immediate-risk items and whether the police were told of each; audited."""
    access = authorize(db, actor, Right.VIEW, reference)
    found = risks(db, access.case_id)
    audit.record(
        db,
        actor.username,
        "immediate_risk.list",
        case_ref=access.reference,
        details={"rows": len(found), "awaiting_police": int((found["action"] == "").sum())},
    )
    return found


def risks(db: sqlite_utils.Database, case_id: int) -> pd.DataFrame:
    """The current observations marked immediate risk, oldest marking first. For modules that have
    authorized. `informed` is "" until a police-informed action covers the item."""
    marked = _marked(db, case_id)
    if not marked:
        return pd.DataFrame(columns=COLUMNS)
    told = actions.actions_frame(db, case_id)
    told = told[(told["kind"] == "police_informed") & (told["status"] == "done")].sort_values("done_at")
    rows = []
    for item in marked:
        action = _covering(told, item)
        rows.append(
            {
                "code": item["code"],
                "summary": item["summary"],
                "marked_at": item["marked_at"],
                "marked": format_local(item["marked_at"]),
                "action": action["code"] if action else "",
                "informed_at": action["done_at"] if action else "",
                "informed": action["done"] if action else "",
                "informed_by": action["done_by"] if action else "",
                "police_reference": action["reference"] if action else "",
                "delay_minutes": _minutes(item["marked_at"], action) if action else None,
                "delay": _delay(item["marked_at"], action) if action else "",
                "reported_in_record": item["reported_in_record"],
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS).sort_values("marked_at", kind="stable").reset_index(drop=True)


def awaiting_police(db: sqlite_utils.Database, case_id: int) -> pd.DataFrame:
    """The immediate-risk items no police-informed action covers yet."""
    found = risks(db, case_id)
    return found[found["action"] == ""].reset_index(drop=True)


def police_told_text(row: dict) -> str:
    """What a conference reads about one item: told when, by whom, reference; or that it is not."""
    if row["action"]:
        by = f" by {row['informed_by']}" if row["informed_by"] else ""
        return f"Yes: {row['informed']}{by}, ref {row['police_reference']} ({row['action']}); {row['delay']}"
    if row["reported_in_record"]:
        return "The record says reported to the police; no police-informed action recorded"
    return "NOT RECORDED"


def _marked(db, case_id: int) -> list[dict]:
    """Each current, unretracted immediate-risk observation, with when it was marked: the first
    version of the run of marked versions that ends with the current one."""
    rows = db.query(
        """SELECT o.code, v.version, v.immediate_risk, v.retracted, v.summary, v.details, v.recorded_at,
                  v.observed_at
           FROM observations o JOIN observation_versions v ON v.observation_id = o.id
           WHERE o.case_id = ? AND o.id IN (
               SELECT observation_id FROM observation_versions WHERE immediate_risk = 1)
           ORDER BY o.id, v.version""",
        (case_id,),
    )
    found: dict[str, dict] = {}
    for row in rows:
        if not row["immediate_risk"] or row["retracted"]:
            found.pop(row["code"], None)
            continue
        marked_at = min(row["recorded_at"], row["observed_at"]) if row["version"] == 1 else row["recorded_at"]
        item = found.setdefault(row["code"], {"code": row["code"], "marked_at": marked_at})
        item["summary"] = row["summary"]
        reported = json.loads(row["details"] or "{}").get("reported_to", [])
        item["reported_in_record"] = isinstance(reported, list) and "police" in reported
    return list(found.values())


def _covering(told: pd.DataFrame, item: dict) -> dict | None:
    """The earliest action naming the item, else the earliest naming none done after it was marked."""
    records = told.to_dict("records")
    named = [a for a in records if a["observation"] == item["code"]]
    general = [a for a in records if not a["observation"] and _done_by_end(a) >= from_iso_utc(item["marked_at"])]
    return next(iter(named + general), None)


def _done_by_end(action: dict) -> datetime:
    """The latest moment the action may have been done: its time, or the end of its day."""
    done = from_iso_utc(action["done_at"])
    if action["done_precision"] == "exact":
        return done
    return done + timedelta(days=1)  # the start of that London day, plus a day (DST: near enough)


def _minutes(marked_at: str, action: dict) -> int | None:
    """Whole minutes from marking to telling the police; None when the action gives only the day."""
    if action["done_precision"] != "exact":
        return None
    return int((from_iso_utc(action["done_at"]) - from_iso_utc(marked_at)).total_seconds() // 60)


def _delay(marked_at: str, action: dict) -> str:
    """How long after marking the police were told, as a conference says it."""
    minutes = _minutes(marked_at, action)
    if minutes is None:
        return f"told on {action['done']} (no time given)"
    if minutes < 0:
        return "told before it was marked here"
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days} d"] * bool(days) + [f"{hours} h"] * bool(hours) + [f"{minutes} min"]
    return " ".join(parts) + " after it was marked"
