"""Backing up a whole workbench while it is in use, and restoring one into an empty home.

A backup is one uncompressed POSIX tar (pax) file:

    workbench.db                          the database, copied with SQLite's online backup API
    evidence/case-<id>/originals/<sha256>   every file a record in that copy still holds
    manifest.json                         last: format, versions, when, row counts, the audit head,
                                          and each member's size and SHA-256

Tar rather than ZIP: the evidence is already compressed (images), so the archive stores bytes as
they are, in one sequential pass that hashes as it writes; any server's `tar` lists and unpacks it
for a recovery by hand; and a backup cannot be mistaken for an evidence bundle (a ZIP for a
recipient).

Consistency. The database is copied first, in one step of the online backup, which reads one
moment of it while the app goes on writing (WAL). The files to copy are read from that copy, so
rows and files agree: a file uploaded later is not in the copy's rows and is left out. A purge (or
a case deletion) between the copy and the end of the file copying would leave a record the copy
still holds whose bytes are gone, or bytes the workbench has since destroyed inside the archive;
so when the files are copied the live database is asked whether it still holds every one, and if
not the attempt is thrown away and the backup starts again from a new copy (which has the purge).
A file the live database still names but that is missing or altered on disk is a damaged store,
not a race: the backup is written, the manifest lists each such file, and the caller is told.

Nothing partial ever has the final name: the archive is written under a hidden temporary name in
the target's folder, flushed to disk, then renamed. A restore checks every member against the
manifest before it writes anything, unpacks into a temporary folder beside the home, checks again,
and renames that folder into place.

The `backup.create` event, which carries the archive's SHA-256, is written to the live database
once the archive exists, so no backup holds its own; `backup.start`, written before the copy, is in
it.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from workbench import __version__, audit, evidence, private
from workbench.access import SYSTEM, Actor, require_admin
from workbench.audit import ChainReport
from workbench.config import Settings
from workbench.db import BUSY_TIMEOUT_MS, latest_version, open_home
from workbench.durable import HashingWriter, sync_folder
from workbench.errors import ConfigurationError, Conflict, ValidationError, WorkbenchError
from workbench.evidence import VerifyReport
from workbench.evidence_store import EvidenceStore
from workbench.timeutil import now_utc

FORMAT = "safeguarding-workbench-backup"
FORMAT_VERSION = 1
DATABASE_MEMBER = "workbench.db"
MANIFEST_MEMBER = "manifest.json"
_EVIDENCE_MEMBER = re.compile(r"^evidence/case-([1-9][0-9]{0,17})/originals/([0-9a-f]{64})$")
ATTEMPTS = 3  # fresh copies tried when evidence is purged while the files are copied
STALE_SECONDS = 24 * 3600  # no backup or restore runs this long; a leftover this old was killed
MAX_MANIFEST_BYTES = 256 * 1024 * 1024
_CHUNK = 1 << 20

# progress(stage, done, total): "snapshot" once the database is copied (done = the attempt),
# "file" after each evidence file, "written" once the archive is on disk under its temporary name.
Progress = Callable[[str, int, int], None]


class RestoreRefused(WorkbenchError):
    """The archive or the home is not fit for a restore; nothing was written."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    sha256: str
    size: int
    created_at: str
    schema_version: int
    evidence_files: int
    evidence_bytes: int
    counts: dict[str, int]  # rows per table in the copy
    audit_seq: int  # the newest audit event in the copy (backup.start)
    attempts: int
    problems: list[str] = field(default_factory=list)  # files the database names that could not be copied whole


@dataclass(frozen=True)
class RestoreResult:
    home: Path
    archive_sha256: str
    created_at: str
    workbench_version: str
    schema_version: int
    evidence_files: int
    counts: dict[str, int]
    audit: ChainReport
    evidence: VerifyReport


# --- backup ------------------------------------------------------------------------------------


