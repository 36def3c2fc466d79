"""Evidence: the gallery, one item (capture record, GPS banner, warnings), saved pages never shown,
purge for the lead only, "Verify stored files", and user text shown literally. Items are added
through the domain with images made in memory (tests/evidence_files.py: colours and gradients)."""

from __future__ import annotations

import hashlib
import io
import re

import pytest
from PIL import Image

from tests import evidence_files as ef
from tests.pages.conftest import button, errors, signed_in, texts
from workbench import evidence, preview, users
from workbench.evidence_store import EvidenceStore
from workbench.ui.safe import escape

PAGE = "pages/evidence.py"
CASE = "DEMO-001"
LEAD, REVIEWER = "demo-analyst", "demo-reviewer"
SENSITIVE = "Sensitive location data"
PDF = ef.pdf()
GPS_JPEG = ef.jpeg_with_exif()
PLAIN_PNG = ef.png(colour="teal")
JPEG_NAMED_PNG = ef.jpeg(seed=3)
MISMATCH = "the name ends in .png but the content is image/jpeg; it is kept as image/jpeg"
HOSTILE = "**bold** <b>x</b> [link](http://e.x) :red[red] $x^2$"
HOSTILE_NAME = "**b** <b>x [l](e.x).png"  # a "/" would be cut as a folder, so none here


def _add(db, files: list[tuple[str, bytes]], *, username: str = LEAD, **capture) -> list[evidence.IntakeResult]:
    actor = users.user_by_name(db, username)
    capture = {"shows": "Profile page of the account", "confirmed_no_indecent_image": True, **capture}
    results = evidence.add_files(db, actor, CASE, [evidence.Upload.of_bytes(n, d) for n, d in files], capture)
    assert [r.status for r in results] == [evidence.STORED] * len(files), [r.error for r in results]
    return results


def _page(db, username: str = LEAD, **params: str):
    """The Evidence page, with query parameters such as ev=EV-0001 or obs=OBS-0001."""
    at = signed_in(db, username)
    at.switch_page(PAGE)
    for name, value in params.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, at.exception
    return at


def db_home(db):
    return EvidenceStore.for_database(db).root.parent


def _case_id(db) -> int:
    return db.execute("SELECT id FROM cases WHERE reference = ?", (CASE,)).fetchone()[0]


def _field(at, name: str, which: int = 0) -> str:
    """A value from the item's field/value tables (0: capture record, 1: metadata)."""
    tables = [d.value for d in at.dataframe if list(d.value.columns) == ["field", "value"]]
    table = tables[which]
    rows = table[table["field"] == name]["value"].tolist()
    assert len(rows) == 1, f"{name!r} not in {table['field'].tolist()}"
    return rows[0]


def _images(at) -> list[str]:
    """The previews drawn: the token of each <img> the page points at the workbench's endpoint."""
    found = re.findall(r'<img src="files/([A-Za-z0-9_-]+)"', "".join(h.proto.body for h in at.get("html")))
    return found


def _grant(db, token: str) -> dict:
    digest = hashlib.sha256(token.encode()).hexdigest()
    return db.execute("SELECT kind, params FROM file_grants WHERE token_sha256 = ?", (digest,)).fetchone()


def _downloads(at) -> list:
    return [b for b in at.button if b.label == "Download the original"]


def _expander_labels(at) -> list[str]:
    return [e.label for e in at.expander]


def _markdown_like(at) -> list[str]:
    """Every element value Streamlit renders as Markdown: user text must never reach these unescaped."""
    values = []
    for kind in ("markdown", "caption", "error", "warning", "info", "success", "subheader", "title"):
        values += [str(e.value) for e in at.get(kind)]
    values += [e.label for e in at.expander]
    values += [str(link.value) for link in at.get("page_link")]
    return values


# --- the page as a whole -----------------------------------------------------------------------------


