"""Evidence captures: files received byte-exact, hashed at intake, with who, when, how and why.

Each file is judged on its own: stored, a duplicate of an item already in the case (its bytes kept
once, a new record naming the earlier item), or rejected with the reason and nothing left behind.
The capture record (where it was seen, what it shows, why it matters, how and with which overt
account it was captured) is checked before any file is read, and applies to every file of the
batch. A purge deletes the bytes and every derived copy and keeps the record, its SHA-256 and the
reason. No file may hold a nude or semi-nude image of a child: the uploader confirms it, and
image-sharing incidents take no files at all.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import sqlite_utils

from workbench import audit, exif, fields, media
from workbench.access import Actor, CaseAccess, Right, authorize, require_admin
from workbench.config import EvidenceLimits
from workbench.db import next_code, query_one, transaction
from workbench.errors import Conflict, NotFound, ValidationError
from workbench.evidence_store import EvidenceStore, StoreFailed
from workbench.preview import NoPreview, TooLarge
from workbench.schemas import Catalog, load_catalog
from workbench.timeutil import is_after, now_utc, parse_instant

CAPTURE_FIELDS = (
    "observation", "source_url", "platform", "shows", "relevance", "method", "viewing_account", "captured_at",
    "confirmed_no_indecent_image",
)  # fmt: skip
DEFAULT_METHOD = "screenshot_work_device"
NOT_CONFIRMED = "must be given: confirm that no file holds a nude or semi-nude image of a child"
STORED, DUPLICATE, REJECTED = "stored", "duplicate", "rejected"
NO_INDECENT_IMAGES = (
    "Confirm that the file holds no nude or semi-nude image of a child. Taking, making, sharing or "
    "possessing an indecent image of a child is an offence (Protection of Children Act 1978), for "
    "professionals too. If you have seen one: do not save or upload it; record a description in an "
    "image-sharing incident observation, tell the designated safeguarding lead and the police, and use "
    "Report Remove (Childline and the IWF) to get it taken down."
)


@dataclass(frozen=True)
class Upload:
    """One file as received: its name as given, how to read it (a reader may refuse a file over
    `limit` bytes without reading it), and the name to record when that differs from the one given
    (a path on the command line is recorded by its last part)."""

    name: str
    read: Callable[[int], bytes]
    recorded_name: str | None = None

    @classmethod
    def of_bytes(cls, name: str, data: bytes) -> Upload:
        return cls(name, lambda limit: data)

    @classmethod
    def of_path(cls, path: str | Path) -> Upload:
        path = Path(path)

        def read(limit: int) -> bytes:
            try:
                if path.is_dir():
                    raise media.Rejected("it is a folder, not a file")
                size = path.stat().st_size
                if size > limit:
                    raise media.Rejected(_too_large(size, limit))
                return path.read_bytes()
            except FileNotFoundError:
                raise media.Rejected("no such file") from None
            except OSError as e:
                raise media.Rejected(f"the file cannot be read ({e.strerror or type(e).__name__})") from None

        return cls(str(path), read, recorded_name=path.name)


@dataclass
class IntakeResult:
    """What happened to one file: the line `workbench evidence add` prints for it."""

    file: str
    status: str
    code: str | None = None
    sha256: str | None = None
    size: int | None = None
    media_type: str | None = None
    width: int | None = None
    height: int | None = None
    metadata: dict | None = None
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    duplicate_of: str | None = None

    def as_json(self) -> dict:
        return {
            "file": self.file,
            "status": self.status,
            "code": self.code,
            "sha256": self.sha256,
            "size": self.size,
            "media_type": self.media_type,
            "width": self.width,
            "height": self.height,
            "metadata": self.metadata,
            "warnings": list(self.warnings),
            "error": self.error,
            "duplicate_of": self.duplicate_of,
        }


@dataclass(frozen=True)
class EvidenceItem:
    code: str
    file_name: str
    category: str
    media_type: str
    extension: str
    sha256: str
    size: int
    width: int | None
    height: int | None
    observation: str | None
    duplicate_of: str | None
    source_url: str
    platform: str
    shows: str
    relevance: str
    method: str
    viewing_account: str
    captured_at: str | None
    received_at: str
    received_by: str
    metadata: dict
    has_gps: bool
    warnings: list[str]
    purged: bool
    purged_at: str | None
    purged_by: str | None
    purge_reason: str | None
    last_checked_at: str | None
    last_check: str | None

    @property
    def download_name(self) -> str:
        """Safe in any browser and file system: the code, then the cleaned name's letters and digits."""
        name = self.file_name
        if name.lower().endswith(f".{self.extension}"):
            name = name[: -len(self.extension) - 1]
        elif "." in name:
            name = name.rsplit(".", 1)[0]
        stem = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "_" for ch in name)
        stem = stem[:80].strip("._") or "file"
        return f"{self.code}-{stem}.{self.extension}"


