"""Retention: closing a case, when it comes up for review, and deleting it for good.

Closing a case gives it a review-by date from the partnership's retention schedule
(`schemas/retention.json`; WORKBENCH_SCHEMAS points at a partnership's own folder): so many whole
years after the day it closed, by the statutory anchor of its level of need then (need.ANCHORS) or
by one of the partnership's own levels, with a default. Closing, reopening and extending are rows
of `case_retention`, append-only like the levels of need, each with its reason.

Deleting a closed case removes every row that belongs to it, in every table, and its evidence
files, and leaves a tombstone (`case_tombstones`) and an audited `case.delete` event. Which tables
belong to a case is read from the schema: every table with a foreign key chain to `cases` (or a
`case_id` column), so a table added later (the viewing log, `account_views`) is deleted with the
rest without a list to keep up. The audit log has no such key and is never touched.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import sqlite_utils

from workbench import audit, fields, need, veracity
from workbench.access import Actor, Right, authorize, require_admin
from workbench.db import query_one, transaction
from workbench.errors import ConfigurationError, ValidationError
from workbench.evidence_store import EvidenceStore, StoreFailed
from workbench.schemas import SCHEMAS_DIR, load_catalog
from workbench.timeutil import LONDON, local, now_utc

SCHEDULE_FILE = "retention.json"
MAX_YEARS = 100
MAX_WINDOW_DAYS = 3660
DUE_COLUMNS = ["reference", "status", "closed_at", "review_by", "days_left", "lead"]
HISTORY_COLUMNS = ["event", "recorded_at", "recorded_by", "reason", "review_by", "rule", "level", "anchor"]
TOMBSTONE_COLUMNS = [
    "reference", "closed_at", "review_by", "deleted_at", "deleted_by", "reason", "rows_deleted", "files_removed",
    "bytes_removed", "counts",
]  # fmt: skip
# Never part of a case, whatever the schema says: the log and what is left of deleted cases.
_KEPT = {"audit_events", "audit_head", "case_tombstones"}


# --- the schedule --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    """The partnership's retention schedule: whole years after closing, and the review window."""

    default_years: int
    by_anchor: dict[str, int]
    by_level: dict[str, int]
    due_within_days: int
    source: str = ""

    def years_for(self, level: str | None, anchor: str | None) -> tuple[int, str]:
        """The years a case closed at this level is kept before review, and the rule that says so."""
        if level and level in self.by_level:
            return self.by_level[level], f"level {level}: {self.by_level[level]} years"
        if anchor and anchor in self.by_anchor:
            return self.by_anchor[anchor], f"{anchor}: {self.by_anchor[anchor]} years"
        return self.default_years, f"default: {self.default_years} years"

    def as_frame(self) -> pd.DataFrame:
        """Each line of the schedule, for the page and the CLI."""
        rows = [{"applies_to": f"level {k}", "years": v} for k, v in self.by_level.items()]
        rows += [{"applies_to": need.ANCHORS[k], "years": v} for k, v in self.by_anchor.items()]
        rows.append({"applies_to": "no level of need recorded, or none above", "years": self.default_years})
        return pd.DataFrame(rows, columns=["applies_to", "years"])


def load_schedule(directory: str | None = None) -> Schedule:
    """The schedule from `retention.json` in the schemas folder; a file that breaks the rules stops
    the workbench with a ConfigurationError naming the file and the line that is wrong."""
    root = Path(directory or os.environ.get("WORKBENCH_SCHEMAS") or SCHEMAS_DIR)
    return _load_schedule(str(root))


