"""Load: N headless Chromium sessions at once against one `streamlit run`, for a while.

    python -m bench.load [--sessions 20] [--seconds 120] [--ramp 30] [--think 10] [--solo-rounds 2] [--check]

Issue 9: "a script in bench/ drives 20 headless Chromium sessions at once against one server for two
minutes (sign in, open cases, record observations, open the timeline, export), reporting the count of
actions, errors and the 95th percentile time per action. Target: no errors, no lost write, p95 under
1 s on this machine. All traffic stays on loopback, and the script stops itself."

Setup, not timed: a fresh workbench home in a temp folder with the demo (`workbench init --demo`, as
the browser tests' `start_app` does), N - ceil(N/5) analysts added with the CLI (`user add`, `case
member add DEMO-001 ... --role analyst`), and `streamlit run server.py` on a free 127.0.0.1 port in its
own process group. One Chromium (Debian's /usr/bin/chromium, headless) with a browser context per
session, driven by Playwright's async API from one event loop: every session is a coroutine that
spends its time awaiting the browser, so all N are in flight at once (threads with the sync API
would need a Playwright, and so a driver and a Chromium, per thread).

Only the case lead may export, so every fifth session (0, 5, 10, 15) signs in as the demo's lead,
`demo-analyst` (the same account in four browsers, as a lead working from several windows would);
the others sign in as their own analyst. A round, repeated until the time is up:

    home          the sidebar's Home link, until the Home heading
    open case     "Open case", until "Case overview"
    record page   the Record observation link, until its heading
    choose kind   Kind "General note" (the page reruns), until the Note field
    record        a general note with a summary unique to the run, session and round, graded 2/A:
                  "Record observation", until "Recorded OBS-nnnn."
    observations  the Observations link, until "n of m observations."
    timeline      the Timeline link, until the chart is drawn
    export page   the Export link, until its heading and "Earlier exports"
    export        (lead only) purpose and recipient unique to the round: "Export", until a new
                  "Exported EXP-nnnn: ..."
    download      (lead only) the "Download the bundle" link, until the browser has the file

plus, once per session (and again after an error), "open app" (the URL, until the sign-in form) and
"sign in" (until the Home heading). A general note is about no account, so the repeated-viewing limit
never refuses one, and DEMO-001's research authorisation covers the whole case: no reason is asked.

Each action is timed from the click (or key press) until what it should show is there and
Streamlit's status widget is gone (the rerun has finished). Typing into fields is not timed. An
error is any exception (a timeout: 60 s), an `st.exception`, or an error alert on the page after the
action; the session then opens the app again and signs in. The sessions' starts are spread over
`--ramp` seconds (at most a quarter of the run). `--think` (10 s by default) pauses a session after
each action for between half and one and a half times that, drawn from a generator seeded with the
session's number: an analyst reads a page and types a note between clicks (the typing itself is
instant here), and the spread keeps twenty sessions from clicking in step. With no pause, twenty
sessions ask for about 20 x 0.5 CPU s (browser and server) every half second, ten times what 2
cores give, and what is measured is only the queue. The pause is not timed.

Each session's browser context (its own cookies and storage, so its own Streamlit session and
sign-in, which lives in Streamlit's session state and not in a cookie) has Streamlit's static files
in its HTTP cache before the load starts, as a returning analyst's browser has them (Streamlit
serves them `immutable`): during setup it opens the app once, to the sign-in form, and closes that
tab, as the baseline's own warm-up round does. Pages are 1280 x 800 (a laptop's screen) with
`reduced_motion="reduce"` (Streamlit's spinners and transitions honour it), which cuts what the
browser paints without changing what is shown.

Before the load, one lead session works alone: a round to warm the server (not counted), then
`--solo-rounds` rounds whose times are the baseline ("1 session alone"), measured on the same
machine in the same run. At the end the browser and the server's process group are stopped, and
the database is read: every summary a session saw "Recorded OBS-..." for must be there exactly once
under that code, every export purpose a session saw "Exported EXP-..." for likewise, and the case
must hold exactly as many more observations and exports as were confirmed (a write that happened but
was not confirmed counts against it too). The table gives per action kind the count, errors, p50,
p95 and max under load and p50 alone; then the target row in the benchmarks' table. The CPU the
server, the browser and this script used during the load is printed, to say where the time goes,
and the server's own time per script run, alone and under load: the server runs with
WORKBENCH_RUN_TIMES (workbench/ui/run_times.py) set to a file in the temp folder.

The browsers share the machine with the server, which a deployment never does (they are on the
analysts' computers), and each Streamlit page costs its browser far more CPU than the server. So
Chromium runs at nice 10 (set on its processes at launch; the renderers inherit it): the server is
not starved by the load's own browsers, while every action is still timed as a browser sees it.

Each session's browser context is warmed before the load, untimed: the app opened once until the
sign-in form and that tab closed, two at a time, so its HTTP cache holds Streamlit's static files
as a returning analyst's browser does. Without it twenty first visits parse the same megabytes of
JavaScript at once, and the 2 cores spend the first minute on that.

A missed target is reported; `--check` makes the exit status 1 when there was an error, a lost
write, or p95 over all actions under load is 1 s or more. Ctrl-C, SIGTERM or an exception end the
browser (Playwright closes it) and the server's process group (start_app), and the temp folder goes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import random
import re
import secrets
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import Result, format_table, positive_int
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, ROOT, RunningApp, start_app
from workbench.ui import run_times

NAME = "load"
DEFAULT_SESSIONS = 20
DEFAULT_SECONDS = 120
DEFAULT_SOLO_ROUNDS = 2
LIMIT_SECONDS = 1.0  # p95 per action, under load
LEAD_EVERY = 5  # sessions 0, 5, 10, ... sign in as the case lead, who alone may export
VIEWPORT = {"width": 1280, "height": 800}  # a laptop's screen (see the docstring)
BROWSER_NICENESS = 10  # the browsers yield the CPU to the server (see the docstring)
ACTION_TIMEOUT_MS = 60_000  # an action that takes longer is an error (a timeout)
RETRY_PAUSE = 2.0  # seconds a session waits after an error before it opens the app again
DEFAULT_RAMP = 30.0  # the sessions' starts are spread over this many seconds, not one instant
DEFAULT_THINK = 10.0  # mean seconds a session pauses after each action: an analyst reads and types (docstring)
CASE = "DEMO-001"
LEAD, LEAD_PASSWORD = "demo-analyst", "demo-analyst-only-2026"
ACTIONS = (
    "open app",
    "sign in",
    "home",
    "open case",
    "record page",
    "choose kind",
    "record",
    "observations",
    "timeline",
    "export page",
    "export",
    "download",
)
_ERRORS_ON_PAGE = '[data-testid="stException"], [data-testid="stAlertContentError"]'


@dataclass
class SessionLog:
    """What one browser session did: times per action kind, errors, and the writes it saw confirmed."""

    index: int
    username: str
    lead: bool
    timings: list[tuple[str, float]] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (action, message)
    recorded: list[tuple[str, str]] = field(default_factory=list)  # (summary, OBS code)
    exported: list[tuple[str, str]] = field(default_factory=list)  # (purpose, EXP code)
    rounds: int = 0


@dataclass(frozen=True)
class Integrity:
    """The database after the run against what the sessions saw confirmed."""

    observations_confirmed: int
    observations_added: int
    observations_missing: tuple[str, ...]  # confirmed, but not there exactly once under that code
    exports_confirmed: int
    exports_added: int
    exports_missing: tuple[str, ...]

    @property
    def lost_writes(self) -> int:
        return (
            len(self.observations_missing)
            + len(self.exports_missing)
            + abs(self.observations_added - self.observations_confirmed)
            + abs(self.exports_added - self.exports_confirmed)
        )


@dataclass(frozen=True)
class Report:
    sessions: int
    seconds: float
    ramp: float
    think: float
    load_wall: float  # from the sessions' start until the last one stopped
    logs: tuple[SessionLog, ...]
    solo: SessionLog
    integrity: Integrity
    server_errors: tuple[str, ...]  # a traceback in the server's log
    cpu: dict[str, float]  # CPU seconds during the load, by process role
    machine_busy: float  # CPU seconds of the whole machine during the load
    cores: int
    server_runs: tuple[tuple[str, float], ...] = ()  # (page, seconds) per script run under load (WORKBENCH_RUN_TIMES)
    server_runs_solo: tuple[tuple[str, float], ...] = ()  # ... during the baseline's rounds alone

    def durations(self, kind: str | None = None, *, solo: bool = False) -> list[float]:
        logs = (self.solo,) if solo else self.logs
        return [s for log in logs for k, s in log.timings if kind is None or k == kind]

    @property
    def errors(self) -> list[tuple[int, str, str]]:
        found = [(log.index, a, m) for log in self.logs for a, m in log.errors]
        found += [(-1, a, m) for a, m in self.solo.errors]
        return found + [(-1, "server", text) for text in self.server_errors]

    @property
    def actions(self) -> int:
        return len(self.durations())

    @property
    def p95(self) -> float:
        return percentile(self.durations(), 95)

    @property
    def met(self) -> bool:
        return not self.errors and self.integrity.lost_writes == 0 and self.actions > 0 and self.p95 < LIMIT_SECONDS


def percentile(values: Sequence[float], pct: float) -> float:
    """The pct-th percentile, interpolated between the nearest ranks (numpy's default); nan if empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


# --- one browser session --------------------------------------------------------------------------------


def _one_line(error: Exception) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0] if text else ''}"[:400]