def test_an_empty_case_says_so_and_opens_the_upload_form(db):
    at = _page(db)
    assert "No evidence in this case yet." in [i.value for i in at.info]
    add = next(e for e in at.expander if e.label == "Add evidence")
    assert add.proto.expanded is True
    assert [b.label for b in at.button if b.label == "Store evidence"] == ["Store evidence"]
    assert at.get("file_uploader")
    assert not [b for b in at.button if b.label == "Verify stored files"]
    assert not at.dataframe
    assert not at.tabs


def test_the_upload_form_is_folded_away_once_the_case_holds_evidence(db):
    _add(db, [("plain.png", PLAIN_PNG)])
    at = _page(db)
    add = next(e for e in at.expander if e.label == "Add evidence")
    assert add.proto.expanded is False


def test_the_gallery_lists_each_items_code_and_name_with_previews(db):
    _add(db, [("gps.jpg", GPS_JPEG), ("x.png", JPEG_NAMED_PNG), ("page.pdf", PDF)])
    at = _page(db)
    shown = texts(at)
    for line in ("EV-0001 · gps.jpg", "EV-0002 · x.png", "EV-0003 · page.pdf"):
        assert line in shown
    assert "3 items. Previews are copies re-encoded from the pixels, without metadata." in [c.value for c in at.caption]
    # Two pictures get a preview; the saved page gets a notice instead.
    assert len(_images(at)) == 2
    assert "Saved page: not shown in the app" in [i.value for i in at.info]
    captions = [c.value for c in at.caption]
    assert captions.count(":material/location_on: Holds GPS: sensitive location data") == 1
    assert captions.count(":material/warning: 1 warning(s)") == 1
    assert {b.key for b in at.button if b.label == "Open"} == {"open_EV-0001", "open_EV-0002", "open_EV-0003"}
    table = next(d.value for d in at.dataframe if "file_name" in d.value.columns)
    assert table["code"].tolist() == ["EV-0001", "EV-0002", "EV-0003"]
    assert table["file_name"].tolist() == ["gps.jpg", "x.png", "page.pdf"]
    assert table["has_gps"].tolist() == ["GPS: sensitive location", "", ""]
    assert {_grant(db, token) for token in _images(at)} == {
        ("evidence.preview", '{"code": "EV-0001"}'),
        ("evidence.preview", '{"code": "EV-0002"}'),
    }
    # Nothing is opened until asked.
    assert not at.subheader
    assert not _downloads(at)


def test_the_preview_is_a_re_encoded_copy_without_metadata(db):
    _add(db, [("gps.jpg", GPS_JPEG)])
    at = _page(db)
    [token] = _images(at)
    assert _grant(db, token) == ("evidence.preview", '{"code": "EV-0001"}')
    # The copy is made when the browser fetches it (tests/test_downloads.py fetches it for real).
    [(_, served)] = evidence.previews(db, users.user_by_name(db, LEAD), "DEMO-001", ["EV-0001"]).items()
    store = EvidenceStore.for_database(db)
    sha = hashlib.sha256(GPS_JPEG).hexdigest()
    preview = store.preview_path(_case_id(db), sha).read_bytes()
    assert preview == served
    assert preview != GPS_JPEG
    with Image.open(io.BytesIO(preview)) as image:
        assert image.format == "JPEG"
        assert not image.getexif()
        assert image.size == (64, 48)
    assert len(_images(at)) == 1


# --- one item ------------------------------------------------------------------------------------------


def test_an_image_too_large_to_preview_says_so_where_the_preview_would_be(db, monkeypatch):
    _add(db, [("wide.png", ef.png((2000, 1500), colour="teal"))])
    monkeypatch.setattr(preview, "DECODE_BUDGET", 30_000_000)  # as an 80-megapixel PNG meets the real one
    at = _page(db, ev="EV-0001")
    assert [s.value for s in at.subheader] == ["EV-0001 · Image"]
    assert (
        "This image is too large to preview safely (3.0 megapixels, 2,000 × 1,500). Download the original to "
        "view it: it is stored and verified as received."
    ) in [i.value for i in at.info]
    # The item draws no picture; only the gallery's link is there, and the endpoint refuses to decode it.
    assert len(_images(at)) == 1
    assert [d.key for d in _downloads(at)] == ["download_EV-0001"]


