"""Every byte of case data a browser fetches: offered to one sign-in, served only to it.

Streamlit would publish a download or an image at a `/media/...` address any client could fetch,
with no cookie, for as long as the session lived, and nothing would record the fetch. So the
workbench serves case files itself (`workbench/web/files.py`), and this module decides what it may
serve:

- `offer` checks the right (the one permission check) and records a *grant*: this file, for this
  sign-in, until a few minutes from now, once (downloads, whose asking is audited as `file.offer`)
  or for a while (previews, which a browser may ask for again). The caller gets a random token;
  only its SHA-256 is stored.
- `redeem` is asked by the endpoint with the token and the cookie the browser sent. It refuses
  (always the same `Refused`) unless the grant is live, the sign-in is open, bound to that browser
  and not idle, the account is active, and the permission check passes *now* with the account's
  current role. Then it produces the file through the same domain function the page or CLI would
  use, which writes its audit event as the bytes leave.

Bundles are written to `outbox/<random>/` under the home (readable by the service account only)
and handed over once, then deleted; nothing holds a bundle in memory.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import sqlite_utils

from workbench import activity, audit, evidence, export, private, signins, timeline, users
from workbench.access import Actor, Right, authorize
from workbench.config import Settings
from workbench.csvsafe import frame_to_csv_bytes
from workbench.db import query_one, transaction
from workbench.errors import WorkbenchError
from workbench.evidence_store import EvidenceStore
from workbench.timeutil import from_iso_utc, now_utc, to_iso_utc

OUTBOX = "outbox"


class Refused(Exception):
    """The one answer to a fetch that will not be served, whatever the reason (logged in audit)."""


@dataclass(frozen=True)
class Served:
    file_name: str
    mime: str
    inline: bool  # shown in the page (a preview) rather than saved
    data: bytes | None = None
    path: Path | None = None  # a file to stream, then delete (a bundle)


@dataclass(frozen=True)
class Kind:
    right: Right  # checked when offered; the producer's own domain call checks again when fetched
    minutes: float
    single_use: bool
    produce: Callable[[sqlite_utils.Database, Actor, str, dict, Settings], Served]


def _original(db, actor, reference, params, settings) -> Served:
    item, data = evidence.original(db, actor, reference, params["code"])
    return Served(item.download_name, "application/octet-stream", inline=False, data=data)


def _preview(db, actor, reference, params, settings) -> Served:
    code = params["code"]
    shown = evidence.previews(db, actor, reference, [code])[code.strip().upper()]
    if shown is None:
        raise Refused("no preview")
    return Served(f"{code}-preview.jpg", "image/jpeg", inline=True, data=shown)  # previews are always JPEG


def _timeline_csv(db, actor, reference, params, settings) -> Served:
    filters = timeline.TimelineFilter(**_filters_from_json(params["filters"]))
    only = params.get("only")
    data = timeline.download_csv(db, actor, reference, filters, only=None if only is None else tuple(only))
    return Served(params["file_name"], "text/csv", inline=False, data=data)


def _activity_csv(db, actor, reference, params, settings) -> Served:
    filters = activity.ActivityFilter(**_filters_from_json(params["filters"]))
    shown = activity.case_activity(db, actor, reference, filters, limit=None, downloading=True)
    return Served(params["file_name"], "text/csv", inline=False, data=frame_to_csv_bytes(shown.events))


def _bundle(db, actor, reference, params, settings) -> Served:
    access = authorize(db, actor, Right.EXPORT, reference)
    path = outbox(settings) / Path(params["folder"]).name / Path(params["file_name"]).name
    if not path.is_file():
        raise Refused("bundle gone")
    audit.record(
        db, actor.username, "export.download", case_ref=access.reference, item_code=params["code"],
        details={"sha256": params["sha256"]},
    )  # fmt: skip
    return Served(params["file_name"], "application/zip", inline=False, path=path)


KINDS: dict[str, Kind] = {
    "evidence.original": Kind(Right.DOWNLOAD, 2, True, _original),
    "evidence.preview": Kind(Right.VIEW, 15, False, _preview),
    "timeline.csv": Kind(Right.DOWNLOAD, 2, True, _timeline_csv),
    "activity.csv": Kind(Right.AUDIT, 2, True, _activity_csv),
    "export.bundle": Kind(Right.EXPORT, 15, True, _bundle),
}


def offer(
    db: sqlite_utils.Database,
    actor: Actor,
    reference: str,
    kind: str,
    *,
    sign_in_id: str,
    file_name: str,
    params: dict | None = None,
) -> str:
    """A token for one fetch of this file by this sign-in (see the module's docstring)."""
    spec = KINDS[kind]
    access = authorize(db, actor, spec.right, reference)
    token = secrets.token_urlsafe(32)
    now = from_iso_utc(now_utc())
    with transaction(db):
        _forget_dead(db)
        db.table("file_grants").insert(
            {
                "token_sha256": _digest(token),
                "sign_in_id": sign_in_id,
                "kind": kind,
                "case_ref": access.reference,
                "params": json.dumps(params or {}, sort_keys=True, default=_json_default),
                "file_name": file_name,
                "created_at": to_iso_utc(now),
                "expires_at": to_iso_utc(now + timedelta(minutes=spec.minutes)),
                "single_use": int(spec.single_use),
                "used_at": None,
            }
        )
        if spec.single_use:  # a download asked for (previews are drawn with the page, and audited when fetched)
            audit.record(
                db, actor.username, "file.offer", case_ref=access.reference, item_code=(params or {}).get("code"),
                details={"kind": kind, "minutes": spec.minutes},
            )  # fmt: skip
    return token


def minutes_valid(kind: str) -> float:
    return KINDS[kind].minutes


def redeem(db: sqlite_utils.Database, token: str, browser_key: str | None, settings: Settings) -> Served:
    """The file behind a token, for the browser presenting `browser_key`; `Refused` otherwise."""
    grant = query_one(db, "SELECT * FROM file_grants WHERE token_sha256 = ?", (_digest(str(token)[:200]),))
    if grant is None:
        raise Refused("unknown token")
    record = signins.get(db, grant["sign_in_id"])
    actor = users.current_actor(db, record.user_id) if record else None
    reason = _why_not(grant, record, actor, browser_key, settings)
    if reason is None and grant["single_use"]:
        with transaction(db):
            taken = db.execute(
                "UPDATE file_grants SET used_at = ? WHERE token_sha256 = ? AND used_at IS NULL",
                (now_utc(), grant["token_sha256"]),
            ).rowcount
        reason = None if taken else "already used"
    if reason is None:
        try:
            return KINDS[grant["kind"]].produce(db, actor, grant["case_ref"], json.loads(grant["params"]), settings)
        except (WorkbenchError, Refused) as e:
            reason = f"not produced: {type(e).__name__}"
    who = actor.username if actor else "(unknown)"
    audit.record(db, who, "file.refused", case_ref=grant["case_ref"], details={"kind": grant["kind"], "reason": reason})
    raise Refused(reason)


def _why_not(grant: dict, record, actor: Actor | None, browser_key: str | None, settings: Settings) -> str | None:
    if grant["kind"] not in KINDS:
        return "unknown kind"
    if grant["expires_at"] <= now_utc():
        return "expired"
    if grant["single_use"] and grant["used_at"]:
        return "already used"
    if record is None or record.ended_at is not None:
        return "signed out"
    if record.browser_key_sha256 is None or not signins.key_matches(record, browser_key):
        return "another browser"
    if signins.idle_for(record, settings.sign_in.idle_minutes):
        return "idle"
    if actor is None:
        return "account not active"
    if actor.must_change_password:
        return "temporary password"
    return None


# --- the outbox: bundles waiting for their one download ------------------------------------------


def export_for_download(
    db: sqlite_utils.Database,
    actor: Actor,
    reference: str,
    options: export.ExportOptions,
    *,
    sign_in_id: str,
    progress: export.Progress | None = None,
) -> tuple[export.ExportResult, str]:
    """Export the case into the outbox and offer the bundle once to this sign-in: (result, token).
    The file goes when it is fetched or when its grant lapses, whichever comes first."""
    settings = Settings.from_env(EvidenceStore.for_database(db).root.parent)  # the home this database is in
    sweep(db, settings)
    file_name = f"{authorize(db, actor, Right.EXPORT, reference).reference}-{date.today().isoformat()}.zip"
    folder = outbox(settings) / secrets.token_hex(16)  # its own folder, so the bundle keeps its name
    private.make_folder(folder)
    try:
        result = export.export_case(db, actor, reference, folder / file_name, options, progress=progress)
        token = offer(
            db, actor, reference, "export.bundle", sign_in_id=sign_in_id, file_name=file_name,
            params={"folder": folder.name, "code": result.code, "sha256": result.sha256, "file_name": file_name},
        )  # fmt: skip
    except BaseException:
        discard(folder / file_name)
        raise
    return result, token


def discard(path: Path) -> None:
    """Delete a handed-over (or abandoned) bundle and its folder in the outbox."""
    path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        path.parent.rmdir()


def outbox(settings: Settings) -> Path:
    folder = settings.home / OUTBOX
    return private.make_folder(folder)


def sweep(db: sqlite_utils.Database, settings: Settings) -> int:
    """Forget grants that can no longer be used and delete every bundle no live grant names (one
    fetched, one whose link lapsed, one left by a crash mid-export); returns how many went."""
    with transaction(db):
        _forget_dead(db)
        live = {
            json.loads(r["params"]).get("folder")
            for r in db.query("SELECT params FROM file_grants WHERE kind = 'export.bundle'")
        }
    removed = 0
    root = settings.home / OUTBOX
    settled = time.time() - 300  # a bundle being written or just handed over is left alone
    if root.is_dir():
        for folder in root.iterdir():
            if folder.name not in live and folder.stat().st_mtime < settled:
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
    return removed


# --- small helpers ----------------------------------------------------------------------------------


def _forget_dead(db: sqlite_utils.Database) -> None:
    """Grants that can no longer be used go, so the table holds only what might still be fetched."""
    db.execute(
        "DELETE FROM file_grants WHERE expires_at <= ? OR (single_use = 1 AND used_at IS NOT NULL)", (now_utc(),)
    )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _json_default(value):
    if isinstance(value, date):
        return {"__date__": value.isoformat()}
    if isinstance(value, (frozenset, set)):  # tuples are lists to json already
        return list(value)
    raise TypeError(f"cannot keep {type(value).__name__} in a grant")


def filters_as_params(filters) -> dict:
    """A filter dataclass as plain JSON values (dates marked), for a grant's params."""
    return json.loads(json.dumps(vars(filters), default=_json_default))


def _filters_from_json(values: dict) -> dict:
    out = {}
    for name, value in values.items():
        if isinstance(value, dict) and "__date__" in value:
            value = date.fromisoformat(value["__date__"])
        elif isinstance(value, list):
            value = tuple(value)
        out[name] = value
    return out