class _Abandon(Exception):
    """An action failed (already logged): the session starts again from the sign-in page."""


class Session:
    def __init__(self, context, url: str, log: SessionLog, password: str, tag: str, think: float = 0.0):
        self.context = context
        self.think = think
        self.pauses = random.Random(log.index)  # the same pauses in every run, different per session
        self.url = url
        self.log = log
        self.password = password
        self.tag = tag
        self.page = None
        self.signed_in = False
        self.last_recorded = "OBS-0000"
        self.last_exported = "EXP-0000"

    async def act(self, kind: str, start: Callable[[], Awaitable], *done: Callable[[], Awaitable]) -> None:
        """Time `start` (a click) until each of `done` has returned and no rerun is running."""
        page = self.page
        began = time.perf_counter()
        try:
            await start()
            for wait in done:
                await wait()
            await page.get_by_test_id("stStatusWidget").wait_for(state="detached")
            took = time.perf_counter() - began
            shown = page.locator(_ERRORS_ON_PAGE)
            if await shown.count():
                raise RuntimeError("the page shows an error: " + (await shown.first.inner_text())[:300])
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001 (every failure is counted and reported)
            self.log.errors.append((kind, _one_line(e)))
            raise _Abandon from e
        self.log.timings.append((kind, took))
        if self.think:  # between half and one and a half times the mean: the sessions do not click in step
            await asyncio.sleep(self.think * self.pauses.uniform(0.5, 1.5))

    async def run_until(self, deadline: float, rounds: int | None = None) -> None:
        """Rounds until `deadline` (time.monotonic()) or until `rounds` rounds are done."""
        done = 0
        while time.monotonic() < deadline and (rounds is None or done < rounds):
            try:
                if not self.signed_in:
                    await self.sign_in()
                if await self.round(deadline if rounds is None else math.inf):
                    done += 1
                    self.log.rounds += 1
            except _Abandon:
                self.signed_in = False
                await asyncio.sleep(RETRY_PAUSE)
            except asyncio.CancelledError:
                raise
            except Exception as e:  # noqa: BLE001 (outside an action: still an error, the session goes on)
                self.log.errors.append(("session", _one_line(e)))
                self.signed_in = False
                await asyncio.sleep(RETRY_PAUSE)

    async def sign_in(self) -> None:
        if self.page is not None:
            await self.page.close()
        self.page = page = await self.context.new_page()
        # Until the sign-in form is drawn; not the page's load event, which waits for every script.
        await self.act(
            "open app",
            lambda: page.goto(self.url, wait_until="commit"),
            lambda: page.get_by_label("Username").wait_for(),
        )
        await page.get_by_label("Username").fill(self.log.username)
        await page.get_by_label("Password", exact=True).fill(self.password)
        await self.act(
            "sign in",
            lambda: page.get_by_role("button", name="Sign in", exact=True).click(),
            lambda: page.get_by_role("heading", name="Home").wait_for(),
        )
        self.signed_in = True

    def _link(self, title: str):
        return self.page.get_by_role("link", name=title, exact=True)

    def _heading(self, title: str):
        return self.page.get_by_role("heading", name=title, exact=True)

    async def round(self, deadline: float) -> bool:
        """One round of the steps; False if the time ran out before its end."""
        steps = [self.open_case, self.record, self.observations, self.timeline, self.export]
        for step in steps:
            if time.monotonic() >= deadline:
                return False
            await step()
        return True

    async def open_case(self) -> None:
        page = self.page
        await self.act("home", lambda: self._link("Home").click(), lambda: self._heading("Home").wait_for())
        await self.act(
            "open case",
            lambda: page.get_by_role("button", name="Open case").first.click(),
            lambda: self._heading("Case overview").wait_for(),
        )

    async def _choose(self, label: str, option: str) -> None:
        """Type into a select box until the option shows; the caller presses Enter."""
        box = self.page.get_by_role("combobox", name=label, exact=True)
        await box.click()
        await box.fill(option)
        await self.page.get_by_role("option", name=re.compile("^" + re.escape(option))).first.wait_for()

    async def record(self) -> None:
        page = self.page
        await self.act(
            "record page",
            lambda: self._link("Record observation").click(),
            lambda: self._heading("Record observation").wait_for(),
        )
        await self._choose("Kind", "General note")
        await self.act(
            "choose kind",
            lambda: page.get_by_role("combobox", name="Kind", exact=True).press("Enter"),
            lambda: page.get_by_label("Note *", exact=True).wait_for(),
        )
        n = len(self.log.recorded) + 1
        summary = f"Load {self.tag} s{self.log.index:02d} n{n:04d}: general note recorded under load (fictional)"
        await page.get_by_label("Summary *", exact=True).fill(summary)
        await page.get_by_label("Note *", exact=True).fill("Written by bench/load.py; nothing here is real.")
        await self._choose("Source type", "Viewed by the analyst")
        await page.get_by_role("combobox", name="Source type", exact=True).press("Enter")
        await page.get_by_text("2 Untested", exact=True).click()
        await page.get_by_text("A Known directly", exact=True).click()
        # A stale message of an earlier round must not pass for this one's.
        recorded = page.get_by_text(re.compile(rf"^Recorded (?!{self.last_recorded}\.)OBS-\d{{4}}\.$"))
        await self.act(
            "record",
            lambda: page.get_by_role("button", name="Record observation").click(),
            lambda: recorded.wait_for(),
        )
        code = re.search(r"OBS-\d{4}", await recorded.inner_text())[0]
        self.last_recorded = code
        self.log.recorded.append((summary, code))

    async def observations(self) -> None:
        page = self.page
        await self.act(
            "observations",
            lambda: self._link("Observations").click(),
            lambda: self._heading("Observations").wait_for(),
            lambda: page.get_by_text(re.compile(r"^\d+ of \d+ observations\.")).wait_for(),
        )

    async def timeline(self) -> None:
        page = self.page
        await self.act(
            "timeline",
            lambda: self._link("Timeline").click(),
            lambda: self._heading("Timeline").wait_for(),
            lambda: page.locator('[data-testid="stVegaLiteChart"]').first.locator("svg, canvas").first.wait_for(),
        )

    async def export(self) -> None:
        page = self.page
        await self.act(
            "export page",
            lambda: self._link("Export").click(),
            lambda: self._heading("Export").wait_for(),
            lambda: self._heading("Earlier exports").wait_for(),
        )
        if not self.log.lead:
            return
        n = len(self.log.exported) + 1
        purpose = f"Load {self.tag} s{self.log.index:02d} e{n:04d}: strategy discussion (fictional)"
        await page.get_by_label("Purpose *").fill(purpose)
        await page.get_by_label("Recipient *").fill("Load test recipient (fictional)")
        exported = page.get_by_text(re.compile(rf"^Exported (?!{self.last_exported}:)EXP-\d{{4}}: "))
        await self.act(
            "export",
            lambda: page.get_by_test_id("stForm").get_by_role("button", name="Export").click(),
            lambda: exported.wait_for(),
        )
        code = re.search(r"EXP-\d{4}", await exported.inner_text())[0]
        self.last_exported = code
        self.log.exported.append((purpose, code))

        async def download() -> None:
            # The link opens a tab that turns into the download (the workbench's /files/ endpoint).
            async with page.context.expect_page() as opened, page.context.expect_event("download") as started:
                await page.get_by_role("link", name="Download the bundle").click()
            await (await opened.value).close()
            path = await (await started.value).path()
            if not path or Path(path).stat().st_size == 0:
                raise RuntimeError("the downloaded bundle is empty")

        async def nothing() -> None:
            return None

        await self.act("download", download, nothing)