def test_opening_an_item_shows_its_capture_record_and_the_gps_banner(db):
    (result,) = _add(
        db,
        [("gps.jpg", GPS_JPEG)],
        observation="OBS-0001",
        source_url="https://example.org/profile",
        relevance="Shows the stated location",
        viewing_account="org-overt-account",
    )
    at = _page(db)
    at.button(key="open_EV-0001").click().run()
    assert not at.exception
    assert at.query_params["ev"] == "EV-0001"
    assert [s.value for s in at.subheader] == ["EV-0001 · Image"]
    assert SENSITIVE in errors(at)
    assert _field(at, "Code") == "EV-0001"
    assert _field(at, "File name") == "gps.jpg"
    assert _field(at, "SHA-256") == hashlib.sha256(GPS_JPEG).hexdigest() == result.sha256
    assert _field(at, "Size") == f"{len(GPS_JPEG):,} bytes"
    assert _field(at, "Type") == "image/jpeg"
    assert _field(at, "Observation") == "OBS-0001"
    assert _field(at, "Source URL") == "https://example.org/profile"
    assert _field(at, "What it shows") == "Profile page of the account"
    assert _field(at, "Why it is relevant") == "Shows the stated location"
    assert _field(at, "Account used to view it") == "org-overt-account"
    assert _field(at, "Received by") == LEAD
    assert _field(at, "Last verified") == "never"
    assert _field(at, "GPS latitude (sensitive location)", 1) == "51.5"
    assert _field(at, "GPS longitude (sensitive location)", 1) == "-0.125"
    assert _field(at, "Camera make", 1) == "TestCam"
    assert _field(at, "Width × height", 1) == "64 × 48"
    raw = len(result.metadata["raw"])
    assert raw > 0
    assert f"Every EXIF tag ({raw})" in _expander_labels(at)
    assert [d.key for d in _downloads(at)] == ["download_EV-0001"]
    assert "Open observation OBS-0001" in [link.value for link in at.get("page_link")]
    # The gallery's preview and the item's, captioned.
    assert len(_images(at)) == 2
    assert "A copy re-encoded from the pixels, without metadata. The original is unchanged." in [
        c.value for c in at.caption
    ]
    viewed = db.execute(
        "SELECT COUNT(*) FROM audit_events WHERE action = 'evidence.view' AND item_code = 'EV-0001'"
    ).fetchone()[0]
    assert viewed >= 1


def test_an_item_without_gps_shows_no_banner_but_its_warnings(db):
    _add(db, [("gps.jpg", GPS_JPEG), ("x.png", JPEG_NAMED_PNG)])
    at = _page(db, ev="EV-0002")
    assert [s.value for s in at.subheader] == ["EV-0002 · Image"]
    assert SENSITIVE not in errors(at)
    assert "Received with warnings:" in [w.value for w in at.warning]
    assert f"- {MISMATCH}" in texts(at)
    assert _field(at, "Type") == "image/jpeg"
    assert _field(at, "GPS latitude (sensitive location)", 1) == ""
    assert "Every EXIF tag (0)" in _expander_labels(at)


def test_an_item_with_gps_and_no_warnings_shows_no_warning_block(db):
    _add(db, [("gps.jpg", GPS_JPEG)])
    at = _page(db, ev="EV-0001")
    assert SENSITIVE in errors(at)
    assert "Received with warnings:" not in [w.value for w in at.warning]


