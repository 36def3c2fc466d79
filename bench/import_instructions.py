"""The observation import against raw insert_all, counted in instructions rather than timed.

    python -m bench.import_instructions [--observations 20000]

Wall times on a shared machine move by a fifth from one run to the next; instructions counted by
valgrind's callgrind repeat (within 0.3% at 20,000 rows). Each side runs twice under callgrind:
once stopping before the work measured (the rows planned and, for the import, the case loaded)
and once doing it; the difference over the rows is the count a row. Needs valgrind (Debian's
`valgrind`), which the project does not otherwise need, so this is not part of `make bench`.
Four runs under callgrind: about ten minutes at 20,000 rows.

`python -m bench.import_instructions --run MODE ROWS` is one of those runs (what callgrind runs).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bench import crossref_data
from bench.observation_import import FACTS, raw_insert
from workbench import observations

MODES = {"import": "setup", "raw": "plan"}  # each measured run and the run it is measured against


def run_once(mode: str, count: int) -> int:
    """What callgrind counts: plan the rows, then stop (plan), load the case (setup), or go on to
    store them (raw, import). Returns the rows stored."""
    case_plan = crossref_data.plan(count, FACTS)
    with tempfile.TemporaryDirectory(prefix="bench-instructions-") as tmp:
        if mode == "raw":
            return raw_insert(case_plan.observation_csvs, Path(tmp))
        if mode not in ("setup", "import"):
            return 0
        case = crossref_data.load(case_plan, Path(tmp), with_observations=False)
        try:
            if mode == "setup":
                return 0
            return sum(
                observations.import_csv(case.db, case.analyst, case.reference, data).count
                for data in case_plan.observation_csvs
            )
        finally:
            case.db.conn.close()


def counted(mode: str, count: int) -> int:
    """Instructions callgrind counts in one run."""
    with tempfile.TemporaryDirectory(prefix="bench-callgrind-") as tmp:
        command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/out", sys.executable]
        command += ["-m", "bench.import_instructions", "--run", mode, str(count)]
        done = subprocess.run(
            command, capture_output=True, text=True, check=True, env={**os.environ, "PYTHONHASHSEED": "0"}
        )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if not found:
        raise RuntimeError(f"callgrind said no count: {done.stderr[-500:]}")
    return int(found.group(1))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.import_instructions", description=__doc__.splitlines()[0])
    parser.add_argument("--observations", type=int, default=20_000)
    parser.add_argument("--run", nargs=2, metavar=("MODE", "ROWS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run:
        mode, rows = args.run[0], int(args.run[1])
        stored = run_once(mode, rows)
        return 0 if stored == (rows if mode in ("raw", "import") else 0) else 1
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 2
    subprocess.run([sys.executable, "-m", "compileall", "-q", "workbench", "bench"], check=True)  # not in a count
    per_row = {}
    for mode, base in MODES.items():
        per_row[mode] = (counted(mode, args.observations) - counted(base, args.observations)) / args.observations
        print(f"{mode}: {per_row[mode]:,.0f} instructions a row", flush=True)
    ratio = per_row["raw"] / per_row["import"]
    print(f"ratio {ratio:.3f} (information: the target is the rate, bench.observation_import)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