# --- the run --------------------------------------------------------------------------------------------


def _cli(app: RunningApp, *args: str, stdin: str = "") -> None:
    subprocess.run(
        [sys.executable, "-m", "workbench", "--home", str(app.home), *args],
        cwd=ROOT,
        env=dict(app.env),
        input=stdin,
        check=True,
        capture_output=True,
        text=True,
    )


def _add_analyst(app: RunningApp, username: str, password: str) -> None:
    _cli(app, "user", "add", username, "--role", "analyst", "--display-name", f"{username} (fictional)",
         "--password-stdin", stdin=password + "\n")  # fmt: skip
    _cli(app, "case", "member", "add", CASE, username, "--role", "analyst", "--as", LEAD)


def _logins(sessions: int, tag: str) -> list[tuple[SessionLog, str]]:
    """Who each session signs in as: every LEAD_EVERY-th the case lead, the rest an analyst of their own."""
    logins = []
    for i in range(sessions):
        if i % LEAD_EVERY == 0:
            logins.append((SessionLog(i, LEAD, lead=True), LEAD_PASSWORD))
        else:
            logins.append((SessionLog(i, f"load-analyst-{i:02d}", lead=False), f"load-{tag}-analyst-{i:02d}-only"))
    return logins


def _counts(database: Path) -> tuple[int, int]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        observations = conn.execute(
            "SELECT COUNT(*) FROM observations o JOIN cases c ON c.id = o.case_id WHERE c.reference = ?", (CASE,)
        ).fetchone()[0]
        exports = conn.execute(
            "SELECT COUNT(*) FROM exports e JOIN cases c ON c.id = e.case_id WHERE c.reference = ?", (CASE,)
        ).fetchone()[0]
    return observations, exports


