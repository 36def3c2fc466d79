"""What every benchmark reports, and the one table they are printed in.

A figure is always shown beside a baseline measured on the same machine in the same run (the
machine's speed cancels out of the ratio), and the target is a ratio, so the same target holds on
a laptop and on a server. The ratio is oriented so that higher is better: for a time (lower is
better) it is baseline / figure.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TextIO


@dataclass(frozen=True)
class Result:
    name: str  # what was measured, e.g. "evidence intake"
    figure: float
    unit: str  # e.g. "MB/s"; the baseline is in the same unit
    baseline_name: str  # e.g. "sha256sum"
    baseline_figure: float
    target: float  # the least acceptable ratio
    higher_is_better: bool = True

    @property
    def ratio(self) -> float:
        top, bottom = (
            (self.figure, self.baseline_figure) if self.higher_is_better else (self.baseline_figure, self.figure)
        )
        return top / bottom if bottom else float("inf")

    @property
    def met(self) -> bool:
        return self.ratio >= self.target


HEADINGS = ("benchmark", "figure", "baseline", "baseline figure", "ratio", "target", "")


def format_table(results: Iterable[Result]) -> str:
    """The results as an aligned text table: names left, numbers right."""
    rows = [
        (
            r.name,
            f"{r.figure:,.1f} {r.unit}",
            r.baseline_name,
            f"{r.baseline_figure:,.1f} {r.unit}",
            f"{r.ratio:.2f}",
            f">= {r.target:g}",
            "ok" if r.met else "BELOW TARGET",
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