def create_backup(
    db: sqlite_utils.Database,
    actor: Actor,
    target: Path | str,
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> BackupResult:
    """Write a consistent copy of the database and the evidence it names to `target` (a .tar),
    while the app may be writing. Administrators and the operator at the shell; audited."""
    require_admin(db, actor, "back up the workbench")
    say = progress or (lambda stage, done, total: None)
    target = Path(os.path.abspath(target))
    database = _database_path(db)
    store = EvidenceStore.for_database(db)
    _check_target(target, store.root, force)
    started = audit.record(db, actor.username, "backup.start", details={"file": target.name})
    _sweep(target.parent, f".{glob.escape(target.name)}.*.partial")
    written = None
    try:
        for attempt in range(1, ATTEMPTS + 1):
            written = _write(database, store, target, attempt, say)
            gone = _no_longer_held(db, written.held | written.missing)
            if not gone:
                break
            written.partial.unlink(missing_ok=True)
            written = None
        else:
            raise Conflict(
                f"evidence was purged or deleted while each of {ATTEMPTS} copies was made; nothing was kept. "
                "Run the backup again."
            )
        if target.exists() and not force:  # appeared while we wrote
            raise Conflict(f"{target} exists; choose another name, or replace it (--force).")
        os.replace(written.partial, target)
        sync_folder(target.parent)
    except BaseException:
        if written is not None:
            written.partial.unlink(missing_ok=True)
        raise
    manifest = written.manifest
    problems = [f"case {case_id} file {sha256}: {problem}" for case_id, sha256, problem in written.problems]
    audit.record(
        db,
        actor.username,
        "backup.create",
        details={
            "file": target.name, "sha256": written.sha256, "size": written.size, "started": started,
            "schema_version": manifest["schema_version"], "audit_seq": manifest["audit_head"]["seq"],
            "evidence_files": manifest["evidence_files"], "evidence_bytes": manifest["evidence_bytes"],
            "rows": sum(manifest["counts"].values()), "problems": len(problems), "attempts": attempt,
        },
    )  # fmt: skip
    return BackupResult(
        path=target,
        sha256=written.sha256,
        size=written.size,
        created_at=manifest["created_at"],
        schema_version=manifest["schema_version"],
        evidence_files=manifest["evidence_files"],
        evidence_bytes=manifest["evidence_bytes"],
        counts=manifest["counts"],
        audit_seq=manifest["audit_head"]["seq"],
        attempts=attempt,
        problems=problems,
    )


@dataclass
class _Written:
    partial: Path
    sha256: str
    size: int
    manifest: dict
    held: set[tuple[int, str]]  # files copied into the archive
    missing: set[tuple[int, str]]  # files the copy names that were not on disk
    problems: list[tuple[int, str, str]]


def _check_target(target: Path, evidence_root: Path, force: bool) -> None:
    if target.suffix.lower() != ".tar":
        raise ValidationError({"out": "must name a .tar file"})
    if not target.parent.is_dir():
        raise ValidationError({"out": f"the folder {target.parent} does not exist"})
    if target.is_dir():
        raise ValidationError({"out": "is a folder; name a file"})
    root = evidence_root.resolve()
    if target.parent.resolve() == root or root in target.parent.resolve().parents:
        raise ValidationError({"out": "is inside the evidence store; write the backup somewhere else"})
    if target.exists() and not force:
        raise Conflict(f"{target} exists; choose another name, or replace it (--force).")


def _write(database: Path, store: EvidenceStore, target: Path, attempt: int, say: Progress) -> _Written:
    """One attempt: copy the database, then the files that copy names, into a hidden partial file."""
    folder, name = target.parent, target.name
    handle, copy_name = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".db.partial")
    os.close(handle)
    copy = Path(copy_name)
    archive = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below; renamed only when whole
        dir=folder, prefix=f".{name}.", suffix=".partial", delete=False
    )
    partial = Path(archive.name)
    try:
        created_at = now_utc()
        snapshot = _copy_database(database, copy)
        say("snapshot", attempt, ATTEMPTS)
        wanted = snapshot.pop("files")
        members: list[dict] = []
        held: set[tuple[int, str]] = set()
        missing: set[tuple[int, str]] = set()
        problems: list[tuple[int, str, str]] = []
        evidence_bytes = 0
        with archive:
            out = HashingWriter(archive)
            with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT, copybufsize=_CHUNK) as tar:
                with copy.open("rb") as stream:
                    members.append(_add(tar, DATABASE_MEMBER, stream, private.FILE))
                for done, (case_id, sha256) in enumerate(wanted, start=1):
                    try:
                        stream = store.original_path(case_id, sha256).open("rb")
                    except FileNotFoundError:
                        missing.add((case_id, sha256))
                        say("file", done, len(wanted))
                        continue
                    except OSError as e:
                        problems.append((case_id, sha256, f"cannot be read ({e.strerror or type(e).__name__})"))
                        say("file", done, len(wanted))
                        continue
                    with stream:
                        member = _add(tar, f"evidence/case-{case_id}/originals/{sha256}", stream, private.READ_ONLY)
                    members.append(member)
                    held.add((case_id, sha256))
                    evidence_bytes += member["size"]
                    if member["sha256"] != sha256:
                        problems.append((case_id, sha256, f"altered: the stored file hashes to {member['sha256']}"))
                    say("file", done, len(wanted))
                problems += [(case_id, sha256, "missing: the stored file is gone") for case_id, sha256 in missing]
                manifest = {
                    "format": FORMAT,
                    "format_version": FORMAT_VERSION,
                    "workbench_version": __version__,
                    "created_at": created_at,
                    **snapshot,
                    "evidence_files": len(held),
                    "evidence_bytes": evidence_bytes,
                    "problems": [{"case_id": c, "sha256": s, "problem": p} for c, s, p in sorted(problems)],
                    "members": members,
                }
                manifest["manifest_sha256"] = _manifest_hash(manifest)
                data = json.dumps(manifest, indent=1, sort_keys=True).encode()
                _add(tar, MANIFEST_MEMBER, io.BytesIO(data), private.FILE, size=len(data))
            archive.flush()
            os.fsync(archive.fileno())
        say("written", 1, 1)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        copy.unlink(missing_ok=True)
        for suffix in ("-journal", "-wal", "-shm"):
            Path(f"{copy}{suffix}").unlink(missing_ok=True)
    return _Written(partial, out.hexdigest(), out.size, manifest, held, missing, problems)