def test_the_open_item_box_opens_an_item_too(db):
    _add(db, [("gps.jpg", GPS_JPEG), ("plain.png", PLAIN_PNG)])
    at = _page(db)
    box = next(s for s in at.selectbox if s.label == "Open item")
    assert box.value is None
    box.set_value("EV-0002").run()
    assert not at.exception
    assert [s.value for s in at.subheader] == ["EV-0002 · Image"]
    assert _field(at, "File name") == "plain.png"
    assert SENSITIVE not in errors(at)


def test_an_unknown_item_code_in_the_url_opens_nothing(db):
    _add(db, [("plain.png", PLAIN_PNG)])
    at = _page(db, ev="EV-0099")
    assert not at.exception
    assert not at.subheader
    assert not _downloads(at)
    assert next(s for s in at.selectbox if s.label == "Open item").value is None


def test_a_saved_page_is_never_shown(db):
    _add(db, [("page.pdf", PDF)])
    at = _page(db, ev="EV-0001")
    assert [s.value for s in at.subheader] == ["EV-0001 · Saved page"]
    info = [i.value for i in at.info]
    assert any(v.startswith("Saved pages are never opened inside the workbench.") for v in info)
    assert "Saved page: not shown in the app" in info
    assert not _images(at)
    assert "Saved pages are not opened, so no metadata is read from them." in texts(at)
    assert _field(at, "Type") == "application/pdf"
    assert not [e for e in _expander_labels(at) if e.startswith("Every EXIF tag")]
    assert [d.label for d in _downloads(at)] == ["Download the original"]
    store = EvidenceStore.for_database(db)
    assert not store.preview_path(_case_id(db), hashlib.sha256(PDF).hexdigest()).exists()


def test_a_duplicate_names_the_earlier_item(db):
    _add(db, [("first.png", PLAIN_PNG)])
    results = evidence.add_files(
        db,
        users.user_by_name(db, LEAD),
        CASE,
        [evidence.Upload.of_bytes("again.png", PLAIN_PNG)],
        {"shows": "Same again", "confirmed_no_indecent_image": True},
    )
    assert results[0].status == evidence.DUPLICATE
    at = _page(db, ev="EV-0002")
    assert _field(at, "Duplicate of") == "EV-0001"
    assert _field(at, "File name") == "again.png"


# --- purge -------------------------------------------------------------------------------------------


def test_a_purged_item_shows_the_reason_and_offers_no_download(db):
    _add(db, [("gps.jpg", GPS_JPEG), ("plain.png", PLAIN_PNG)])
    evidence.purge(db, users.user_by_name(db, LEAD), CASE, "EV-0001", "Held in error: not about this child")
    at = _page(db, ev="EV-0001")
    assert [s.value for s in at.subheader] == ["EV-0001 · Image"]
    purged = [w.value for w in at.warning if w.value.startswith("Purged")]
    assert len(purged) == 1
    assert "demo\\-analyst" in purged[0]
    assert "Held in error: not about this child" in texts(at)
    assert not _downloads(at)
    assert "Purge" not in _expander_labels(at)
    # Only the other item's gallery preview: the purged one has no picture left.
    assert len(_images(at)) == 1
    # The record stays: its SHA-256 is still shown.
    assert _field(at, "SHA-256") == hashlib.sha256(GPS_JPEG).hexdigest()


def test_purged_items_are_hidden_from_the_gallery_until_asked_for(db):
    _add(db, [("gps.jpg", GPS_JPEG), ("plain.png", PLAIN_PNG)])
    evidence.purge(db, users.user_by_name(db, LEAD), CASE, "EV-0001", "Not needed")
    at = _page(db)
    assert "EV-0001 · gps.jpg" not in texts(at)
    assert "EV-0002 · plain.png" in texts(at)
    assert "1 items. Previews are copies re-encoded from the pixels, without metadata." in [c.value for c in at.caption]
    next(t for t in at.toggle if t.label == "Show purged items").set_value(True).run()
    assert "EV-0001 · gps.jpg" in texts(at)
    assert "Purged" in [i.value for i in at.info]
    assert len(_images(at)) == 1


