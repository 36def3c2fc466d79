"""Cold start: from `streamlit run server.py` to the first page served, against a one-line Streamlit app.

    python -m bench.cold_start [--repeat 3] [--check]

A fresh workbench home with the demo is made (`workbench init --demo`, untimed) and headless
Chromium (Debian's /usr/bin/chromium, through Playwright) is started before the clock starts.
Then, in turns, `--repeat` times each, on a free loopback port:

- baseline: `streamlit run` of a one-line app (`st.title("Hello")`), timed from the spawn until
  the browser shows its heading;
- figure: `streamlit run server.py` of the workbench, timed from the spawn until the browser shows
  the sign-in page (its Sign in button): the Python start, Streamlit's, the workbench's imports,
  opening and migrating the database, the schemas and the first script run.

The browser asks for the page every 50 ms until the server answers, as a user reloading would. The
best of each counts. Target: the workbench ready within three times the bare Streamlit start, and
under 10 s on this machine. Every server's process group is ended after its run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

from bench.common import Result, positive_int, print_table
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, ROOT, free_port, process_group

NAME = "cold start to sign-in page"
BASELINE = "one-line Streamlit app"
TARGET = 0.33  # baseline / figure: at most about three times the bare start
LIMIT = 10.0  # seconds
DEFAULT_REPEAT = 3
HELLO = 'import streamlit as st\n\nst.title("Hello")\n'
GIVE_UP = 120.0


class BenchmarkFailed(RuntimeError):
    """A server did not come up."""


def _time_to_ready(page, script: Path, env: dict, ready: str, log: Path) -> float:
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    command = [
        sys.executable, "-m", "streamlit", "run", str(script), "--server.headless=true", f"--server.port={port}",
        "--server.address=127.0.0.1", "--browser.gatherUsageStats=false",
    ]  # fmt: skip
    started = time.perf_counter()
    with process_group(command, log, env) as process:
        while True:
            if process.poll() is not None:
                raise BenchmarkFailed(f"{script.name} exited with {process.returncode}; see {log}")
            try:
                page.goto(url, timeout=5_000)
                break
            except PlaywrightError:
                if time.perf_counter() - started > GIVE_UP:
                    raise BenchmarkFailed(f"{script.name} did not answer within {GIVE_UP:g} s") from None
                time.sleep(0.05)
        page.locator(ready).first.wait_for(timeout=GIVE_UP * 1000)
        return time.perf_counter() - started


def run(repeat: int = DEFAULT_REPEAT) -> Result:
    with tempfile.TemporaryDirectory(prefix="bench-cold-") as tmp:
        folder = Path(tmp)
        env = {**os.environ, "WORKBENCH_HOME": str(folder / "home")}
        subprocess.run(
            [sys.executable, "-m", "workbench", "init", "--demo"], cwd=ROOT, env=env, check=True, capture_output=True
        )
        hello = folder / "hello.py"
        hello.write_text(HELLO, encoding="utf-8")
        baseline_times, figure_times = [], []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                for turn in range(repeat):
                    page = browser.new_page()
                    baseline_times.append(
                        _time_to_ready(page, hello, env, "h1:has-text('Hello')", folder / f"hello-{turn}.log")
                    )
                    page.close()
                    page = browser.new_page()
                    figure_times.append(
                        _time_to_ready(
                            page, ROOT / "server.py", env, "button:has-text('Sign in')", folder / f"app-{turn}.log"
                        )
                    )
                    page.close()
            finally:
                browser.close()
    print(
        "cold start, s: workbench "
        + ", ".join(f"{t:.2f}" for t in figure_times)
        + "; one-line app "
        + ", ".join(f"{t:.2f}" for t in baseline_times)
    )
    return Result(
        NAME, min(figure_times), "s", BASELINE, min(baseline_times), TARGET, higher_is_better=False, limit=LIMIT,
        decimals=2,
    )  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cold_start", description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=positive_int, default=DEFAULT_REPEAT, help="starts of each, the best counts")
    parser.add_argument("--check", action="store_true", help="exit 1 when the target is missed")
    args = parser.parse_args(argv)
    result = run(args.repeat)
    print()
    print_table([result])
    return 1 if args.check and not result.met else 0


if __name__ == "__main__":
    sys.exit(main())
