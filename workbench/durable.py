"""Writing files that survive a crash and are known by their hash: shared by the evidence store,
export bundles and backups."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def sync_folder(path: Path) -> None:
    """Make a rename or deletion in the folder survive a power cut."""
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


class HashingWriter:
    """A write-only stream that hashes what passes through it. It can tell but not seek, so zipfile
    writes each member's sizes after its data and tarfile streams: an archive is hashed in the one
    pass that writes it."""

    def __init__(self, raw):
        self.raw, self.hash, self.size = raw, hashlib.sha256(), 0

    def write(self, data) -> int:
        self.hash.update(data)
        self.size += len(data)
        return self.raw.write(data)

    def tell(self) -> int:
        return self.size

    def flush(self) -> None:
        self.raw.flush()

    def hexdigest(self) -> str:
        return self.hash.hexdigest()
