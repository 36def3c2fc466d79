"""Sessions in a real browser: lockout, the idle timeout, signing out, a deactivated account.

Each policy gets its own server with small limits (3 attempts, a 12-second lock, a 6-second idle
limit) so the waits stay short. What the browser shows is checked together with what the audit
log recorded.
"""

import sqlite3
import time
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, sign_in, start_app

pytestmark = pytest.mark.browser

LOCKOUT_ATTEMPTS = 3
LOCKOUT_MINUTES = 0.2  # 12 s
IDLE_MINUTES = 0.1  # 6 s; the sidebar timer checks every 1.5 s

ANALYST = ("demo-analyst", "demo-analyst-only-2026")
REVIEWER = ("demo-reviewer", "demo-reviewer-only-2026")
ADMIN = ("demo-admin", "demo-admin-only-2026")

REFUSAL = (
    "Sign-in refused: wrong username or password. After 3 failed attempts in a row an account is locked for"
    " 0.2 minutes; an administrator can unlock it."
)


@pytest.fixture(scope="module")
def strict_app(tmp_path_factory):
    """A server that locks an account after 3 failures for 12 seconds."""
    env = {"WORKBENCH_LOCKOUT_ATTEMPTS": str(LOCKOUT_ATTEMPTS), "WORKBENCH_LOCKOUT_MINUTES": str(LOCKOUT_MINUTES)}
    with start_app(tmp_path_factory.mktemp("lockout-home"), env) as app:
        yield app


@pytest.fixture(scope="module")
def idle_app(tmp_path_factory):
    """A server that ends a session after 6 idle seconds."""
    with start_app(tmp_path_factory.mktemp("idle-home"), {"WORKBENCH_IDLE_MINUTES": str(IDLE_MINUTES)}) as app:
        yield app


def _attempt(page, url: str, username: str, password: str) -> None:
    """One sign-in from a freshly loaded page, so whatever it shows afterwards is this attempt's answer."""
    page.goto(url)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_text("Sign-in refused").or_(page.get_by_role("heading", name="Home")).wait_for()


def _expect_refused(page) -> None:
    """The one generic refusal, whatever went wrong, and nothing of the workbench."""
    expect(page.get_by_test_id("stAlert")).to_have_count(1)
    expect(page.get_by_test_id("stAlert")).to_have_text(REFUSAL)
    expect(page.get_by_role("heading", name="Home")).to_have_count(0)
    expect(page.locator(".st-key-sign_out")).to_have_count(0)
    expect(page.get_by_label("Password", exact=True)).to_be_visible()


def _expect_signed_in(page, display_name: str) -> None:
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_test_id("stSidebar").get_by_text(display_name)).to_be_visible()
    expect(page.get_by_label("Password", exact=True)).to_have_count(0)


