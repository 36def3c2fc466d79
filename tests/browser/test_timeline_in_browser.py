"""The timeline and the conference view in a real browser: the Vega chart draws, a click on a mark
lists that event beneath it, the CSV download holds the listed events and is audited; the conference
view prints to a PDF that holds the chronology and not the sidebar; a case of 50,000 events opens as
time bins and the page still answers.

The module has servers of its own: the download and the opened pages write audit events the
session's shared demo need not see, and the large case lives on a home of its own."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import pypdf
import pytest
from playwright.sync_api import expect

from bench import crossref_data, timeline_data
from tests.browser.conftest import RunningApp, save, screenshot, sign_in, start_app
from workbench import conference, timeline, users
from workbench.config import Settings
from workbench.db import open_home
from workbench.timeline import TimelineFilter

pytestmark = pytest.mark.browser

CASE = "DEMO-001"
ANALYST, ANALYST_PASSWORD = "demo-analyst", "demo-analyst-only-2026"
TALL = {"width": 1400, "height": 2400}  # Streamlit scrolls inside its own container: show it all
LARGE = 50_000
CHART = '[data-testid="stVegaLiteChart"]'
POINTS = "g.view_1_marks path[aria-label]"  # the event marks (the risk rings are a second layer)
CHRONOLOGY_LINE = re.compile(r"^\S.*? · ([A-Z]+-\d{4}) · ", re.MULTILINE)

# The first observation mark nothing else covers: its aria-label (Vega writes each mark's tooltip
# fields there). Two events at the same time in the same lane share a point; only the top one is hit.
_TOPMOST_MARK = """(chart) => {
    const box = chart.getBoundingClientRect();
    for (const mark of chart.querySelectorAll("g.view_1_marks path[aria-label*='Code: OBS-']")) {
        const r = mark.getBoundingClientRect();
        const x = r.x + r.width / 2, y = r.y + r.height / 2;
        if (x < box.left || x > box.right || y < box.top || y > box.bottom) continue;
        if (document.elementFromPoint(x, y) === mark) return mark.getAttribute("aria-label");
    }
    return null;
}"""


@pytest.fixture(scope="module")
def timeline_app(tmp_path_factory) -> Iterator[RunningApp]:
    with start_app(tmp_path_factory.mktemp("timeline-home")) as app:
        yield app


@pytest.fixture(scope="module")
def large_case() -> timeline_data.Plan:
    return timeline_data.plan(LARGE)


@pytest.fixture(scope="module")
def large_app(tmp_path_factory, large_case) -> Iterator[RunningApp]:
    """A fresh home whose one case has 50,000 events, loaded through the domain (bench/timeline_data.py)."""
    home = tmp_path_factory.mktemp("large-timeline-home")
    loaded = timeline_data.load(large_case, home)
    loaded.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    loaded.db.conn.close()
    with start_app(home) as app:
        yield app


def _db(app: RunningApp):
    return open_home(Settings(home=app.home))


def _open_case(page, app: RunningApp, username: str = ANALYST, password: str = ANALYST_PASSWORD) -> None:
    sign_in(page, app.url, username, password)
    page.get_by_role("button", name="Open case").first.click()
    page.get_by_role("heading", name="Case overview").wait_for()


def _go(page, title: str, heading: str | None = None) -> None:
    page.get_by_role("link", name=title).click()
    page.get_by_role("heading", name=heading or title).wait_for()


def _caption(page, containing: str):
    return page.get_by_test_id("stCaptionContainer").filter(has_text=containing)


def _cell(page, text: str):
    """A cell of the events table (the grid mirrors its cells in an accessible table)."""
    return page.get_by_test_id("stDataFrame").locator("td[role=gridcell]").filter(has_text=re.compile(f"^{text}$"))


def _open_timeline(page, app: RunningApp) -> None:
    page.set_viewport_size(TALL)
    _open_case(page, app)
    _go(page, "Timeline")
    expect(page.locator(CHART).first.locator("svg, canvas").first).to_be_visible()


def _pick_a_mark(page) -> str:
    """Click an observation's mark on the chart; its code."""
    chart = page.locator(CHART).first
    expect(chart.locator(POINTS).first).to_be_attached()
    label = chart.evaluate(_TOPMOST_MARK)
    assert label, "no observation mark on the chart can be clicked"
    code = re.search(r"Code: ([A-Z]+-\d{4});", label)[1]
    chart.locator(f"g.view_1_marks path[aria-label*='Code: {code};']").click()
    return code