def test_the_lead_purges_an_item_through_the_form(db):
    _add(db, [("gps.jpg", GPS_JPEG)])
    at = _page(db, ev="EV-0001")
    evidence.previews(db, users.user_by_name(db, LEAD), "DEMO-001", ["EV-0001"])  # the purge must take it too
    store = EvidenceStore.for_database(db)
    sha = hashlib.sha256(GPS_JPEG).hexdigest()
    original, preview = store.original_path(_case_id(db), sha), store.preview_path(_case_id(db), sha)
    assert original.exists() and preview.exists()
    assert "Purge" in _expander_labels(at)
    next(t for t in at.text_input if t.label == "Reason for purging *").input("Uploaded to the wrong case")
    next(c for c in at.checkbox if c.label == "I understand the file cannot be recovered").check()
    button(at, "Purge the file").click().run()
    assert not at.exception
    assert "Purged EV\\-0001\\." in [s.value for s in at.success]
    assert not original.exists()
    assert not preview.exists()
    row = db.execute(
        """SELECT p.reason, u.username FROM evidence_purges p JOIN evidence e ON e.id = p.evidence_id
           JOIN users u ON u.id = p.purged_by WHERE e.code = 'EV-0001'"""
    ).fetchone()
    assert row == ("Uploaded to the wrong case", LEAD)
    assert not _downloads(at)
    assert "Uploaded to the wrong case" in texts(at)


def test_purge_without_the_tick_is_refused_and_keeps_the_file(db):
    _add(db, [("gps.jpg", GPS_JPEG)])
    at = _page(db, ev="EV-0001")
    next(t for t in at.text_input if t.label == "Reason for purging *").input("Not needed")
    button(at, "Purge the file").click().run()
    assert "Tick the box to confirm: a purged file cannot be recovered." in errors(at)
    assert not db.execute("SELECT COUNT(*) FROM evidence_purges").fetchone()[0]
    store = EvidenceStore.for_database(db)
    assert store.exists(_case_id(db), hashlib.sha256(GPS_JPEG).hexdigest())


def test_purge_without_a_reason_is_refused_and_keeps_the_file(db):
    _add(db, [("gps.jpg", GPS_JPEG)])
    at = _page(db, ev="EV-0001")
    next(c for c in at.checkbox if c.label == "I understand the file cannot be recovered").check()
    button(at, "Purge the file").click().run()
    assert not at.exception
    assert "reason" in errors(at)
    assert not db.execute("SELECT COUNT(*) FROM evidence_purges").fetchone()[0]
    assert EvidenceStore.for_database(db).exists(_case_id(db), hashlib.sha256(GPS_JPEG).hexdigest())


def test_purging_takes_the_duplicates_holding_the_same_bytes(db):
    _add(db, [("first.png", PLAIN_PNG)])
    evidence.add_files(
        db,
        users.user_by_name(db, LEAD),
        CASE,
        [evidence.Upload.of_bytes("again.png", PLAIN_PNG)],
        {"shows": "Same again", "confirmed_no_indecent_image": True},
    )
    at = _page(db, ev="EV-0002")
    next(t for t in at.text_input if t.label == "Reason for purging *").input("Not about this child")
    next(c for c in at.checkbox if c.label == "I understand the file cannot be recovered").check()
    button(at, "Purge the file").click().run()
    assert [s.value for s in at.success] == [escape("Purged EV-0001, EV-0002.")]
    purged = [r[0] for r in db.execute("SELECT e.code FROM evidence_purges p JOIN evidence e ON e.id = p.evidence_id")]
    assert sorted(purged) == ["EV-0001", "EV-0002"]
    assert not EvidenceStore.for_database(db).exists(_case_id(db), hashlib.sha256(PLAIN_PNG).hexdigest())


# --- who sees what -------------------------------------------------------------------------------------


