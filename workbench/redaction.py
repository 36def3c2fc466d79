"""Hiding who and where, the same way in every place a case's text leaves the workbench: the
conference view's "pseudonyms only" and an export's redactions.

Names the case knows (people's names, and the names and aliases trusted sources know them by)
become their pseudonyms, "Child A", "Person B"; account handles become "Person B's account"; web
addresses become "[link removed]". Each is replaced wherever it stands as words, longest first,
so "Marco Rossi" is not half-replaced by "Marco".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import sqlite_utils

URL_REMOVED = "[link removed]"
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)


@dataclass(frozen=True)
class Known:
    """What a case knows to hide: (text, what replaces it), longest first."""

    names: tuple[tuple[str, str], ...]
    handles: tuple[tuple[str, str], ...]


def known(db: sqlite_utils.Database, case_id: int) -> Known:
    """People's names and the names trusted sources know them by; account handles and their owners."""
    names = [
        (row["name"], row["pseudonym"])
        for row in db.query("SELECT name, pseudonym FROM people WHERE case_id = ?", (case_id,))
        if row["name"]
    ]
    names += [
        (row["value"], row["pseudonym"])
        for row in db.query(
            """SELECT v.value, p.pseudonym FROM facts f
               JOIN fact_versions v ON v.fact_id = f.id
                AND v.version = (SELECT MAX(version) FROM fact_versions WHERE fact_id = f.id)
               JOIN people p ON p.id = f.person_id
               WHERE f.case_id = ? AND v.retracted = 0 AND v.attribute IN ('full_name', 'known_alias')""",
            (case_id,),
        )
    ]
    handles = []
    for row in db.query(
        """SELECT a.handle, p.pseudonym FROM accounts a LEFT JOIN people p ON p.id = a.person_id
           WHERE a.case_id = ?""",
        (case_id,),
    ):
        owner = f"{row['pseudonym']}'s account" if row["pseudonym"] else "an account"
        handles.append((row["handle"], owner))
        handles.append((row["handle"].lstrip("@"), owner))
    return Known(_longest_first(names), _longest_first(handles))


def redactor(found: Known, *, names: bool = False, handles: bool = False, urls: bool = False) -> Callable[[str], str]:
    """A function that hides, in a text, what was asked: names, handles, web addresses."""
    pairs = (found.names if names else ()) + (found.handles if handles else ())
    patterns = [(_as_words(text), replacement) for text, replacement in _longest_first(pairs) if text.strip()]

    def hide(text: str) -> str:
        if not isinstance(text, str) or not text:
            return text
        if urls:  # first, so that a handle inside an address goes with the address
            text = _URL.sub(URL_REMOVED, text)
        for pattern, replacement in patterns:
            text = pattern.sub(replacement, text)
        return text

    return hide


def address_hider(found: Known, *, urls: bool = False, handles: bool = False) -> Callable[[str], str]:
    """For a column that holds one web address: empty when addresses are redacted, or when handles
    are and the address names one (https://instagram.example/marco.fastcars names its account)."""
    named = [_as_words(text) for text, _ in found.handles if text.strip()] if handles else []

    def hide(address: str) -> str:
        if not isinstance(address, str) or not address:
            return address
        if urls or any(pattern.search(address) for pattern in named):
            return ""
        return address

    return hide


def pseudonymiser(db: sqlite_utils.Database, case_id: int) -> Callable[[str], str]:
    """Names and handles the case knows turned into pseudonyms (the conference view's switch)."""
    return redactor(known(db, case_id), names=True, handles=True)


# Scripts written without spaces between words: a name there has no word boundary around it.
_UNSPACED = ("CJK", "HIRAGANA", "KATAKANA", "THAI", "LAO", "KHMER", "MYANMAR", "TIBETAN")


def _as_words(text: str) -> re.Pattern:
    """`text` wherever it stands as words (an @ before a handle optional), in any letter case. At an
    edge in a script without spaces (Chinese, Japanese, Thai) no boundary is asked for."""
    core = text.lstrip("@")
    before = "" if _unspaced(core[0]) else r"(?<!\w)"
    after = "" if _unspaced(core[-1]) else r"(?!\w)"
    return re.compile(before + "@?" + re.escape(core) + after, re.IGNORECASE)


def _unspaced(character: str) -> bool:
    return unicodedata.name(character, "").startswith(_UNSPACED)


def _longest_first(pairs) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(pairs, key=lambda pair: len(pair[0]), reverse=True))
