"""Export page: the lead exports with a purpose and a recipient; a refused submit names the fields
and writes nothing; a reviewer sees the earlier exports but no form; nothing stays on the server."""

from __future__ import annotations

import hashlib
import zipfile
from io import BytesIO

from tests.pages.conftest import signed_in
from workbench.ui.safe import escape

PAGE = "pages/export.py"
LEAD, REVIEWER = "demo-analyst", "demo-reviewer"


def _page(db, username: str = LEAD):
    at = signed_in(db, username, page=PAGE)
    assert not at.exception, at.exception
    return at


def _submit(at, purpose: str = "", recipient: str = ""):
    at.text_area[0].input(purpose)
    at.text_input[0].input(recipient)
    next(b for b in at.button if b.label == "Export").click().run()
    assert not at.exception, at.exception
    return at


def _exports(db) -> list[tuple]:
    return db.execute("SELECT code, purpose, recipient, sha256 FROM exports ORDER BY id").fetchall()


def _files_under(home) -> set[str]:
    return {p.relative_to(home).as_posix() for pattern in ("*.zip", "*.partial") for p in home.rglob(pattern)}


def test_a_refused_export_names_the_fields_and_writes_nothing(db, home):
    at = _submit(_page(db))
    shown = " ".join(e.value for e in at.error)
    assert escape("is required") in shown
    assert "**purpose**" in shown and "**recipient**" in shown
    assert _exports(db) == []
    assert not db.execute(
        "SELECT COUNT(*) FROM audit_events WHERE action IN ('export.start', 'export.complete')"
    ).fetchone()[0]
    assert _files_under(home) == set()


def test_the_lead_exports_and_gets_the_bundle_to_download(db, home):
    at = _submit(_page(db), "Strategy discussion (synthetic)", "Kent Police (synthetic)")
    [(code, purpose, recipient, sha256)] = _exports(db)
    assert (code, purpose, recipient) == ("EXP-0001", "Strategy discussion (synthetic)", "Kent Police (synthetic)")
    assert any(s.value.startswith(escape("Exported EXP-0001: DEMO-001-")) for s in at.success)
    assert f"SHA-256 {sha256}" in [t.value for t in at.text]
    assert not at.get("download_button")  # Streamlit's would publish the bundle at an open /media/ address
    [link] = at.get("link_button")
    assert link.proto.label == "Download the bundle"
    token = link.proto.url.removeprefix("files/")
    assert "data" not in at.session_state["export_bundle"]  # the bundle is not held in memory
    # It waits in the outbox, readable by the service account only, for its one fetch
    # (tests/test_downloads.py and the browser tests fetch it for real).
    [waiting] = [p for p in _files_under(home) if p.startswith("outbox/")]
    bundle = (home / waiting).read_bytes()
    assert hashlib.sha256(bundle).hexdigest() == sha256
    with zipfile.ZipFile(BytesIO(bundle)) as opened:
        assert "SHA256SUMS" in opened.namelist()
    grant = db.execute(
        "SELECT kind, single_use FROM file_grants WHERE token_sha256 = ?", (hashlib.sha256(token.encode()).hexdigest(),)
    ).fetchone()
    assert grant == ("export.bundle", 1)
    assert any("graded C were left out" in w.value for w in at.warning)  # the demo has records graded C
    assert {p for p in _files_under(home) if not p.startswith("outbox/")} == set()


def test_a_reviewer_sees_earlier_exports_but_cannot_export(db):
    _submit(_page(db), "Strategy discussion (synthetic)", "Kent Police (synthetic)")
    at = _page(db, REVIEWER)
    assert any("Only the case lead can export" in i.value for i in at.info)
    assert not [b for b in at.button if b.label == "Export"]
    [table] = at.dataframe
    assert table.value["code"].tolist() == ["EXP-0001"]