def _copy_database(database: Path, copy: Path) -> dict:
    """SQLite's online backup in one step: one moment of the live file, writers never blocked
    (WAL). The copy is made self-contained (rollback journal, nothing in a -wal file) and checked.
    Returns what the manifest says of it, and the (case id, SHA-256) of each file it holds."""
    source = sqlite3.connect(database, timeout=BUSY_TIMEOUT_MS / 1000)
    target = sqlite3.connect(copy, isolation_level=None)
    try:
        source.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        source.backup(target)
        target.execute("PRAGMA journal_mode = DELETE")
        problem = target.execute("PRAGMA quick_check").fetchone()[0]
        if problem != "ok":
            raise WorkbenchError(f"the copy of the database fails SQLite's check ({problem}); nothing was kept")
        head = target.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
        files = target.execute(
            """SELECT DISTINCT e.case_id, e.sha256 FROM evidence e
               WHERE NOT EXISTS (SELECT 1 FROM evidence_purges p WHERE p.evidence_id = e.id)
               ORDER BY e.case_id, e.sha256"""
        ).fetchall()
        return {
            "schema_version": target.execute("PRAGMA user_version").fetchone()[0],
            "counts": _counts(target),
            "audit_head": {"seq": head[0], "hash": head[1]} if head else {"seq": 0, "hash": audit.GENESIS},
            "files": [(int(case_id), sha256) for case_id, sha256 in files],
        }
    finally:
        target.close()
        source.close()


def _counts(conn: sqlite3.Connection) -> dict[str, int]:
    tables = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    return {table: conn.execute(f"SELECT COUNT(*) FROM [{table}]").fetchone()[0] for table in tables}  # noqa: S608


