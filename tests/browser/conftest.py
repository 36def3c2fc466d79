"""Real-browser fixtures: `streamlit run` on a free port, driven by Debian's Chromium.

Playwright's own browser download cannot work here; it launches /usr/bin/chromium. Every server
(the app, an identity provider) runs in its own process group and the whole group is ended when
its fixture ends. `start_app` starts one app server against its own demo database, so a test
module can have a server with its own settings (lockout, idle minutes, single sign-on).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("WORKBENCH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Where the browser tests leave screenshots; `make screenshots` points this at docs/screenshots.
SCREENSHOTS = Path(os.environ.get("WORKBENCH_SCREENSHOTS", ROOT / "test-artifacts" / "screenshots"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_free_port = free_port  # the name the first browser tests knew


def wait_for_url(url: str, process: subprocess.Popen, *, expect: bytes | None = None, timeout: float = 90) -> None:
    """Poll `url` until it answers (with `expect` as its body, if given); fail if `process` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[:4]} exited early with status {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
                if expect is None or response.read().strip() == expect:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def _wait_healthy(url: str, process: subprocess.Popen, timeout: float = 90) -> None:
    wait_for_url(f"{url}/_stcore/health", process, expect=b"ok", timeout=timeout)


@contextmanager
def process_group(
    command: Sequence[str], log_path: Path, env: Mapping[str, str] | None = None
) -> Iterator[subprocess.Popen]:
    """Run `command` in its own process group, output to `log_path`; end the whole group afterwards."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            list(command),
            cwd=ROOT,
            env=dict(env if env is not None else os.environ),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield process
        finally:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=15)


@dataclass(frozen=True)
class RunningApp:
    """One `streamlit run` of the workbench: where to browse to and the home it works in."""

    url: str
    home: Path
    port: int
    env: Mapping[str, str]

    @property
    def database(self) -> Path:
        return self.home / "workbench.db"

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        """`python -m workbench --home HOME ARGS...` with this server's environment; must succeed."""
        return subprocess.run(
            [sys.executable, "-m", "workbench", "--home", str(self.home), *args],
            cwd=ROOT,
            env=dict(self.env),
            check=True,
            capture_output=True,
            text=True,
        )

    def audit(self, username: str | None = None, *, after: int = 0) -> list[tuple[str, str, dict]]:
        """(username, action, details) of the audit events after sequence number `after`, oldest first."""
        with sqlite3.connect(f"file:{self.database}?mode=ro", uri=True) as conn:
            rows = conn.execute(
                "SELECT username, action, details FROM audit_events WHERE seq > ? ORDER BY seq", (after,)
            ).fetchall()
        return [(u, a, json.loads(d or "{}")) for u, a, d in rows if username is None or u == username]

    def last_seq(self) -> int:
        with sqlite3.connect(f"file:{self.database}?mode=ro", uri=True) as conn:
            return conn.execute("SELECT COALESCE(MAX(seq), 0) FROM audit_events").fetchone()[0]


@contextmanager
def start_app(
    home: Path,
    extra_env: Mapping[str, str] | None = None,
    extra_args: Sequence[str] = (),
    *,
    url_host: str = "127.0.0.1",
    port: int | None = None,
    script: str = "server.py",
) -> Iterator[RunningApp]:
    """Make a demo database under `home` and serve the app on a free loopback port.

    `extra_env` adds settings (WORKBENCH_IDLE_MINUTES...), `extra_args` Streamlit options
    (--secrets.files=...). `url_host` is the host the browser should use (single sign-on needs
    the one its redirect_uri names) and `port` a port chosen beforehand (free_port()) for settings
    that must name it. `script` is what `streamlit run` runs: the workbench's server, or app.py
    alone (Streamlit's server without the workbench's routes). Fails if the server logged a traceback.
    """
    env = {**os.environ, "WORKBENCH_HOME": str(home), **(extra_env or {})}
    subprocess.run(
        [sys.executable, "-m", "workbench", "init", "--demo"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    port = port or free_port()
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / script),
        "--server.headless=true",
        f"--server.port={port}",
        "--server.address=127.0.0.1",
        "--browser.gatherUsageStats=false",
        *extra_args,
    ]
    log_path = home / "streamlit.log"
    with process_group(command, log_path, env) as process:
        _wait_healthy(f"http://127.0.0.1:{port}", process)
        yield RunningApp(url=f"http://{url_host}:{port}", home=home, port=port, env=env)
    server_log = log_path.read_text(errors="replace")
    assert "Traceback" not in server_log, f"the server logged a traceback:\n{server_log[-3000:]}"


@pytest.fixture(scope="session")
def demo_app(tmp_path_factory) -> Iterator[RunningApp]:
    """The demo served once for the session's browser tests that need no settings of their own."""
    with start_app(tmp_path_factory.mktemp("browser-home")) as app:
        yield app


@pytest.fixture(scope="session")
def app_url(demo_app) -> str:
    return demo_app.url


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium); .ci/run does")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


def new_page(browser):
    """A tab in a fresh browser context (no cookies shared with any other): close its context after."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-GB", timezone_id="Europe/London")
    context.set_default_timeout(30_000)
    return context.new_page()


@pytest.fixture
def page(browser):
    tab = new_page(browser)
    yield tab
    tab.context.close()


def sign_in(page, url: str, username: str, password: str) -> None:
    page.goto(url)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("heading", name="Home").wait_for()


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def save_link(page, label):
    """Click a download link the workbench drew (it opens in a new tab, which becomes a download)
    and return the download, as a user's browser receives it."""
    link = page.get_by_role("link", name=label)
    link.wait_for()
    with page.context.expect_page() as opened, page.context.expect_event("download") as arriving:
        link.click()
    opened.value.close()
    return arriving.value


def save(page, button: str, link):
    """The workbench's two clicks: the button that asks for a file, then the link it reveals."""
    page.get_by_role("button", name=button).click()
    return save_link(page, link)
