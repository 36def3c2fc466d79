"""Whole-or-nothing CSV imports: every row is checked before anything is written.

Row numbers are the ones a spreadsheet shows: the header is row 1, the first record row 2.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Iterable

from workbench.errors import ValidationError

MAX_IMPORT_BYTES = 50 * 1024 * 1024


class ImportRejected(ValidationError):
    """One entry per bad row (or 'file' / 'header'); `lines()` prints one line per bad row."""

    def __init__(self, row_errors: dict[str, dict[str, str]]):
        self.row_errors = row_errors
        super().__init__(
            {
                where: "; ".join(f"{field}: {reason}" for field, reason in errs.items())
                for where, errs in row_errors.items()
            }
        )

    def lines(self) -> list[str]:
        return [f"{where}: {text}" for where, text in self.errors.items()]


def sha256_of(data: bytes | str) -> str:
    """The hash of the file exactly as received (for the audit event)."""
    return hashlib.sha256(data if isinstance(data, bytes) else data.encode("utf-8")).hexdigest()


def decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportRejected({"file": {"size": f"is over {MAX_IMPORT_BYTES // (1024 * 1024)} MB"}})
    try:
        return data.decode("utf-8-sig")  # Excel writes a byte-order mark
    except UnicodeDecodeError as e:
        raise ImportRejected({"file": {"encoding": f"is not UTF-8 text (byte {e.start})"}}) from None


def read_rows(
    data: bytes | str, *, allowed: Iterable[str], required: Iterable[str], max_rows: int
) -> list[tuple[int, dict[str, str]]]:
    """Parse the CSV and check its header; returns (row number, cells) for each non-blank row."""
    text = decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as e:
        raise ImportRejected({"row 1": {"header": f"is not valid CSV ({e})"}}) from None
    if not header or not any(cell.strip() for cell in header):
        raise ImportRejected({"file": {"header": "is missing; the first row must name the columns"}})
    header = [cell.strip() for cell in header]
    allowed, required = list(allowed), list(required)
    problems = []
    unknown = [c for c in header if c not in allowed]
    if unknown:
        problems.append(f"unknown column {unknown[0][:60]!r} (the columns are: {', '.join(allowed)})")
    missing = [c for c in required if c not in header]
    if missing:
        problems.append(f"missing required column {missing[0]!r}")
    duplicated = sorted({c for c in header if header.count(c) > 1})
    if duplicated:
        problems.append(f"column {duplicated[0][:60]!r} appears twice")
    if problems:
        raise ImportRejected({"row 1": {"columns": "; ".join(problems)}})
    rows: list[tuple[int, dict[str, str]]] = []
    bad: dict[str, dict[str, str]] = {}
    number = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            bad[f"row {number + 1}"] = {"csv": f"is not valid CSV ({e})"}
            break
        number += 1
        if number - 1 > max_rows:  # blank rows count: a file of nothing but newlines is refused at once
            raise ImportRejected({"file": {"rows": f"has more than {max_rows} rows (blank ones included); split it"}})
        if not "".join(cells).strip():  # a blank row (any() over the cells costs more, every row)
            continue
        if len(cells) > len(header):
            bad[f"row {number}"] = {"cells": f"has {len(cells)} cells but the header names {len(header)}"}
            continue
        if len(cells) < len(header):
            cells += [""] * (len(header) - len(cells))
        rows.append((number, dict(zip(header, cells, strict=True))))
    if bad:
        raise ImportRejected(bad)
    if not rows:
        raise ImportRejected({"file": {"rows": "has no rows below the header"}})
    return rows


def check_all(rows: list[tuple[int, dict]], normalise: Callable[[dict], dict]) -> list[dict]:
    """Normalise every row; if any fails, raise one ImportRejected naming every bad row."""
    clean, bad = [], {}
    for number, cells in rows:
        try:
            clean.append(normalise(cells))
        except ValidationError as e:
            bad[f"row {number}"] = e.errors
    if bad:
        raise ImportRejected(bad)
    return clean
