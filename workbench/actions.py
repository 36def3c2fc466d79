"""Actions: what was done about what was seen. Reported to the platform, police informed, the
designated safeguarding lead informed, Report Remove used, a safety plan considered, a strategy
discussion held, a referral made, or something else.

Each has a status: to do (outstanding, and overdue once its due date has passed), done (when, by
whom, and the reference the police or the platform gave) or not applicable (with the reason). An
action may name the observation it answers. Versioned like observations: marking one done adds a
version; nothing is changed in place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd
import sqlite_utils

from workbench import audit, fields
from workbench.access import Actor, CaseAccess, Right, authorize
from workbench.db import query_one, transaction
from workbench.errors import ValidationError
from workbench.fields import clip
from workbench.schemas import Kind, load_catalog
from workbench.timeutil import LONDON, format_local, from_iso_utc, now_utc, parse_partial, to_input_text
from workbench.versioned import VersionedTable

INPUT_FIELDS = ("kind", "observation", "note", "due_date", "status", "status_reason", "done_at", "done_by", "reference")
_VERSION_COLUMNS = (
    "kind", "observation_id", "note", "due_date", "status", "status_reason", "done_at", "done_precision", "done_by",
    "reference",
)  # fmt: skip
ACTIONS = VersionedTable("action", "actions", "action_versions", "action_id", "ACT", _VERSION_COLUMNS)

# What the police gave when told: the banner on an immediate risk goes only with it on record.
POLICE_REFERENCE_NEEDED = "is required when the police were informed: the incident or log number they gave"
COLUMNS = [
    "code", "version", "kind", "action", "observation", "note", "due_date", "status", "state", "status_reason",
    "done_at", "done_precision", "done", "done_by", "reference", "overdue", "retracted", "recorded_by",
    "recorded_at", "created_at",
]  # fmt: skip


def add_action(db: sqlite_utils.Database, actor: Actor, reference: str, given: dict) -> str:
    """Record an action; returns its code (ACT-0001). Done with no time given means done now, by
    the person recording it."""
    access = authorize(db, actor, Right.RECORD, reference)
    with transaction(db):
        clean = normalise(db, access.case_id, actor, given)
        code = ACTIONS.insert(db, actor, access.case_id, clean)
        audit.record(
            db,
            actor.username,
            "action.create",
            case_ref=access.reference,
            item_code=code,
            details={"kind": clean["kind"], "status": clean["status"]},
        )
    return code


def add_prompted(
    db: sqlite_utils.Database, actor: Actor, access: CaseAccess, observation: str, kind: Kind, seen_at: str
) -> list[str]:
    """The actions recording an observation of `kind` calls for (its x-actions), still to do and
    naming it: the strategy's steps, made the easy ones. Each is due so many days after the
    observation was seen (`seen_at`, ISO UTC), not after it was typed in: one recorded late is
    overdue at once, as it should be. For the recording function, which has authorized and holds
    the transaction. Returns their codes."""
    if not kind.prompted_actions:  # most kinds call for none, and an import asks for every row
        return []
    codes = []
    seen = from_iso_utc(seen_at).astimezone(LONDON).date()
    for prompted in kind.prompted_actions:
        given = {
            "kind": prompted.kind,
            "observation": observation,
            "note": prompted.note,
            "due_date": (seen + timedelta(days=prompted.due_in_days)).isoformat(),
            "status": "to_do",
        }
        clean = normalise(db, access.case_id, actor, given)
        code = ACTIONS.insert(db, actor, access.case_id, clean)
        audit.record(
            db,
            actor.username,
            "action.create",
            case_ref=access.reference,
            item_code=code,
            details={"kind": prompted.kind, "status": "to_do", "prompted_by": observation},
        )
        codes.append(code)
    return codes


def update_action(
    db: sqlite_utils.Database,
    actor: Actor,
    reference: str,
    code: str,
    changes: dict,
    *,
    reason: str = "",
    expected_version: int | None = None,
) -> str:
    """Add a version: mark it done or not applicable, set a due date, add the reference. Fields
    not given keep their value, except that leaving "done" clears when and by whom, and leaving
    "not applicable" its reason."""
    changes = changes or {}
    access = authorize(db, actor, Right.RECORD, reference)
    errors = {}
    try:
        reason = fields.text(reason, required=False, max_length=2000)
    except ValueError as e:
        errors["reason"] = str(e)
    with transaction(db):
        latest = ACTIONS.latest(db, access.case_id, code)
        current = _as_given(db, latest)
        given = {k: ("" if v is None else v) for k, v in changes.items()}
        if str(given.get("done_at", "")).strip() and not str(given.get("status", "")).strip():
            given["status"] = "done"  # a time it was done means done, as when recording
        merged = _carried_over_dropped(current, current | given)
        try:
            clean = normalise(db, access.case_id, actor, merged, keep_observation=latest["observation_id"])
        except ValidationError as e:
            errors.update(e.errors)
        if errors:
            raise ValidationError(errors)
        return ACTIONS.supersede(
            db, actor, access, latest, clean, reason=reason, expected_version=expected_version,
            event="action.update", unchanged_field="action", details={"status": clean["status"]},
        )  # fmt: skip


def retract_action(
    db: sqlite_utils.Database,
    actor: Actor,
    reference: str,
    code: str,
    reason: str,
    *,
    expected_version: int | None = None,
) -> str:
    """Withdraw an action recorded in error; it stays on record, marked retracted, with the reason."""
    access = authorize(db, actor, Right.RECORD, reference)
    return ACTIONS.retract(db, actor, access, code, reason, expected_version=expected_version)


@dataclass(frozen=True)
class ActionView:
    code: str
    version: int
    retracted: bool
    current: dict  # the current version's fields, as a form gives them
    versions: pd.DataFrame  # every version, oldest first


def view_action(db: sqlite_utils.Database, actor: Actor, reference: str, code: str) -> ActionView:
    """One action with its whole version history."""
    access = authorize(db, actor, Right.VIEW, reference)
    latest = ACTIONS.latest(db, access.case_id, code)
    versions = _frame(
        db.query(f"{_VERSIONS_SQL} WHERE a.id = ? ORDER BY v.version", (latest["id"],)),  # noqa: S608
        today=_today(),
    )
    audit.record(db, actor.username, "action.view", case_ref=access.reference, item_code=latest["code"])
    return ActionView(
        code=latest["code"],
        version=latest["version"],
        retracted=bool(latest["retracted"]),
        current=_as_given(db, latest),
        versions=versions,
    )


def list_actions(
    db: sqlite_utils.Database, actor: Actor, reference: str, *, include_retracted: bool = False
) -> pd.DataFrame:
    """The case's actions, current versions, in the order recorded; audited."""
    access = authorize(db, actor, Right.VIEW, reference)
    frame = actions_frame(db, access.case_id, include_retracted=include_retracted)
    audit.record(db, actor.username, "action.list", case_ref=access.reference, details={"rows": len(frame)})
    return frame