def _add(tar: tarfile.TarFile, name: str, stream, mode: int, size: int | None = None) -> dict:
    """One member, hashed as tarfile reads it; returns its manifest entry."""
    info = tarfile.TarInfo(name)
    info.size = os.fstat(stream.fileno()).st_size if size is None else size
    info.mode = mode
    info.mtime = int(time.time())
    reader = _HashingReader(stream)
    tar.addfile(info, reader)
    return {"name": name, "size": info.size, "sha256": reader.hexdigest()}


def _no_longer_held(db: sqlite_utils.Database, files: set[tuple[int, str]]) -> set[tuple[int, str]]:
    """Which of these files the live database no longer holds (purged, or the case deleted)."""
    if not files:
        return set()
    held = {
        (int(row[0]), row[1])
        for row in db.execute(
            """SELECT DISTINCT e.case_id, e.sha256 FROM evidence e
               WHERE NOT EXISTS (SELECT 1 FROM evidence_purges p WHERE p.evidence_id = e.id)"""
        )
    }
    return files - held


# --- restore -----------------------------------------------------------------------------------


def restore_backup(settings: Settings, archive: Path | str) -> RestoreResult:
    """Unpack a backup into settings.home, which must be empty; then check the audit chain and every
    evidence file, as `workbench audit verify` and `workbench evidence verify` do. Nothing is
    written unless every member matches the manifest; a failure part-way leaves the home as it was."""
    archive = Path(archive)
    home = Path(os.path.abspath(settings.home))
    if not home.parent.is_dir():
        raise RestoreRefused(f"the folder {home.parent} does not exist; make it, then restore into {home.name}")
    _check_empty(home)
    checked = _check_archive(archive)
    manifest = checked.manifest
    _sweep(home.parent, f".{glob.escape(home.name)}.restore-*")
    staging = Path(tempfile.mkdtemp(dir=home.parent, prefix=f".{home.name}.restore-"))
    try:
        _unpack(archive, staging, checked)
        _check_database(staging / DATABASE_MEMBER, manifest)
        private.make_folder(staging / "evidence")
        private.repair(staging)  # mkdtemp made it 0700 and every member was written private: a check
        sync_folder(staging)
        _check_empty(home)  # again: something may have started there meanwhile
        _remove_empty_folders(home)
        try:
            os.rename(staging, home)
        except OSError as e:
            raise RestoreRefused(
                f"the restored workbench could not be moved into {home} ({e.strerror or type(e).__name__}); "
                "nothing was written"
            ) from None
        sync_folder(home.parent)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    db = open_home(settings)
    try:
        chain = audit.verify(db)
        audit.record(
            db,
            SYSTEM.username,
            "backup.restore",
            details={
                "sha256": checked.sha256, "created_at": manifest["created_at"],
                "workbench_version": manifest["workbench_version"], "schema_version": manifest["schema_version"],
                "evidence_files": manifest["evidence_files"], "chain_intact": chain.intact,
            },
        )  # fmt: skip
        files = evidence.verify_all(db, SYSTEM)
    finally:
        db.conn.close()
    return RestoreResult(
        home=home,
        archive_sha256=checked.sha256,
        created_at=manifest["created_at"],
        workbench_version=manifest["workbench_version"],
        schema_version=manifest["schema_version"],
        evidence_files=manifest["evidence_files"],
        counts=manifest["counts"],
        audit=chain,
        evidence=files,
    )


@dataclass(frozen=True)
class _Checked:
    sha256: str  # of the whole archive
    manifest: dict
    expected: dict[str, tuple[int, str]]  # member name -> (size, SHA-256)


def _check_empty(home: Path) -> None:
    if not home.exists():
        return
    if not home.is_dir():
        raise RestoreRefused(f"{home} is a file, not a folder; restore into an empty folder")
    if os.path.ismount(home):
        raise RestoreRefused(
            f"{home} is a mount point, which cannot be replaced whole; restore into a folder inside it "
            "and point WORKBENCH_HOME there"
        )
    held = sorted(
        (str(path.relative_to(home)) for path in home.rglob("*") if not path.is_dir()),
        key=lambda name: (not name.startswith(DATABASE_MEMBER), name),
    )
    if held:
        shown = ", ".join(held[:3]) + (f" and {len(held) - 3} more" if len(held) > 3 else "")
        raise RestoreRefused(
            f"the home {home} is not empty (it holds {shown}); a restore never replaces a workbench. "
            "Restore into an empty or new folder."
        )


