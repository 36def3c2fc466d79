"""How long each run of the app's script takes on the server, for an admin chasing a slow server
and for the load benchmark (bench/load.py), which must tell the server's time from the browsers'.

With WORKBENCH_RUN_TIMES naming a file, every run appends one line: the page's title, a tab, the
seconds. Nothing else: no user, no case, no input. Unset (the default), nothing is written.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ENV = "WORKBENCH_RUN_TIMES"


@contextmanager
def timed(page_title: Callable[[], str]) -> Iterator[None]:
    """Time the block (a whole script run, however it ends: st.stop and st.rerun end it by raising)."""
    path = os.environ.get(ENV, "").strip()
    started = time.perf_counter()
    try:
        yield
    finally:
        if path:
            _append(path, f"{_one_line(page_title())}\t{time.perf_counter() - started:.4f}\n")


def _one_line(title: str) -> str:
    return " ".join(str(title).split())[:80] or "-"


def _append(path: str, line: str) -> None:
    # One write of one short line with O_APPEND: runs in parallel threads never interleave their lines.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def read(path: str | os.PathLike) -> list[tuple[str, float]]:
    """The (page, seconds) lines written so far; a line cut short by a killed server is skipped."""
    runs: list[tuple[str, float]] = []
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return runs
    for line in text.splitlines():
        page, _, seconds = line.rpartition("\t")
        try:
            runs.append((page, float(seconds)))
        except ValueError:
            continue
    return runs