def _expect_sign_in_form(page) -> None:
    expect(page.get_by_label("Password", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Home")).to_have_count(0)
    expect(page.get_by_role("link", name="My account")).to_have_count(0)
    expect(page.locator(".st-key-sign_out")).to_have_count(0)


def _locked_until(app, username: str) -> datetime | None:
    with sqlite3.connect(f"file:{app.database}?mode=ro", uri=True) as conn:
        (until,) = conn.execute("SELECT locked_until FROM users WHERE username = ?", (username,)).fetchone()
    return None if until is None else datetime.strptime(until, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


# --- lockout ---------------------------------------------------------------------------------------


def test_failures_lock_the_account_and_the_lock_expires(page, strict_app):
    app = strict_app
    username, password = ANALYST
    page.goto(app.url)
    page.get_by_label("Username").wait_for()
    expect(page.get_by_role("heading", name="Safeguarding evidence workbench")).to_be_visible()
    screenshot(page, "sign-in")
    before = app.last_seq()

    for attempt in range(1, LOCKOUT_ATTEMPTS + 1):
        _attempt(page, app.url, username, f"not-the-password-{attempt}")
        _expect_refused(page)
    until = _locked_until(app, username)
    assert until is not None, "three failures in a row did not lock the account"

    # The right password while the lock holds: the same refusal and nothing more (no "locked until").
    _attempt(page, app.url, username, password)
    _expect_refused(page)
    screenshot(page, "locked-out")
    assert datetime.now(UTC) < until, "the lock expired before the replayed sign-in: the test ran too slowly"

    # The lock runs out by itself (stored to the second: wait for the next one).
    time.sleep(max(0.0, (until - datetime.now(UTC)).total_seconds()) + 1.1)
    _attempt(page, app.url, username, password)
    _expect_signed_in(page, "Sam Okafor (demo analyst)")
    assert _locked_until(app, username) is None

    # Signing in lands on Home, whose reading of the case is audited too (case.home): not counted here.
    events = [e for e in app.audit(username, after=before) if e[1].startswith(("sign_in", "account."))]
    assert [(action, details.get("reason")) for _, action, details in events] == [
        ("sign_in.failed", "wrong password"),
        ("sign_in.failed", "wrong password"),
        ("sign_in.failed", "wrong password"),
        ("account.locked", None),
        ("sign_in.failed", "account locked"),
        ("sign_in", None),
    ]
    locked = events[3][2]
    assert locked["failures_in_a_row"] == LOCKOUT_ATTEMPTS
    assert events[-1][2] == {"method": "password"}
    passwords = {"not-the-password-1", "not-the-password-2", "not-the-password-3", password}
    assert not any(secret in str(details) for _, _, details in events for secret in passwords)


def test_unknown_username_gets_the_same_refusal(page, strict_app):
    before = strict_app.last_seq()
    _attempt(page, strict_app.url, "nobody-here", "whatever-it-is-2026")
    _expect_refused(page)
    assert [(u, a, d.get("reason")) for u, a, d in strict_app.audit(after=before)] == [
        ("(unknown)", "sign_in.failed", "unknown username")
    ]


# --- signing out and deactivation ------------------------------------------------------------------


def test_sign_out_button_ends_the_session_and_is_audited(page, strict_app):
    app = strict_app
    sign_in(page, app.url, *ADMIN)
    before = app.last_seq()
    page.locator(".st-key-sign_out").get_by_role("button", name="Sign out").click()
    _expect_sign_in_form(page)
    expect(page.get_by_text("Demo Administrator")).to_have_count(0)
    # A reload makes a new session: it must not find the old one signed in.
    page.reload()
    page.get_by_label("Username").wait_for()
    _expect_sign_in_form(page)
    assert app.audit("demo-admin", after=before) == [("demo-admin", "sign_out", {"reason": "signed out"})]


def test_deactivated_user_is_signed_out_at_the_next_click(page, strict_app):
    app = strict_app
    username, password = REVIEWER
    sign_in(page, app.url, username, password)
    _expect_signed_in(page, "Jo Lindqvist (demo conference chair)")
    before = app.last_seq()
    app.cli("user", "deactivate", username)
    try:
        page.get_by_role("link", name="My account").click()
        expect(page.get_by_text("Your session has ended: your account is no longer active.")).to_be_visible()
        _expect_sign_in_form(page)
        expect(page.get_by_text("Jo Lindqvist")).to_have_count(0)
        assert [(u, a, d) for u, a, d in app.audit(after=before)] == [
            ("system", "user.deactivate", {"channel": "cli"}),
            (username, "sign_out", {"reason": "account deactivated"}),
        ]
        # ...and the password no longer opens the workbench.
        _attempt(page, app.url, username, password)
        _expect_refused(page)
    finally:
        app.cli("user", "activate", username)


# --- idle timeout ----------------------------------------------------------------------------------


def test_activity_keeps_the_session_and_idleness_ends_it_without_a_click(page, idle_app):
    app = idle_app
    sign_in(page, app.url, *ANALYST)
    started = time.monotonic()
    # Clicking around every 2.5 s for longer than the 6 s limit: each click is activity.
    for link, heading in [("My account", "My account"), ("Cases", "Cases")] * 2:
        page.wait_for_timeout(2500)
        page.get_by_role("link", name=link).click()
        page.get_by_role("heading", name=heading).wait_for()
    assert time.monotonic() - started > IDLE_MINUTES * 60 + 3  # well past the limit
    _expect_signed_in(page, "Sam Okafor (demo analyst)")
    assert not [e for e in app.audit("demo-analyst") if e[1] == "sign_out"]

    # Now nobody touches the page: the sidebar's timer ends the session and the form comes back.
    left_alone = time.monotonic()
    notice = page.get_by_text("Your session ended after 0.1 idle minutes. Please sign in again.")
    notice.wait_for(timeout=20_000)
    assert time.monotonic() - left_alone >= IDLE_MINUTES * 60 - 1
    _expect_sign_in_form(page)
    expect(page.get_by_text("Sam Okafor")).to_have_count(0)
    assert [e for e in app.audit("demo-analyst") if e[1] == "sign_out"] == [
        ("demo-analyst", "sign_out", {"reason": "idle timeout"})
    ]