def actions_frame(
    db: sqlite_utils.Database, case_id: int, *, include_retracted: bool = False, today: date | None = None
) -> pd.DataFrame:
    """Current versions (COLUMNS), oldest first. For modules that have authorized."""
    rows = db.query(
        f"""{_VERSIONS_SQL}
            WHERE a.case_id = ? AND v.version = {_LATEST} ORDER BY a.id""",  # noqa: S608
        (case_id,),
    )
    frame = _frame(rows, today=today or _today())
    if not include_retracted:
        frame = frame[~frame["retracted"]].reset_index(drop=True)
    return frame


def all_versions(db: sqlite_utils.Database, case_id: int, today: date | None = None) -> pd.DataFrame:
    """Every version of every action (COLUMNS and `latest`, the number of the current one), for
    the timeline."""
    rows = db.query(f"{_VERSIONS_SQL} WHERE a.case_id = ? ORDER BY a.id, v.version", (case_id,))  # noqa: S608
    return _frame(rows, today=today or _today(), latest=True)


def outstanding(frame: pd.DataFrame) -> pd.DataFrame:
    """The actions still to do, overdue first, then by due date (none last), then as recorded."""
    todo = frame[(frame["status"] == "to_do") & ~frame["retracted"]]
    order = todo.assign(_no_due=todo["due_date"].isna() | (todo["due_date"] == ""))
    return order.sort_values(["overdue", "_no_due", "due_date"], ascending=[False, True, True], kind="stable").drop(
        columns="_no_due"
    )


def summary_line(row: dict) -> str:
    """One action's state as a sentence: "Done 14 Mar 2026 10:30 by DC Patel · ref 4471 · for OBS-0003"."""
    parts = [row["state"]]
    if row["status"] == "done":
        parts = [f"Done {row['done']}" + (f" by {row['done_by']}" if row["done_by"] else "")]
    elif row["status"] == "not_applicable":
        parts = [f"Not applicable: {row['status_reason']}"]
    elif row["due_date"]:
        parts = [f"To do, due {day_text(row['due_date'])}" + (" (OVERDUE)" if row["overdue"] else "")]
    if row["reference"]:
        parts.append(f"ref {row['reference']}")
    if row["note"]:
        parts.append(row["note"])
    if row["observation"]:
        parts.append(f"for {row['observation']}")
    return " · ".join(parts)


