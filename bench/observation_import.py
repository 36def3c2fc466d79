"""Observation import: CSV files through the domain against raw inserts of the same rows. The target
is absolute (issue 25): at least 5,000 observations a second; the ratio to the raw rate is shown
beside it as information.

    python -m bench.observation_import [--observations 20000] [--repeat 3] [--profile] [--check]

The cross-referencing benchmark's fictional case (bench/crossref_data.py: people, their accounts on
eight platforms, 200 trusted facts, observations of every kind in files of 1,000 rows) is planned
once. For each run, in turns:

- baseline: a fresh SQLite file (WAL, as the workbench's) and, per file, the rows read with the
  csv module and written with sqlite-utils `insert_all` into one plain table: no checks, no codes,
  no audit;
- figure: a fresh workbench home holding the case without observations (untimed), then
  `observations.import_csv` per file, as `workbench observation import` runs it: every row
  checked against its kind's schema, vocabularies and times, the research authorisation and the
  repeated-viewing count, then in one transaction per file the codes, versions, the
  cross-referencing rules, the audit event and the actions an image-sharing incident creates.

The best of each counts; rates are observations a second. The run fails unless every row is stored.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import sqlite_utils

from bench import crossref_data
from bench.common import Result, positive_int, print_profile, print_table
from workbench import observations

NAME = "observation import"
BASELINE = "sqlite-utils insert_all"
LIMIT = 5_000  # observations a second, on this machine (the issue)
DEFAULT_OBSERVATIONS = 20_000
DEFAULT_REPEAT = 3
FACTS = 200


class BenchmarkFailed(RuntimeError):
    """The run did not measure what it claims to."""


def raw_insert(files: Sequence[bytes], folder: Path) -> int:
    db = sqlite_utils.Database(folder / "raw.db")
    db.conn.execute("PRAGMA journal_mode = WAL")
    stored = 0
    for data in files:
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
        db["observations"].insert_all(rows)
        stored += len(rows)
    db.conn.close()
    return stored


def domain_import(case_plan: crossref_data.Plan, folder: Path) -> tuple[float, int]:
    """Seconds to import the plan's files into a fresh home holding the rest of its case, and the rows stored."""
    case = crossref_data.load(case_plan, folder, with_observations=False)
    try:
        started = time.perf_counter()
        stored = sum(
            observations.import_csv(case.db, case.analyst, case.reference, data).count
            for data in case_plan.observation_csvs
        )
        return time.perf_counter() - started, stored
    finally:
        case.db.conn.close()


def run(count: int, repeat: int = DEFAULT_REPEAT, *, profile: bool = False) -> Result:
    case_plan = crossref_data.plan(count, FACTS)
    print(f"planned {count:,} observations in {len(case_plan.observation_csvs)} files of up to {crossref_data.CHUNK:,}")
    baseline_times, figure_times = [], []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="bench-import-raw-") as tmp:
            started = time.perf_counter()
            stored = raw_insert(case_plan.observation_csvs, Path(tmp))
            baseline_times.append(time.perf_counter() - started)
        if stored != count:
            raise BenchmarkFailed(f"the baseline stored {stored:,} rows, not {count:,}")
        with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
            seconds, stored = domain_import(case_plan, Path(tmp))
            figure_times.append(seconds)
        if stored != count:
            raise BenchmarkFailed(f"the import stored {stored:,} observations, not {count:,}")
    if profile:
        with tempfile.TemporaryDirectory(prefix="bench-import-profile-") as tmp:
            print_profile(lambda: domain_import(case_plan, Path(tmp)), sys.stdout)
    return Result(
        NAME, count / min(figure_times), "obs/s", BASELINE, count / min(baseline_times), None, limit=LIMIT,
        decimals=0,
    )  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.observation_import", description=__doc__.splitlines()[0])
    parser.add_argument("--observations", type=positive_int, default=DEFAULT_OBSERVATIONS, help="(default 20,000)")
    parser.add_argument("--repeat", type=positive_int, default=DEFAULT_REPEAT, help="runs, the best counts")
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of one import")
    parser.add_argument("--check", action="store_true", help=f"exit 1 below {LIMIT:,} obs/s")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    result = run(args.observations, args.repeat, profile=args.profile)
    print()
    print_table([result])
    print(f"\nwall time {time.perf_counter() - started:.1f} s")
    return 1 if args.check and not result.met else 0


if __name__ == "__main__":
    sys.exit(main())
