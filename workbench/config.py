"""Settings from the environment, with safe defaults. Secrets never live in the repository."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

GRADING_SCHEMES = ("3x5x2", "admiralty")


@dataclass(frozen=True)
class Settings:
    home: Path
    grading_scheme: str = "3x5x2"
    max_import_rows: int = 100_000

    @property
    def database_path(self) -> Path:
        return self.home / "workbench.db"

    @property
    def evidence_dir(self) -> Path:
        return self.home / "evidence"

    @classmethod
    def from_env(cls, home: str | os.PathLike | None = None) -> Settings:
        home_path = Path(home or os.environ.get("WORKBENCH_HOME") or "workbench-data")
        scheme = os.environ.get("WORKBENCH_GRADING", "3x5x2").strip().lower()
        if scheme not in GRADING_SCHEMES:
            raise ValueError(f"WORKBENCH_GRADING must be one of {', '.join(GRADING_SCHEMES)}, not {scheme!r}")
        return cls(
            home=home_path.resolve(),
            grading_scheme=scheme,
            max_import_rows=int(os.environ.get("WORKBENCH_MAX_IMPORT_ROWS", "100000")),
        )
