"""The content-addressed store of evidence files under WORKBENCH_HOME/evidence.

    evidence/
      incoming/                      files being received (temp names; never a final one)
      case-<id>/originals/<sha256>   the bytes exactly as received, read-only
      case-<id>/previews/<sha256>.jpg  the re-encoded copy the browser is shown

Each case has its own folder, so purging an item in one case can never take bytes another case
holds, and a duplicate inside a case is stored once. A file reaches its final name only whole:
written under a temp name, flushed to disk (fsync), made read-only, then renamed. Renames and
deletions happen while the caller holds the database's write lock, so two uploads of the same
bytes, or an upload and a purge, cannot cross. Every folder is the service account's alone
(0700), an original is 0400 and a preview 0600 (workbench/private.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import time
from pathlib import Path

import sqlite_utils

from workbench import preview, private
from workbench.durable import sync_folder
from workbench.errors import WorkbenchError

_CHUNK = 1 << 20
STALE_SECONDS = 3600  # a temp file this old belongs to an upload that died


class StoreFailed(WorkbenchError):
    """The server could not write or remove a file (a full disk, a permission)."""


class EvidenceStore:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.incoming = self.root / "incoming"
        self._made: set[Path] = set()  # folders known to exist, so a batch does not stat them per file

    @classmethod
    def for_database(cls, db: sqlite_utils.Database) -> EvidenceStore:
        """The store beside the database file (both live in WORKBENCH_HOME)."""
        path = next(row[2] for row in db.execute("PRAGMA database_list") if row[1] == "main")
        return cls(Path(path).parent / "evidence")

    # --- paths -----------------------------------------------------------------------------------

    def original_path(self, case_id: int, sha256: str) -> Path:
        return self.root / f"case-{int(case_id)}" / "originals" / _checked(sha256)

    def preview_path(self, case_id: int, sha256: str) -> Path:
        return self.root / f"case-{int(case_id)}" / "previews" / f"{_checked(sha256)}.jpg"

    # --- writing ---------------------------------------------------------------------------------

    def stage(self, data: bytes) -> Path:
        """Write the bytes under a temp name, on disk and read-only. Nothing is left on failure."""
        self._make_folder(self.incoming)
        path = None
        try:
            handle, name = tempfile.mkstemp(prefix="receiving-", dir=self.incoming)
            path = Path(name)
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            path.chmod(private.READ_ONLY)
        except OSError as e:
            if path is not None:
                path.unlink(missing_ok=True)
            raise _not_stored(e) from None
        return path

    def place(self, staged: Path, case_id: int, sha256: str, *, replace: bool) -> bool:
        """Give the staged file its final name. With replace=False an existing file is kept (the
        same bytes are already there); with replace=True a file no record vouches for (left by a
        crash) is overwritten. Returns whether a file was put in place. Call under the write lock."""
        final = self.original_path(case_id, sha256)
        if final.exists() and not replace:
            return False
        try:
            self._make_folder(final.parent)
            os.replace(staged, final)
        except OSError as e:
            raise _not_stored(e) from None
        try:
            sync_folder(final.parent)
        except OSError as e:
            final.unlink(missing_ok=True)  # not durably placed: take it back, leave nothing
            raise _not_stored(e) from None
        return True

    def _make_folder(self, path: Path) -> None:
        if path not in self._made:
            private.make_folder(path)
            self._made.add(path)

    def discard(self, path: Path | None) -> None:
        if path is not None:
            path.unlink(missing_ok=True)

    def remove(self, case_id: int, sha256: str) -> None:
        """Delete the original and every derived copy. Call under the write lock."""
        try:
            for path in (self.preview_path(case_id, sha256), self.original_path(case_id, sha256)):
                path.unlink(missing_ok=True)
                if path.parent.exists():
                    sync_folder(path.parent)
        except OSError as e:
            raise StoreFailed(f"the server could not delete the file ({e.strerror or type(e).__name__})") from None

    def sweep_incoming(self, older_than: float = STALE_SECONDS) -> int:
        """Remove temp files of uploads that died part-way (a killed process leaves them)."""
        if not self.incoming.exists():
            return 0
        removed = 0
        cutoff = time.time() - older_than
        for path in self.incoming.iterdir():
            with contextlib.suppress(OSError):
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
        return removed

    # --- reading ---------------------------------------------------------------------------------

    def read(self, case_id: int, sha256: str) -> bytes:
        try:
            return self.original_path(case_id, sha256).read_bytes()
        except OSError:
            raise StoreFailed("the stored file is missing or cannot be read; run `workbench evidence verify`") from None

    def exists(self, case_id: int, sha256: str) -> bool:
        return self.original_path(case_id, sha256).exists()

    def hash_of(self, case_id: int, sha256: str) -> str | None:
        """The SHA-256 of the stored file as it is now, or None when it is missing."""
        digest = hashlib.sha256()
        try:
            with self.original_path(case_id, sha256).open("rb") as stream:
                while chunk := stream.read(_CHUNK):
                    digest.update(chunk)
        except OSError:
            return None
        return digest.hexdigest()

    def preview(self, case_id: int, sha256: str, orientation: int | None) -> bytes:
        """The re-encoded copy, made on first use and kept beside the original.
        Raises preview.NoPreview when the pixels cannot be decoded, preview.TooLarge (a NoPreview)
        when decoding them would take more memory than a preview may."""
        path = self.preview_path(case_id, sha256)
        with contextlib.suppress(OSError):
            return path.read_bytes()
        source = self.original_path(case_id, sha256)
        try:
            rendered = preview.render(source, orientation)  # read from the file as it decodes
        except FileNotFoundError:
            raise StoreFailed("the stored file is missing or cannot be read; run `workbench evidence verify`") from None
        name = None
        try:  # keeping the copy is a saving, not a duty: a failure here still shows the preview
            self._make_folder(path.parent)
            handle, name = tempfile.mkstemp(prefix="preview-", dir=path.parent)
            with os.fdopen(handle, "wb") as out:
                out.write(rendered)
            os.replace(name, path)
        except OSError:
            if name:
                Path(name).unlink(missing_ok=True)
        # A purge may have run while this copy was made: leave no derived copy of purged bytes.
        if not self.exists(case_id, sha256):
            path.unlink(missing_ok=True)
        return rendered


def _not_stored(error: OSError) -> StoreFailed:
    reason = error.strerror or type(error).__name__
    return StoreFailed(f"the server could not store the file ({reason}); nothing was kept")


def _checked(sha256: str) -> str:
    if len(sha256) != 64 or any(ch not in "0123456789abcdef" for ch in sha256):
        raise ValueError("not a SHA-256 hex digest")
    return sha256
