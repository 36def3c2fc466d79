"""Every benchmark, then one table: `make bench`, or `python -m bench [--only NAME ...] [--check]`.

Each benchmark runs with its defaults and prints what it does as it goes (bench/README.md says what
each measures and against what); the table at the end has every figure beside its baseline,
measured in the same run, and the ratio. `--check` exits 1 when any figure misses its target.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence

from bench import (
    audit_verify,
    cold_start,
    crossref_recompute,
    evidence_intake,
    export_bundle,
    load,
    observation_import,
    preview_memory,
    timeline_build,
)
from bench.common import Result, print_table

# name: what runs it with its defaults and gives its rows of the table
BENCHMARKS: dict[str, Callable[[], list[Result]]] = {
    "evidence_intake": lambda: [evidence_intake.run()],
    "observation_import": lambda: [observation_import.run(observation_import.DEFAULT_OBSERVATIONS)],
    "crossref_recompute": lambda: crossref_recompute.run().results,
    "timeline_build": lambda: [measured.result for measured in timeline_build.run()],
    "export_bundle": lambda: (lambda m: [m.speed, m.memory])(export_bundle.run()),
    "preview_memory": lambda: [measured.result for measured in preview_memory.run()],
    "audit_verify": lambda: [audit_verify.run(audit_verify.DEFAULT_EVENTS).result],
    "cold_start": lambda: [cold_start.run()],
    "load": lambda: load.results(),
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=list(BENCHMARKS), help="run only these")
    parser.add_argument("--check", action="store_true", help="exit 1 when a figure misses its target")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    results: list[Result] = []
    for name in args.only or BENCHMARKS:
        print(f"\n== {name} ==", flush=True)
        results += BENCHMARKS[name]()
    print("\n== every benchmark ==\n")
    print_table(results)
    print(f"\nwall time {time.perf_counter() - started:.0f} s")
    return 1 if args.check and not all(result.met for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