def _download(page) -> tuple[str, list[dict]]:
    download = save(page, "Download these events (CSV)", re.compile(r"^Save .*-timeline\.csv$"))
    text = download.path().read_bytes().decode("utf-8-sig")
    return download.suggested_filename, list(csv.DictReader(io.StringIO(text)))


def _domain_events(app: RunningApp, **filters):
    db = _db(app)
    try:
        return timeline.timeline(db, users.user_by_name(db, ANALYST), CASE, TimelineFilter(**filters)).events
    finally:
        db.conn.close()


# --- the chart and the list ---------------------------------------------------------------------------


def test_the_chart_draws_and_a_click_on_a_mark_lists_that_event(page, timeline_app):
    _open_timeline(page, timeline_app)
    everything = _domain_events(timeline_app)
    chart = page.locator(CHART).first
    # Every event has a mark, named by its code.
    expect(chart.locator(POINTS)).to_have_count(len(everything))
    expect(chart.locator("g.view_1_marks path[aria-label*='Code: OBS-0009;']")).to_have_count(1)
    expect(_caption(page, "events listed")).to_have_text(f"{len(everything)} events listed.")
    screenshot(page, "timeline")

    code = _pick_a_mark(page)
    expect(_caption(page, "events listed")).to_have_text("1 events listed (chosen on the chart).")
    expect(_cell(page, code)).to_have_count(1)
    others = [c for c in everything["code"] if c != code]
    for other in others[:5]:
        expect(_cell(page, other)).to_have_count(0)
    summary = everything.loc[everything["code"] == code, "summary"].iloc[0]
    expect(_cell(page, re.escape(summary))).to_have_count(1)

    # A double click clears the choice: every event is listed again.
    chart.locator("svg").first.dblclick(position={"x": 5, "y": 5})
    expect(_caption(page, "events listed")).to_have_text(f"{len(everything)} events listed.")


def _turn_on(page, label: str) -> None:
    """Open the filters and switch a toggle on; the rerun it starts can take a while on a busy machine."""
    _idle(page)
    page.get_by_text("Filters", exact=True).click()
    switch = page.get_by_label(label, exact=True)
    for _ in range(3):  # a click that lands while an earlier rerun is still drawing can be lost
        page.get_by_text(label, exact=True).click()
        try:
            expect(switch).to_be_checked(timeout=10_000)
            break
        except AssertionError:
            _idle(page)
    expect(switch).to_be_checked()
    _idle(page)


def _idle(page) -> None:
    """Wait until the app has no rerun running (Streamlit shows its status widget while it runs)."""
    page.get_by_test_id("stStatusWidget").wait_for(state="detached", timeout=30_000)


def test_the_download_holds_the_filtered_events_and_is_audited(page, timeline_app):
    _open_timeline(page, timeline_app)
    _turn_on(page, "Immediate risk only")
    expected = _domain_events(timeline_app, immediate_risk_only=True)
    assert len(expected) == 2  # the demo: OBS-0031 and OBS-0032
    everything = len(_domain_events(timeline_app))
    expect(_caption(page, " events. ")).to_contain_text(f"{len(expected)} of {everything} events.")
    expect(_caption(page, "events listed")).to_have_text(f"{len(expected)} events listed.")
    for code in expected["code"]:
        expect(_cell(page, code)).to_have_count(1)

    before = timeline_app.last_seq()
    name, rows = _download(page)
    assert name == f"{CASE}-timeline.csv"
    assert [r["code"] for r in rows] == expected["code"].tolist()
    assert [r["summary"] for r in rows] == expected["summary"].tolist()
    assert {r["immediate_risk"] for r in rows} == {"True"}
    downloads = [(u, d) for u, a, d in timeline_app.audit(after=before) if a == "timeline.download"]
    assert downloads == [(ANALYST, {"events": len(rows), "picked_on_chart": False})]


