"""Evidence bundles: a case leaves the workbench as one ZIP that opens in a spreadsheet, describes
itself and proves it has not changed.

The ZIP holds the case's tables as CSV (`bundle_tables.py`), the original evidence files as
`evidence/<sha256>.<ext>`, `datapackage.json` (a Frictionless Data Package: a Table Schema for
every CSV, and every file's SHA-256 and size), `README.txt` and `SHA256SUMS` (as `sha256sum -c`
reads it, over every other file). Every export is an audited sharing decision: `export.start`
(purpose, recipient, options) is written first and so is in the bundle's own audit.csv;
`export.complete` and a row in `exports` carry the ZIP's SHA-256.

The ZIP is written to a temporary name beside the target and renamed only when whole; evidence
files are streamed into it in chunks, and the ZIP is hashed as it is written.
"""

from __future__ import annotations

import contextlib
import csv
import glob
import hashlib
import io
import json
import os
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import pandas as pd
import sqlite_utils

from workbench import audit, bundle_tables, fields, redaction
from workbench.access import Actor, Right, authorize
from workbench.bundle_tables import EvidenceFile, Redactions, Scope, Table
from workbench.csvsafe import neutralise
from workbench.db import next_code, query_one, snapshot, transaction
from workbench.durable import HashingWriter
from workbench.errors import Conflict, ValidationError
from workbench.evidence_store import EvidenceStore
from workbench.timeutil import now_utc

CHUNK = 1024 * 1024
STALE_PARTIAL_SECONDS = 600  # no export runs this long; one this old was killed
REDACTABLE = ("names", "handles", "urls", "gps")
# A fixed time for every member of the ZIP: the same case state gives the same CSV members.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class ExportOptions:
    purpose: str
    recipient: str
    redact: tuple[str, ...] = ()  # any of REDACTABLE
    include_files: bool = True
    date_from: date | None = None
    date_to: date | None = None
    conditions_met: str = ""  # how the conditions of records graded C are met; empty leaves them out
    force: bool = False  # replace a file already at the target

    def as_details(self) -> dict:
        return {
            "purpose": self.purpose,
            "recipient": self.recipient,
            "redact": sorted(self.redact),
            "include_files": self.include_files,
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
            "conditional_records": bool(self.conditions_met),
        }


@dataclass(frozen=True)
class ExportResult:
    code: str  # EXP-0001
    path: Path
    sha256: str
    size: int
    files: int  # members of the ZIP
    tables: dict[str, int] = field(default_factory=dict)  # rows per CSV
    evidence_files: int = 0
    left_out_conditional: int = 0


