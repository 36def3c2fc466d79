"""Nothing leaves but to a signed-in, active user, on record (issue 24, points 1-3), through the
real server (`streamlit run server.py`) and a real Chromium.

The lead views evidence, downloads an original, the timeline's CSV and an export bundle, while the
test records every address the browser asked the server for. Each case-file address is then asked
for again: with no cookie at all, from another signed-in browser, after signing out and after the
account is deactivated; none of them gives anything. A connection that presents the session's id
without the browser's cookie (a stolen session id) finds a signed-out session."""

from __future__ import annotations

import hashlib
import re
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import RunningApp, new_page, save_link, screenshot, sign_in, start_app
from tests.evidence_files import png

pytestmark = pytest.mark.browser

LEAD, LEAD_PASSWORD = "demo-analyst", "demo-analyst-only-2026"
ADMIN, ADMIN_PASSWORD = "demo-admin", "demo-admin-only-2026"
CASE_FILE = re.compile(r"^https?://[^/]+/(files|media)/")  # the workbench's, and Streamlit's open store
TAKEN = ("evidence.download", "timeline.download", "export.download", "file.refused")


def _taken(app: RunningApp, after: int) -> list[str]:
    """What left the workbench (or was refused) since `after`, by the lead."""
    return [a for u, a, _ in app.audit(after=after) if u == LEAD and a in TAKEN]


@pytest.fixture(scope="module")
def files_app(tmp_path_factory) -> Iterator[RunningApp]:
    """A server of its own: this module deactivates the lead."""
    with start_app(tmp_path_factory.mktemp("files-home")) as app:
        picture = app.home / "picture.png"
        picture.write_bytes(png((120, 90), colour="teal"))
        app.cli("evidence", "add", "DEMO-001", str(picture), "--as", LEAD, "--description", "A synthetic test picture")
        yield app


def _open(page, app: RunningApp, link: str, heading: str) -> None:
    page.get_by_role("link", name=link).click()
    page.get_by_role("heading", name=heading, exact=True).wait_for()


def _into_case(page, app: RunningApp) -> None:
    sign_in(page, app.url, LEAD, LEAD_PASSWORD)
    page.get_by_role("button", name="Open case").first.click()
    page.get_by_role("heading", name="Case overview").wait_for()


def _no_cookie(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (loopback)
            return response.status
    except urllib.error.HTTPError as e:
        return e.code


def _preview_url(page, app: RunningApp) -> str:
    source = page.get_by_role("img", name=re.compile(r"^Preview of EV-")).first.get_attribute("src")
    assert source and source.startswith("files/"), source
    return f"{app.url}/{source}"


def test_case_files_reach_only_the_browser_that_asked(browser, files_app):
    page = new_page(browser)
    asked: list[str] = []
    page.context.on("request", lambda request: asked.append(request.url))  # its tabs, and the links' popups
    _into_case(page, files_app)

    # Evidence: the preview comes from the workbench's endpoint, not from Streamlit's /media/.
    _open(page, files_app, "Evidence", "Evidence")
    expect(page.get_by_role("img", name=re.compile(r"^Preview of EV-"))).to_have_count(1)
    page.get_by_role("button", name="Open").first.click()
    page.get_by_role("button", name="Download the original").click()
    before = files_app.last_seq()
    original = save_link(page, re.compile(r"^Save EV-"))
    assert (
        hashlib.sha256(original.path().read_bytes()).hexdigest()
        == hashlib.sha256((files_app.home / "picture.png").read_bytes()).hexdigest()
    )
    assert _taken(files_app, before) == ["evidence.download"]
    screenshot(page, "evidence-download-link")

    _open(page, files_app, "Timeline", "Timeline")
    page.get_by_role("button", name="Download these events (CSV)").click()
    before = files_app.last_seq()
    csv = save_link(page, "Save DEMO-001-timeline.csv")
    assert csv.path().read_bytes().startswith(b"\xef\xbb\xbf")
    assert _taken(files_app, before) == ["timeline.download"]

    _open(page, files_app, "Export", "Export")
    form = page.get_by_test_id("stForm")
    form.get_by_label("Purpose *").fill("Strategy discussion (synthetic)")
    form.get_by_label("Recipient *").fill("Police (synthetic)")
    form.get_by_role("button", name="Export").click()
    before = files_app.last_seq()
    bundle = save_link(page, "Download the bundle")
    assert bundle.suggested_filename.startswith("DEMO-001-") and bundle.suggested_filename.endswith(".zip")
    assert bundle.path().read_bytes()[:2] == b"PK"
    assert _taken(files_app, before) == ["export.download"]
    assert not list((files_app.home / "outbox").rglob("*.zip"))  # handed over once, then gone

    _open(page, files_app, "Evidence", "Evidence")
    preview = _preview_url(page, files_app)
    sent = sorted({url for url in asked if CASE_FILE.search(url)})
    assert not [url for url in sent if "/media/" in url], f"case data went through Streamlit's /media/: {sent}"
    assert len([url for url in sent if "/files/" in url]) >= 4  # preview(s), original, CSV, bundle

    # The same session may look at its preview again; a download link works once.
    assert page.request.get(preview).status == 200
    for url in sent:
        if url != preview and "/files/" in url and "preview" not in url:
            assert page.request.get(url).status == 404, url

    # No cookie, no session: nothing.
    for url in [*sent, preview]:
        assert _no_cookie(url) == 404, url

    # Another signed-in browser (an administrator, who may manage the case): nothing.
    other = new_page(browser)
    sign_in(other, files_app.url, ADMIN, ADMIN_PASSWORD)
    for url in [*sent, preview]:
        assert other.request.get(url).status == 404, url
    other.context.close()

    # After signing out, the browser that asked gets nothing either.
    page.locator(".st-key-sign_out").get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="Sign in", exact=True).wait_for()
    assert page.request.get(preview).status == 404

    # Signed in again, then deactivated: the page left open fetches nothing more.
    _into_case(page, files_app)
    _open(page, files_app, "Evidence", "Evidence")
    preview = _preview_url(page, files_app)
    assert page.request.get(preview).status == 200
    files_app.cli("user", "deactivate", LEAD)
    assert page.request.get(preview).status == 404
    refused = [d["reason"] for u, a, d in files_app.audit() if a == "file.refused"]
    assert "account not active" in refused and "signed out" in refused
    page.context.close()