def test_the_download_after_a_click_holds_the_events_listed(page, timeline_app):
    _open_timeline(page, timeline_app)
    code = _pick_a_mark(page)
    expect(_caption(page, "events listed")).to_have_text("1 events listed (chosen on the chart).")
    _, rows = _download(page)
    assert [r["code"] for r in rows] == [code]


def test_a_filter_that_hides_the_chosen_mark_lists_what_the_chart_shows(page, timeline_app):
    _open_timeline(page, timeline_app)
    code = _pick_a_mark(page)
    expect(_caption(page, "events listed")).to_have_text("1 events listed (chosen on the chart).")
    at_risk = _domain_events(timeline_app, immediate_risk_only=True)
    assert code not in set(at_risk["code"])
    _turn_on(page, "Immediate risk only")
    everything = len(_domain_events(timeline_app))
    expect(_caption(page, " events. ")).to_contain_text(f"{len(at_risk)} of {everything} events.")
    expect(page.locator(CHART).first.locator(POINTS)).to_have_count(len(at_risk))
    expect(_caption(page, "events listed")).to_have_text(f"{len(at_risk)} events listed.", timeout=10_000)


# --- the conference view ------------------------------------------------------------------------------


def test_the_conference_view_prints_its_chronology_without_the_sidebar(page, timeline_app, tmp_path):
    page.set_viewport_size(TALL)
    _open_case(page, timeline_app)
    _go(page, "Conference view", "Case conference")
    page.get_by_role("heading", name="Chronology").wait_for()
    db = _db(timeline_app)
    try:
        view = conference.conference_view(db, users.user_by_name(db, ANALYST), CASE)
    finally:
        db.conn.close()
    codes = view.chronology["code"].tolist()
    assert len(codes) > 30
    expect(page.get_by_test_id("stText").filter(has_text=f" · {codes[-1]} · ")).to_have_count(1)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()  # on screen, the sidebar is there
    expect(page.get_by_text("Pseudonyms only", exact=True)).to_be_visible()
    screenshot(page, "conference-view")

    page.emulate_media(media="print")
    pdf = tmp_path / "conference.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(pdf).pages)
    assert CASE in text
    assert view.title in text
    assert "Chronology" in text
    chronology = text[text.index("Chronology") :]
    assert CHRONOLOGY_LINE.findall(chronology) == codes
    assert "Sign out" not in text
    assert "Pseudonyms only" not in text  # the switch is a control: left off the paper


# --- a large case ---------------------------------------------------------------------------------------


@pytest.mark.timeout(300)
def test_a_case_of_50000_events_opens_as_time_bins_and_the_page_still_answers(page, large_app, large_case):
    assert large_case.events == LARGE
    page.set_viewport_size(TALL)
    _open_case(page, large_app, crossref_data.ANALYST, crossref_data.PASSWORD)
    page.get_by_role("link", name="Timeline").click()
    chart = page.locator(CHART).first
    expect(chart.locator("svg, canvas").first).to_be_visible(timeout=60_000)
    expect(_caption(page, "drawn as time bins")).to_contain_text(f"{LARGE} of {LARGE} events.", timeout=60_000)
    expect(chart.locator("[aria-label^=\"Y-axis titled 'Five C'\"]")).to_have_count(1)
    expect(chart.locator('[aria-label^="X-axis titled \'When, per "]')).to_have_count(1)
    expect(page.get_by_test_id("stException")).to_have_count(0)

    page.get_by_test_id("stRadio").filter(has_text="Lanes").get_by_text("Person", exact=True).click()
    redrawn = page.locator(CHART).first
    expect(redrawn.locator("[aria-label^=\"Y-axis titled 'Person'\"]")).to_have_count(1, timeout=60_000)
    expect(redrawn.locator("svg, canvas").first).to_be_visible()
    expect(_caption(page, "drawn as time bins")).to_have_count(1)
    expect(page.get_by_test_id("stException")).to_have_count(0)
