"""Checks for single fields, shared by every noun. Each returns the clean value or raises
ValueError with a reason a person can act on; callers attach the field name."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlsplit

from workbench.errors import ValidationError

REFERENCE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/_.-]{0,39}$")
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")  # Unicode's Cc category, all of it


class Checks:
    """Runs each field's check and keeps its clean value or the reason it was refused, so that
    every bad field is named at once: `check("url", lambda: web_url(given["url"]))`, or with the
    arguments given, `check("url", web_url, given["url"])` (no closure to build: an import checks
    every row)."""

    def __init__(self):
        self.clean: dict = {}
        self.errors: dict[str, str] = {}

    def __call__(self, name: str, fn, *args, **kwargs) -> None:
        try:
            self.clean[name] = fn(*args, **kwargs)
        except ValidationError as e:
            self.errors.update(e.errors)
        except ValueError as e:
            self.errors[name] = str(e)


def clip(value, limit: int = 60) -> str:
    """User input echoed in a message: stripped and cut short, so a huge value cannot flood it."""
    shown = str(value or "").strip()
    return shown if len(shown) <= limit else shown[:limit] + "…"


def text(value, *, required: bool = True, max_length: int = 1000, single_line: bool = False) -> str:
    cleaned = "" if value is None else str(value).strip()
    if required and not cleaned:
        raise ValueError("is required")
    if len(cleaned) > max_length:
        raise ValueError(f"must be at most {max_length} characters (it has {len(cleaned)})")
    if single_line and _CONTROL.search(cleaned):
        raise ValueError("must be one line without control characters")
    return cleaned


def reason(value) -> str:
    """Why a change is made, kept with it: required, at most 2,000 characters. Raises the
    ValidationError naming `reason`, for the functions (retract, withdraw, purge) whose only input it is."""
    try:
        return text(value, max_length=2000)
    except ValueError as e:
        raise ValidationError({"reason": str(e)}) from None


def choice(value, allowed, *, label: str = "") -> str:
    cleaned = "" if value is None else str(value).strip()
    allowed = list(allowed)
    if cleaned not in allowed:
        shown = ", ".join(allowed) if len(allowed) <= 12 else ", ".join(allowed[:12]) + ", …"
        if not cleaned:
            raise ValueError(f"is required; one of: {shown}")
        raise ValueError(f"must be one of: {shown}")
    return cleaned


def web_url(value, *, required: bool = False) -> str:
    cleaned = text(value, required=required, max_length=2000, single_line=True)
    if cleaned and not is_web_url(cleaned):
        raise ValueError("must be a web address starting with http:// or https://")
    return cleaned


def is_web_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in value


def reference(value) -> str:
    cleaned = text(value, max_length=40, single_line=True)
    if not REFERENCE_PATTERN.match(cleaned):
        raise ValueError("must be 1-40 letters, digits or / _ . - and start with a letter or digit")
    return cleaned


def username(value) -> str:
    cleaned = text(value, max_length=64, single_line=True).lower()
    if not USERNAME_PATTERN.match(cleaned):
        raise ValueError("must be 2-64 lower-case letters, digits or . _ @ - and start with a letter or digit")
    return cleaned


def boolean(value) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    cleaned = str(value).strip().lower()
    if cleaned in ("", "0", "false", "no", "n", "f"):
        return False
    if cleaned in ("1", "true", "yes", "y", "t"):
        return True
    raise ValueError("must be true or false")


def vocabulary(value, pairs) -> str:
    """A vocabulary value from its value or its label, ignoring letter case and outer spaces."""
    return Vocabulary(pairs)(value)


class Vocabulary:
    """`vocabulary` for one list of (value, label) pairs, indexed once: an import asks it per row."""

    def __init__(self, pairs):
        pairs = list(pairs)
        self.values = [val for val, _ in pairs]
        self._by_key: dict[str, str] = {}
        for val, label in pairs:  # the first pair to match wins
            self._by_key.setdefault(val.casefold(), val)
            self._by_key.setdefault(label.casefold(), val)

    def __call__(self, value) -> str:
        found = self._by_key.get(str(value or "").strip().casefold())
        return found if found is not None else choice(value, self.values)  # raises, naming the allowed values


def day(value, *, required: bool = True) -> str | None:
    """A calendar day as YYYY-MM-DD; None when empty and not required."""
    cleaned = str(value or "").strip()
    if not cleaned:
        if required:
            raise ValueError("is required, as YYYY-MM-DD")
        return None
    try:
        return date.fromisoformat(cleaned).isoformat()
    except ValueError:
        raise ValueError("must be a date as YYYY-MM-DD") from None


def email(value) -> str | None:
    """An e-mail address, lower-cased; None when empty."""
    address = str(value or "").strip().lower()
    if not address:
        return None
    local, at, domain = address.partition("@")
    if (
        not at
        or not local
        or "." not in domain
        or len(address) > 254
        or any(c.isspace() or ord(c) < 32 or c in "<>\"'" for c in address)
    ):
        raise ValueError(f"{clip(value)} is not an e-mail address")
    return address