def check_writes(database: Path, logs: Sequence[SessionLog], before: tuple[int, int]) -> Integrity:
    """Every confirmed write is in the database exactly once under the code shown, and nothing more."""
    recorded = [r for log in logs for r in log.recorded]
    exported = [e for log in logs for e in log.exported]
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        missing_obs = tuple(
            code
            for summary, code in recorded
            if conn.execute(
                """SELECT o.code FROM observation_versions v JOIN observations o ON o.id = v.observation_id
                   WHERE v.summary = ?""",
                (summary,),
            ).fetchall()
            != [(code,)]
        )
        missing_exp = tuple(
            code
            for purpose, code in exported
            if conn.execute("SELECT code FROM exports WHERE purpose = ?", (purpose,)).fetchall() != [(code,)]
        )
    observations, exports = _counts(database)
    return Integrity(
        observations_confirmed=len(recorded),
        observations_added=observations - before[0],
        observations_missing=missing_obs,
        exports_confirmed=len(exported),
        exports_added=exports - before[1],
        exports_missing=missing_exp,
    )


_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_by_role() -> dict[str, float]:
    """CPU seconds so far of this process and its descendants, by role (server, browser, driver, script)."""
    parents, stats = {}, {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            raw = Path(entry.path, "stat").read_text()
            cmdline = Path(entry.path, "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2 :].split()
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        stats[pid] = ((int(fields[11]) + int(fields[12])) / _TICK, cmdline)
    me = os.getpid()
    totals: dict[str, float] = {}
    for pid, (cpu, cmdline) in stats.items():
        ancestor = pid
        while ancestor not in (me, 0, 1) and ancestor in parents:
            ancestor = parents[ancestor]
        if ancestor != me:
            continue
        if pid == me:
            role = "this script (Python, asyncio)"
        elif "streamlit" in cmdline:
            role = "server (streamlit run)"
        elif "chrom" in cmdline:
            role = "browser (Chromium)"
        elif "node" in cmdline or "playwright" in cmdline:
            role = "Playwright driver (node)"
        else:
            role = "other"
        totals[role] = totals.get(role, 0.0) + cpu
    return totals


def _browser_processes() -> list[int]:
    """This script's Chromium processes (the browser, its zygotes and helpers) as launched."""
    me, found = os.getpid(), []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            cmdline = Path(entry.path, "cmdline").read_bytes()
            pid = ancestor = int(entry.name)
            while ancestor not in (me, 0, 1):
                ancestor = int(Path(f"/proc/{ancestor}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ancestor == me and b"chrom" in cmdline:
            found.append(pid)
    return found


def _lower_priority(pids: list[int]) -> None:
    """Nice the browser's processes. On Linux a nice value belongs to a thread, so every thread of
    each is set; the renderers started later inherit it from the zygote's thread that forks them."""
    for pid in pids:
        try:
            threads = [int(t) for t in os.listdir(f"/proc/{pid}/task")]
        except OSError:  # gone already: the load still runs, only less fairly
            continue
        for tid in threads:
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, tid, BROWSER_NICENESS)


def _machine_cpu() -> float:
    """CPU seconds the whole machine has been busy (not idle, not waiting for I/O) since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / _TICK


async def _drive(
    url: str,
    logins: list[tuple[SessionLog, str]],
    seconds: float,
    solo_rounds: int,
    ramp: float,
    think: float,
    tag: str,
    runs_file: Path,
) -> tuple[SessionLog, float, dict[str, float], float, tuple[tuple[str, float], ...], tuple[tuple[str, float], ...]]:
    from playwright.async_api import async_playwright

    def server_runs() -> list[tuple[str, float]]:
        return run_times.read(runs_file)

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        _lower_priority(_browser_processes())
        try:

            async def context():
                made = await browser.new_context(
                    viewport=VIEWPORT, reduced_motion="reduce", locale="en-GB", timezone_id="Europe/London"
                )
                made.set_default_timeout(ACTION_TIMEOUT_MS)
                return made

            warming = asyncio.Semaphore(max(1, os.cpu_count() or 1))

            async def warmed():
                """A context whose HTTP cache holds Streamlit's static files, as a returning analyst's
                browser does: the app opened once, until the sign-in form, and that tab closed (no
                sign-in; the session it started ends with the tab). Setup, not timed."""
                made = await context()
                async with warming:
                    page = await made.new_page()
                    await page.goto(url, wait_until="commit")
                    await page.get_by_label("Username").wait_for()
                    await page.close()
                return made

            # Alone: a round to warm the server (not counted), then the baseline's rounds.
            solo = Session(await context(), url, SessionLog(-1, LEAD, lead=True), LEAD_PASSWORD, tag)
            await solo.run_until(math.inf, rounds=1)
            solo.log.timings.clear()  # its errors stay: an error is an error
            solo.log.rounds, solo.signed_in = 0, False  # the baseline opens the app and signs in too
            solo_from = len(server_runs())
            await solo.run_until(math.inf, rounds=solo_rounds)
            await solo.context.close()
            solo_runs = tuple(server_runs()[solo_from:])

            contexts = await asyncio.gather(*(warmed() for _ in logins))
            sessions = [
                Session(made, url, log, password, tag, think)
                for made, (log, password) in zip(contexts, logins, strict=True)
            ]
            cpu_before, machine_before = _cpu_by_role(), _machine_cpu()
            load_from = len(server_runs())
            started = time.monotonic()
            deadline = started + seconds

            async def start(i: int, session: Session) -> None:
                await asyncio.sleep(ramp * i / len(sessions))
                await session.run_until(deadline)

            await asyncio.wait_for(
                asyncio.gather(*(start(i, s) for i, s in enumerate(sessions))),
                timeout=seconds + 10 * ACTION_TIMEOUT_MS / 1000,
            )
            wall = time.monotonic() - started
            cpu_after, machine_after = _cpu_by_role(), _machine_cpu()
            cpu = {role: cpu_after[role] - cpu_before.get(role, 0.0) for role in cpu_after}
            load_runs = tuple(server_runs()[load_from:])
            for session in sessions:
                await session.context.close()
            return solo.log, wall, cpu, machine_after - machine_before, load_runs, solo_runs
        finally:
            await browser.close()


def _run_async(coroutine):
    """asyncio.run here; in a thread of its own if this thread already runs a loop (Playwright's sync
    API does, between calls: pytest's browser fixture may have started one)."""
    if asyncio.events._get_running_loop() is None:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def run(
    sessions: int = DEFAULT_SESSIONS,
    seconds: float = DEFAULT_SECONDS,
    solo_rounds: int = DEFAULT_SOLO_ROUNDS,
    ramp: float = DEFAULT_RAMP,
    think: float = DEFAULT_THINK,
    *,
    out=None,
) -> Report:
    """The whole run; `ramp` seconds spread the sessions' starts (at most a quarter of `seconds`)."""
    ramp = min(ramp, seconds / 4)
    out = out or sys.stdout
    tag = secrets.token_hex(3)
    logins = _logins(sessions, tag)
    with tempfile.TemporaryDirectory(prefix="bench-load-") as folder:
        home = Path(folder) / "home"
        home.mkdir()
        server_errors: list[str] = []
        try:
            runs_file = Path(folder) / "server-runs.tsv"
            with start_app(home, {run_times.ENV: str(runs_file)}) as app:
                analysts = [(log.username, password) for log, password in logins if not log.lead]
                print(f"server {app.url}; adding {len(analysts)} analysts to {CASE} with the CLI", file=out)
                with ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1)) as pool:
                    list(pool.map(lambda login: _add_analyst(app, *login), analysts))
                before = _counts(app.database)
                print(
                    f"{sessions} sessions ({sum(log.lead for log, _ in logins)} as the lead) for {seconds:g} s, "
                    f"starting over {ramp:g} s, pausing {think:g} s after each action, "
                    f"after {solo_rounds} round(s) of one session alone",
                    file=out,
                    flush=True,
                )
                solo, wall, cpu, machine, load_runs, solo_runs = _run_async(
                    _drive(app.url, logins, seconds, solo_rounds, ramp, think, tag, runs_file)
                )
        except AssertionError as e:  # start_app: the server logged a traceback
            server_errors.append(str(e)[:3000])
        integrity = check_writes(home / "workbench.db", [log for log, _ in logins] + [solo], before)
    return Report(
        sessions=sessions,
        seconds=seconds,
        ramp=ramp,
        think=think,
        load_wall=wall,
        logs=tuple(log for log, _ in logins),
        solo=solo,
        integrity=integrity,
        server_errors=tuple(server_errors),
        cpu=cpu,
        machine_busy=machine,
        cores=os.cpu_count() or 1,
        server_runs=load_runs,
        server_runs_solo=solo_runs,
    )


# --- the report -----------------------------------------------------------------------------------------


def _row_table(report: Report) -> str:
    headings = ("action", "count", "errors", "p50 s", "p95 s", "max s", "alone p50 s")
    errors_by_kind: dict[str, int] = {}
    for _, kind, _ in report.errors:
        errors_by_kind[kind] = errors_by_kind.get(kind, 0) + 1
    kinds = [k for k in ACTIONS if report.durations(k) or errors_by_kind.get(k)]
    kinds += [k for k in errors_by_kind if k not in ACTIONS]

    def cells(name: str, values: list[float], alone: list[float], errors: int) -> tuple[str, ...]:
        def f(x: float) -> str:
            return "-" if math.isnan(x) else f"{x:.3f}"

        return (
            name,
            f"{len(values):,}",
            str(errors),
            f(percentile(values, 50)),
            f(percentile(values, 95)),
            f(max(values) if values else math.nan),
            f(percentile(alone, 50)),
        )

    rows = [cells(k, report.durations(k), report.durations(k, solo=True), errors_by_kind.get(k, 0)) for k in kinds]
    rows.append(cells("all actions", report.durations(), report.durations(solo=True), len(report.errors)))
    widths = [max(len(r[i]) for r in (headings, *rows)) for i in range(len(headings))]

    def line(row) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headings), rule, *(line(r) for r in rows[:-1]), rule, line(rows[-1])])


