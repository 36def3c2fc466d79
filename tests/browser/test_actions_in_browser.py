"""An item at immediate risk, in a real browser: Home (where signing in lands) and the case overview
show the red banner naming it until the analyst records on the Actions page that the police were
informed, with the reference they gave; then the banner is gone from both and the conference view
says when, by whom and with what reference. The module has a server of its own: it records, and
the session's demo must not see it."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import RunningApp, screenshot, sign_in, start_app

pytestmark = pytest.mark.browser

CASE = "DEMO-001"
ANALYST, ANALYST_PASSWORD = "demo-analyst", "demo-analyst-only-2026"
TALL = {"width": 1400, "height": 2400}
SUMMARY = "Stranger's account asks Child A to meet tonight and to delete the chat (fictional)"
POLICE_REFERENCE = "DEMO-CAD-0999"


@pytest.fixture(scope="module")
def actions_app(tmp_path_factory) -> Iterator[RunningApp]:
    with start_app(tmp_path_factory.mktemp("actions-home")) as app:
        yield app


def _record_risk(app: RunningApp) -> str:
    """An observation marked immediate risk, recorded from the command line; returns its code."""
    return app.cli(
        "observation", "add", CASE, "--as", ANALYST, "--kind", "general_note", "--indicator", "note",
        "--summary", SUMMARY, "--details", '{"note": "Seen in a screenshot the school sent (fictional)."}',
        "--source-type", "supplied_school", "--source-grade", "2", "--information-grade", "B",
        "--handling-code", "P", "--immediate-risk",
    ).stdout.strip()  # fmt: skip


def _go(page, title: str, heading: str | None = None) -> None:
    page.get_by_role("link", name=title).click()
    page.get_by_role("heading", name=heading or title).wait_for()


def _choose(page, label: str, option: str) -> None:
    """Pick from a select box as a keyboard user does: type, then Enter takes the first match."""
    box = page.get_by_role("combobox", name=label, exact=True)
    box.click()
    box.fill(option)
    page.get_by_role("option", name=re.compile("^" + re.escape(option))).first.wait_for()
    box.press("Enter")


def _cell(page, text: str):
    return page.get_by_test_id("stDataFrame").locator("td[role=gridcell]").filter(has_text=re.compile(f"^{text}$"))


def _risk_banner(page):
    return page.get_by_test_id("stAlertContainer").filter(has_text="marked IMMEDIATE RISK")


def test_the_banner_stays_until_the_police_are_recorded_as_informed(page, actions_app):
    code = _record_risk(actions_app)
    page.set_viewport_size(TALL)
    sign_in(page, actions_app.url, ANALYST, ANALYST_PASSWORD)
    # Signing in lands on Home, which names the case and the item before anything is opened.
    expect(_risk_banner(page)).to_have_count(1)
    expect(_risk_banner(page)).to_contain_text(f"{CASE}: 1 item(s)")
    expect(page.get_by_test_id("stText").filter(has_text=f"{code} · marked ")).to_have_count(1)
    expect(page.get_by_role("heading", name="Authorisations to review")).to_be_visible()
    expect(_cell(page, CASE).first).to_be_attached()  # My cases is drawn
    expect(_cell(page, "AUTH-0001")).to_be_attached()  # the demo's review date has passed
    page.get_by_test_id("stStatusWidget").wait_for(state="detached")
    screenshot(page, "home")

    page.get_by_role("button", name="Open case").click()
    page.get_by_role("heading", name="Case overview").wait_for()
    expect(_risk_banner(page)).to_have_count(1)
    expect(_risk_banner(page)).to_contain_text("1 item(s)")

    _go(page, "Home")
    page.get_by_role("button", name=f"Record the police action in {CASE}").click()
    page.get_by_role("heading", name="Actions").wait_for()
    expect(_risk_banner(page)).to_have_count(1)
    page.get_by_text("Record an action", exact=True).click()
    form = page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="Record action"))
    _choose(page, "Action *", "Police informed")
    form.get_by_text("Done", exact=True).click()
    expect(form.get_by_role("radio", name="Done")).to_be_checked()
    _choose(page, "For observation", code)
    form.get_by_label("Note", exact=True).fill("Called 999 about the meeting tonight (fictional).")

    # Marked done without the police reference: refused, the field named, nothing stored.
    form.get_by_role("button", name="Record action").click()
    expect(page.get_by_text("the incident or log number they gave", exact=False).first).to_be_visible()
    with sqlite3.connect(f"file:{actions_app.database}?mode=ro", uri=True) as conn:
        assert conn.execute("SELECT COUNT(*) FROM actions").fetchone()[0] == 13  # the demo's own

    form = page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="Record action"))
    _choose(page, "Action *", "Police informed")
    form.get_by_text("Done", exact=True).click()
    _choose(page, "For observation", code)
    form.get_by_label("Reference given", exact=True).fill(POLICE_REFERENCE)
    form.get_by_role("button", name="Record action").click()
    expect(page.get_by_text("Recorded ACT-0014.", exact=True)).to_be_visible()
    expect(page.get_by_text("14 of 14 actions.", exact=True)).to_be_visible()  # the rerun has drawn the list
    expect(_risk_banner(page)).to_have_count(0)
    page.get_by_test_id("stStatusWidget").wait_for(state="detached")
    screenshot(page, "actions")

    with sqlite3.connect(f"file:{actions_app.database}?mode=ro", uri=True) as conn:
        stored = conn.execute(
            """SELECT v.kind, v.status, v.reference, v.done_by, o.code FROM actions a
               JOIN action_versions v ON v.action_id = a.id JOIN observations o ON o.id = v.observation_id
               WHERE a.code = 'ACT-0014'"""
        ).fetchall()
    assert stored == [("police_informed", "done", POLICE_REFERENCE, "Sam Okafor (demo analyst)", code)]

    _go(page, "Home")
    expect(page.get_by_role("heading", name="My cases")).to_be_visible()
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
    expect(_risk_banner(page)).to_have_count(0)

    _go(page, "Case overview")
    expect(page.get_by_role("heading", name="By Five C")).to_be_visible()
    expect(_risk_banner(page)).to_have_count(0)

    _go(page, "Conference view", "Case conference")
    told = page.get_by_test_id("stText").filter(has_text=f"{code} · ")
    expect(told.first).to_contain_text("Police told: Yes: ")
    expect(told.first).to_contain_text(f"ref {POLICE_REFERENCE} (ACT-0014)")
