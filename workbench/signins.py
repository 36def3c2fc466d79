"""Sign-ins as records: who, by which method, bound to which browser, until when.

A browser session's memory holds only a sign-in's id. The sign-in itself lives in the database,
bound to the SHA-256 of a secret the browser holds in an HttpOnly cookie (`workbench/web/`), so:
- a connection that presents the session's id without the browser's cookie is signed out
  (`check` says "browser key mismatch" and the sign-in ends);
- a download served beside the app can ask whether the browser fetching it is signed in, active
  and still within its idle time, whichever app process drew the page;
- signing out, idling out and deactivation end it everywhere at once.

A sign-in made where no browser is involved (the in-process AppTest harness, which has no HTTP
request and no cookie) carries no key; such a sign-in can never be checked by a browser that has
one, and the download endpoint refuses it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlite_utils

from workbench import audit
from workbench.access import Actor
from workbench.db import query_one, transaction
from workbench.timeutil import from_iso_utc, now_utc

# How stale `last_seen_at` may get before a run writes it again: the idle check at the download
# endpoint is this much coarse, and an active user costs one small write a minute, not one a click.
TOUCH_EVERY = timedelta(seconds=60)


def key_digest(browser_key: str | None) -> str | None:
    return hashlib.sha256(browser_key.encode()).hexdigest() if browser_key else None


@dataclass(frozen=True)
class SignIn:
    id: str
    user_id: int
    method: str
    browser_key_sha256: str | None
    last_seen_at: str
    ended_at: str | None


def begin(db: sqlite_utils.Database, user: Actor, method: str, browser_key: str | None) -> str:
    """Record a sign-in the caller has just authenticated (its `sign_in` event is the
    authentication's); returns its id."""
    sign_in_id = secrets.token_hex(16)
    now = now_utc()
    with transaction(db):
        db.table("sign_ins").insert(
            {
                "id": sign_in_id,
                "user_id": user.id,
                "method": method,
                "browser_key_sha256": key_digest(browser_key),
                "started_at": now,
                "last_seen_at": now,
                "ended_at": None,
                "ended_reason": None,
            }
        )
    return sign_in_id


def get(db: sqlite_utils.Database, sign_in_id: str | None) -> SignIn | None:
    if not sign_in_id:
        return None
    row = query_one(
        db,
        "SELECT id, user_id, method, browser_key_sha256, last_seen_at, ended_at FROM sign_ins WHERE id = ?",
        (str(sign_in_id),),
    )
    return SignIn(**row) if row else None


def key_matches(record: SignIn, browser_key: str | None) -> bool:
    """Whether this browser is the one the sign-in was made in. A keyless sign-in matches only a
    keyless caller (no browser); a keyed one only the same key, compared in constant time."""
    if record.browser_key_sha256 is None or browser_key is None:
        return record.browser_key_sha256 is None and browser_key is None
    return secrets.compare_digest(record.browser_key_sha256, key_digest(browser_key))


def idle_for(record: SignIn, idle_minutes: float) -> bool:
    """Whether it has gone unused longer than the idle limit (to within TOUCH_EVERY)."""
    last = from_iso_utc(record.last_seen_at)
    return from_iso_utc(now_utc()) - last > timedelta(minutes=idle_minutes) + TOUCH_EVERY


def touch(db: sqlite_utils.Database, sign_in_id: str) -> None:
    """Note that the user acted, at most once a TOUCH_EVERY (the caller decides when)."""
    with transaction(db):
        db.execute("UPDATE sign_ins SET last_seen_at = ? WHERE id = ? AND ended_at IS NULL", (now_utc(), sign_in_id))


def end(db: sqlite_utils.Database, sign_in_id: str | None, username: str, reason: str) -> None:
    """End a sign-in, with its `sign_out` event. Ending one already ended changes nothing but
    still records why this browser session let go of it."""
    with transaction(db):
        if sign_in_id:
            db.execute(
                "UPDATE sign_ins SET ended_at = ?, ended_reason = ? WHERE id = ? AND ended_at IS NULL",
                (now_utc(), reason, str(sign_in_id)),
            )
        audit.record(db, username, "sign_out", details={"reason": reason})
