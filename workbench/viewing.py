"""The viewing log and repeated viewing (issue 8 point 2).

Looking at a person's public profile once is research; looking again and again to monitor them may
amount to directed surveillance (RIPA 2000 Part II; the Home Office Covert Surveillance code), which
needs an authorisation. So every look at an account counts: each observation recorded of it (when
the analyst saw it) and each view an analyst logs without recording anything (`account_views`).
Past the configured number of views of one account in a period (WORKBENCH_VIEW_LIMIT views in
WORKBENCH_VIEW_PERIOD_DAYS days, 3 in 28 unless set) the workbench warns and asks for the
authorisation's reference, which is kept with the view that passed the limit.

An observation counts as a view when its current version is not retracted and names an account
(the current version's account: an amendment corrects which account it was). It was a view when it
was first recorded as seen and by whom: version 1's `observed_at` (an instant, ISO UTC) and
`recorded_by`. A later version's `observed_at` may be the time of the amendment (an amendment given
no `observed_at` takes now), so it is not taken. Migration 0015's triggers keep that in
`observation_views` as versions are added; the queries here read it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
import sqlite_utils

from workbench import audit, fields
from workbench.access import Actor, Right, authorize
from workbench.config import ViewingPolicy
from workbench.db import next_code, query_one, transaction
from workbench.errors import NotFound, ValidationError
from workbench.people import account_id_for
from workbench.timeutil import days_before, format_local, is_after, now_utc, parse_instant, to_iso_utc

SOURCES = {"view": "logged view", "observation": "observation"}
VIEW_COLUMNS = [
    "viewed_at", "account", "platform", "handle", "source", "code", "viewed_by", "note", "authorisation_reference",
]  # fmt: skip
ACCOUNT_COLUMNS = [
    "account", "platform", "handle", "person", "whose", "views_in_period", "limit", "over_limit", "last_viewed",
    "views_total",
]  # fmt: skip
RISK = (
    "Repeated viewing of one person's account to monitor them may amount to directed surveillance "
    "(RIPA 2000 Part II), which needs an authorisation. Give the authorisation's reference."
)


@dataclass(frozen=True)
class RepeatedViewing:
    """An account taken past the viewing limit: what to warn about and ask a reference for."""

    account: str  # its code, AC-0002
    platform: str
    handle: str
    count: int  # views in the period ending at `at`, counting those being added
    limit: int
    period_days: int
    since: str  # ISO UTC: the period is [since, at]
    at: str  # ISO UTC
    warning: str  # plain text (it holds the handle: escape it where Markdown renders)


@dataclass(frozen=True)
class LoggedView:
    code: str  # VW-0001
    account: str
    viewed_at: str
    repeated: RepeatedViewing | None  # set when this view passed the limit (its reference was kept)


@dataclass(frozen=True)
class ViewingLog:
    accounts: pd.DataFrame  # ACCOUNT_COLUMNS: one row per account of the case
    views: pd.DataFrame  # VIEW_COLUMNS: every view, oldest first
    limit: int
    period_days: int
    since: str  # the current period, ISO UTC
    until: str


# --- for other domain modules (the caller has authorized) ---------------------------------------


def views_of(db: sqlite_utils.Database, case_id: int, account_id: int) -> pd.DataFrame:
    """Every view of one account, oldest first: its logged views and its observations, each with
    when (ISO UTC), who, the note (an observation's summary) and any authorisation reference."""
    return _views(db, case_id, account_id)


def count_views(
    db: sqlite_utils.Database, case_id: int, windows: list[tuple[int, str, str]], *, at_most: int | None = None
) -> list[int]:
    """For each (account_id, since, until), the views recorded of the account with since <= viewed_at
    <= until (ISO UTC text, which sorts as time does), in one statement for them all (an import has
    a window a row). Each count steps along an index over the window's views; with `at_most` it
    stops there, which is all a caller asking "past the limit?" needs, however often the account
    was viewed."""
    if not windows:
        return []
    limit = -1 if at_most is None else at_most  # SQLite's LIMIT -1 is no limit
    rows = db.execute(_COUNT, {"case_id": case_id, "windows": json.dumps(windows), "at_most": limit}).fetchall()
    return [row[0] if at_most is None else min(row[0], at_most) for row in rows]


def repeated_viewing(
    db: sqlite_utils.Database,
    case_id: int,
    account_id: int,
    at: str | datetime,
    *,
    adding: int = 1,
    policy: ViewingPolicy | None = None,
) -> RepeatedViewing | None:
    """Whether `adding` more views of the account at `at` (ISO UTC, or a datetime) take it past the
    limit in the period ending at `at` ([at - period, at], both ends counted). None when they do
    not; otherwise what to warn about. The limit and period are the settings unless `policy`."""
    policy = policy or ViewingPolicy.from_env()
    at = to_iso_utc(at) if isinstance(at, datetime) else str(at)
    since = days_before(at, policy.period_days)
    account = query_one(
        db, "SELECT code, platform, handle FROM accounts WHERE id = ? AND case_id = ?", (account_id, case_id)
    )
    if account is None:
        raise NotFound("Account not found.")
    [count] = count_views(db, case_id, [(account_id, since, at)])
    count += adding
    if count <= policy.limit:
        return None
    warning = (
        f"{account['platform']} {account['handle']} ({account['code']}) would have {count} views in the "
        f"{policy.period_days} days to {format_local(at)}, past the limit of {policy.limit}. {RISK}"
    )
    return RepeatedViewing(
        account=account["code"],
        platform=account["platform"],
        handle=account["handle"],
        count=count,
        limit=policy.limit,
        period_days=policy.period_days,
        since=since,
        at=at,
        warning=warning,
    )


# --- logging a view ------------------------------------------------------------------------------


def log_view(
    db: sqlite_utils.Database,
    actor: Actor,
    reference: str,
    account: str,
    viewed_at: str | datetime | None = None,
    note: str = "",
    authorisation_reference: str = "",
) -> LoggedView:
    """Log that the actor looked at an account (its code, or its handle when unambiguous) without
    recording anything; when, if not now (London time unless an offset is given). A view that takes
    the account past the limit needs `authorisation_reference`, which is kept."""
    access = authorize(db, actor, Right.RECORD, reference)
    check = fields.Checks()
    check("account", lambda: account_id_for(db, access.case_id, fields.text(account, max_length=200)))
    check("viewed_at", lambda: _when(viewed_at))
    check("note", lambda: fields.text(note, required=False, max_length=2000))
    check(
        "authorisation_reference",
        lambda: fields.text(authorisation_reference, required=False, max_length=200, single_line=True),
    )
    if check.errors:
        raise ValidationError(check.errors)
    clean = check.clean
    with transaction(db):  # counted under the write lock: two analysts cannot both pass as the third view
        repeated = repeated_viewing(db, access.case_id, clean["account"], clean["viewed_at"])
        if repeated and not clean["authorisation_reference"]:
            raise ValidationError({"authorisation_reference": repeated.warning})
        code = next_code(db, access.case_id, "VW")
        db.execute(
            """INSERT INTO account_views (case_id, code, account_id, viewed_at, viewed_by, note,
                                          authorisation_reference, recorded_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
            (access.case_id, code, clean["account"], clean["viewed_at"], actor.id, clean["note"],
             clean["authorisation_reference"], now_utc()),
        )  # fmt: skip
        account_code = query_one(db, "SELECT code FROM accounts WHERE id = ?", (clean["account"],))["code"]
        audit.record(
            db,
            actor.username,
            "view.log",
            case_ref=access.reference,
            item_code=code,
            details={
                "account": account_code,
                "viewed_at": clean["viewed_at"],
                "over_limit": repeated is not None,
                "views_in_period": repeated.count if repeated else None,
                "authorisation_reference": clean["authorisation_reference"],
            },
        )
    return LoggedView(code, account_code, clean["viewed_at"], repeated)


def _when(value: str | datetime | None) -> str:
    if isinstance(value, datetime):
        at = to_iso_utc(value)
    elif value is None or not str(value).strip() or str(value).strip().lower() == "now":
        return now_utc()
    else:
        at = parse_instant(str(value))
    if is_after(at, now_utc()):
        raise ValueError("is in the future: log a view when it has happened")
    return at


# --- reading ---------------------------------------------------------------------------------------


def viewing_log(db: sqlite_utils.Database, actor: Actor, reference: str) -> ViewingLog:
    """Per account: views in the current period (the one ending now), the limit, whether it is
    past it, the last view; and every view, logged or by observation. Audited."""
    access = authorize(db, actor, Right.VIEW, reference)
    policy = ViewingPolicy.from_env()
    until = now_utc()
    since = days_before(until, policy.period_days)
    views = _views(db, access.case_id)
    rows = db.query(
        """SELECT a.code AS account, a.platform, a.handle, p.code AS person, p.name AS whose
           FROM accounts a LEFT JOIN people p ON p.id = a.person_id WHERE a.case_id = ? ORDER BY a.code""",
        (access.case_id,),
    )
    accounts = []
    for row in rows:
        mine = views[views["account"] == row["account"]]
        in_period = int(((mine["viewed_at"] >= since) & (mine["viewed_at"] <= until)).sum())
        accounts.append(
            {
                **row,
                "person": row["person"] or "",
                "whose": row["whose"] or "",
                "views_in_period": in_period,
                "limit": policy.limit,
                "over_limit": in_period > policy.limit,
                "last_viewed": mine["viewed_at"].max() if not mine.empty else "",
                "views_total": len(mine),
            }
        )
    frame = pd.DataFrame(accounts, columns=ACCOUNT_COLUMNS)
    frame["over_limit"] = frame["over_limit"].astype(bool)
    audit.record(
        db,
        actor.username,
        "view.list",
        case_ref=access.reference,
        details={
            "accounts": len(frame),
            "views": len(views),
            "over_limit": frame.loc[frame["over_limit"], "account"].tolist(),
        },
    )
    return ViewingLog(frame, views, policy.limit, policy.period_days, since, until)


# --- storage -------------------------------------------------------------------------------------

# Which observations are views, of which account and when, is kept in observation_views by the
# triggers of migration 0015 (the one place that defines it); the current version gives the note and
# any reference, version 1 who saw it.
_OBSERVATION_VIEWS = """
    SELECT w.viewed_at, w.account_id, 'observation' AS source, o.code,
           v1.recorded_by AS user_id, cur.summary AS note,
           CASE WHEN cur.repeat_viewing_reference <> '' THEN cur.repeat_viewing_reference
                ELSE v1.repeat_viewing_reference END AS authorisation_reference
    FROM observation_views w
    JOIN observations o ON o.id = w.observation_id
    JOIN observation_versions cur ON cur.observation_id = o.id
         AND cur.version = (SELECT MAX(version) FROM observation_versions WHERE observation_id = o.id)
    JOIN observation_versions v1 ON v1.observation_id = o.id AND v1.version = 1
    WHERE w.case_id = :case_id AND w.account_id IS NOT NULL
"""
_LOGGED_VIEWS = """
    SELECT viewed_at, account_id, 'view' AS source, code, viewed_by AS user_id, note, authorisation_reference
    FROM account_views WHERE case_id = :case_id
"""
# Both tables have an index on (case_id, account_id, viewed_at): each count reads only its period's
# rows, and a file's windows are counted in one statement.
_COUNT = """
    WITH windows AS (
        SELECT key, value ->> 0 AS account_id, value ->> 1 AS since, value ->> 2 AS until FROM json_each(:windows)
    )
    SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM observation_views o WHERE o.case_id = :case_id
                AND o.account_id = w.account_id AND o.viewed_at BETWEEN w.since AND w.until LIMIT :at_most))
         + (SELECT COUNT(*) FROM (SELECT 1 FROM account_views a WHERE a.case_id = :case_id
                AND a.account_id = w.account_id AND a.viewed_at BETWEEN w.since AND w.until LIMIT :at_most))
    FROM windows w ORDER BY w.key
"""


def _views(db: sqlite_utils.Database, case_id: int, account_id: int | None = None) -> pd.DataFrame:
    rows = db.query(
        f"""SELECT x.viewed_at, a.code AS account, a.platform, a.handle, x.source, x.code,
                   u.username AS viewed_by, x.note, x.authorisation_reference
            FROM ({_OBSERVATION_VIEWS} UNION ALL {_LOGGED_VIEWS}) x
            JOIN accounts a ON a.id = x.account_id
            JOIN users u ON u.id = x.user_id
            WHERE :account_id IS NULL OR x.account_id = :account_id
            ORDER BY x.viewed_at, a.code, x.source, x.code""",  # noqa: S608
        {"case_id": case_id, "account_id": account_id},
    )
    frame = pd.DataFrame(list(rows), columns=VIEW_COLUMNS)
    frame["source"] = frame["source"].map(SOURCES)
    return frame
