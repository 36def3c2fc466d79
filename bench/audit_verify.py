"""Audit verify: `workbench audit verify` over a long chain against a plain hashlib chain (issue 9:
one million events, at least 0.5 of the plain chain's rate).

    python -m bench.audit_verify [--events 1000000] [--repeat 3] [--profile] [--check]

A fresh workbench home gets `--events` audit events, written straight into audit_events in the
log's own format (what `audit.record` would write, with `audit.chain_hash`, at a few hundred
thousand a second instead of one transaction each) and the head moved to the last. Untimed. The
rows are varied like a real log: views, lists, amendments with reasons, sign-ins, details of a few
dozen bytes. Then, in turns, `--repeat` times each, the file in the page cache:

- baseline: a plain hashlib chain over the same bytes: every event's stored columns read from the
  same file in order with sqlite3, and SHA-256 over the previous hash and those columns' bytes
  joined (no JSON, no checks: the least any verifier of this file must do: read it and hash it);
- figure: `audit.verify(db)` on the file: read every row in order, rebuild its canonical content,
  check sequence, link and hash, then the head.

The best of each counts; rates are events a second. Also printed, not compared: the hashing alone,
over the canonical contents held in memory (the part of the work no reader can avoid). The run
fails unless verify reports the chain intact with every event, and unless it finds a changed byte
in the middle of a copy of the chain.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from bench.common import Result, positive_int, print_profile, print_table
from workbench import audit
from workbench.config import Settings
from workbench.db import open_home

NAME = "audit verify"
BASELINE = "read + hashlib chain, same rows"
TARGET = 0.5
DEFAULT_EVENTS = 1_000_000
DEFAULT_REPEAT = 3
_CHUNK = 50_000
_ACTIONS = (
    ("observation.view", {}, ""), ("observation.list", {"rows": 412}, ""), ("case.view", {}, ""),
    ("observation.amend", {"version": 2, "changed": ["summary", "source_grade"]}, "Graded again after the school call"),
    ("sign_in", {"method": "password"}, ""), ("evidence.original", {"sha256": "ab" * 32}, ""),
    ("action.update", {"version": 3, "changed": ["status"], "status": "done"}, ""),
)  # fmt: skip


class BenchmarkFailed(RuntimeError):
    """The run did not measure what it claims to."""


@dataclass(frozen=True)
class Measured:
    result: Result
    events: int
    megabytes: float  # canonical content hashed, MB
    hashing_rate: float  # events/s of the chain alone over the canonical contents in memory


def _rows(count: int):
    """Events 1..count with their chain: (seq, at, username, action, case_ref, item_code, details,
    justification, prev_hash, hash)."""
    prev = audit.GENESIS
    for seq in range(1, count + 1):
        action, details, justification = _ACTIONS[seq % len(_ACTIONS)]
        row = {
            "seq": seq,
            "at": f"2026-{1 + seq % 12:02d}-{1 + seq % 28:02d}T{seq % 24:02d}:{seq % 60:02d}:{seq % 59:02d}Z",
            "username": f"analyst{seq % 40}",
            "action": action,
            "case_ref": None if action == "sign_in" else f"CASE-{seq % 300:04d}",
            "item_code": f"OBS-{seq % 9999:04d}" if action.startswith("observation.") else None,
            "details": json.dumps(details, sort_keys=True, ensure_ascii=False),
            "justification": justification,
        }
        digest = audit.chain_hash(prev, row)
        yield (*row.values(), prev, digest)
        prev = digest


def build(home: Path, count: int) -> Path:
    db = open_home(Settings(home=home))
    db.conn.close()
    path = home / "workbench.db"
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("BEGIN IMMEDIATE")
        rows = _rows(count)
        while chunk := [row for _, row in zip(range(_CHUNK), rows, strict=False)]:
            conn.executemany("INSERT INTO audit_events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", chunk)
            # The head moves one event at a time (its trigger refuses a jump), as audit.record moves it.
            conn.executemany("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", [(r[0], r[9]) for r in chunk])
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # all in the main file: the tamper test copies it
    return path


def read_and_chain(path: Path) -> str:
    """The baseline: read the same rows from the same file and chain SHA-256 over their bytes."""
    prev = audit.GENESIS
    sha256 = hashlib.sha256
    with closing(sqlite3.connect(path)) as conn:
        rows = conn.execute(
            "SELECT seq, at, username, action, case_ref, item_code, details, justification FROM audit_events"
            " ORDER BY seq"
        )
        for seq, at, username, action, case_ref, item_code, details, justification in rows:
            content = f"{seq}{at}{username}{action}{case_ref or ''}{item_code or ''}{details}{justification}"
            prev = sha256((prev + content).encode()).hexdigest()
    return prev


def canonical_bytes(path: Path) -> list[bytes]:
    """What the baseline hashes: each event's canonical content, as audit.canonical makes it."""
    with closing(sqlite3.connect(path)) as conn:
        conn.row_factory = sqlite3.Row
        return [audit.canonical(dict(row)) for row in conn.execute("SELECT * FROM audit_events ORDER BY seq")]


