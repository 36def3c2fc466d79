"""Password rules (length, NUL, the username, the common list, repeats) and argon2id hashing."""

from __future__ import annotations

import hashlib

import pytest
from argon2 import PasswordHasher, Type, extract_parameters

from workbench import passwords

# 1024 characters that break no rule: a 64-character hex digest is no short repeated pattern.
LONGEST_ALLOWED = ("correct-horse-" + hashlib.sha256(b"workbench").hexdigest() * 16)[: passwords.MAX_LENGTH]


# --- the rules -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "username", "reason"),
    [
        (None, "carol", "is required"),
        ("", "carol", "is required"),
        (123456789012, "carol", "is required"),
        (b"a-perfectly-fine-password", "carol", "is required"),
        ("elevenchars", "carol", "must be at least 12 characters"),
        ("x" * 1025, "carol", "must be at most 1024 characters"),
        ("x" * 10_000, "carol", "must be at most 1024 characters"),
        ("twelve-chars\x00-and-a-nul", "carol", "must not contain NUL characters"),
        ("\x00" * 12, "carol", "must not contain NUL characters"),
        ("carolinewood", "carolinewood", "must not be the username"),
        ("CarolineWood", "carolinewood", "must not be the username"),
        ("  carolinewood  ", "carolinewood", "must not be the username"),
        ("carolinewood-2026!", "carolinewood", "must not be the username"),
        ("!!carolinewood!!", "carolinewood", "must not be the username"),
        ("LongUsername1", "longusername1", "must not be the username"),
        ("01telemike01", "carol", "is too common"),
        ("01TELEMIKE01", "carol", "is too common"),
        ("Sunshine2026!", "carol", "is too common"),
        ("2026-sunshine", "carol", "is too common"),
        ("password1234", "carol", "is too common"),
        ("PASSWORD!!!!", "carol", "is too common"),
        ("   iloveyou   ", "carol", "is too common"),
        ("abcabcabcabc", "carol", "is a short pattern repeated"),
        ("ABCABCABCABC", "carol", "is a short pattern repeated"),
        ("zzzzzzzzzzzz", "carol", "is a short pattern repeated"),
        ("q1w2q1w2q1w2", "carol", "is a short pattern repeated"),
        ("xyzxyzxyzxyzxyzxyzxyz", "carol", "is a short pattern repeated"),
    ],
    ids=[
        "none", "empty", "int", "bytes", "11-chars", "1025-chars", "10000-chars", "nul-inside", "only-nul",
        "username", "username-upper", "username-spaced", "username-padded-end", "username-padded-both",
        "username-with-digit", "common", "common-upper", "common-padded", "common-padded-front", "common-digits",
        "common-punctuation", "common-spaced", "repeat-3", "repeat-upper", "repeat-1", "repeat-4", "repeat-long",
    ],
)  # fmt: skip
def test_check_refuses_a_password_breaking_a_rule(password, username, reason):
    with pytest.raises(ValueError, match="^" + reason):
        passwords.check(password, username)


@pytest.mark.parametrize(
    ("password", "username"),
    [
        ("a-perfectly-fine-password", "carol"),
        ("correct horse battery staple", "carol"),
        ("exactly12chr", "carol"),
        (LONGEST_ALLOWED, "carol"),
        ("pässwört-über-alles", "carol"),
        ("carolinewood-likes-tea", "carolinewood"),  # containing the username is not being it
        ("abcdeabcdeabcde", "carol"),  # a five-character unit is not a "short" pattern
        ("'; DROP TABLE users; --", "carol"),  # SQL is just characters to a password
        ("<script>alert(1)</script>", "carol"),
    ],
    ids=["hyphenated", "passphrase", "exactly-12", "exactly-1024", "unicode", "contains-username", "repeat-5",
         "sql", "html"],
)  # fmt: skip
def test_check_accepts_a_good_password_and_returns_it_unchanged(password, username):
    assert passwords.check(password, username) is password


