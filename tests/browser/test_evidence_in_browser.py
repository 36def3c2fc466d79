"""The case lead drops several files at once on the Evidence page: each is stored or refused with
its reason, the gallery shows re-encoded previews (upright, no EXIF), the GPS item is flagged, and
the original downloads byte-exact, audited on the click."""

from __future__ import annotations

import hashlib
import io
import re
import sqlite3
import uuid

import exifread
import pytest
from PIL import Image
from playwright.sync_api import expect

from tests import evidence_files as ef
from tests.browser.conftest import save, screenshot, sign_in

pytestmark = pytest.mark.browser

LEAD, LEAD_PASSWORD = "demo-analyst", "demo-analyst-only-2026"
CONFIRM = "I confirm these files hold no nude or semi-nude image of a child"
UPLOAD_WAIT = 60_000


def _to_evidence(page, url: str) -> None:
    sign_in(page, url, LEAD, LEAD_PASSWORD)
    page.get_by_role("button", name="Open case").first.click()
    page.get_by_role("heading", name="Case overview").wait_for()
    page.get_by_role("link", name="Evidence").click()
    page.get_by_role("heading", name="Evidence").wait_for()
    expect(page.get_by_test_id("stText").filter(has_text=re.compile("^DEMO-001$"))).to_be_visible()


def _open_upload_form(page) -> None:
    """The form is open on an empty case and folded away once the case holds evidence."""
    expander = page.get_by_test_id("stExpander").filter(has=page.get_by_text("Add evidence", exact=True))
    expect(expander).to_have_count(1)
    if expander.locator("details").get_attribute("open") is None:
        page.get_by_text("Add evidence", exact=True).click()
    expect(page.get_by_label("What it shows *", exact=True)).to_be_visible()


def _choose_files(page, paths) -> None:
    page.locator("input[type=file]").set_input_files([str(p) for p in paths])
    expect(page.get_by_test_id("stFileChipName")).to_have_count(len(paths), timeout=UPLOAD_WAIT)
    for path in paths:
        expect(_chip(page, path.name)).to_have_count(1)


def _chip(page, name: str):
    """A chosen file in the uploader (long names are shortened on screen; the title holds the whole)."""
    return page.locator(f'[data-testid=stFileChipName][title="{name}"]')


def _tick(page, label: str) -> None:
    box = page.get_by_role("checkbox", name=label)
    page.get_by_text(label, exact=True).click()
    expect(box).to_be_checked()


def _evidence_rows(database) -> list[tuple[str, str, str]]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT code, file_name, sha256 FROM evidence ORDER BY id").fetchall()


def _turned_jpeg() -> bytes:
    """300 x 200 as stored, with EXIF orientation 6 (turn 90 degrees clockwise to view) and GPS.
    Its top-left corner is red, the rest grey, and one pixel is random so each run's bytes differ."""
    image = Image.new("RGB", (300, 200), (128, 128, 128))
    image.paste((230, 20, 20), (0, 0, 60, 60))
    image.putpixel((299, 199), tuple(uuid.uuid4().bytes[:3]))
    block = ef.exif(orientation=6)
    return ef.save(image, "JPEG", quality=95, exif=block.tobytes())


def _unique_png() -> bytes:
    image = Image.new("RGB", (120, 90), (20, 120, 200))
    image.putpixel((0, 0), tuple(uuid.uuid4().bytes[:3]))
    return ef.save(image, "PNG")


def _unique_pdf() -> bytes:
    return ef.pdf() + f"% {uuid.uuid4().hex}\n".encode()