def test_the_reviewer_may_look_but_not_add_purge_or_verify(db):
    _add(db, [("gps.jpg", GPS_JPEG)])
    at = _page(db, REVIEWER, ev="EV-0001")
    assert [s.value for s in at.subheader] == ["EV-0001 · Image"]
    assert "Add evidence" not in _expander_labels(at)
    assert "Purge" not in _expander_labels(at)
    assert not at.get("file_uploader")
    assert not [b for b in at.button if b.label in ("Verify stored files", "Store evidence", "Purge the file")]
    assert not _downloads(at)  # a reviewer reads on screen; copies leave with analysts and leads
    assert len(_images(at)) == 2
    assert SENSITIVE in errors(at)


def test_the_reviewer_gets_no_upload_form_in_an_empty_case(db):
    at = _page(db, REVIEWER)
    assert "No evidence in this case yet." in [i.value for i in at.info]
    assert "Add evidence" not in _expander_labels(at)
    assert not at.get("file_uploader")


def test_the_lead_sees_add_purge_and_verify(db):
    _add(db, [("gps.jpg", GPS_JPEG)])
    at = _page(db, ev="EV-0001")
    labels = _expander_labels(at)
    assert "Add evidence" in labels
    assert "Purge" in labels
    assert [b.label for b in at.button if b.label == "Verify stored files"] == ["Verify stored files"]


def test_a_non_member_finds_no_such_case(db, outsider):
    _add(db, [("gps.jpg", GPS_JPEG)])
    at = _page(db, outsider, ev="EV-0001")
    assert "Case DEMO\\-001 not found" in errors(at)
    assert "gps.jpg" not in texts(at)
    assert not _images(at)
    assert not _downloads(at)
    assert not at.get("file_uploader")
    assert not at.dataframe


# --- verify ----------------------------------------------------------------------------------------------


def test_verify_stored_files_says_how_many_are_intact(db):
    _add(db, [("gps.jpg", GPS_JPEG), ("plain.png", PLAIN_PNG), ("page.pdf", PDF)])
    at = _page(db)
    button(at, "Verify stored files").click().run()
    assert not at.exception
    assert "3 items intact\\." in [s.value for s in at.success]
    assert db.execute("SELECT COUNT(*) FROM evidence_checks WHERE result = 'intact'").fetchone()[0] == 3
    at.query_params["ev"] = "EV-0002"
    at.run()
    assert _field(at, "Last verified").endswith("(intact)")


def test_verify_names_an_altered_file(db):
    _add(db, [("gps.jpg", GPS_JPEG), ("plain.png", PLAIN_PNG)])
    stored = EvidenceStore.for_database(db).original_path(_case_id(db), hashlib.sha256(PLAIN_PNG).hexdigest())
    stored.chmod(0o644)
    stored.write_bytes(PLAIN_PNG + b"tampered")
    at = _page(db)
    button(at, "Verify stored files").click().run()
    assert not at.exception
    assert "1 of 2 items failed the check:" in errors(at)
    changed = hashlib.sha256(PLAIN_PNG + b"tampered").hexdigest()
    assert f"DEMO-001 EV-0002: altered: the stored file now hashes to {changed}" in texts(at)
    assert not at.success


# --- user text stays text ------------------------------------------------------------------------------


def test_markup_in_a_file_name_and_what_it_shows_stays_literal(db):
    _add(db, [(HOSTILE_NAME, PLAIN_PNG)], shows=HOSTILE, relevance=HOSTILE)
    at = _page(db, ev="EV-0001")
    assert f"EV-0001 · {HOSTILE_NAME}" in texts(at)
    assert HOSTILE_NAME in [t.value for t in at.text]
    assert _field(at, "File name") == HOSTILE_NAME
    assert _field(at, "What it shows") == HOSTILE
    assert _field(at, "Why it is relevant") == HOSTILE
    for value in _markdown_like(at):
        for fragment in ("**b**", "<b>", "[l](", "[link](", ":red[", "$x^2$"):
            assert fragment not in value, f"user text reached Markdown: {value!r}"


