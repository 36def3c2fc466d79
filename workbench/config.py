"""Settings from the environment, with safe defaults. Secrets never live in the repository."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from workbench.errors import ConfigurationError

GRADING_SCHEMES = ("3x5x2", "admiralty")


def grading_scheme() -> str:
    """The scheme new observations are graded in: WORKBENCH_GRADING, 3x5x2 unless set."""
    scheme = os.environ.get("WORKBENCH_GRADING", "").strip().lower() or "3x5x2"
    if scheme not in GRADING_SCHEMES:
        raise ConfigurationError(f"WORKBENCH_GRADING must be one of {', '.join(GRADING_SCHEMES)}, not {scheme[:40]!r}")
    return scheme


def _positive_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) <= 0:
        raise ConfigurationError(f"{name} must be a whole number above 0, not {raw[:40]!r}")
    return int(raw)


def _positive_number(name: str, default: float, unit: str) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        number = float(raw)
    except ValueError:
        number = 0.0
    if not 0 < number < 1_000_000:
        raise ConfigurationError(f"{name} must be a number of {unit} above 0, not {raw[:40]!r}")
    return number


def _yes_or_no(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in ("1", "0", "true", "false", "yes", "no"):
        raise ConfigurationError(f"{name} must be 1 or 0 (true or false), not {raw[:40]!r}")
    return raw in ("1", "true", "yes")


def _positive_minutes(name: str, default: float) -> float:
    return _positive_number(name, default, "minutes")


def _whole_number(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) > 10:
        raise ConfigurationError(f"{name} must be a whole number from 0 to 10, not {raw[:40]!r}")
    return int(raw)


@dataclass(frozen=True)
class SignInPolicy:
    """How many failures in a row lock an account and for how long; how long a session may idle.

    Per client address (issue 24): `client_attempts` failed sign-ins from one address within
    `client_minutes` hold that address back (refused, counting against no account) until its
    oldest failure in the window is older than that. `trusted_proxies` is how many reverse proxies
    stand in front of the app whose X-Forwarded-For may be believed (0: none; the address is the
    connection's own, which behind a proxy is the proxy's)."""

    lockout_attempts: int = 5
    lockout_minutes: float = 15
    idle_minutes: float = 30
    client_attempts: int = 10
    client_minutes: float = 15
    trusted_proxies: int = 0

    @classmethod
    def from_env(cls) -> SignInPolicy:
        return cls(
            lockout_attempts=_positive_int("WORKBENCH_LOCKOUT_ATTEMPTS", 5),
            lockout_minutes=_positive_minutes("WORKBENCH_LOCKOUT_MINUTES", 15),
            idle_minutes=_positive_minutes("WORKBENCH_IDLE_MINUTES", 30),
            client_attempts=_positive_int("WORKBENCH_CLIENT_ATTEMPTS", 10),
            client_minutes=_positive_minutes("WORKBENCH_CLIENT_MINUTES", 15),
            trusted_proxies=_whole_number("WORKBENCH_TRUSTED_PROXIES", 0),
        )


@dataclass(frozen=True)
class EvidenceLimits:
    """What the evidence intake accepts: the largest file, and the most pixels an image may decode to
    (a compressed file that would expand past this is a decompression bomb, refused)."""

    max_bytes: int = 50 * 1024 * 1024
    max_pixels: int = 80_000_000

    @property
    def max_megabytes(self) -> float:
        return self.max_bytes / (1024 * 1024)

    @classmethod
    def from_env(cls) -> EvidenceLimits:
        megabytes = _positive_number("WORKBENCH_EVIDENCE_MAX_MB", 50, "megabytes")
        return cls(
            max_bytes=int(megabytes * 1024 * 1024),
            max_pixels=_positive_int("WORKBENCH_EVIDENCE_MAX_PIXELS", 80_000_000),
        )


@dataclass(frozen=True)
class ThinFootprint:
    """When the footprint review of a child with a family risk factor is too thin to rest on
    (strategy 6.5): fewer current observations than `observations`, or observations from fewer
    platforms than `platforms` (WORKBENCH_THIN_OBSERVATIONS, WORKBENCH_THIN_PLATFORMS)."""

    observations: int = 5
    platforms: int = 2

    @classmethod
    def from_env(cls) -> ThinFootprint:
        return cls(
            observations=_positive_int("WORKBENCH_THIN_OBSERVATIONS", 5),
            platforms=_positive_int("WORKBENCH_THIN_PLATFORMS", 2),
        )


@dataclass(frozen=True)
class ViewingPolicy:
    """Repeated viewing (issue 8 point 2): past `limit` views of one account within `period_days`
    (the period ending at the view), the workbench asks for an authorisation reference."""

    limit: int = 3
    period_days: int = 28

    @classmethod
    def from_env(cls) -> ViewingPolicy:
        return cls(
            limit=_positive_int("WORKBENCH_VIEW_LIMIT", 3),
            period_days=_positive_int("WORKBENCH_VIEW_PERIOD_DAYS", 28),
        )


@dataclass(frozen=True)
class Settings:
    home: Path
    grading_scheme: str = "3x5x2"
    max_import_rows: int = 100_000
    sign_in: SignInPolicy = SignInPolicy()
    evidence: EvidenceLimits = EvidenceLimits()
    viewing: ViewingPolicy = ViewingPolicy()
    # Browsers reach the workbench over HTTPS (through the reverse proxy): cookies are Secure and
    # take the __Host- prefix, so no other site or subdomain can set or read them.
    secure_cookies: bool = False

    @property
    def database_path(self) -> Path:
        return self.home / "workbench.db"

    @property
    def evidence_dir(self) -> Path:
        return self.home / "evidence"

    @classmethod
    def from_env(cls, home: str | os.PathLike | None = None) -> Settings:
        home_path = Path(home or os.environ.get("WORKBENCH_HOME") or "workbench-data")
        return cls(
            home=home_path.resolve(),
            grading_scheme=grading_scheme(),
            max_import_rows=_positive_int("WORKBENCH_MAX_IMPORT_ROWS", 100_000),
            sign_in=SignInPolicy.from_env(),
            evidence=EvidenceLimits.from_env(),
            viewing=ViewingPolicy.from_env(),
            secure_cookies=_yes_or_no("WORKBENCH_SECURE_COOKIES", False),
        )
