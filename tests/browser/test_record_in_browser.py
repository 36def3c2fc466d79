"""An analyst signs in, records an observation through the form and finds it in the table."""

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser


def _choose(page, label: str, option: str) -> None:
    """Pick from a select box as a keyboard user does: type, then Enter takes the first match."""
    box = page.get_by_role("combobox", name=label, exact=True)
    box.click()
    box.fill(option)
    page.get_by_role("option", name=re.compile("^" + re.escape(option))).first.wait_for()
    box.press("Enter")
    expect(page.get_by_role("combobox", name=label, exact=True)).to_have_count(1)


def _grade_and_record(page) -> str:
    """Source, grades, submit; returns the code the workbench gave the observation."""
    _choose(page, "Source type", "Viewed by the analyst")
    page.get_by_text("2 Untested", exact=True).click()
    page.get_by_text("A Known directly", exact=True).click()
    page.get_by_role("button", name="Record observation").click()
    recorded = page.get_by_text(re.compile(r"Recorded OBS-\d{4}\."))
    recorded.wait_for()
    return re.search(r"OBS-\d{4}", recorded.inner_text()).group(0)


def _open(page, code: str) -> None:
    _choose(page, "Open observation", code)
    page.get_by_role("heading", name=re.compile(code)).wait_for()


def test_analyst_records_an_observation_and_finds_it_in_the_table(page, app_url):
    sign_in(page, app_url, "demo-analyst", "demo-analyst-only-2026")
    page.get_by_role("button", name="Open case").first.click()
    page.get_by_role("heading", name="Case overview").wait_for()

    page.get_by_role("link", name="Record observation").click()
    page.get_by_role("heading", name="Record observation").wait_for()
    _choose(page, "Indicator", "Stated age")
    summary = f"Bio states age 18 ({uuid.uuid4().hex[:8]})"
    page.get_by_label("Summary *", exact=True).fill(summary)
    _choose(page, "Where on the profile *", "Bio")
    page.get_by_label("Stated age", exact=True).fill("18")
    code = _grade_and_record(page)

    page.get_by_role("link", name="Observations").click()
    page.get_by_role("heading", name="Observations").wait_for()
    page.get_by_label("Search summaries", exact=True).fill(summary)
    page.get_by_label("Search summaries", exact=True).press("Enter")
    expect(page.get_by_text(re.compile(r"^1 of \d+ observations"))).to_be_visible()
    # The grid draws on a canvas; its cells are mirrored in an accessible table the test can read.
    cells = page.locator("td[role=gridcell]")
    expect(cells.filter(has_text=re.compile("^" + re.escape(summary) + "$"))).to_have_count(1)
    expect(cells.filter(has_text=re.compile(f"^{code}$"))).to_have_count(1)
    _open(page, code)
    expect(page.get_by_test_id("stText").filter(has_text=summary)).to_be_visible()

    page.get_by_label("Search summaries", exact=True).fill("")
    page.get_by_label("Search summaries", exact=True).press("Enter")
    expect(page.get_by_text(re.compile(r"^\d+ of \d+ observations"))).to_be_visible()
    screenshot(page, "observations")


def test_markup_in_user_text_stays_text(page, app_url):
    sign_in(page, app_url, "demo-analyst", "demo-analyst-only-2026")
    page.get_by_role("button", name="Open case").first.click()
    page.get_by_role("heading", name="Case overview").wait_for()
    page.get_by_role("link", name="Record observation").click()
    page.get_by_role("heading", name="Record observation").wait_for()
    _choose(page, "Kind", "General note")
    hostile = "<b>bold</b> [click](http://evil.example/x) ![img](http://evil.example/i.png) **strong**"
    page.get_by_label("Summary *", exact=True).fill(hostile)
    page.get_by_label("Note *", exact=True).fill(hostile)
    code = _grade_and_record(page)

    page.get_by_role("link", name="Observations").click()
    page.get_by_role("heading", name="Observations").wait_for()
    _open(page, code)
    expect(page.get_by_test_id("stText").filter(has_text=hostile)).to_be_visible()
    assert page.locator("a[href*='evil.example']").count() == 0
    assert page.locator("img[src*='evil.example']").count() == 0
    assert page.locator("b", has_text="bold").count() == 0


def test_sign_out_returns_to_the_sign_in_form(page, app_url):
    sign_in(page, app_url, "demo-reviewer", "demo-reviewer-only-2026")
    expect(page.get_by_role("link", name="Record observation")).to_have_count(0)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("Password", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Observations")).to_have_count(0)