def plain_chain(contents: list[bytes]) -> str:
    prev = audit.GENESIS
    sha256 = hashlib.sha256
    for content in contents:
        prev = sha256(prev.encode("ascii") + content).hexdigest()
    return prev


def _verify(path: Path) -> audit.ChainReport:
    db = open_home(Settings(home=path.parent))
    try:
        return audit.verify(db)
    finally:
        db.conn.close()


def _tampered_copy_is_caught(path: Path, count: int) -> None:
    copy = path.parent / "tampered" / "workbench.db"
    copy.parent.mkdir()
    shutil.copyfile(path, copy)
    middle = count // 2 + 1
    with closing(sqlite3.connect(copy, isolation_level=None)) as conn:
        conn.execute("DROP TRIGGER audit_events_no_update")
        conn.execute("UPDATE audit_events SET justification = justification || '.' WHERE seq = ?", (middle,))
    report = _verify(copy)
    if report.intact or report.first_bad_seq != middle:
        raise BenchmarkFailed(f"verify missed the event changed at {middle}: {report}")


def run(count: int, repeat: int = DEFAULT_REPEAT, *, profile: bool = False) -> Measured:
    with tempfile.TemporaryDirectory(prefix="bench-audit-") as tmp:
        home = Path(tmp)
        started = time.perf_counter()
        path = build(home, count)
        contents = canonical_bytes(path)
        expected_head = _rows_head(path)
        print(
            f"built {count:,} events ({path.stat().st_size / 1e6:,.0f} MB file)"
            f" in {time.perf_counter() - started:.1f} s"
        )
        baseline_times, figure_times, hashing_times = [], [], []
        for _ in range(repeat):
            started = time.perf_counter()
            read_and_chain(path)
            baseline_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            head = plain_chain(contents)
            hashing_times.append(time.perf_counter() - started)
            if head != expected_head:
                raise BenchmarkFailed("the plain chain does not end at the stored head")
            started = time.perf_counter()
            report = _verify(path)
            figure_times.append(time.perf_counter() - started)
            if not report.intact or report.events != count:
                raise BenchmarkFailed(f"verify did not report the chain intact: {report}")
        if profile:
            print_profile(lambda: _verify(path), sys.stdout)
        _tampered_copy_is_caught(path, count)
    megabytes = sum(len(c) for c in contents) / 1e6
    result = Result(
        NAME, count / min(figure_times), "events/s", BASELINE, count / min(baseline_times), TARGET, decimals=0
    )
    return Measured(result, count, megabytes, count / min(hashing_times))


def _rows_head(path: Path) -> str:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute("SELECT hash FROM audit_head").fetchone()[0]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.audit_verify", description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=positive_int, default=DEFAULT_EVENTS, help="(default 1,000,000)")
    parser.add_argument("--repeat", type=positive_int, default=DEFAULT_REPEAT, help="runs, the best counts")
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of one verify")
    parser.add_argument("--check", action="store_true", help=f"exit 1 when the ratio is below {TARGET}")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    measured = run(args.events, args.repeat, profile=args.profile)
    print()
    print_table([measured.result])
    print(f"\n{measured.events:,} events, {measured.megabytes:,.1f} MB of canonical content")
    print(f"the hashing alone, over those contents in memory: {measured.hashing_rate:,.0f} events/s")
    print(f"wall time {time.perf_counter() - started:.1f} s")
    return 1 if args.check and not measured.result.met else 0


if __name__ == "__main__":
    sys.exit(main())