def for_export(frame: pd.DataFrame) -> pd.DataFrame:
    """The actions as they leave the workbench (CSV, JSON): plain values, no display columns."""
    return frame[
        [
            "code", "version", "kind", "observation", "note", "due_date", "status", "status_reason", "done_at",
            "done_precision", "done_by", "reference", "overdue", "retracted", "recorded_by", "recorded_at",
        ]
    ].assign(overdue=frame["overdue"].astype(bool), retracted=frame["retracted"].astype(bool))  # fmt: skip


# --- checking what was given ---------------------------------------------------------------------


def normalise(
    db: sqlite_utils.Database, case_id: int, actor: Actor, given: dict, *, keep_observation: int | None = None
) -> dict:
    """The version's columns from what a form or the CLI gives, or ValidationError naming each bad field."""
    catalog = load_catalog()
    given = {k: ("" if v is None else v) for k, v in (given or {}).items()}
    check = fields.Checks()
    check("kind", lambda: fields.vocabulary(given.get("kind"), catalog.pairs("action_kinds")))
    check("status", lambda: _status(given, catalog))
    check("observation_id", lambda: _observation_id(db, case_id, given.get("observation"), keep_observation))
    other = check.clean.get("kind") == "other"
    check("note", lambda: fields.text(given.get("note"), required=other, max_length=2000))
    check("due_date", lambda: fields.day(given.get("due_date"), required=False))
    check("status_reason", lambda: fields.text(given.get("status_reason"), required=False, max_length=2000))
    check("done", lambda: _done_at(given.get("done_at")))
    check("done_by", lambda: fields.text(given.get("done_by"), required=False, max_length=200, single_line=True))
    check("reference", lambda: fields.text(given.get("reference"), required=False, max_length=200, single_line=True))
    errors = check.errors
    if "observation_id" in errors:
        errors["observation"] = errors.pop("observation_id")
    if "done" in errors:
        errors["done_at"] = errors.pop("done")
    clean = check.clean
    status = clean.get("status")
    if status == "not_applicable" and "status_reason" in clean and not clean["status_reason"]:
        errors["status_reason"] = "is required: say why this action does not apply"
    elif status in ("to_do", "done") and clean.get("status_reason"):
        errors["status_reason"] = "is only for an action that does not apply; leave it empty"
    done = clean.pop("done", None)
    if status != "done" and done is not None:
        errors.setdefault("done_at", "is only for a done action; leave it empty")
    if status != "done" and clean.get("done_by"):
        errors.setdefault("done_by", "is only for a done action; leave it empty")
    if status == "done" and clean.get("kind") == "police_informed" and "reference" in clean and not clean["reference"]:
        errors["reference"] = POLICE_REFERENCE_NEEDED
    unknown = sorted(set(given) - set(INPUT_FIELDS))
    if unknown:
        errors[unknown[0]] = "is not an action field"
    if errors:
        raise ValidationError(errors)
    if status == "done":
        done = done or parse_partial(now_utc())
        clean["done_by"] = clean["done_by"] or actor.display_name
    clean["done_at"] = done.at if status == "done" else None
    clean["done_precision"] = done.precision if status == "done" else "unknown"
    return clean


def _carried_over_dropped(current: dict, merged: dict) -> dict:
    """Leaving "done" drops when and by whom, and leaving "not applicable" drops its reason, when
    they are the old version's values carried over (as an update form sends them back), not typed
    anew: those would be refused as belonging to a status the action no longer has."""
    try:
        status = _status(merged, load_catalog())
    except ValueError:
        return merged  # normalise names the bad status
    carried = [name for name in ("done_at", "done_by") if status != "done"]
    carried += ["status_reason"] if status != "not_applicable" else []
    return merged | {name: "" for name in carried if merged[name] == current[name]}


def _status(given: dict, catalog) -> str:
    """Given, or implied: a time it was done means done; nothing says to do."""
    if str(given.get("status", "")).strip():
        return fields.vocabulary(given["status"], catalog.pairs("action_statuses"))
    return "done" if str(given.get("done_at", "")).strip() else "to_do"