# --- the observation's side ---------------------------------------------------------------------------


def _observation(db, username: str, code: str):
    at = signed_in(db, username)
    at.switch_page("pages/observations.py")
    at.query_params["obs"] = code
    at.run()
    assert not at.exception
    return at


def test_the_observation_lists_its_linked_evidence(db):
    _add(db, [("gps.jpg", GPS_JPEG)], observation="OBS-0001")
    _add(db, [("plain.png", PLAIN_PNG)], observation="OBS-0002")
    at = _observation(db, LEAD, "OBS-0001")
    links = {link.value: link.proto for link in at.get("page_link")}
    evidence_links = [label for label in links if label.startswith("EV-")]
    assert evidence_links == ["EV-0001 · gps\\.jpg"]
    assert links[evidence_links[0]].page.endswith("evidence")
    assert "ev=EV-0001" in links[evidence_links[0]].query_string
    attach = links["Attach evidence to OBS-0001"]
    assert "obs=OBS-0001" in attach.query_string
    assert "No files attached." not in texts(at)


def test_markup_in_a_linked_file_name_stays_literal_on_the_observation(db):
    _add(db, [(HOSTILE_NAME, PLAIN_PNG)], observation="OBS-0001")
    at = _observation(db, LEAD, "OBS-0001")
    labels = [link.value for link in at.get("page_link")]
    assert f"EV-0001 · {escape(HOSTILE_NAME)}" in labels
    assert not [label for label in labels if "<b>" in label or "**b**" in label or "[l](" in label]


def test_the_observation_marks_purged_evidence(db):
    _add(db, [("gps.jpg", GPS_JPEG)], observation="OBS-0001")
    evidence.purge(db, users.user_by_name(db, LEAD), CASE, "EV-0001", "Not needed")
    at = _observation(db, REVIEWER, "OBS-0001")
    labels = [link.value for link in at.get("page_link")]
    assert "EV-0001 · gps\\.jpg (purged)" in labels
    # A reviewer cannot add files, so is not offered the link.
    assert "Attach evidence to OBS-0001" not in labels


def test_an_observation_without_files_says_so(db):
    at = _observation(db, LEAD, "OBS-0003")
    assert "No files attached." in texts(at)
    assert not [link for link in at.get("page_link") if str(link.value).startswith("EV-")]


def test_an_image_sharing_incident_offers_no_attach_link(db):
    code = db.execute(
        """SELECT o.code FROM observations o JOIN observation_versions v ON v.observation_id = o.id
           WHERE v.kind = 'image_sharing_incident' ORDER BY o.id LIMIT 1"""
    ).fetchone()[0]
    at = _observation(db, LEAD, code)
    assert f"Attach evidence to {code}" not in [link.value for link in at.get("page_link")]


def test_attach_evidence_opens_the_form_with_the_observation_chosen(db):
    _add(db, [("plain.png", PLAIN_PNG)])
    at = _page(db, obs="OBS-0001")
    add = next(e for e in at.expander if e.label == "Add evidence")
    assert add.proto.expanded is True
    box = next(s for s in at.selectbox if s.label == "Observation it belongs to")
    assert box.value == "OBS-0001"
    # Image-sharing incidents take no files, so they are not offered.
    incidents = {
        r[0]
        for r in db.execute(
            """SELECT o.code FROM observations o JOIN observation_versions v ON v.observation_id = o.id
               WHERE v.kind = 'image_sharing_incident'"""
        )
    }
    assert incidents
    offered = {option.split(" · ")[0] for option in box.options}
    assert "OBS-0001" in offered
    assert not incidents & offered


# --- the upload form, as far as AppTest reaches --------------------------------------------------------


def _form(at):
    return {
        "shows": next(t for t in at.text_area if t.label == "What it shows *"),
        "confirm": next(c for c in at.checkbox if c.label.startswith("I confirm these files hold no")),
        "files": at.get("file_uploader")[0],
    }


