"""Reading the audit log: a case's activity for its lead and administrators, and a user's own.

Reading a case's activity is itself an event in the log. Reading your own trail is not: it holds
no one else's actions, and recording it would only push your real events down the list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import pandas as pd
import sqlite_utils

from workbench import audit
from workbench.access import Actor, Right, authorize
from workbench.timeutil import LONDON, to_iso_utc

COLUMNS = ["seq", "at", "username", "action", "item_code", "details", "justification"]
SHOWN_AT_MOST = 5_000  # events on the page; a download has them all
OWN_COLUMNS = ["seq", "at", "action", "case_ref", "item_code", "details", "justification"]


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
    return CaseActivity(access.reference, events, usernames, actions, truncated)


def own_activity(db: sqlite_utils.Database, actor: Actor, *, limit: int = 200) -> pd.DataFrame:
    """The actor's own recent events, newest first: what they signed in, viewed and changed."""
    if actor.id is None:
        return pd.DataFrame(columns=OWN_COLUMNS)
    rows = db.query(
        f"SELECT {', '.join(OWN_COLUMNS)} FROM audit_events WHERE username = ? ORDER BY seq DESC LIMIT ?",  # noqa: S608
        (actor.username, int(limit)),
    )
    return pd.DataFrame(list(rows), columns=OWN_COLUMNS)
