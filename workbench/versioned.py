"""Append-only records: an identity row with a per-case code, and numbered versions.

Observations, facts, milestones and actions are kept this way. Recording writes version 1;
amending writes the next version with who, when and why; retracting writes one marked retracted,
with the reason. Nothing is updated or deleted (the migrations' triggers refuse it); the current
version is the highest.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable
from dataclasses import dataclass

import sqlite_utils

from workbench import audit, fields
from workbench.access import Actor, CaseAccess
from workbench.db import next_codes, query_one, transaction
from workbench.errors import Conflict, NotFound, ValidationError
from workbench.timeutil import now_utc


@dataclass(frozen=True)
class VersionedTable:
    noun: str  # "observation", in messages
    identities: str  # "observations": case_id, code, created_by, created_at (and `identity_columns`)
    versions: str  # "observation_versions"
    key: str  # the versions' column naming the identity: "observation_id"
    prefix: str  # of the per-case code: "OBS"
    columns: tuple[str, ...]  # what a version holds besides version, retracted, reason, who and when
    identity_columns: tuple[str, ...] = ()  # what the identity holds besides its code: ("person_id",)

    def insert(self, db: sqlite_utils.Database, actor: Actor, case_id: int, clean: dict) -> str:
        """A new record: its identity and version 1. Returns its code (OBS-0007)."""
        return next(iter(self.insert_many(db, actor, case_id, [clean])))

    def insert_many(self, db: sqlite_utils.Database, actor: Actor, case_id: int, cleans: list[dict]) -> dict[str, int]:
        """New records, each its identity and version 1, written together (an import's rows): their
        codes, in order, each with its identity's id. Call inside the writing transaction."""
        if not cleans:
            return {}
        codes = next_codes(db, case_id, self.prefix, len(cleans))
        now = now_utc()
        identity = ["case_id", "code", *self.identity_columns, "created_by", "created_at"]
        identity_values = _values_of(self.identity_columns)
        db.conn.executemany(
            f"INSERT INTO {self.identities} ({', '.join(identity)}) VALUES ({', '.join('?' * len(identity))})",  # noqa: S608
            [
                (case_id, code, *identity_values(clean), actor.id, now)
                for code, clean in zip(codes, cleans, strict=True)
            ],
        )
        ids = dict(
            db.execute(
                f"SELECT code, id FROM {self.identities} "  # noqa: S608
                "WHERE case_id = ? AND code IN (SELECT value FROM json_each(?))",
                (case_id, json.dumps(codes)),
            ).fetchall()
        )
        version = [*self.columns, self.key, "version", "retracted", "change_reason", "recorded_by", "recorded_at"]
        values = _values_of(self.columns)
        db.conn.executemany(
            f"INSERT INTO {self.versions} ({', '.join(version)}) VALUES ({', '.join('?' * len(version))})",  # noqa: S608
            [(*values(clean), ids[code], 1, 0, "", actor.id, now) for code, clean in zip(codes, cleans, strict=True)],
        )
        return {code: ids[code] for code in codes}

    def add_version(
        self,
        db: sqlite_utils.Database,
        actor: Actor,
        identity_id: int,
        version: int,
        clean: dict,
        *,
        reason: str,
        retracted: bool = False,
        recorded_at: str | None = None,
    ) -> None:
        row = {name: clean[name] for name in self.columns}
        row |= {
            self.key: identity_id,
            "version": version,
            "retracted": int(retracted),
            "change_reason": reason,
            "recorded_by": actor.id,
            "recorded_at": recorded_at or now_utc(),
        }
        db.execute(
            f"INSERT INTO {self.versions} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",  # noqa: S608
            tuple(row.values()),
        )

    def latest(self, db: sqlite_utils.Database, case_id: int, code: str) -> dict:
        """The newest version: `id` (the identity's), `code`, `version`, `retracted` and the columns."""
        wanted = str(code or "").strip().upper()
        row = query_one(
            db,
            f"""SELECT t.id, t.code, v.version, v.retracted, {", ".join("v." + c for c in self.columns)}
                FROM {self.identities} t JOIN {self.versions} v ON v.{self.key} = t.id
                WHERE t.case_id = ? AND t.code = ? ORDER BY v.version DESC LIMIT 1""",  # noqa: S608
            (case_id, wanted),
        )
        if row is None:
            raise NotFound(f"{self.noun.capitalize()} {wanted[:40]} not found.")
        return row

    def next_version(
        self, db: sqlite_utils.Database, case_id: int, code: str, expected_version: int | None
    ) -> tuple[dict, int]:
        """The newest version and the number the next one takes. Refuses a retracted record, and one
        someone else changed since the caller read `expected_version`. Call inside the transaction."""
        latest = self.latest(db, case_id, code)
        if latest["retracted"]:
            raise Conflict(f"{latest['code']} is retracted; a retracted {self.noun} cannot change.")
        if expected_version is not None and latest["version"] != expected_version:
            raise Conflict(
                f"{latest['code']} changed since you opened it (now version {latest['version']}); "
                "reopen it and try again."
            )
        return latest, latest["version"] + 1

    def supersede(
        self,
        db: sqlite_utils.Database,
        actor: Actor,
        access: CaseAccess,
        latest: dict,
        clean: dict,
        *,
        reason: str,
        expected_version: int | None,
        event: str,
        unchanged_field: str,
        details: dict | None = None,
    ) -> str:
        """The next version, when `clean` differs from `latest` (as `latest` returns it), with the
        audit event `event` naming what changed; refuses no change on `unchanged_field`, and a stale
        or retracted record. Call inside the transaction. Returns the code."""
        changed = [name for name in self.columns if (clean[name] or "") != (latest[name] or "")]
        if not changed:
            raise ValidationError({unchanged_field: "nothing was changed; there is no new version to save"})
        latest, version = self.next_version(db, access.case_id, latest["code"], expected_version)
        self.add_version(db, actor, latest["id"], version, clean, reason=reason)
        audit.record(
            db,
            actor.username,
            event,
            case_ref=access.reference,
            item_code=latest["code"],
            details={"version": version, "changed": changed, **(details or {})},
            justification=reason,
        )
        return latest["code"]

    def retract(
        self,
        db: sqlite_utils.Database,
        actor: Actor,
        access: CaseAccess,
        code: str,
        reason: str,
        *,
        expected_version: int | None = None,
        then: Callable[[str], None] | None = None,
    ) -> str:
        """Withdraw a record: a version marked retracted, with the reason, and the audit event
        "<noun>.retract". `then(code)` runs in the same transaction (re-running rules). Returns the code."""
        reason = fields.reason(reason)
        with transaction(db):
            latest, version = self.next_version(db, access.case_id, code, expected_version)
            self.add_version(db, actor, latest["id"], version, latest, reason=reason, retracted=True)
            if then:
                then(latest["code"])
            audit.record(
                db,
                actor.username,
                f"{self.noun}.retract",
                case_ref=access.reference,
                item_code=latest["code"],
                details={"version": version},
                justification=reason,
            )
        return latest["code"]


def _values_of(names: tuple[str, ...]) -> Callable[[dict], tuple]:
    """A row's values of `names`, as a tuple, without a Python loop per row (an import writes
    thousands). itemgetter alone gives a bare value for one name and fails for none."""
    if len(names) > 1:
        return operator.itemgetter(*names)
    return lambda row: tuple(row[name] for name in names)