@functools.cache
def _load_schedule(root: str) -> Schedule:
    path = Path(root) / SCHEDULE_FILE

    def wrong(message: str) -> ConfigurationError:
        return ConfigurationError(f"{path}: {message}")

    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise wrong("missing: copy schemas/retention.json and set your partnership's retention schedule") from None
    except (OSError, ValueError) as e:
        raise wrong(f"cannot be read as JSON ({e})") from None
    if not isinstance(raw, dict):
        raise wrong("must be a JSON object")
    unknown = sorted(set(raw) - {"description", "default_years", "by_anchor", "by_level", "due_within_days"})
    if unknown:
        raise wrong(f"unknown setting {unknown[0]!r}")

    def whole(value, where: str, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise wrong(f"{where} must be a whole number from {low} to {high}, not {value!r}")
        return value

    def mapping(name: str, known, kind: str) -> dict[str, int]:
        given = raw.get(name, {})
        if not isinstance(given, dict):
            raise wrong(f"{name} must be an object of {kind} to years")
        for key in given:
            if key not in known:
                raise wrong(f"{name} names {key!r}, which is not a {kind} (one of {', '.join(known)})")
        return {key: whole(value, f"{name}.{key}", 1, MAX_YEARS) for key, value in given.items()}

    if "default_years" not in raw:
        raise wrong("default_years is required")
    levels = load_catalog(root).values("levels_of_need") if (Path(root) / "vocabularies.json").exists() else []
    return Schedule(
        default_years=whole(raw["default_years"], "default_years", 1, MAX_YEARS),
        by_anchor=mapping("by_anchor", list(need.ANCHORS), "statutory anchor"),
        by_level=mapping("by_level", levels, "level of need"),
        due_within_days=whole(raw.get("due_within_days", 0), "due_within_days", 0, MAX_WINDOW_DAYS),
        source=str(path),
    )


def review_date(closed_at: str, years: int) -> str:
    """The day `years` whole years after the (London) day a case closed; 29 February gives 28th."""
    day = local(closed_at).date()
    try:
        return day.replace(year=day.year + years).isoformat()
    except ValueError:
        return day.replace(year=day.year + years, day=28).isoformat()


def _today() -> date:
    return datetime.now(LONDON).date()


# --- closing, reopening, extending ----------------------------------------------------------------


@dataclass(frozen=True)
class Closure:
    """A case's retention status now: open, or closed since when and to be reviewed by when."""

    reference: str
    status: str
    closed_at: str | None
    review_by: str | None
    rule: str
    history: pd.DataFrame  # HISTORY_COLUMNS, newest first


def close_case(db: sqlite_utils.Database, actor: Actor, reference: str, reason: str) -> str:
    """Close the case (its lead or an administrator), with a reason. Returns the review-by date the
    schedule gives it."""
    access = authorize(db, actor, Right.CLOSE, reference)
    reason = fields.reason(reason)
    schedule = load_schedule()
    with transaction(db):
        status = _status(db, access.case_id)
        if status == "closed":
            since = _newest(db, access.case_id)
            raise ValidationError({"status": f"{access.reference} is already closed (since {since['recorded_at']})"})
        now = now_utc()
        level = need.current_level(db, access.case_id)
        years, rule = schedule.years_for(level and level["level"], level and level["anchor"])
        review_by = review_date(now, years)
        _append(db, access.case_id, "close", reason, actor, now, review_by=review_by, rule=rule, level=level)
        db.execute("UPDATE cases SET status = 'closed' WHERE id = ?", (access.case_id,))
        audit.record(
            db,
            actor.username,
            "case.close",
            case_ref=access.reference,
            details={"review_by": review_by, "rule": rule},
            justification=reason,
        )
    return review_by


def reopen_case(db: sqlite_utils.Database, actor: Actor, reference: str, reason: str) -> None:
    """Open a closed case again (its lead or an administrator), with a reason: it is no longer due."""
    access = authorize(db, actor, Right.CLOSE, reference)
    reason = fields.reason(reason)
    with transaction(db):
        if _status(db, access.case_id) != "closed":
            raise ValidationError({"status": f"{access.reference} is open: only a closed case can be reopened"})
        previous = _newest(db, access.case_id)
        _append(db, access.case_id, "reopen", reason, actor, now_utc())
        db.execute("UPDATE cases SET status = 'open' WHERE id = ?", (access.case_id,))
        audit.record(
            db,
            actor.username,
            "case.reopen",
            case_ref=access.reference,
            details={"was_review_by": previous["review_by"] if previous else None},
            justification=reason,
        )


def extend_review(db: sqlite_utils.Database, actor: Actor, reference: str, review_by: str, reason: str) -> str:
    """Keep a closed case longer: a later review-by date, with the reason (a complaint, an inquiry,
    a sibling's case still open). Returns the new date."""
    access = authorize(db, actor, Right.CLOSE, reference)
    check = fields.Checks()
    check("review_by", lambda: fields.day(review_by))
    check("reason", lambda: fields.text(reason, max_length=2000))
    errors = dict(check.errors)
    with transaction(db):
        current = _newest(db, access.case_id)
        if _status(db, access.case_id) != "closed" or current is None:
            errors["status"] = f"{access.reference} is open: only a closed case has a review-by date"
        elif "review_by" not in errors and check.clean["review_by"] <= current["review_by"]:
            errors["review_by"] = f"must be after the present review-by date, {current['review_by']}"
        if errors:
            raise ValidationError(errors)
        kept = {"level": current["level"], "anchor": current["anchor"]}
        _append(
            db, access.case_id, "extend", check.clean["reason"], actor, now_utc(), review_by=check.clean["review_by"],
            rule=f"extended from {current['review_by']}", level=kept,
        )  # fmt: skip
        audit.record(
            db,
            actor.username,
            "case.review_extend",
            case_ref=access.reference,
            details={"review_by": check.clean["review_by"], "was": current["review_by"]},
            justification=check.clean["reason"],
        )
    return check.clean["review_by"]


def closure(db: sqlite_utils.Database, case_id: int) -> Closure:
    """The case's status and its history of closings. For modules (and the overview) that have authorized."""
    case = query_one(db, "SELECT reference, status FROM cases WHERE id = ?", (case_id,))
    history = _history(db, case_id)
    newest = _newest(db, case_id)
    closed = case["status"] == "closed" and newest is not None and newest["event"] != "reopen"
    closed_at = None
    if closed:
        closed_at = query_one(
            db,
            "SELECT recorded_at FROM case_retention WHERE case_id = ? AND event = 'close' ORDER BY id DESC LIMIT 1",
            (case_id,),
        )["recorded_at"]
    return Closure(
        reference=case["reference"],
        status=case["status"],
        closed_at=closed_at,
        review_by=newest["review_by"] if closed else None,
        rule=newest["rule"] if closed else "",
        history=history,
    )


def _status(db, case_id: int) -> str:
    return query_one(db, "SELECT status FROM cases WHERE id = ?", (case_id,))["status"]


def _newest(db, case_id: int) -> dict | None:
    return query_one(db, "SELECT * FROM case_retention WHERE case_id = ? ORDER BY id DESC LIMIT 1", (case_id,))


def _append(db, case_id, event, reason, actor, at, *, review_by=None, rule="", level=None) -> None:
    db.execute(
        """INSERT INTO case_retention (case_id, event, reason, review_by, rule, level, anchor, recorded_by, recorded_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (case_id, event, reason, review_by, rule, level and level["level"], level and level["anchor"], actor.id, at),
    )


def _history(db, case_id: int) -> pd.DataFrame:
    rows = db.query(
        """SELECT r.event, r.recorded_at, COALESCE(u.username, 'system') AS recorded_by, r.reason, r.review_by,
                  r.rule, r.level, r.anchor
           FROM case_retention r LEFT JOIN users u ON u.id = r.recorded_by
           WHERE r.case_id = ? ORDER BY r.id DESC""",
        (case_id,),
    )
    return pd.DataFrame(list(rows), columns=HISTORY_COLUMNS)


# --- what is due ---------------------------------------------------------------------------------


def due_for_review(
    db: sqlite_utils.Database, actor: Actor, *, today: date | None = None, every_closed: bool = False
) -> pd.DataFrame:
    """Administrators: the closed cases whose review-by date has passed or falls within the
    schedule's window (every closed case with every_closed), soonest first. Reference, status,
    closed when, review-by, days left (negative: overdue) and lead: no titles, no content."""
    require_admin(db, actor, "see which cases are due for review")
    today = today or _today()
    horizon = (today + timedelta(days=load_schedule().due_within_days)).isoformat()
    rows = db.query(
        """
        SELECT c.reference, c.status,
               (SELECT recorded_at FROM case_retention r WHERE r.case_id = c.id AND r.event = 'close'
                ORDER BY r.id DESC LIMIT 1) AS closed_at,
               (SELECT review_by FROM case_retention r WHERE r.case_id = c.id ORDER BY r.id DESC LIMIT 1) AS review_by,
               lead.username AS lead
        FROM cases c JOIN users lead ON lead.id = c.lead_user_id
        WHERE c.status = 'closed'
        """
    )
    frame = pd.DataFrame(list(rows), columns=[c for c in DUE_COLUMNS if c != "days_left"])
    frame = frame[frame["review_by"].notna()]
    if not every_closed:
        frame = frame[frame["review_by"] <= horizon]
    frame = frame.assign(days_left=[(date.fromisoformat(d) - today).days for d in frame["review_by"]])
    frame = frame.sort_values(["review_by", "reference"])[DUE_COLUMNS].reset_index(drop=True)
    audit.record(
        db,
        actor.username,
        "retention.due",
        details={"rows": len(frame), "today": today.isoformat(), "every_closed": every_closed},
    )
    return frame


# --- one case, for the review ----------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewDetails:
    """What an administrator needs to decide on a case: no title, no content."""

    closure: Closure
    level: str | None  # the label of the current level of need
    anchor: str | None
    counts: dict[str, int]  # rows per table that deleting the case would remove
    files: int  # evidence files in the store
    bytes: int


def review_details(db: sqlite_utils.Database, actor: Actor, reference: str) -> ReviewDetails:
    """A case's closing, review-by date, level of need and how much it holds; audited."""
    access = authorize(db, actor, Right.CLOSE, reference)
    level = need.current_level(db, access.case_id)
    plan = _plan(db)
    counts = {table: _count(db, table, where, access.case_id) for table, where in plan}
    files, size = _stored_files(db, access.case_id)
    audit.record(db, actor.username, "case.retention.view", case_ref=access.reference)
    return ReviewDetails(
        closure=closure(db, access.case_id),
        level=level["label"] if level else None,
        anchor=level["anchor"] if level else None,
        counts={table: n for table, n in counts.items() if n},
        files=len(files),
        bytes=size,
    )


def _count(db, table: str, where: str, case_id: int) -> int:
    return db.execute(f"SELECT COUNT(*) FROM [{table}] WHERE {where}", {"case_id": case_id}).fetchone()[0]  # noqa: S608


# --- deleting ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deletion:
    reference: str
    counts: dict[str, int]  # rows deleted, by table
    files_removed: int
    bytes_removed: int
    files_left: list[str] = field(default_factory=list)  # files the store could not delete (run the sweep)
    audit_seq: int = 0


def delete_case(db: sqlite_utils.Database, actor: Actor, reference: str, reason: str, *, confirm: str) -> Deletion:
    """Delete a closed case for good (administrators): every row of it in every table, then its
    evidence files; a tombstone and the audited `case.delete` event stay. `confirm` is the
    reference typed again."""
    access = authorize(db, actor, Right.DELETE, reference)
    check = fields.Checks()
    check("reason", lambda: fields.text(reason, max_length=2000))
    errors = dict(check.errors)
    if str(confirm or "").strip().casefold() != access.reference.casefold():
        errors["confirm"] = f"type the case reference, {access.reference}, to confirm"
    store = EvidenceStore.for_database(db)
    with transaction(db):
        state = closure(db, access.case_id)
        if state.status != "closed":
            errors["reference"] = f"{access.reference} is open: close it first; only a closed case can be deleted"
        if errors:
            raise ValidationError(errors)
        files, size = _stored_files(db, access.case_id)
        held = sorted({row["sha256"] for row in db.query("SELECT sha256 FROM evidence WHERE case_id = ?",
                                                         (access.case_id,))})  # fmt: skip
        counts = _purge_rows(db, access.case_id)
        now = now_utc()
        seq = audit.record(
            db,
            actor.username,
            "case.delete",
            case_ref=access.reference,
            details={
                "counts": counts,
                "files_removed": len(files),
                "bytes_removed": size,
                "rows": sum(counts.values()),
            },
            justification=check.clean["reason"],
        )
        db.execute(
            """INSERT INTO case_tombstones (reference, closed_at, review_by, deleted_at, deleted_by, reason, counts,
                                            files_removed, bytes_removed, audit_seq)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (access.reference, state.closed_at, state.review_by, now, actor.username, check.clean["reason"],
             json.dumps(counts, sort_keys=True), len(files), size, seq),
        )  # fmt: skip
    # The rows are gone and committed; only now the files. A crash between the two leaves files no
    # row names (the sweep finds and removes them), never a row naming a file that is gone.
    left = _remove_files(db, store, access.case_id, held)
    veracity.forget()
    return Deletion(access.reference, counts, len(files), size, left, seq)


def _stored_files(db, case_id: int) -> tuple[list[str], int]:
    """The distinct files the case holds in the store (items not purged) and their bytes."""
    rows = list(
        db.query(
            """SELECT e.sha256, MAX(e.size) AS size FROM evidence e
               WHERE e.case_id = ? AND NOT EXISTS (SELECT 1 FROM evidence_purges p WHERE p.evidence_id = e.id)
               GROUP BY e.sha256 ORDER BY e.sha256""",
            (case_id,),
        )
    )
    return [r["sha256"] for r in rows], sum(r["size"] for r in rows)


# The purge path. The append-only tables refuse DELETE by trigger (`<table>_no_delete`); a case
# deletion is the one deliberate exception. Inside its transaction (BEGIN IMMEDIATE: no other
# connection can write meanwhile) it saves the SQL of each refusing DELETE trigger on the tables it
# deletes from, drops them, deletes, and creates them again from the saved SQL before the commit,
# then checks every trigger is back exactly as it was. SQLite's DDL is transactional, so a failure
# anywhere rolls the triggers back with the rows: no moment is ever committed without them, and
# other connections (readers in WAL) only ever see the schema with its triggers. We chose this over
# a guard table the triggers' WHEN clause would consult because it needs no change to any existing
# trigger (0001 to 0013 stay as written, and a table added later, such as the viewing log, is
# covered by its own `_no_delete` trigger without knowing about a guard), and a guard row left
# behind by a bug would silently open every table to DELETE; here a bug can only fail the deletion.
_DELETE_TRIGGER = re.compile(r"\bDELETE\s+ON\b", re.IGNORECASE)
_BEGIN = re.compile(r"\bBEGIN\b", re.IGNORECASE)


def _refusing_delete_triggers(db, tables: list[str]) -> list[tuple[str, str]]:
    found = []
    for table in tables:
        for row in db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", (table,)):
            name, sql = row
            head = _BEGIN.split(sql, maxsplit=1)[0]
            if _DELETE_TRIGGER.search(head) and "RAISE" in sql.upper():
                found.append((name, sql))
    return found


def _all_triggers(db) -> set[tuple[str, str]]:
    return {(r[0], r[1]) for r in db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")}


def _purge_rows(db, case_id: int) -> dict[str, int]:
    """Delete every row of the case, children first; returns rows deleted per table. Call inside
    the deleting transaction."""
    if not db.conn.in_transaction:
        raise RuntimeError("a case's rows are deleted only inside its deletion's transaction")
    plan = _plan(db)
    before = _all_triggers(db)
    suspended = _refusing_delete_triggers(db, [table for table, _ in plan])
    for name, _ in suspended:
        db.execute(f"DROP TRIGGER [{name}]")
    counts = {}
    for table, where in plan:
        counts[table] = db.execute(f"DELETE FROM [{table}] WHERE {where}", {"case_id": case_id}).rowcount  # noqa: S608
    for _, sql in suspended:
        db.execute(sql)
    if _all_triggers(db) != before:
        raise RuntimeError("the append-only triggers did not come back as they were; nothing was deleted")
    return {table: n for table, n in counts.items() if n}


def _plan(db) -> list[tuple[str, str]]:
    """(table, WHERE clause on :case_id) for every table holding a case's rows, children before
    their parents, `cases` last. A table belongs to a case when it has a `case_id` column or a
    foreign key to a row that does; a row goes when any of its keys points at a row that goes
    (the foreign keys would refuse the deletion otherwise)."""
    tables = [
        r[0]
        for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        if r[0] not in _KEPT
    ]
    columns = {t: [(c[1], c[5]) for c in db.execute(f"PRAGMA table_info([{t}])")] for t in tables}
    keys: dict[str, list[tuple[list[str], str, list[str]]]] = {}
    for table in tables:
        grouped: dict[int, tuple[list[str], str, list[str | None]]] = {}
        for fk in db.execute(f"PRAGMA foreign_key_list([{table}])"):
            ident, parent, source, target = fk[0], fk[2], fk[3], fk[4]
            grouped.setdefault(ident, ([], parent, []))
            grouped[ident][0].append(source)
            grouped[ident][2].append(target)
        keys[table] = []
        for source, parent, target in grouped.values():
            if parent == table or parent not in columns:
                continue  # a row naming a row of its own table (duplicate_of) goes with the same case
            if None in target:  # the parent's primary key
                target = [name for name, pk in sorted(columns[parent], key=lambda c: c[1]) if pk] or ["rowid"]
            keys[table].append((source, parent, target))
    where: dict[str, str] = {"cases": "id = :case_id"}
    changed = True
    while changed:  # a table joins once one of its keys reaches a table already in
        changed = False
        for table in tables:
            if table in where:
                continue
            terms = []
            if any(name == "case_id" for name, _ in columns[table]):
                terms.append("case_id = :case_id")
            for source, parent, target in keys[table]:
                if parent == "cases" and source == ["case_id"] and terms:
                    continue  # the same as the case_id term above
                if parent in where:
                    left = ", ".join(f"[{name}]" for name in source)
                    right = ", ".join(f"[{name}]" for name in target)
                    if len(source) > 1:
                        left = f"({left})"
                    terms.append(f"{left} IN (SELECT {right} FROM [{parent}] WHERE {where[parent]})")  # noqa: S608
            if terms:
                where[table] = " OR ".join(f"({t})" for t in terms)
                changed = True
    # Children first: a table is deleted from before every table its keys point at.
    order, pending = [], [t for t in tables if t in where]
    while pending:
        referenced = {p for t in pending for _, p, _ in keys[t] if p != t}
        ready = sorted(t for t in pending if t not in referenced)
        if not ready:
            raise RuntimeError(f"the case tables' foreign keys form a cycle: {', '.join(sorted(pending))}")
        order.extend(ready)
        pending = [t for t in pending if t not in ready]
    return [(table, where[table]) for table in order]


# --- the files -----------------------------------------------------------------------------------

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_CASE_FOLDER = re.compile(r"^case-(\d+)$")


def _live_files(db, case_id: int) -> set[str]:
    """The files a case's records still vouch for (items not purged)."""
    return set(_stored_files(db, case_id)[0])


def _remove_files(db, store: EvidenceStore, case_id: int, held: list[str]) -> list[str]:
    """After a deletion's commit: remove the deleted case's files. Each case has its own folder in
    the store (a file is shared only within a case), so no other case's bytes are here; but SQLite
    may give the freed id to a case opened since, so under the write lock (no upload can place a
    file meanwhile) a file a case with this id now vouches for is kept. Returns what could not go."""
    left = []
    with transaction(db):
        exists = query_one(db, "SELECT 1 AS found FROM cases WHERE id = ?", (case_id,)) is not None
        keep = _live_files(db, case_id) if exists else set()
        for sha256 in held:
            if sha256 in keep:
                continue
            try:
                store.remove(case_id, sha256)
            except StoreFailed:
                left.append(sha256)
        if not exists:
            folder = store.original_path(case_id, "0" * 64).parent.parent
            try:
                shutil.rmtree(folder)
            except FileNotFoundError:
                pass
            except OSError:
                left.append(str(folder))
    return left


@dataclass(frozen=True)
class Sweep:
    files_removed: int
    folders_removed: int


def sweep_store(db: sqlite_utils.Database, actor: Actor) -> Sweep:
    """Administrators: remove files in the evidence store that no record vouches for: the folder of
    a case that no longer exists (a deletion that stopped between its commit and its files), and a
    file in a case's folder that no item of the case (not purged) names. Audited."""
    require_admin(db, actor, "sweep the evidence store")
    store = EvidenceStore.for_database(db)
    files = folders = 0
    with transaction(db):  # the write lock: no upload is between placing its file and its record
        case_ids = {row[0] for row in db.execute("SELECT id FROM cases")}
        for folder in sorted(store.root.glob("case-*")) if store.root.exists() else ():
            match = _CASE_FOLDER.match(folder.name)
            if not match or not folder.is_dir():
                continue
            case_id = int(match.group(1))
            if case_id not in case_ids:
                files += sum(1 for path in folder.rglob("*") if path.is_file())
                shutil.rmtree(folder)
                folders += 1
                continue
            live = _live_files(db, case_id)
            for path in (folder / "originals").glob("*"):
                if _SHA256.match(path.name) and path.name not in live:
                    path.unlink(missing_ok=True)
                    files += 1
            for path in (folder / "previews").glob("*.jpg"):
                if _SHA256.match(path.stem) and path.stem not in live:
                    path.unlink(missing_ok=True)
                    files += 1
        audit.record(db, actor.username, "evidence.sweep", details={"files": files, "folders": folders})
    return Sweep(files, folders)


# --- tombstones ----------------------------------------------------------------------------------


def tombstones(db: sqlite_utils.Database, actor: Actor) -> pd.DataFrame:
    """Administrators: what is left of each deleted case, newest first; audited."""
    require_admin(db, actor, "see the deleted cases")
    rows = list(db.query("SELECT * FROM case_tombstones ORDER BY id DESC"))
    frame = pd.DataFrame(
        [
            {**row, "rows_deleted": sum(json.loads(row["counts"]).values()), "counts": _counts_text(row["counts"])}
            for row in rows
        ],
        columns=TOMBSTONE_COLUMNS,
    )
    audit.record(db, actor.username, "retention.tombstones", details={"rows": len(frame)})
    return frame


def _counts_text(counts: str) -> str:
    return ", ".join(f"{table} {n}" for table, n in sorted(json.loads(counts).items()))