def test_check_reports_the_first_rule_broken():
    # One reason a person can act on: length first, then the username, then the common list.
    with pytest.raises(ValueError, match="at least 12"):
        passwords.check("password", "carol")
    with pytest.raises(ValueError, match="must not be the username"):
        passwords.check("password1234", "password1234")


def test_check_without_a_username_still_applies_the_other_rules():
    assert passwords.check("a-perfectly-fine-password", "") == "a-perfectly-fine-password"
    with pytest.raises(ValueError, match="too common"):
        passwords.check("Sunshine2026!", "")


def test_a_username_ending_in_a_digit_padded_with_punctuation_is_refused():
    with pytest.raises(ValueError, match="must not be the username"):
        passwords.check("qxwarden7!!!!!", "qxwarden7")


# --- the common list -----------------------------------------------------------------------------


def test_the_common_list_loads_thirty_thousand_lower_case_entries():
    common = passwords.common_passwords()
    assert len(common) == 30_000
    assert all(entry and entry == entry.lower() and not entry.startswith("#") for entry in common)
    assert {"password", "sunshine", "iloveyou", "01telemike01"} <= common
    assert passwords.common_passwords() is common  # read once


def test_the_common_list_file_names_its_source():
    header = passwords.COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()[0:4]
    assert all(line.startswith("#") for line in header)
    assert "zxcvbn" in " ".join(header)


# --- hashing -------------------------------------------------------------------------------------


def test_hashing_is_argon2id_salted_and_verifies():
    first = passwords.hash_password("a-perfectly-fine-password")
    second = passwords.hash_password("a-perfectly-fine-password")
    assert first.startswith("$argon2id$")
    assert extract_parameters(first).type is Type.ID
    assert first != second  # a fresh salt every time
    assert "a-perfectly-fine-password" not in first
    assert not PasswordHasher().check_needs_rehash(first)
    assert passwords.verify(first, "a-perfectly-fine-password")
    assert passwords.verify(second, "a-perfectly-fine-password")


@pytest.mark.parametrize(
    "attempt",
    [
        "a-perfectly-fine-passworD",
        "a-perfectly-fine-password ",
        "a-perfectly-fine-password\x00",
        "a-perfectly-fine",
        "",
        None,
        b"a-perfectly-fine-password",
        12345,
        "x" * 10_000,
        "' OR 1=1 --",
    ],
    ids=["case", "trailing-space", "trailing-nul", "prefix", "empty", "none", "bytes", "int", "huge", "sql"],
)
def test_verify_says_no_to_anything_but_the_password(attempt):
    stored = passwords.hash_password("a-perfectly-fine-password")
    assert passwords.verify(stored, attempt) is False


@pytest.mark.parametrize("password", ["a-perfectly-fine-password", "not-a-real-password-for-timing", ""])
def test_verify_with_no_hash_returns_false(password):
    # Even the password behind the dummy hash (spent to keep timing even) must not pass.
    assert passwords.verify(None, password) is False


def test_verify_with_an_empty_hash_refuses_even_the_dummy_password():
    assert passwords.verify("", "a-perfectly-fine-password") is False
    assert passwords.verify("", "not-a-real-password-for-timing") is False


@pytest.mark.parametrize("garbage", ["not-a-hash", "$argon2id$v=19$m=1,t=1,p=1$bad$bad", "$2b$12$" + "a" * 53])
def test_verify_with_a_corrupt_hash_returns_false(garbage):
    assert passwords.verify(garbage, "a-perfectly-fine-password") is False


def test_verify_refuses_a_password_over_the_maximum_length_even_if_it_was_hashed():
    too_long = "q" * (passwords.MAX_LENGTH + 1)
    assert passwords.verify(passwords.hash_password(too_long), too_long) is False
    assert passwords.verify(passwords.hash_password(LONGEST_ALLOWED), LONGEST_ALLOWED) is True
