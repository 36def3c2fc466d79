"""Password hashing (argon2id) and the rules a new password must meet."""

from __future__ import annotations

import functools
import re
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 12
MAX_LENGTH = 1024
COMMON_PASSWORDS_FILE = Path(__file__).parent / "data" / "common-passwords.txt"

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verifying against this keeps a wrong username as slow as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password-for-timing")
# Digits, punctuation and spaces people add around a common word to meet a length rule.
_PADDING = re.compile(r"^[\d\W_]+|[\d\W_]+$")


@functools.cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def check(password: object, username: str) -> str:
    """The password if it meets the rules, else ValueError with the rule it breaks."""
    if not isinstance(password, str) or not password:
        raise ValueError("is required")
    if len(password) < MIN_LENGTH:
        raise ValueError(f"must be at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise ValueError(f"must be at most {MAX_LENGTH} characters")
    if "\x00" in password:
        raise ValueError("must not contain NUL characters")
    folded = password.strip().lower()
    stem = _PADDING.sub("", folded)
    if username and {username.lower(), _PADDING.sub("", username.lower())} & {folded, stem}:
        raise ValueError("must not be the username")
    common = common_passwords()
    if folded in common or stem in common:
        raise ValueError("is too common: it is on the list of passwords attackers try first")
    if re.fullmatch(r"(.{1,4}?)\1+", folded):
        raise ValueError("is a short pattern repeated: choose something harder to guess")
    return password


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(password_hash: str | None, password: object) -> bool:
    """Whether the password matches; with no hash, still spends the same time and says no."""
    if not isinstance(password, str) or not 0 < len(password) <= MAX_LENGTH:
        return False
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
