"""The audit log: every view, change and sign-in, each row chained to the one before.

Each row's hash is SHA-256 over the previous row's hash and the row's own canonical content, so
editing or deleting any row breaks the chain from that row on; the head row (newest seq and hash)
shows when the newest rows were cut off. Events are written inside the caller's transaction: the
change and its trace commit together or not at all.

A front door other than the browser says so: inside `with audit.channel("cli")` every event's
details carry `"channel": "cli"`. The channel lives in the details, not in a column of its own,
so the canonical text (and hash) of every older row stays exactly as it was.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass

import sqlite_utils

from workbench.db import query_one, transaction
from workbench.timeutil import now_utc

GENESIS = "0" * 64
_FIELDS = ("seq", "at", "username", "action", "case_ref", "item_code", "details", "justification")


# Which front door the events come through; None is the browser (and every event written before
# channels were recorded). Set for a whole command by the CLI.
_CHANNEL: contextvars.ContextVar[str | None] = contextvars.ContextVar("audit_channel", default=None)


@contextlib.contextmanager
def channel(name: str) -> Iterator[None]:
    """Every event recorded inside says it came through `name` (details' "channel")."""
    token = _CHANNEL.set(name)
    try:
        yield
    finally:
        _CHANNEL.reset(token)


def current_channel() -> str | None:
    return _CHANNEL.get()


def canonical(row: dict) -> bytes:
    content = {name: row[name] for name in _FIELDS}
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def chain_hash(prev_hash: str, row: dict) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical(row)).hexdigest()


def record(
    db: sqlite_utils.Database,
    username: str,
    action: str,
    *,
    case_ref: str | None = None,
    item_code: str | None = None,
    details: dict | None = None,
    justification: str = "",
) -> int:
    """Append one event; returns its sequence number. Joins the caller's transaction."""
    through = _CHANNEL.get()
    if through is not None:
        details = {**(details or {}), "channel": through}
    with transaction(db):
        last = query_one(db, "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
        row = {
            "seq": (last["seq"] + 1) if last else 1,
            "at": now_utc(),
            "username": username,
            "action": action,
            "case_ref": case_ref,
            "item_code": item_code,
            "details": json.dumps(details or {}, sort_keys=True, ensure_ascii=False),
            "justification": justification or "",
        }
        prev_hash = last["hash"] if last else GENESIS
        row["prev_hash"] = prev_hash
        row["hash"] = chain_hash(prev_hash, row)
        db.execute(
            "INSERT INTO audit_events (seq, at, username, action, case_ref, item_code, details,"
            " justification, prev_hash, hash) VALUES (:seq, :at, :username, :action, :case_ref,"
            " :item_code, :details, :justification, :prev_hash, :hash)",
            row,
        )
        db.execute("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", (row["seq"], row["hash"]))
        return row["seq"]


@dataclass(frozen=True)
class ChainReport:
    intact: bool
    events: int
    first_bad_seq: int | None = None
    problem: str = ""


# The canonical content built by SQLite: its JSON text is audit.canonical's for every string (keys
# in sorted order, no spaces, the same escapes; tests/test_audit.py holds them to it), made in C.
_CANONICAL_SQL = (
    "json_object('action', action, 'at', at, 'case_ref', case_ref, 'details', details, 'item_code', item_code,"
    " 'justification', justification, 'seq', seq, 'username', username)"
)


def verify(db: sqlite_utils.Database) -> ChainReport:
    """Recompute the chain from the first event; name the first row that does not verify."""
    prev_hash, expected_seq, count = GENESIS, 1, 0
    sha256 = hashlib.sha256
    rows = db.conn.execute(f"SELECT seq, prev_hash, hash, {_CANONICAL_SQL} FROM audit_events ORDER BY seq")  # noqa: S608
    for seq, stored_prev, stored_hash, content in rows:
        if seq != expected_seq:
            return ChainReport(False, count, expected_seq, f"event {expected_seq} is missing")
        if stored_prev != prev_hash:
            return ChainReport(False, count, seq, "it does not follow the event before it")
        if sha256((prev_hash + content).encode()).hexdigest() != stored_hash and not _matches(db, seq, prev_hash):
            return ChainReport(False, count, seq, "its content does not match its hash")
        prev_hash, expected_seq, count = stored_hash, expected_seq + 1, count + 1
    head = query_one(db, "SELECT seq, hash FROM audit_head WHERE id = 1")
    if head is None or head["seq"] != count or head["hash"] != prev_hash:
        return ChainReport(False, count, count + 1, "events after it are missing: the log ends before its head")
    return ChainReport(True, count)


def _matches(db: sqlite_utils.Database, seq: int, prev_hash: str) -> bool:
    """The promise is audit.canonical's: ask it before calling a row bad that SQLite's text failed."""
    row = query_one(db, "SELECT * FROM audit_events WHERE seq = ?", (seq,))
    return chain_hash(prev_hash, row) == row["hash"]