def _check_archive(archive: Path) -> _Checked:
    """Read the whole archive once: every member must be one the format names, listed in the
    manifest with its size and SHA-256, and the manifest must list nothing missing."""
    found: dict[str, tuple[int, str]] = {}
    manifest = None
    raw = _refusing_open(archive)
    try:
        reader = _HashingReader(raw)
        with _reading(archive), tarfile.open(fileobj=reader, mode="r|") as tar:
            for member in tar:
                name = _member_name(member)
                if name in found or (name == MANIFEST_MEMBER and manifest is not None):
                    raise RestoreRefused(f"{archive} holds {name} twice; it is not a workbench backup")
                stream = tar.extractfile(member)
                if name == MANIFEST_MEMBER:
                    if member.size > MAX_MANIFEST_BYTES:
                        raise RestoreRefused(f"{archive}: its manifest is too large to be a workbench backup's")
                    manifest = _parse_manifest(archive, stream.read())
                    continue
                digest = hashlib.sha256()
                while chunk := stream.read(_CHUNK):
                    digest.update(chunk)
                found[name] = (member.size, digest.hexdigest())
            while reader.read(_CHUNK):  # the end blocks: the archive's hash covers every byte
                pass
    finally:
        raw.close()
    if manifest is None:
        raise RestoreRefused(f"{archive} has no manifest; it is not a workbench backup (or it was cut short)")
    expected = {entry["name"]: (entry["size"], entry["sha256"]) for entry in manifest["members"]}
    if DATABASE_MEMBER not in expected:
        raise RestoreRefused(f"{archive}: its manifest lists no database")
    for name in sorted(set(expected) | set(found)):
        if name not in found:
            raise RestoreRefused(f"{archive}: {name} is in the manifest but not in the archive; nothing was written")
        if name not in expected:
            raise RestoreRefused(f"{archive}: {name} is not in the manifest; nothing was written")
        if found[name] != expected[name]:
            raise RestoreRefused(
                f"{archive}: {name} does not match its SHA-256 in the manifest (the archive is damaged or was "
                "changed); nothing was written"
            )
    if manifest["schema_version"] > latest_version():
        raise ConfigurationError(
            f"the backup's database is at schema version {manifest['schema_version']}, newer than this workbench "
            f"({latest_version()}); upgrade the workbench before restoring it. Nothing was written."
        )
    return _Checked(reader.hexdigest(), manifest, expected)


def _manifest_hash(manifest: dict) -> str:
    """The manifest's own SHA-256 (over its canonical JSON, without this field): a damaged manifest shows."""
    content = {key: value for key, value in manifest.items() if key != "manifest_sha256"}
    return hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _parse_manifest(archive: Path, data: bytes) -> dict:
    try:
        manifest = json.loads(data)
        if manifest["format"] != FORMAT:
            raise ValueError
        if manifest["manifest_sha256"] != _manifest_hash(manifest):
            raise RestoreRefused(
                f"{archive}: its manifest does not match its own SHA-256 (the archive is damaged or was changed); "
                "nothing was written"
            )
        if manifest["format_version"] != FORMAT_VERSION:
            raise RestoreRefused(
                f"{archive} is a backup of format {manifest['format_version']}; this workbench reads format "
                f"{FORMAT_VERSION}"
            )
        for key in ("created_at", "workbench_version"):
            if not isinstance(manifest[key], str):
                raise ValueError
        for key in ("schema_version", "evidence_files"):
            if not isinstance(manifest[key], int) or isinstance(manifest[key], bool) or manifest[key] < 0:
                raise ValueError
        if not all(isinstance(n, int) for n in manifest["counts"].values()):
            raise ValueError
        for entry in manifest["members"]:
            if not (
                isinstance(entry["name"], str) and isinstance(entry["size"], int) and isinstance(entry["sha256"], str)
            ):
                raise ValueError
    except (ValueError, KeyError, TypeError, AttributeError):
        raise RestoreRefused(f"{archive}: its manifest cannot be read; it is not a workbench backup") from None
    return manifest


