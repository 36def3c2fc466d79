"""What every benchmark reports, and the one table they are printed in.

A figure is always shown beside a baseline measured on the same machine in the same run (the
machine's speed cancels out of the ratio), and the target is a ratio, so the same target holds on
a laptop and on a server. The ratio is oriented so that higher is better: for a time (lower is
better) it is baseline / figure.

Where a requirement is stated as an absolute figure on this machine ("under 2 s"), the result
carries it as a `limit` on the figure instead (or as well), shown as "< 2 s" in the target column.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO


@dataclass(frozen=True)
class Result:
    name: str  # what was measured, e.g. "evidence intake"
    figure: float
    unit: str  # e.g. "MB/s"; the baseline is in the same unit
    baseline_name: str  # e.g. "sha256sum"
    baseline_figure: float
    target: float | None  # the least acceptable ratio; None when only a limit applies
    higher_is_better: bool = True
    limit: float | None = None  # an absolute target on the figure: at most (a time), at least (a rate)
    decimals: int = 1  # how the figure and the baseline figure are printed

    @property
    def ratio(self) -> float:
        top, bottom = (
            (self.figure, self.baseline_figure) if self.higher_is_better else (self.baseline_figure, self.figure)
        )
        return top / bottom if bottom else float("inf")

    @property
    def met(self) -> bool:
        ratio_met = self.target is None or self.ratio >= self.target
        if self.limit is None:
            return ratio_met
        limit_met = self.figure >= self.limit if self.higher_is_better else self.figure < self.limit
        return ratio_met and limit_met

    @property
    def target_text(self) -> str:
        parts = [] if self.target is None else [f">= {self.target:g}"]
        if self.limit is not None:
            parts.append(f"{'>=' if self.higher_is_better else '<'} {self.limit:g} {self.unit}")
        return ", ".join(parts)

    @property
    def verdict(self) -> str:
        if self.met:
            return "ok" if self.target is not None or self.limit is not None else ""
        if self.target is not None and self.ratio < self.target:
            return "BELOW TARGET"
        return "OVER TARGET" if not self.higher_is_better else "BELOW TARGET"


HEADINGS = ("benchmark", "figure", "baseline", "baseline figure", "ratio", "target", "")


def format_table(results: Iterable[Result]) -> str:
    """The results as an aligned text table: names left, numbers right."""
    rows = [
        (
            r.name,
            f"{r.figure:,.{r.decimals}f} {r.unit}",
            r.baseline_name,
            f"{r.baseline_figure:,.{r.decimals}f} {r.unit}",
            f"{r.ratio:.2f}",
            r.target_text,
            r.verdict,
        )
        for r in results
    ]
    widths = [max(len(row[i]) for row in (HEADINGS, *rows)) for i in range(len(HEADINGS))]
    numeric = {1, 3, 4, 5}

    def line(cells) -> str:
        return "  ".join(
            c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(HEADINGS), rule, *(line(row) for row in rows)])


def print_table(results: Iterable[Result], file: TextIO | None = None) -> None:
    print(format_table(results), file=file or sys.stdout)


def print_profile(work: Callable[[], object], out: TextIO, top: int = 25) -> None:
    """cProfile of one call of `work`: the functions that take the time, by cumulative and by own time."""
    profiler = cProfile.Profile()
    profiler.enable()
    work()
    profiler.disable()
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    print(text.getvalue(), file=out)


def positive_int(text: str) -> int:
    """An argparse type: a whole number, 1 or more."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


FILES_PER_SHA256SUM = 250  # files named on one sha256sum command line


def warm(paths: Sequence[Path]) -> int:
    """Read every file once, so a measurement starts from the page cache. Returns the total bytes."""
    total = 0
    for path in paths:
        with open(path, "rb") as file:
            while chunk := file.read(1 << 20):
                total += len(chunk)
    return total


def sha256sum(folder: Path, names: Sequence[str]) -> dict[str, str]:
    """coreutils `sha256sum` over the named files in `folder`, a few hundred to a command line: each
    file's digest by name. The baselines time this."""
    outputs = [
        subprocess.run(
            ["sha256sum", "--", *names[start : start + FILES_PER_SHA256SUM]],
            cwd=folder,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        for start in range(0, len(names), FILES_PER_SHA256SUM)
    ]
    digests = {}
    for line in "".join(outputs).splitlines():
        digest, _, name = line.partition("  ")
        digests[name] = digest
    return digests