def export_case(
    db: sqlite_utils.Database,
    actor: Actor,
    reference: str,
    target: Path | str,
    options: ExportOptions,
    progress: Progress | None = None,
) -> ExportResult:
    """Write the case's bundle to `target` (a .zip); audited. Refuses an existing target unless
    `force`, and leaves nothing under the target's name if it fails part way."""
    access = authorize(db, actor, Right.EXPORT, reference)
    target = Path(target)
    options = _checked(options, target)
    say = progress or (lambda fraction, message: None)
    started = audit.record(
        db, actor.username, "export.start", case_ref=access.reference, details=options.as_details(),
        justification=options.conditions_met,
    )  # fmt: skip
    say(0.02, "Reading the case")
    with snapshot(db):
        built = _build(db, access.case_id, access.reference, options)
    exported_at = now_utc()
    readme = _readme(access, actor, options, built, exported_at)
    store = EvidenceStore.for_database(db)
    folder = target.resolve().parent
    _sweep_partials(folder, target.name)
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below; renamed only when whole
        dir=folder, prefix=f".{target.name}.", suffix=".partial", delete=False
    )
    partial = Path(handle.name)
    try:
        with handle:
            hashed = HashingWriter(handle)
            members = _write_zip(hashed, built, readme, store, access.case_id, say)
            handle.flush()
            os.fsync(handle.fileno())
        if target.exists() and not options.force:  # appeared while we wrote
            raise Conflict(f"{target} exists; choose another name, or replace it (--force).")
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    sha256, size = hashed.hexdigest(), hashed.size
    say(1.0, "Done")
    with transaction(db):
        code = next_code(db, access.case_id, "EXP")
        db.execute(
            """INSERT INTO exports (case_id, code, exported_by, exported_at, purpose, recipient, options,
                                    conditions_met, file_name, sha256, size, files)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (
                access.case_id, code, actor.id, exported_at, options.purpose, options.recipient,
                json.dumps(options.as_details(), sort_keys=True), options.conditions_met, target.name, sha256, size,
                members,
            ),
        )  # fmt: skip
        audit.record(
            db,
            actor.username,
            "export.complete",
            case_ref=access.reference,
            item_code=code,
            details={
                "sha256": sha256, "size": size, "files": members, "started": started,
                "recipient": options.recipient, "purpose": options.purpose,
            },
        )  # fmt: skip
    return ExportResult(
        code=code,
        path=target,
        sha256=sha256,
        size=size,
        files=members,
        tables={t.name: len(t.frame) for t in built.tables},
        evidence_files=len(built.files),
        left_out_conditional=built.left_out_conditional,
    )


def list_exports(db: sqlite_utils.Database, actor: Actor, reference: str) -> pd.DataFrame:
    """The case's earlier exports, newest first: who, when, purpose, recipient, the ZIP's SHA-256."""
    access = authorize(db, actor, Right.VIEW, reference)
    frame = pd.DataFrame(
        list(
            db.query(
                """SELECT x.code, u.username AS exported_by, x.exported_at, x.purpose, x.recipient, x.file_name,
                          x.sha256, x.size, x.files, x.options, x.conditions_met
                   FROM exports x JOIN users u ON u.id = x.exported_by
                   WHERE x.case_id = ? ORDER BY x.id DESC""",
                (access.case_id,),
            )
        ),
        columns=[
            "code", "exported_by", "exported_at", "purpose", "recipient", "file_name", "sha256", "size", "files",
            "options", "conditions_met",
        ],
    )  # fmt: skip
    audit.record(db, actor.username, "export.list", case_ref=access.reference, details={"rows": len(frame)})
    return frame


def _sweep_partials(folder: Path, name: str) -> None:
    """Remove what an export to the same name left when it was killed (it could not tidy up)."""
    cutoff = time.time() - STALE_PARTIAL_SECONDS
    for partial in folder.glob(f".{glob.escape(name)}.*.partial"):
        with contextlib.suppress(OSError):
            if partial.stat().st_mtime < cutoff:
                partial.unlink()


# --- checking what was asked ---------------------------------------------------------------------


def _checked(options: ExportOptions, target: Path) -> ExportOptions:
    errors = {}
    check = fields.Checks()
    check("purpose", lambda: fields.text(options.purpose, max_length=500))
    check("recipient", lambda: fields.text(options.recipient, max_length=200, single_line=True))
    check("conditions_met", lambda: fields.text(options.conditions_met, required=False, max_length=2000))
    errors.update(check.errors)
    unknown = sorted(set(options.redact) - set(REDACTABLE))
    if unknown:
        errors["redact"] = f"{fields.clip(unknown[0], 40)!r} is not a redaction; use {', '.join(REDACTABLE)}"
    if options.date_from and options.date_to and options.date_from > options.date_to:
        errors["date_to"] = "is before the first day"
    if target.suffix.lower() != ".zip":
        errors["out"] = "must be a file name ending .zip"
    elif target.is_dir():
        errors["out"] = "is a folder; name a file ending .zip"
    elif not target.resolve().parent.is_dir():
        errors["out"] = f"is in a folder that does not exist: {target.resolve().parent}"
    elif target.exists() and not options.force:
        errors["out"] = "exists; choose another name, or replace it (--force)"
    if errors:
        raise ValidationError(errors)
    return ExportOptions(
        purpose=check.clean["purpose"],
        recipient=check.clean["recipient"],
        redact=tuple(sorted(set(options.redact))),
        include_files=options.include_files,
        date_from=options.date_from,
        date_to=options.date_to,
        conditions_met=check.clean["conditions_met"],
        force=options.force,
    )


# --- building ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Built:
    tables: list[Table]
    files: list[EvidenceFile]
    handling_codes: list[str]
    left_out_conditional: int
    redact: Redactions
    external_ref: str  # the partnership's case-management number, read in the same snapshot


def _build(db, case_id: int, reference: str, options: ExportOptions) -> _Built:
    wanted = Redactions(**{name: name in options.redact for name in REDACTABLE})
    found = redaction.known(db, case_id)
    hide = redaction.redactor(found, names=wanted.names, handles=wanted.handles, urls=wanted.urls)
    scope = Scope(
        case_id=case_id,
        date_from=options.date_from,
        date_to=options.date_to,
        include_conditional=bool(options.conditions_met),
        redact=wanted,
        hide=hide,
        address=redaction.address_hider(found, urls=wanted.urls, handles=wanted.handles),
    )
    current = bundle_tables.current_observations(db, case_id)
    codes = bundle_tables.observation_codes(current, scope)
    every = bundle_tables.observation_codes(current, replace(scope, include_conditional=True))
    evidence, files = bundle_tables.evidence_table(db, scope, codes, include_files=options.include_files)
    observations = bundle_tables.observations_table(db, scope, codes, current)
    tables = [
        observations,
        bundle_tables.observation_versions_table(db, scope, codes),
        bundle_tables.facts_table(db, scope),
        bundle_tables.crossrefs_table(db, scope, codes),
        bundle_tables.people_table(db, scope),
        bundle_tables.accounts_table(db, scope),
        evidence,
        bundle_tables.actions_table(db, scope),
        bundle_tables.authorisations_table(db, scope),
        bundle_tables.timeline_table(db, scope, codes, set(evidence.frame["code"])),
        bundle_tables.audit_table(db, scope, reference),
    ]
    return _Built(
        tables=tables,
        files=files,
        handling_codes=sorted(set(observations.frame["handling_code"])),
        left_out_conditional=len(every) - len(codes),
        redact=wanted,
        external_ref=query_one(db, "SELECT external_ref FROM cases WHERE id = ?", (case_id,))["external_ref"],
    )


# --- writing -------------------------------------------------------------------------------------


def table_csv(table: Table) -> bytes:
    """A table as RFC 4180 CSV: UTF-8 with a byte-order mark (Excel reads accents right), CRLF,
    every field quoted, a header row. Text cells that a spreadsheet would run as a formula get a
    leading single quote (OWASP); numbers, dates and flags are written plainly."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow([c.name for c in table.columns])
    # Column by column, as plain lists: per-cell access to pandas' columns is slow at 5,000 rows.
    cells = [
        [write(value) for value in table.frame[c.name].tolist()]
        for c, write in ((c, _cell_writer(c.type)) for c in table.columns)
    ]
    writer.writerows(zip(*cells, strict=True))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _cell_writer(type_: str) -> Callable[[object], str]:
    def plain(value) -> str:
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return ""
        if type_ == "boolean":
            return "true" if bool(value) else "false"
        if type_ == "number" and isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    return neutralise if type_ == "string" else plain


def _write_zip(out: HashingWriter, built: _Built, readme: str, store: EvidenceStore, case_id: int, say) -> int:
    sums: dict[str, str] = {}
    resources = []
    with zipfile.ZipFile(out, "w", allowZip64=True) as bundle:

        def put(name: str, data: bytes) -> None:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            bundle.writestr(info, data)
            sums[name] = hashlib.sha256(data).hexdigest()

        for number, table in enumerate(built.tables):
            say(0.05 + 0.15 * number / len(built.tables), f"Writing {table.name}.csv")
            data = table_csv(table)
            put(f"{table.name}.csv", data)
            resources.append(_table_resource(table, sums[f"{table.name}.csv"], len(data)))
        total = sum(f.size for f in built.files) or 1
        done = 0
        for item in built.files:
            say(0.2 + 0.75 * done / total, f"Adding {item.code}")
            sums[item.path] = _stream(bundle, item, store.original_path(case_id, item.sha256))
            resources.append(_file_resource(item))
            done += item.size
        readme_bytes = readme.encode("utf-8")
        put("README.txt", readme_bytes)
        resources.append(_text_resource("README.txt", "readme", sums["README.txt"], len(readme_bytes)))
        put("datapackage.json", _datapackage(built, resources))
        lines = "".join(f"{sums[name]}  {name}\n" for name in sorted(sums))
        put("SHA256SUMS", lines.encode("ascii"))
        return len(sums)


def _stream(bundle: zipfile.ZipFile, item: EvidenceFile, source: Path) -> str:
    """Copy one evidence file into the ZIP in chunks, stored as is (images are compressed already),
    checking as it goes that the bytes still have the hash they are named by."""
    info = zipfile.ZipInfo(item.path, date_time=_ZIP_TIME)
    info.compress_type = zipfile.ZIP_STORED
    digest = hashlib.sha256()
    try:
        with open(source, "rb") as file, bundle.open(info, "w", force_zip64=item.size > 2**31) as member:
            while chunk := file.read(CHUNK):
                digest.update(chunk)
                member.write(chunk)
    except FileNotFoundError:
        missing = f"{item.code}'s file is missing from the evidence store; run `workbench evidence verify`."
        raise Conflict(missing) from None
    if digest.hexdigest() != item.sha256:
        raise Conflict(f"{item.code}'s file no longer matches its SHA-256; run `workbench evidence verify`.")
    return item.sha256


def _table_resource(table: Table, sha256: str, size: int) -> dict:
    return {
        "name": table.name,
        "path": f"{table.name}.csv",
        "title": f"{table.name}.csv",
        "description": table.description,
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8-sig",
        "dialect": {"delimiter": ",", "lineTerminator": "\r\n", "quoteChar": '"', "doubleQuote": True, "header": True},
        "hash": f"sha256:{sha256}",
        "bytes": size,
        "schema": table.schema(),
    }


def _file_resource(item: EvidenceFile) -> dict:
    extension = item.path.rsplit(".", 1)[-1]
    return {
        "name": f"file-{item.sha256[:16]}",
        "path": item.path,
        "description": f"The evidence file of {item.code}, byte for byte as received.",
        "format": extension,
        "hash": f"sha256:{item.sha256}",
        "bytes": item.size,
    }


def _text_resource(path: str, name: str, sha256: str, size: int) -> dict:
    return {
        "name": name, "path": path, "format": "txt", "mediatype": "text/plain", "encoding": "utf-8",
        "hash": f"sha256:{sha256}", "bytes": size,
    }  # fmt: skip


def _datapackage(built: _Built, resources: list[dict]) -> bytes:
    descriptor = {
        "profile": "data-package",
        "name": "safeguarding-evidence-bundle",
        "title": "Safeguarding evidence bundle",
        "description": "A case's observations, facts, cross-references, evidence, actions, timeline and audit "
        "trail, as exported by the safeguarding evidence workbench. README.txt says who exported it, when, why "
        "and for whom.",
        "resources": resources,
    }
    return (json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _readme(access, actor: Actor, options: ExportOptions, built: _Built, exported_at: str) -> str:
    redacted = built.redact.listed
    rows = {t.name: len(t.frame) for t in built.tables}
    lines = [
        "SAFEGUARDING EVIDENCE BUNDLE",
        "",
        f"Case:            {access.reference} ({access.title})",
        f"Case-management: {built.external_ref or 'none given'}",
        f"About:           {access.subject_pseudonym}",
        f"Exported by:     {actor.display_name} ({actor.username})",
        f"Exported at:     {exported_at} (UTC)",
        f"Purpose:         {options.purpose}",
        f"Recipient:       {options.recipient}",
        f"Dates covered:   {_span(options)}",
        f"Handling codes:  {', '.join(built.handling_codes) or 'none'} (P: sharing permitted; C: with conditions)",
    ]
    if options.conditions_met:
        lines.append(f"Conditions met:  {options.conditions_met}")
    elif built.left_out_conditional:
        lines.append(f"Left out:        {built.left_out_conditional} observation(s) graded C (sharing with conditions)")
    lines += [
        f"Redactions:      {', '.join(redacted) if redacted else 'none'}",
        f"Evidence files:  {len(built.files)} included" + ("" if options.include_files else " (files left out)"),
        "",
        "WHAT IS HERE",
        *(f"  {name}.csv: {count} row(s)" for name, count in rows.items()),
        "  evidence/<sha256>.<ext>: the original files, byte for byte, named by their SHA-256",
        "  datapackage.json: a Frictionless Data Package describing every file (Table Schemas, hashes, sizes)",
        "  SHA256SUMS: the SHA-256 of every other file",
        "",
        "HOW TO READ IT",
        "  The CSV files are UTF-8 (with a byte-order mark, for Excel), comma-separated, every field quoted,",
        "  one header row. Times are ISO 8601 in UTC (2026-03-14T09:30:00Z).",
        "  A text cell that began with = + - @, a tab or a carriage return has a single quote (') put in front",
        "  of it, so that a spreadsheet shows it as text and never runs it as a formula (OWASP CSV injection).",
        "  Remove that one leading quote to get the text exactly as recorded.",
        "",
        "REDACTION",
    ]
    lines += _redaction_lines(built.redact, options)
    lines += [
        "",
        "HOW TO VERIFY IT",
        "  Unzip, then in the folder:  sha256sum -c SHA256SUMS   (every line must say OK)",
        "  Or, with the workbench:     workbench verify-bundle THIS.zip",
        "  Or with Frictionless:       frictionless validate datapackage.json",
        "  Each evidence file's name is its SHA-256, which evidence.csv also gives.",
        "  The audit trail's hashes (audit.csv) are those of the events as held in the workbench, before",
        "  any redaction.",
        "",
    ]
    return "\r\n".join(lines)


def _redaction_lines(redact: Redactions, options: ExportOptions) -> list[str]:
    lines = []
    if redact.names:
        lines.append("  names: people's names, and the names trusted sources know them by, are their pseudonyms")
        lines.append("    (Child A, Person B) in every file.")
    if redact.handles:
        lines.append('  handles: account handles are removed, and written as "Person B\'s account" in text;')
        lines.append("    a web address that names a handle is removed too.")
    if redact.urls:
        lines.append(f'  urls: web addresses are removed, and written as "{redaction.URL_REMOVED}" in text.')
    if redact.gps:
        lines.append("  gps: GPS positions and EXIF GPS tags are removed; files that hold a GPS position are left out.")
    if not lines:
        lines.append("  None: names, handles, web addresses and GPS positions are as recorded.")
    if options.include_files and (redact.names or redact.handles):
        lines.append("  The evidence files are originals and may show names and handles: leave them out if needed.")
    if not options.include_files:
        lines.append("  Evidence files are left out; evidence.csv lists each item with its SHA-256.")
    return lines


def _span(options: ExportOptions) -> str:
    if not options.date_from and not options.date_to:
        return "all"
    start = options.date_from.isoformat() if options.date_from else "the start"
    end = options.date_to.isoformat() if options.date_to else "now"
    return f"{start} to {end} (London days)"