def _done_at(text):
    """When it was done: a day or a moment, not in the future. None when not given."""
    if not str(text or "").strip():
        return None
    try:
        done = parse_partial(str(text))
    except ValueError as e:
        if "the year must be" in str(e):
            raise
        raise ValueError(f"{clip(text, 40)!r} is not a date; use 2026-03-14 or 2026-03-14 10:30") from None
    if done.at is None or done.approximate or done.precision in ("month", "year"):
        raise ValueError("must say the day it was done: 2026-03-14, or 2026-03-14 10:30")
    if done.at > now_utc():
        raise ValueError("is in the future; record it as to do, with a due date")
    return done


def _observation_id(db, case_id: int, code, keep: int | None) -> int | None:
    """The observation the action answers: one of the case's, not retracted (unless it is the one
    the action already names)."""
    wanted = str(code or "").strip().upper()
    if not wanted:
        return None
    row = query_one(
        db,
        """SELECT o.id, v.retracted FROM observations o JOIN observation_versions v ON v.observation_id = o.id
           WHERE o.case_id = ? AND o.code = ? ORDER BY v.version DESC LIMIT 1""",
        (case_id, wanted),
    )
    if row is None:
        raise ValueError(f"{clip(wanted, 40)} is not an observation in this case")
    if row["retracted"] and row["id"] != keep:
        raise ValueError(f"{wanted} is retracted; name a current observation")
    return row["id"]


def _as_given(db, latest: dict) -> dict:
    """A stored version as a form gives it back (for update forms and merging changes)."""
    observation = query_one(db, "SELECT code FROM observations WHERE id = ?", (latest["observation_id"],))
    return {
        "kind": latest["kind"],
        "observation": observation["code"] if observation else "",
        "note": latest["note"],
        "due_date": latest["due_date"] or "",
        "status": latest["status"],
        "status_reason": latest["status_reason"],
        "done_at": to_input_text(latest["done_at"], latest["done_precision"]),
        "done_by": latest["done_by"],
        "reference": latest["reference"],
    }


# --- reading -------------------------------------------------------------------------------------

_LATEST = "(SELECT MAX(version) FROM action_versions x WHERE x.action_id = a.id)"
_VERSIONS_SQL = f"""SELECT {_LATEST} AS latest, a.code, v.version, v.kind, o.code AS observation, v.note,
                          v.due_date, v.status, v.status_reason, v.done_at, v.done_precision, v.done_by,
                          v.reference, v.retracted,
                          u.username AS recorded_by, v.recorded_at, a.created_at
                   FROM actions a JOIN action_versions v ON v.action_id = a.id
                   JOIN users u ON u.id = v.recorded_by
                   LEFT JOIN observations o ON o.id = v.observation_id"""  # noqa: S608
_READ_COLUMNS = [
    "latest", "code", "version", "kind", "observation", "note", "due_date", "status", "status_reason", "done_at",
    "done_precision", "done_by", "reference", "retracted", "recorded_by", "recorded_at", "created_at",
]  # fmt: skip


def _frame(rows, *, today: date, latest: bool = False) -> pd.DataFrame:
    frame = pd.DataFrame.from_records([dict(row) for row in rows], columns=_READ_COLUMNS)
    catalog = load_catalog()
    frame["observation"] = frame["observation"].fillna("").astype(object)
    for column in ("due_date", "done_at"):  # "" when not set, so that CSV and JSON say nothing
        frame[column] = frame[column].astype(object).where(frame[column].notna(), "")
    frame["retracted"] = frame["retracted"].astype(bool)
    frame["action"] = frame["kind"].map(lambda v: catalog.label("action_kinds", v)).astype(object)
    frame["state"] = frame["status"].map(lambda v: catalog.label("action_statuses", v)).astype(object)
    done = zip(frame["done_at"].tolist(), frame["done_precision"].tolist(), strict=True)
    frame["done"] = [format_local(at, precision) if at else "" for at, precision in done]
    still_to_do = (frame["status"] == "to_do") & ~frame["retracted"]
    frame["overdue"] = (still_to_do & (frame["due_date"] != "") & (frame["due_date"] < today.isoformat())).astype(bool)
    return frame[[*COLUMNS, "latest"] if latest else COLUMNS]


def _today() -> date:
    return datetime.now(LONDON).date()


def day_text(day: str) -> str:
    """A stored day as people read it: "20 Mar 2026" ("" when none)."""
    if not day:
        return ""
    return date.fromisoformat(day).strftime("%d %b %Y")