def test_storing_without_the_confirmation_stores_nothing_and_says_why(db):
    at = _page(db)
    form = _form(at)
    form["files"].set_value([("plain.png", PLAIN_PNG, "image/png")])
    form["shows"].input("A screenshot")
    button(at, "Store evidence").click().run()
    assert not at.exception
    # Under the tick box, and in the summary at the top of the form.
    assert escape(evidence.NOT_CONFIRMED) in [e.value for e in at.error]
    assert "Please correct the following:" in errors(at)
    assert not db.execute("SELECT COUNT(*) FROM evidence").fetchone()[0]
    assert not list((db_home(db) / "evidence").glob("case-*/originals/*"))


def test_storing_without_files_or_description_names_both(db):
    at = _page(db)
    _form(at)["confirm"].check()
    button(at, "Store evidence").click().run()
    assert not at.exception
    shown = errors(at)
    assert "choose or drop at least one file" in shown
    assert "say what the files show" in shown
    assert not db.execute("SELECT COUNT(*) FROM evidence").fetchone()[0]


def test_a_refused_submit_names_every_problem_at_once(db):
    at = _page(db)
    form = _form(at)
    form["files"].set_value([("plain.png", PLAIN_PNG, "image/png")])
    next(t for t in at.text_input if t.label == "Source URL").input("not a url")
    button(at, "Store evidence").click().run()
    shown = errors(at)
    assert "say what the files show" in shown
    assert "confirm that no file holds a nude or semi" in shown
    assert "Source URL" in shown  # named by its label, not its field name


def test_the_form_stores_several_files_and_reports_each(db):
    at = _page(db)
    form = _form(at)
    form["files"].set_value(
        [
            ("gps.jpg", GPS_JPEG, "image/jpeg"),
            ("plain.png", PLAIN_PNG, "image/png"),
            ("fake.jpg", ef.TEXT, "image/jpeg"),
        ]
    )
    form["shows"].input("Profile and posts")
    form["confirm"].check()
    button(at, "Store evidence").click().run()
    assert not at.exception
    assert "2 of 3 files stored. 1 rejected: nothing of them was kept." in [e.value for e in at.error]
    results = next(d.value for d in at.dataframe if "Result" in d.value.columns)
    assert results["File"].tolist() == ["gps.jpg", "plain.png", "fake.jpg"]
    assert results["Result"].tolist() == ["stored", "stored", "rejected"]
    assert results["Code"].tolist() == ["EV-0001", "EV-0002", ""]
    assert "not a file the workbench takes" in results["Why rejected, or warnings"].iloc[2]
    rows = db.execute("SELECT code, file_name, sha256, shows FROM evidence ORDER BY id").fetchall()
    assert rows == [
        ("EV-0001", "gps.jpg", hashlib.sha256(GPS_JPEG).hexdigest(), "Profile and posts"),
        ("EV-0002", "plain.png", hashlib.sha256(PLAIN_PNG).hexdigest(), "Profile and posts"),
    ]
    # The results are shown once; the next run shows the gallery only.
    at.run()
    assert not [d for d in at.dataframe if "Result" in d.value.columns]
    assert "EV-0002 · plain.png" in texts(at)


@pytest.mark.parametrize("username", [LEAD, REVIEWER])
def test_each_listing_is_audited(db, username):
    _add(db, [("plain.png", PLAIN_PNG)])
    before = db.execute("SELECT COALESCE(MAX(seq), 0) FROM audit_events").fetchone()[0]
    _page(db, username)
    actions = [
        r[0] for r in db.execute("SELECT action FROM audit_events WHERE seq > ? AND username = ?", (before, username))
    ]
    assert "evidence.list" in actions
    # Previews and originals are audited when the browser fetches them (tests/test_downloads.py),
    # not when the page draws a link to them.
    assert "evidence.preview" not in actions
    assert "evidence.download" not in actions