def result(report: Report) -> Result:
    """The target row: p95 over every action under load, beside the same alone."""
    return Result(
        f"{NAME}: p95 per action, {report.sessions} sessions",
        report.p95,
        "s",
        "1 session alone, p95",
        percentile(report.durations(solo=True), 95),
        None,
        higher_is_better=False,
        limit=LIMIT_SECONDS,
        decimals=3,
    )


def results(report: Report | None = None) -> list[Result]:
    """The rows `python -m bench` puts in the table of every benchmark (a run with the defaults, its
    report printed, unless `report` is given): p95 under load, and the errors and lost writes."""
    if report is None:
        report = run()
        print(format_report(report))
    failures = len(report.errors) + report.integrity.lost_writes
    return [
        result(report),
        Result(
            f"{NAME}: errors and lost writes, {report.sessions} sessions",
            failures,
            "",
            "1 session alone",
            len(report.solo.errors),
            None,
            higher_is_better=False,
            limit=1,
            decimals=0,
        ),
    ]


def format_report(report: Report) -> str:
    i = report.integrity
    lines = [
        _row_table(report),
        "",
        format_table([result(report)]),
        "",
        f"sessions {report.sessions} (started over {report.ramp:g} s, {report.think:g} s pause after an action), "
        f"{report.seconds:g} s asked, {report.load_wall:.1f} s until the last stopped; "
        f"{report.actions:,} actions ({report.actions / report.load_wall:.1f} a second), "
        f"{sum(log.rounds for log in report.logs):,} whole rounds",
        f"observations: {i.observations_confirmed:,} confirmed, {i.observations_added:,} added to the case, "
        f"{len(i.observations_missing)} not found exactly once",
        f"exports: {i.exports_confirmed:,} confirmed, {i.exports_added:,} added, {len(i.exports_missing)} not found "
        "exactly once",
        f"lost writes: {i.lost_writes}",
        f"errors: {len(report.errors)}",
    ]
    for session, kind, message in report.errors[:20]:
        who = "alone" if session < 0 else f"session {session}"
        lines.append(f"  {who}, {kind}: {message}")
    if report.cpu:
        used = sum(report.cpu.values())
        lines.append(
            f"CPU during the load: the machine {report.machine_busy / report.load_wall:.2f} of {report.cores} cores "
            f"busy; this run's processes {used / report.load_wall:.2f} cores:"
        )
        for role, seconds in sorted(report.cpu.items(), key=lambda kv: -kv[1]):
            lines.append(f"  {role}: {seconds:.1f} CPU s ({seconds / report.load_wall:.2f} cores)")
        browser = report.cpu.get("browser (Chromium)", 0.0)
        if report.actions:
            lines.append(
                f"  the browsers used {browser / report.actions:.2f} CPU s per action, the server "
                f"{report.cpu.get('server (streamlit run)', 0.0) / report.actions:.2f}"
            )
    if report.server_runs:
        lines.append(_server_runs_line(report))
    verdict = "met" if report.met else "NOT MET"
    lines.append(f"target (issue 9): no errors, no lost write, p95 < {LIMIT_SECONDS:g} s under load: {verdict}")
    return "\n".join(lines)