def _member_name(member: tarfile.TarInfo) -> str:
    name = member.name
    if not member.isreg():
        raise RestoreRefused(
            f"the archive holds {name[:80]!r}, which is not a plain file; it is not a workbench backup"
        )
    if name not in (DATABASE_MEMBER, MANIFEST_MEMBER) and not _EVIDENCE_MEMBER.match(name):
        raise RestoreRefused(f"the archive holds {name[:80]!r}, which no workbench backup holds")
    return name


def _unpack(archive: Path, staging: Path, checked: _Checked) -> None:
    """Write each member under staging, hashing again as it goes (the archive may have changed
    since it was checked), each file flushed to disk; originals read-only as the store keeps them."""
    raw = _refusing_open(archive)
    try:
        with _reading(archive), tarfile.open(fileobj=raw, mode="r|") as tar:
            for member in tar:
                name = _member_name(member)
                if name == MANIFEST_MEMBER:
                    continue
                path = staging / name
                private.make_folder(path.parent)
                digest, size = hashlib.sha256(), 0
                source = tar.extractfile(member)
                with os.fdopen(private.create_file(path), "wb") as out:
                    while chunk := source.read(_CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
                    out.flush()
                    os.fsync(out.fileno())
                if (size, digest.hexdigest()) != checked.expected.get(name):
                    raise RestoreRefused(f"{archive} changed while it was restored; nothing was written")
                path.chmod(private.FILE if name == DATABASE_MEMBER else private.READ_ONLY)
    finally:
        raw.close()
    for folder in {p.parent for p in staging.rglob("*") if p.is_file()}:
        sync_folder(folder)


def _check_database(path: Path, manifest: dict) -> None:
    """The unpacked database is the one the manifest describes."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        ok = conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        counts = _counts(conn) if ok else {}
    except sqlite3.DatabaseError:
        ok, version, counts = False, None, {}
    finally:
        conn.close()
    if not ok:
        raise RestoreRefused("the backup's database fails SQLite's check; nothing was written")
    if version != manifest["schema_version"] or counts != manifest["counts"]:
        raise RestoreRefused("the backup's database is not the one its manifest describes; nothing was written")


def _refusing_open(archive: Path):
    try:
        return archive.open("rb")
    except OSError as e:
        raise RestoreRefused(f"{archive} cannot be read ({e.strerror or type(e).__name__})") from None


@contextlib.contextmanager
def _reading(archive: Path):
    """A damaged or foreign file raises tarfile's errors: say so as a refusal."""
    try:
        yield
    except (tarfile.TarError, EOFError, OSError) as e:
        raise RestoreRefused(
            f"{archive} is not a readable workbench backup ({e or type(e).__name__}); nothing was written"
        ) from None


def _remove_empty_folders(home: Path) -> None:
    """An existing home holds only empty folders (checked): take them away so the rename can land."""
    if not home.exists():
        return
    for folder in sorted((p for p in home.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        folder.rmdir()
    home.rmdir()


# --- shared ------------------------------------------------------------------------------------


def _database_path(db: sqlite_utils.Database) -> Path:
    return Path(next(row[2] for row in db.execute("PRAGMA database_list") if row[1] == "main"))


def _sweep(folder: Path, pattern: str) -> None:
    """Remove what a killed backup or restore left (it could not tidy up), once it is stale."""
    cutoff = time.time() - STALE_SECONDS
    for path in folder.glob(pattern):
        with contextlib.suppress(OSError):
            if path.lstat().st_mtime < cutoff:
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                else:
                    path.unlink()


class _HashingReader:
    def __init__(self, raw):
        self.raw, self.hash = raw, hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.hash.update(data)
        return data

    def hexdigest(self) -> str:
        return self.hash.hexdigest()
