"""Reading the audit log: a case's activity for its lead and administrators, and a user's own.

Reading a case's activity is itself an event in the log. Reading your own trail is not: it holds
no one else's actions, and recording it would only push your real events down the list.

An administrator who is not a member of the case sees its events' metadata only: who, when, what
kind of event, which item, and those details that are codes, counts, dates, roles and the like
(`METADATA_DETAILS`, an allow-list: a key not on it is withheld). What people typed (a case's
title, an export's purpose and recipient, the reasons and rationales in the justification column)
stays with the members; the key shows, its value reads `WITHHELD`. The operator at the shell
(`system`), who holds the database file, sees everything.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import pandas as pd
import sqlite_utils

from workbench import audit, refusals
from workbench.access import Actor, Right, authorize, require_admin
from workbench.timeutil import LONDON, to_iso_utc

COLUMNS = ["seq", "at", "username", "action", "item_code", "details", "justification"]
SHOWN_AT_MOST = 5_000  # events on the page; a download has them all
OWN_COLUMNS = ["seq", "at", "action", "case_ref", "item_code", "details", "justification"]
REFUSED_COLUMNS = ["seq", "at", "username", "case_ref", "reference", "right", "channel"]
WITHHELD = "(withheld: not a member)"

# Detail keys that hold no free text: codes, counts, sizes, hashes, dates, flags, roles, vocabulary
# values and settings. Read from every audit.record call's details (tests/test_activity.py checks
# the free-text ones stay off it). Not on it, so withheld: a case's title (case.create), an export's
# purpose and recipient, a view's authorisation reference, an authorisation's scope, an evidence
# rejection's reason (it may quote the file), and anything a later event adds until someone
# decides it belongs here.
METADATA_DETAILS = frozenset(
    {
        "account", "accounts", "action", "anchor", "attribute", "awaiting_police", "bytes_removed", "changed",
        "channel", "codes", "conditional_records", "count", "counts", "date_from", "date_to", "duplicate_of", "events",
        "fact", "file_sha256", "files", "files_removed", "findings", "first", "from", "has_gps", "immediate_risk",
        "include_files", "items", "kind", "last", "lead", "level", "media_type", "minutes", "observation",
        "observations", "over_limit", "overdue_actions", "people", "picked_on_chart", "problems", "prompted_by",
        "pseudonyms_only", "redact", "reference", "relation", "review_by", "review_date", "reviews", "right", "role",
        "rows", "rule", "sha256", "size", "started", "status", "to", "user", "version", "viewed_at", "views",
        "views_in_period", "was", "was_review_by",
    }
)  # fmt: skip


@dataclass(frozen=True)
class ActivityFilter:
    """Which events to show. Dates are London calendar days, both ends included."""

    username: str | None = None
    action: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    def as_details(self) -> dict:
        return {
            name: str(value)
            for name, value in (
                ("user", self.username),
                ("action", self.action),
                ("from", self.date_from),
                ("to", self.date_to),
            )
            if value
        }


@dataclass(frozen=True)
class CaseActivity:
    reference: str
    events: pd.DataFrame
    usernames: list[str] = field(default_factory=list)  # everyone with an event in the case
    actions: list[str] = field(default_factory=list)
    truncated: bool = False
    metadata_only: bool = False  # an administrator who is not a member: free text withheld


def metadata_only(events: pd.DataFrame) -> pd.DataFrame:
    """The events with their free text withheld: detail keys off METADATA_DETAILS and every
    non-empty justification read WITHHELD."""
    return events.assign(
        details=events["details"].map(_metadata_details),
        justification=events["justification"].map(lambda text: WITHHELD if text else ""),
    )


def _metadata_details(text: str | None) -> str:
    if not isinstance(text, str) or not text:
        return "{}"
    try:
        details = json.loads(text)
    except ValueError:
        return WITHHELD
    if not isinstance(details, dict):
        return WITHHELD
    kept = {key: (value if key in METADATA_DETAILS else WITHHELD) for key, value in details.items()}
    return json.dumps(kept, sort_keys=True, ensure_ascii=False)


def _day_start_utc(day: date) -> str:
    return to_iso_utc(datetime.combine(day, time(0, 0), tzinfo=LONDON))


def _where(case_ref: str, filters: ActivityFilter) -> tuple[str, list]:
    clauses, params = ["case_ref = ?"], [case_ref]
    if filters.username:
        clauses.append("username = ?")
        params.append(filters.username.strip().lower())
    if filters.action:
        clauses.append("action = ?")
        params.append(filters.action)
    if filters.date_from:
        clauses.append("at >= ?")
        params.append(_day_start_utc(filters.date_from))
    if filters.date_to:
        clauses.append("at < ?")
        params.append(_day_start_utc(filters.date_to + timedelta(days=1)))
    return " AND ".join(clauses), params


def case_activity(
    db: sqlite_utils.Database,
    actor: Actor,
    reference: str,
    filters: ActivityFilter = ActivityFilter(),
    *,
    limit: int | None = SHOWN_AT_MOST,
    downloading: bool = False,
) -> CaseActivity:
    """Who viewed or changed what in a case, newest first (all of it when downloading)."""
    access = authorize(db, actor, Right.AUDIT, reference)
    where, params = _where(access.reference, filters)
    # Only fixed column names and clauses are joined into the SQL; every value is a bound parameter.
    sql = f"SELECT {', '.join(COLUMNS)} FROM audit_events WHERE {where} ORDER BY seq DESC"  # noqa: S608
    if limit is not None:
        sql += f" LIMIT {int(limit) + 1}"
    events = pd.DataFrame(list(db.query(sql, params)), columns=COLUMNS)
    truncated = limit is not None and len(events) > limit
    if truncated:
        events = events.iloc[:limit]
    # The operator at the shell (SYSTEM) holds the database file itself: withholding protects nothing.
    withheld = access.member_role is None and not actor.is_system
    if withheld:
        events = metadata_only(events)
    usernames = [
        r["username"]
        for r in db.query(
            "SELECT DISTINCT username FROM audit_events WHERE case_ref = ? ORDER BY username", (access.reference,)
        )
    ]
    actions = [
        r["action"]
        for r in db.query(
            "SELECT DISTINCT action FROM audit_events WHERE case_ref = ? ORDER BY action", (access.reference,)
        )
    ]
    audit.record(
        db,
        actor.username,
        "case.activity.download" if downloading else "case.activity.view",
        case_ref=access.reference,
        details={**filters.as_details(), "rows": len(events)},
    )
    return CaseActivity(access.reference, events, usernames, actions, truncated, withheld)


def refused_attempts(db: sqlite_utils.Database, actor: Actor, *, limit: int = SHOWN_AT_MOST) -> pd.DataFrame:
    """Every refused attempt at a case (`case.refused`), newest first, for administrators: at cases
    that exist (also in each case's Activity) and at references that name none (only here). The
    reference as tried, the right asked for and the channel; audited."""
    require_admin(db, actor, "see refused attempts at cases")
    rows = db.query(
        "SELECT seq, at, username, case_ref, details FROM audit_events WHERE action = ? ORDER BY seq DESC LIMIT ?",
        (refusals.ACTION, int(limit)),
    )
    found = []
    for row in rows:
        details = json.loads(row.pop("details") or "{}")
        tried = {"reference": details.get("reference", ""), "right": details.get("right", "")}
        found.append(row | tried | {"case_ref": row["case_ref"] or "", "channel": details.get("channel") or "web"})
    frame = pd.DataFrame(found, columns=REFUSED_COLUMNS)
    audit.record(db, actor.username, "refusals.view", details={"rows": len(frame)})
    return frame


def own_activity(db: sqlite_utils.Database, actor: Actor, *, limit: int = 200) -> pd.DataFrame:
    """The actor's own recent events, newest first: what they signed in, viewed and changed."""
    if actor.id is None:
        return pd.DataFrame(columns=OWN_COLUMNS)
    rows = db.query(
        f"SELECT {', '.join(OWN_COLUMNS)} FROM audit_events WHERE username = ? ORDER BY seq DESC LIMIT ?",  # noqa: S608
        (actor.username, int(limit)),
    )
    return pd.DataFrame(list(rows), columns=OWN_COLUMNS)