def _server_runs_line(report: Report) -> str:
    """The server's own time per script run (WORKBENCH_RUN_TIMES), under load and alone, over all
    pages and per page: what the server costs, apart from what the browsers on the same cores add."""

    def spread(runs: Sequence[tuple[str, float]]) -> str:
        seconds = [s for _, s in runs]
        if not seconds:
            return "none"
        return (
            f"{len(seconds):,} runs, p50 {percentile(seconds, 50):.3f} s, p95 {percentile(seconds, 95):.3f} s, "
            f"max {max(seconds):.3f} s"
        )

    lines = [
        f"server time per script run: under load {spread(report.server_runs)}; alone {spread(report.server_runs_solo)}"
    ]
    pages = sorted({page for page, _ in report.server_runs})
    for page in pages:
        lines.append(
            f"  {page}: under load {spread([r for r in report.server_runs if r[0] == page])}; "
            f"alone {spread([r for r in report.server_runs_solo if r[0] == page])}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=positive_int, default=DEFAULT_SESSIONS, help="browser sessions at once")
    parser.add_argument("--seconds", type=float, default=DEFAULT_SECONDS, help="how long the load lasts")
    parser.add_argument(
        "--solo-rounds", type=positive_int, default=DEFAULT_SOLO_ROUNDS, help="rounds of one session alone first"
    )
    parser.add_argument(
        "--ramp",
        type=float,
        default=DEFAULT_RAMP,
        help="seconds over which the sessions start (at most 1/4 of the run)",
    )
    parser.add_argument(
        "--think",
        type=float,
        default=DEFAULT_THINK,
        help=f"mean seconds a session pauses after each action (default {DEFAULT_THINK:g})",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)", file=sys.stderr)
        return 1
    started = time.perf_counter()
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM cleans up as Ctrl-C does
    try:
        report = run(args.sessions, args.seconds, args.solo_rounds, args.ramp, args.think)
    except KeyboardInterrupt:  # the browser, the server and the temp folder are gone by now
        print("interrupted: browser and server stopped", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    print()
    print(format_report(report))
    print(f"wall time {time.perf_counter() - started:.1f} s")
    if report.errors or report.integrity.lost_writes:
        return 1  # a failed run, not a slow one
    return 1 if args.check and not report.met else 0


if __name__ == "__main__":
    sys.exit(main())
