"""The case lead reads a case's activity and downloads it: the CSV is made, and audited, on the click."""

import csv
import io

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import save, screenshot, sign_in

pytestmark = pytest.mark.browser


def test_the_lead_downloads_the_activity_and_the_download_is_audited(page, demo_app):
    sign_in(page, demo_app.url, "demo-analyst", "demo-analyst-only-2026")
    page.get_by_role("link", name="Activity").click()
    page.get_by_role("heading", name="Activity").wait_for()
    table = page.get_by_test_id("stDataFrame").first
    expect(table.locator("td[role=gridcell]").first).to_have_count(1)
    table.hover()
    # The table's own toolbar offers no download (client.disableDataExport): only the audited button.
    expect(page.get_by_role("button", name="Download as CSV")).to_have_count(1)
    screenshot(page, "activity")
    before = demo_app.last_seq()
    assert not [a for _, a, _ in demo_app.audit(after=before) if a == "case.activity.download"]

    download = save(page, "Download as CSV", "Save DEMO-001-activity.csv")
    assert download.suggested_filename == "DEMO-001-activity.csv"
    text = download.path().read_bytes().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == ["seq", "at", "username", "action", "item_code", "details", "justification"]
    assert {"demo-analyst"} <= {row["username"] for row in rows}
    assert any(row["action"] == "case.activity.view" for row in rows)  # opening the page is in it

    downloads = [(u, d) for u, a, d in demo_app.audit(after=before) if a == "case.activity.download"]
    assert len(downloads) == 1
    username, details = downloads[0]
    assert username == "demo-analyst"
    assert details["rows"] == len(rows)  # the event is written after the rows are read
