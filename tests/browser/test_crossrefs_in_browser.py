"""The analyst reads the case's cross-references and an observation's veracity panel, and links a
trusted fact to an observation through the panel. The module has a server of its own: linking
changes statuses (and takes XR-0001), which the session's shared demo must not see."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import RunningApp, screenshot, sign_in, start_app
from workbench import crossref, users
from workbench.config import Settings
from workbench.db import open_home
from workbench.schemas import load_catalog
from workbench.veracity import STATUSES

pytestmark = pytest.mark.browser

CASE = "DEMO-001"
ANALYST, ANALYST_PASSWORD = "demo-analyst", "demo-analyst-only-2026"
TALL = {"width": 1400, "height": 2600}  # Streamlit scrolls inside its own container: show it all
RATIONALE = "Her TikTok follower list includes the older associate's account, as the police log says"


@pytest.fixture(scope="module")
def crossref_app(tmp_path_factory) -> Iterator[RunningApp]:
    with start_app(tmp_path_factory.mktemp("crossrefs-home")) as app:
        yield app


def _review(app: RunningApp) -> crossref.Review:
    """What the domain computes for the case, from the server's own database."""
    db = open_home(Settings(home=app.home))
    try:
        return crossref.review(db, users.user_by_name(db, ANALYST), CASE)
    finally:
        db.conn.close()


def _open_case(page, app: RunningApp) -> None:
    sign_in(page, app.url, ANALYST, ANALYST_PASSWORD)
    page.get_by_role("button", name="Open case").first.click()
    page.get_by_role("heading", name="Case overview").wait_for()


def _go(page, title: str) -> None:
    page.get_by_role("link", name=title).click()
    page.get_by_role("heading", name=title, level=1).wait_for()


def _cell(page, text: str):
    """A table cell holding `text` (the grid draws on a canvas and mirrors its cells in an accessible table)."""
    return page.locator("td[role=gridcell]").filter(has_text=text)


def _metric(page, label: str):
    box = page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    )
    return box.get_by_test_id("stMetricValue")


def _choose(page, label: str, option: str) -> None:
    """Pick from a select box as a keyboard user does: type, then Enter takes the first match."""
    box = page.get_by_role("combobox", name=label, exact=True)
    box.click()
    box.fill(option)
    page.get_by_role("option", name=re.compile("^" + re.escape(option))).first.wait_for()
    box.press("Enter")


def _open_observation(page, code: str) -> None:
    _go(page, "Observations")
    _choose(page, "Open observation", code)
    page.get_by_role("heading", name=re.compile(f"^{code} · ")).wait_for()


def _alert(page, starts: str):
    """The text of an alert box that starts with `starts` (the box's icon is drawn with a text glyph)."""
    return page.get_by_test_id("stAlertContainer").get_by_text(re.compile("^" + re.escape(starts)))


def test_the_analyst_reads_the_cross_references_and_the_trusted_facts(page, crossref_app):
    page.set_viewport_size(TALL)
    _open_case(page, crossref_app)
    _go(page, "Cross-references")
    expect(page.get_by_test_id("stText").filter(has_text=re.compile(f"^{CASE}$"))).to_be_visible()

    found = _review(crossref_app).observations
    labels = dict(load_catalog().pairs("veracity_statuses"))
    expected = {labels[s]: int((found["status"] == s).sum()) for s in STATUSES}
    expected["On one untested source"] = int(found["rests_on_one_untested_source"].sum())
    expected["False ages stated"] = int(found["labels"].str.contains("false age stated", regex=False).sum())
    assert expected["False ages stated"] == 1
    for label, count in expected.items():
        expect(_metric(page, label)).to_have_text(str(count))
    # In the observations table and in the cross-references table under it.
    expect(_cell(page, re.compile("^false age stated$"))).to_have_count(2)
    expect(_cell(page, re.compile("^OBS-0009$")).first).to_be_attached()
    expect(page.get_by_role("heading", name="Claims against facts")).to_be_visible()
    expect(page.get_by_role("heading", name="Facts nothing online has touched")).to_be_visible()
    screenshot(page, "crossrefs")

    _go(page, "Trusted facts")
    expect(_cell(page, re.compile("^2012-05-14$"))).to_have_count(1)
    expect(_cell(page, re.compile("^Referred to CAMHS for low mood and disordered eating$"))).to_have_count(1)
    screenshot(page, "trusted-facts")


def test_the_veracity_panel_of_the_false_age(page, crossref_app):
    page.set_viewport_size(TALL)
    _open_case(page, crossref_app)
    _open_observation(page, "OBS-0009")
    expect(_alert(page, "Conflicting: ")).to_have_count(1)
    finding = page.get_by_test_id("stText").filter(has_text="false age stated")
    expect(finding).to_have_count(1)
    expect(finding).to_contain_text("profile states 19; known age 14")
    expect(page.get_by_text("What the grades mean", exact=False)).to_be_visible()
    page.get_by_text("Veracity", exact=True).scroll_into_view_if_needed()
    expect(page.get_by_text("Veracity", exact=True)).to_be_in_viewport()
    screenshot(page, "veracity-panel")


def test_the_analyst_links_a_fact_through_the_panel(page, crossref_app):
    before = crossref_app.last_seq()
    _open_case(page, crossref_app)
    _open_observation(page, "OBS-0013")
    expect(_alert(page, "Uncorroborated, from a single source graded 2 Untested")).to_have_count(1)

    page.get_by_text("Link to a trusted fact", exact=True).click()
    _choose(page, "Fact", "F-0007")
    form = page.get_by_test_id("stForm").filter(has=page.get_by_label("Rationale *", exact=True))
    form.get_by_text("Corroborates", exact=True).click()
    expect(form.get_by_role("radio", name="Corroborates")).to_be_checked()
    page.get_by_label("Rationale *", exact=True).fill(RATIONALE)
    form.get_by_role("button", name=re.compile("Link$")).click()

    expect(page.get_by_text("Linked OBS-0013 to F-0007 as XR-0001.", exact=True)).to_be_visible()
    expect(_alert(page, "Corroborated: ")).to_have_count(1)
    expect(_alert(page, "Uncorroborated, from a single source")).to_have_count(0)
    expect(page.get_by_test_id("stText").filter(has_text="linked by demo-analyst as XR-0001")).to_have_count(1)

    with sqlite3.connect(f"file:{crossref_app.database}?mode=ro", uri=True) as conn:
        rows = conn.execute(
            """SELECT x.code, o.code, f.code, v.relation, v.rationale, v.withdrawn FROM crossrefs x
               JOIN crossref_versions v ON v.crossref_id = x.id JOIN observations o ON o.id = x.observation_id
               JOIN facts f ON f.id = x.fact_id"""
        ).fetchall()
    assert rows == [("XR-0001", "OBS-0013", "F-0007", "corroborates", RATIONALE, 0)]
    links = [(u, d) for u, a, d in crossref_app.audit(after=before) if a == "crossref.link"]
    assert links == [(ANALYST, {"observation": "OBS-0013", "fact": "F-0007", "relation": "corroborates"})]