@dataclass(frozen=True)
class Problem:
    case: str
    code: str
    problem: str

    def line(self) -> str:
        return f"{self.case} {self.code}: {self.problem}"


@dataclass(frozen=True)
class VerifyReport:
    checked: int
    problems: list[Problem]

    @property
    def intact(self) -> bool:
        return not self.problems


# --- intake ------------------------------------------------------------------------------------


def add_files(
    db: sqlite_utils.Database,
    actor: Actor,
    reference: str,
    uploads: Sequence[Upload],
    capture: dict,
    *,
    limits: EvidenceLimits | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[IntakeResult]:
    """Take in each file under one capture record. Bad capture fields refuse the whole batch
    (ValidationError) before any file is read; a bad file is rejected on its own."""
    access = authorize(db, actor, Right.RECORD, reference)
    limits = limits or EvidenceLimits.from_env()
    clean = check_capture(db, access.case_id, capture)
    store = EvidenceStore.for_database(db)
    store.sweep_incoming()
    results = []
    for done, upload in enumerate(uploads, start=1):
        try:
            results.append(_take_one(db, actor, access, store, upload, clean, limits))
        except sqlite3.OperationalError as e:
            if getattr(e, "sqlite_errorcode", None) != sqlite3.SQLITE_FULL:
                raise
            raise StoreFailed(_disk_full(done, len(uploads))) from None
        if progress:
            progress(done, len(uploads))
    return results


def check_capture(db: sqlite_utils.Database, case_id: int, given: dict, catalog: Catalog | None = None) -> dict:
    """The capture record's columns, or ValidationError naming each bad field."""
    catalog = catalog or load_catalog()
    given = {k: ("" if v is None else v) for k, v in (given or {}).items()}
    check = fields.Checks()
    clean, errors = check.clean, check.errors

    unknown = sorted(set(given) - set(CAPTURE_FIELDS))
    if unknown:
        errors[unknown[0]] = "is not a capture record field"
    check("observation_id", lambda: _observation_id(db, case_id, given.get("observation")))
    if "observation_id" in errors:
        errors["observation"] = errors.pop("observation_id")
    check("source_url", lambda: fields.web_url(given.get("source_url")))
    platforms = [(name, name) for name in catalog.platforms]
    check("platform", lambda: fields.vocabulary(given["platform"], platforms) if given.get("platform") else "")
    check("shows", lambda: fields.text(given.get("shows"), required=False, max_length=2000))
    check("relevance", lambda: fields.text(given.get("relevance"), required=False, max_length=2000))
    check("method", lambda: fields.vocabulary(given.get("method") or DEFAULT_METHOD, catalog.pairs("capture_methods")))
    check(
        "viewing_account",
        lambda: fields.text(given.get("viewing_account"), required=False, max_length=200, single_line=True),
    )
    check("captured_at", lambda: parse_instant(given["captured_at"]) if given.get("captured_at") else None)
    if clean.get("captured_at") and is_after(clean["captured_at"], now_utc()):
        errors["captured_at"] = "is in the future"
    if not fields.boolean(given.get("confirmed_no_indecent_image")):
        errors["confirmed_no_indecent_image"] = NOT_CONFIRMED
    if errors:
        raise ValidationError(errors)
    clean["confirmed_no_indecent_image"] = 1
    return clean


def _observation_id(db: sqlite_utils.Database, case_id: int, code) -> int | None:
    wanted = str(code or "").strip().upper()
    if not wanted:
        return None
    row = query_one(
        db,
        """SELECT o.id, v.kind, v.retracted FROM observations o
           JOIN observation_versions v ON v.observation_id = o.id
           WHERE o.case_id = ? AND o.code = ? ORDER BY v.version DESC LIMIT 1""",
        (case_id, wanted),
    )
    if row is None:
        raise ValueError(f"{wanted[:40]} is not an observation in this case")
    if row["retracted"]:
        raise ValueError(f"{wanted} is retracted; link the file to a current observation")
    kind = load_catalog().kinds.get(row["kind"])
    if kind and kind.no_attachments:
        raise ValueError(
            f"{wanted} is an image-sharing incident: it takes no files. Record a description and report it instead."
        )
    return row["id"]


def _take_one(
    db, actor: Actor, access: CaseAccess, store: EvidenceStore, upload: Upload, capture: dict, limits: EvidenceLimits
) -> IntakeResult:
    file_name, notes = media.clean_file_name(upload.recorded_name if upload.recorded_name is not None else upload.name)
    result = IntakeResult(file=upload.name, status=REJECTED)
    try:
        data = upload.read(limits.max_bytes)
        if len(data) > limits.max_bytes:
            raise media.Rejected(_too_large(len(data), limits.max_bytes))
        result.size, result.sha256 = len(data), hashlib.sha256(data).hexdigest()
        identified = media.identify(data, max_pixels=limits.max_pixels)
    except media.Rejected as e:
        return _reject(db, actor, access, result, str(e))
    metadata = exif.read(data, identified.exif_block) if identified.category == "image" else exif.ImageMetadata()
    mismatch = media.name_mismatch(file_name, identified)
    warnings = [*notes, *identified.warnings, *metadata.warnings, *([mismatch] if mismatch else [])]
    result.media_type, result.width, result.height = identified.media_type, identified.width, identified.height
    result.metadata, result.warnings = metadata.as_dict(), warnings
    staged = None
    try:
        staged = store.stage(data)
        with transaction(db):
            earlier = query_one(
                db,
                """SELECT e.id, e.code, p.evidence_id IS NOT NULL AS purged FROM evidence e
                   LEFT JOIN evidence_purges p ON p.evidence_id = e.id
                   WHERE e.case_id = ? AND e.sha256 = ? ORDER BY e.id LIMIT 1""",
                (access.case_id, result.sha256),
            )
            if earlier and earlier["purged"]:
                raise media.Rejected(
                    f"these exact bytes were purged from this case ({earlier['code']}); they cannot be stored again"
                )
            placed = store.place(staged, access.case_id, result.sha256, replace=earlier is None)
            try:
                result.code = _insert(db, actor, access, result, identified, file_name, capture, metadata, earlier)
            except BaseException:
                if placed:
                    store.remove(access.case_id, result.sha256)
                raise
    except (media.Rejected, StoreFailed) as e:
        return _reject(db, actor, access, result, str(e))
    finally:
        store.discard(staged)
    result.status = DUPLICATE if earlier else STORED
    result.duplicate_of = earlier["code"] if earlier else None
    return result


def _insert(db, actor, access, result, identified, file_name, capture, metadata, earlier) -> str:
    code = next_code(db, access.case_id, "EV")
    row = {
        "case_id": access.case_id,
        "code": code,
        "sha256": result.sha256,
        "size": result.size,
        "category": identified.category,
        "media_type": identified.media_type,
        "extension": identified.extension,
        "file_name": file_name,
        "duplicate_of": earlier["id"] if earlier else None,
        "received_at": now_utc(),
        "received_by": actor.id,
        "width": identified.width,
        "height": identified.height,
        "metadata": json.dumps(metadata.as_dict(), ensure_ascii=False, sort_keys=True),
        "has_gps": int(metadata.has_gps),
        "warnings": json.dumps(result.warnings, ensure_ascii=False),
        **capture,
    }
    names = ", ".join(row)
    db.execute(f"INSERT INTO evidence ({names}) VALUES ({', '.join('?' * len(row))})", tuple(row.values()))  # noqa: S608
    audit.record(
        db,
        actor.username,
        "evidence.add",
        case_ref=access.reference,
        item_code=code,
        details={
            "sha256": result.sha256,
            "size": result.size,
            "media_type": identified.media_type,
            "duplicate_of": earlier["code"] if earlier else None,
            "has_gps": bool(metadata.has_gps),
        },
    )
    return code


def _reject(db, actor: Actor, access: CaseAccess, result: IntakeResult, reason: str) -> IntakeResult:
    """A refused file leaves nothing in the store; the refusal itself is audited (never the name,
    which may hold a child's)."""
    result.status, result.error, result.code = REJECTED, reason, None
    result.media_type = result.width = result.height = result.metadata = None
    audit.record(
        db,
        actor.username,
        "evidence.reject",
        case_ref=access.reference,
        details={"reason": reason, "size": result.size, "sha256": result.sha256},
    )
    return result


def _disk_full(number: int, total: int) -> str:
    """When the database itself cannot be written (the file store's refusal could not even be
    recorded): a message, not a traceback. Items stored before this file were committed and stay."""
    return (
        f"the server's disk is full: the database cannot be written. File {number} of {total} was not stored, "
        "nor any after it; those stored before it are kept. Free some space, then add the rest again."
    )


def _too_large(size: int, limit: int) -> str:
    return f"the file is {size / 1048576:.1f} MB, over the limit of {limit / 1048576:g} MB"


# --- reading -----------------------------------------------------------------------------------

_ITEM_SQL = """
    SELECT e.*, o.code AS observation, d.code AS duplicate_code, u.username AS receiver,
           p.purged_at, p.reason AS purge_reason, pu.username AS purger,
           c.checked_at AS last_checked_at, c.result AS last_check
    FROM evidence e
    LEFT JOIN observations o ON o.id = e.observation_id
    LEFT JOIN evidence d ON d.id = e.duplicate_of
    JOIN users u ON u.id = e.received_by
    LEFT JOIN evidence_purges p ON p.evidence_id = e.id
    LEFT JOIN users pu ON pu.id = p.purged_by
    LEFT JOIN evidence_checks c ON c.id = (
        SELECT id FROM evidence_checks WHERE evidence_id = e.id ORDER BY checked_at DESC, id DESC LIMIT 1)
"""


def list_evidence(db: sqlite_utils.Database, actor: Actor, reference: str) -> list[EvidenceItem]:
    """Every item in the case, oldest first, purged ones included (marked)."""
    access = authorize(db, actor, Right.VIEW, reference)
    items = _items(db, "e.case_id = ?", (access.case_id,))
    audit.record(db, actor.username, "evidence.list", case_ref=access.reference, details={"items": len(items)})
    return items


def view(db: sqlite_utils.Database, actor: Actor, reference: str, code: str) -> EvidenceItem:
    """One item's capture record and metadata."""
    access = authorize(db, actor, Right.VIEW, reference)
    item = _item(db, access.case_id, code)
    audit.record(db, actor.username, "evidence.view", case_ref=access.reference, item_code=item.code)
    return item


NO_PREVIEW = "No preview: the picture cannot be decoded. Download the original to examine it."


@dataclass(frozen=True)
class Preview:
    jpeg: bytes | None  # the browser-safe copy, or None
    note: str | None = None  # why there is none, for the reader, where there is none of an image


def previews(db: sqlite_utils.Database, actor: Actor, reference: str, codes: Sequence[str]) -> dict[str, bytes | None]:
    """The browser-safe copies of these items (None where there is none: a saved page, a purged
    item, pixels that cannot be decoded or are too many to decode safely). One audit event for the lot."""
    return {code: shown.jpeg for code, shown in preview_outcomes(db, actor, reference, codes).items()}


def preview_outcomes(
    db: sqlite_utils.Database, actor: Actor, reference: str, codes: Sequence[str]
) -> dict[str, Preview]:
    """As `previews`, with the reason an image has none (`preview.TooLarge`'s message: too large to
    decode within a preview's memory; or it cannot be decoded, or read). One audit event for the lot."""
    access = authorize(db, actor, Right.VIEW, reference)
    store = EvidenceStore.for_database(db)
    wanted = [str(c).strip().upper() for c in codes]
    marks = ", ".join("?" * len(wanted))
    found = {
        item.code: item for item in _items(db, f"e.case_id = ? AND e.code IN ({marks})", (access.case_id, *wanted))
    }
    shown: dict[str, Preview] = {}
    for code in wanted:
        item = found.get(code)
        if item is None:
            raise NotFound(f"Evidence {code[:40]} not found.")
        shown[code] = Preview(None)
        if item.category == "image" and not item.purged:
            try:
                shown[code] = Preview(store.preview(access.case_id, item.sha256, item.metadata.get("orientation")))
            except TooLarge as e:
                shown[code] = Preview(None, str(e))
            except NoPreview:
                shown[code] = Preview(None, NO_PREVIEW)
            except StoreFailed as e:
                shown[code] = Preview(None, f"No preview: {e}.")
    audit.record(db, actor.username, "evidence.preview", case_ref=access.reference, details={"codes": wanted})
    return shown


def original(db: sqlite_utils.Database, actor: Actor, reference: str, code: str) -> tuple[EvidenceItem, bytes]:
    """The bytes exactly as received, for download (audited). Reviewers read on screen only."""
    access = authorize(db, actor, Right.DOWNLOAD, reference)
    item = _item(db, access.case_id, code)
    if item.purged:
        raise Conflict(f"{item.code} was purged on {item.purged_at}: its bytes are gone.")
    data = EvidenceStore.for_database(db).read(access.case_id, item.sha256)
    audit.record(
        db, actor.username, "evidence.download", case_ref=access.reference, item_code=item.code,
        details={"sha256": item.sha256},
    )  # fmt: skip
    return item, data


def case_items(db: sqlite_utils.Database, case_id: int) -> list[EvidenceItem]:
    """Every item of a case, purged ones included, in the order received. For modules that have authorized."""
    return _items(db, "e.case_id = ?", (case_id,))


def _item(db, case_id: int, code: str) -> EvidenceItem:
    wanted = str(code or "").strip().upper()
    found = _items(db, "e.case_id = ? AND e.code = ?", (case_id, wanted))
    if not found:
        raise NotFound(f"Evidence {wanted[:40]} not found.")
    return found[0]


def _items(db, where: str, params: tuple) -> list[EvidenceItem]:
    rows = db.query(f"{_ITEM_SQL} WHERE {where} ORDER BY e.id", params)  # noqa: S608
    return [_from_row(row) for row in rows]


def _from_row(row: dict) -> EvidenceItem:
    return EvidenceItem(
        code=row["code"],
        file_name=row["file_name"],
        category=row["category"],
        media_type=row["media_type"],
        extension=row["extension"],
        sha256=row["sha256"],
        size=row["size"],
        width=row["width"],
        height=row["height"],
        observation=row["observation"],
        duplicate_of=row["duplicate_code"],
        source_url=row["source_url"],
        platform=row["platform"],
        shows=row["shows"],
        relevance=row["relevance"],
        method=row["method"],
        viewing_account=row["viewing_account"],
        captured_at=row["captured_at"],
        received_at=row["received_at"],
        received_by=row["receiver"],
        metadata=json.loads(row["metadata"]),
        has_gps=bool(row["has_gps"]),
        warnings=json.loads(row["warnings"]),
        purged=row["purged_at"] is not None,
        purged_at=row["purged_at"],
        purged_by=row["purger"],
        purge_reason=row["purge_reason"],
        last_checked_at=row["last_checked_at"],
        last_check=row["last_check"],
    )


def as_frame(items: Sequence[EvidenceItem]) -> pd.DataFrame:
    """The items as a table (codes and ISO UTC times), for the CLI and the page."""
    columns = [
        "code", "file_name", "media_type", "size", "sha256", "width", "height", "observation", "duplicate_of",
        "source_url", "platform", "method", "viewing_account", "captured_at", "received_at", "received_by",
        "has_gps", "purged", "last_checked_at", "last_check", "shows", "relevance",
    ]  # fmt: skip
    return pd.DataFrame([{name: getattr(item, name) for name in columns} for item in items], columns=columns)


# --- purge -------------------------------------------------------------------------------------


def purge(db: sqlite_utils.Database, actor: Actor, reference: str, code: str, reason: str) -> list[str]:
    """Delete an item's bytes and every derived copy; the record stays, marked purged, with the
    reason. Items in the case holding the same bytes go with it (they share one file). Returns
    the codes purged."""
    access = authorize(db, actor, Right.PURGE, reference)
    reason = fields.reason(reason)
    store = EvidenceStore.for_database(db)
    with transaction(db):
        item = _item(db, access.case_id, code)
        if item.purged:
            raise Conflict(f"{item.code} was already purged on {item.purged_at}.")
        sharing = [
            (row["id"], row["code"])
            for row in db.query(
                """SELECT e.id, e.code FROM evidence e LEFT JOIN evidence_purges p ON p.evidence_id = e.id
                   WHERE e.case_id = ? AND e.sha256 = ? AND p.evidence_id IS NULL ORDER BY e.id""",
                (access.case_id, item.sha256),
            )
        ]
        now = now_utc()
        for evidence_id, _ in sharing:
            db.execute(
                "INSERT INTO evidence_purges (evidence_id, reason, purged_by, purged_at) VALUES (?, ?, ?, ?)",
                (evidence_id, reason, actor.id, now),
            )
        codes = [c for _, c in sharing]
        audit.record(
            db,
            actor.username,
            "evidence.purge",
            case_ref=access.reference,
            item_code=item.code,
            details={"sha256": item.sha256, "codes": codes},
            justification=reason,
        )
        store.remove(access.case_id, item.sha256)  # last: a failure here rolls the record back
    return codes


# --- integrity ---------------------------------------------------------------------------------


def verify_case(db: sqlite_utils.Database, actor: Actor, reference: str) -> VerifyReport:
    """Re-hash every stored file of the case; say which are missing or altered."""
    access = authorize(db, actor, Right.VERIFY, reference)
    return _verify(db, actor, [(access.case_id, access.reference)], case_ref=access.reference)


def verify_all(db: sqlite_utils.Database, actor: Actor) -> VerifyReport:
    """Every case's files (administrators and the operator at the shell)."""
    require_admin(db, actor, "verify the whole evidence store")
    cases = [(row["id"], row["reference"]) for row in db.query("SELECT id, reference FROM cases ORDER BY id")]
    return _verify(db, actor, cases, case_ref=None)


def _verify(db, actor: Actor, cases: list[tuple[int, str]], *, case_ref: str | None) -> VerifyReport:
    store = EvidenceStore.for_database(db)
    problems: list[Problem] = []
    results: list[tuple[str, int, str]] = []
    checked = 0
    for case_id, reference in cases:
        hashed: dict[str, str | None] = {}
        for item in _items(db, "e.case_id = ?", (case_id,)):
            if item.purged:
                if store.exists(case_id, item.sha256):
                    problems.append(Problem(reference, item.code, "purged, but its bytes are still on disk"))
                continue
            if item.sha256 not in hashed:
                hashed[item.sha256] = store.hash_of(case_id, item.sha256)
            now_hash = hashed[item.sha256]
            checked += 1
            if now_hash is None:
                results.append((item.code, case_id, "missing"))
                problems.append(Problem(reference, item.code, "missing: the stored file is gone"))
            elif now_hash != item.sha256:
                results.append((item.code, case_id, "altered"))
                problems.append(Problem(reference, item.code, f"altered: the stored file now hashes to {now_hash}"))
            else:
                results.append((item.code, case_id, "intact"))
    with transaction(db):
        now = now_utc()
        for code, case_id, result in results:
            db.execute(
                """INSERT INTO evidence_checks (evidence_id, checked_at, result)
                   SELECT id, ?, ? FROM evidence WHERE case_id = ? AND code = ?""",
                (now, result, case_id, code),
            )
        audit.record(
            db,
            actor.username,
            "evidence.verify",
            case_ref=case_ref,
            details={"items": checked, "problems": len(problems)},
        )
    return VerifyReport(checked, problems)
