"""The case lead exports the demo case from the Export page in a real browser: a refused submit
names the missing fields; a good one shows the bundle's SHA-256, downloads the ZIP, and lists the
export under "Earlier exports". The downloaded bundle verifies with `workbench verify-bundle`.
The module has a server of its own: exporting writes to the case's record."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ROOT, RunningApp, save_link, screenshot, sign_in, start_app

pytestmark = pytest.mark.browser

ANALYST, ANALYST_PASSWORD = "demo-analyst", "demo-analyst-only-2026"
TALL = {"width": 1400, "height": 1800}


@pytest.fixture(scope="module")
def export_app(tmp_path_factory) -> Iterator[RunningApp]:
    with start_app(tmp_path_factory.mktemp("export-home")) as app:
        yield app


def test_the_lead_exports_the_case_and_the_bundle_verifies(page, export_app, tmp_path):
    page.set_viewport_size(TALL)
    sign_in(page, export_app.url, ANALYST, ANALYST_PASSWORD)
    page.get_by_role("button", name="Open case").first.click()
    page.get_by_role("heading", name="Case overview").wait_for()
    page.get_by_role("link", name="Export").click()
    page.get_by_role("heading", name="Export", exact=True).wait_for()
    expect(page.get_by_text("None yet.", exact=True)).to_be_visible()

    form = page.get_by_test_id("stForm")
    form.get_by_role("button", name="Export").click()
    expect(page.get_by_text("is required", exact=False).first).to_be_visible()
    expect(page.get_by_text("None yet.", exact=True)).to_be_visible()

    page.get_by_label("Purpose *").fill("Strategy discussion on 26 Nov (demo)")
    page.get_by_label("Recipient *").fill("Kent Police, DC Example (demo)")
    form.get_by_role("button", name="Export").click()
    expect(page.get_by_text(re.compile(r"^Exported EXP-0001: DEMO-001-\d{4}-\d{2}-\d{2}\.zip$"))).to_be_visible()
    expect(page.get_by_text(re.compile("graded C were left out"))).to_be_visible()
    downloaded = save_link(page, "Download the bundle")
    bundle = tmp_path / downloaded.suggested_filename
    downloaded.save_as(bundle)

    shown = page.get_by_test_id("stText").filter(has_text="SHA-256 ").inner_text()
    assert shown == f"SHA-256 {hashlib.sha256(bundle.read_bytes()).hexdigest()}"
    expect(page.locator("td[role=gridcell]").filter(has_text=re.compile("^EXP-0001$"))).to_have_count(1)
    page.get_by_test_id("stStatusWidget").wait_for(state="detached")
    screenshot(page, "export")

    with zipfile.ZipFile(bundle) as opened:
        assert {"observations.csv", "datapackage.json", "SHA256SUMS", "README.txt"} <= set(opened.namelist())
        assert "Kent Police, DC Example (demo)" in opened.read("README.txt").decode("utf-8")
    checked = subprocess.run(
        [sys.executable, "-m", "workbench", "verify-bundle", str(bundle)],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.startswith("bundle intact: ")
    actions = [a for _, a, _ in export_app.audit(ANALYST)]
    assert actions.count("export.start") == 1 and actions.count("export.complete") == 1
