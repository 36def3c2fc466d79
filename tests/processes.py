"""Killing the workbench part way (SIGKILL: no clean-up, no `finally`, no rollback in Python) and
the checks every fault test makes afterwards. Shared by test_export_killed.py and test_faults.py.

Two ways to land a kill:
- `run_killed`: the child kills itself at a chosen point (a patched function calls SIGKILL), for a
  kill point that must be exact (just before COMMIT, between a rename and its row).
- `kill_when`: the test polls something it can see from outside (the -wal file, the database's
  write lock, files appearing in the store) and kills the child the moment it holds; no fixed sleep.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

# A child that kills itself: `KILL` in the script sends the signal. Imports are the child's own.
PRELUDE = "import os, signal, sys\nfrom pathlib import Path\nKILL = lambda: os.kill(os.getpid(), signal.SIGKILL)\n"


def child_env() -> dict[str, str]:
    """The parent's environment without WORKBENCH_* settings: children are told --home explicitly."""
    return {k: v for k, v in os.environ.items() if not k.startswith("WORKBENCH_")}


def workbench(home: Path, *args: str) -> list[str]:
    """The `workbench` command line, as a child process runs it."""
    return [sys.executable, "-m", "workbench", "--home", str(home), *args]


def run_killed(script: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run PRELUDE + script in a child Python; it must end by SIGKILL (not finish, not fail)."""
    done = subprocess.run(
        [sys.executable, "-c", PRELUDE + script, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=child_env(),
    )
    assert done.returncode == -signal.SIGKILL, f"the child was not killed (exit {done.returncode}):\n{done.stderr}"
    return done


def kill_when(
    child: subprocess.Popen, ready: Callable[[], bool], *, what: str, timeout: float = 120, every: float = 0.002
) -> float:
    """Poll `ready` until it holds, then SIGKILL the child; returns the seconds it took. Fails (never
    skips) when the child ends first or the moment never comes: the kill must land part way."""
    started, sent = time.monotonic(), False
    try:
        while not ready():
            if child.poll() is not None:
                pytest.fail(f"the child ended (exit {child.returncode}) before {what}: no kill landed")
            if time.monotonic() - started > timeout:
                pytest.fail(f"{what} did not happen within {timeout} s")
            time.sleep(every)
        child.send_signal(signal.SIGKILL)
        sent = True
    finally:
        if not sent and child.poll() is None:
            child.kill()
        child.wait(timeout=30)
    # It may have ended on its own in the instant between `ready` and the signal: that is no kill.
    assert child.returncode == -signal.SIGKILL, f"the child ended by itself (exit {child.returncode}), not killed"
    return time.monotonic() - started


def writer_busy(database: Path) -> bool:
    """Whether some connection holds the database's write lock (a write transaction is open)."""
    probe = sqlite3.connect(database, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        probe.close()


def wal_size(database: Path) -> int:
    wal = Path(f"{database}-wal")
    try:
        return wal.stat().st_size
    except FileNotFoundError:
        return 0


def integrity(database: Path) -> str:
    """PRAGMA integrity_check through a fresh connection (which recovers the -wal as SQLite would)."""
    connection = sqlite3.connect(database)
    try:
        return "; ".join(row[0] for row in connection.execute("PRAGMA integrity_check"))
    finally:
        connection.close()


def assert_sound(database: Path, run) -> None:
    """After any fault: the file is sound, the audit chain verifies and every stored evidence file
    still has its hash (`run` invokes the CLI against the same home)."""
    assert integrity(database) == "ok"
    chain = run("audit", "verify")
    assert chain.exit_code == 0, chain.output
    assert "audit chain intact" in chain.output
    files = run("evidence", "verify")
    assert files.exit_code == 0, files.output
    assert "Traceback" not in chain.output + files.output