def test_the_lead_uploads_several_files_and_downloads_the_original(page, demo_app, tmp_path):
    tag = uuid.uuid4().hex[:6]
    photo = tmp_path / f"photo-{tag}.jpg"
    photo.write_bytes(_turned_jpeg())
    shot = tmp_path / f"shot-{tag}.png"
    shot.write_bytes(_unique_png())
    saved = tmp_path / f"saved-{tag}.pdf"
    saved.write_bytes(_unique_pdf())
    fake = tmp_path / f"fake-{tag}.jpg"
    fake.write_bytes(ef.TEXT)
    before_rows = _evidence_rows(demo_app.database)

    _to_evidence(page, demo_app.url)
    _open_upload_form(page)
    _choose_files(page, [photo, shot, saved, fake])
    page.get_by_label("What it shows *", exact=True).fill("Profile page and a saved post")
    _tick(page, CONFIRM)
    page.get_by_role("button", name="Store evidence").click()

    expect(page.get_by_text("3 of 4 files stored. 1 rejected: nothing of them was kept.")).to_be_visible(
        timeout=UPLOAD_WAIT
    )
    cells = page.locator("td[role=gridcell]")
    expect(cells.filter(has_text="the content is not a file the workbench takes")).to_have_count(1)
    expect(cells.filter(has_text=re.compile(f"^{re.escape(fake.name)}$"))).to_have_count(1)
    expect(cells.filter(has_text=re.compile("^rejected$"))).to_have_count(1)

    new_rows = _evidence_rows(demo_app.database)[len(before_rows) :]
    stored = {name: (code, sha) for code, name, sha in new_rows}
    assert set(stored) == {photo.name, shot.name, saved.name}
    for path in (photo, shot, saved):
        assert stored[path.name][1] == hashlib.sha256(path.read_bytes()).hexdigest()
    photo_code, shot_code, saved_code = (stored[p.name][0] for p in (photo, shot, saved))

    # The gallery: previews for the two pictures, a notice for the saved page.
    for code in (photo_code, shot_code):
        expect(page.get_by_role("img", name=f"Preview of {code}")).to_be_visible()
    expect(page.get_by_role("img", name=f"Preview of {saved_code}")).to_have_count(0)
    expect(page.get_by_text("Saved page: not shown in the app").first).to_be_visible()
    expect(page.get_by_test_id("stText").filter(has_text=f"{photo_code} · {photo.name}")).to_be_visible()
    screenshot(page, "evidence-gallery")

    page.locator(f".st-key-open_{photo_code} button").click()
    page.get_by_role("heading", name=f"{photo_code} · Image").wait_for()
    banner = page.get_by_test_id("stAlertContentError").get_by_text(re.compile("^Sensitive location data: "))
    expect(banner).to_be_visible()
    item_preview = page.get_by_role("img", name=f"Preview of {photo_code}").last
    expect(item_preview).to_be_visible()
    screenshot(page, "evidence-item")

    # What the browser was served: a re-encoded copy, upright, with no EXIF at all.
    source = item_preview.get_attribute("src")
    assert source and source.startswith("files/")  # the workbench's endpoint, never Streamlit's open /media/
    served = page.request.get(f"{demo_app.url}/{source}")
    assert served.ok
    body = served.body()
    assert exifread.process_file(io.BytesIO(body), details=True) == {}
    with Image.open(io.BytesIO(body)) as image:
        assert image.size == (200, 300)  # stored 300 x 200, turned a quarter clockwise
        rgb = image.convert("RGB")
        red_corner, other_corner = rgb.getpixel((190, 10)), rgb.getpixel((10, 10))
    assert red_corner[0] > 180 and red_corner[1] < 80, red_corner  # the stored top-left, now top-right
    assert abs(other_corner[0] - 128) < 30, other_corner

    before = demo_app.last_seq()
    download = save(page, "Download the original", f"Save {photo_code}-{photo.stem}.jpg")
    assert download.suggested_filename == f"{photo_code}-{photo.stem}.jpg"
    assert hashlib.sha256(download.path().read_bytes()).hexdigest() == hashlib.sha256(photo.read_bytes()).hexdigest()
    downloads = [(u, d) for u, a, d in demo_app.audit(after=before) if a == "evidence.download"]
    assert downloads == [(LEAD, {"sha256": stored[photo.name][1]})]


def test_storing_without_the_confirmation_stores_nothing(page, demo_app, tmp_path):
    shot = tmp_path / f"unconfirmed-{uuid.uuid4().hex[:6]}.png"
    shot.write_bytes(_unique_png())
    before_rows = _evidence_rows(demo_app.database)
    before = demo_app.last_seq()

    _to_evidence(page, demo_app.url)
    _open_upload_form(page)
    _choose_files(page, [shot])
    page.get_by_label("What it shows *", exact=True).fill("A screenshot of a post")
    page.get_by_role("button", name="Store evidence").click()

    expect(page.get_by_text("Please correct the following:")).to_be_visible(timeout=UPLOAD_WAIT)
    # The short reason under the tick box (the long why stays in the standing warning above the form).
    field_errors = page.get_by_test_id("stAlertContentError").get_by_text(
        re.compile("^must be given: confirm that no file holds a nude or semi-nude image of a child")
    )
    expect(field_errors).to_have_count(1)
    assert _evidence_rows(demo_app.database) == before_rows
    actions = [a for _, a, _ in demo_app.audit(after=before)]
    assert "evidence.add" not in actions
    assert "evidence.reject" not in actions


def test_a_refused_submit_keeps_the_files_and_what_was_typed(page, demo_app, tmp_path):
    shot = tmp_path / f"kept-{uuid.uuid4().hex[:6]}.png"
    shot.write_bytes(_unique_png())
    _to_evidence(page, demo_app.url)
    _open_upload_form(page)
    _choose_files(page, [shot])
    page.get_by_label("What it shows *", exact=True).fill("A screenshot of a post")
    page.get_by_role("button", name="Store evidence").click()
    expect(page.get_by_text("Please correct the following:")).to_be_visible(timeout=UPLOAD_WAIT)

    expect(page.get_by_label("What it shows *", exact=True)).to_have_value("A screenshot of a post", timeout=5_000)
    expect(_chip(page, shot.name)).to_have_count(1, timeout=5_000)
