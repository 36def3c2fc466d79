"""Retention (administrators): closed cases due for review, one case's dates and size, keeping it
longer, deleting it after typing its reference again, the tombstones; and on the case overview the
lead closes and reopens their case with a reason."""

from __future__ import annotations

from tests.pages.conftest import button, errors, signed_in, texts
from workbench import access, retention
from workbench.ui.safe import escape

PAGE = "pages/retention.py"
OVERVIEW = "pages/case_overview.py"
CASE = "DEMO-001"


def _title(db) -> str:
    return db.execute("SELECT title FROM cases WHERE reference = ?", (CASE,)).fetchone()[0]


def _successes(at) -> str:
    return "\n".join(s.value for s in at.success)


def _frames(at) -> list:
    return [d.value for d in at.dataframe]


def _open_case_review(db):
    retention.close_case(db, access.SYSTEM, CASE, "Plan ended at the review conference")
    at = signed_in(db, "demo-admin", case=None, page=PAGE)
    at.toggle[0].set_value(True).run()
    next(s for s in at.selectbox if s.label == "Case to review").set_value(CASE).run()
    return at


def _field(at, label: str):
    return next(w for w in [*at.text_input, *at.text_area] if w.label == label)


def test_nothing_due_and_nothing_deleted(db):
    at = signed_in(db, "demo-admin", case=None, page=PAGE)
    assert not at.exception
    assert not errors(at)
    assert "No closed case is due for review." in [i.value for i in at.info]
    assert "None yet." in texts(at)


def test_a_closed_case_is_listed_without_its_title_and_reviewed(db):
    at = _open_case_review(db)
    assert not at.exception
    due = next(f for f in _frames(at) if "review_by" in f.columns)
    assert due["reference"].tolist() == [CASE] and due["lead"].tolist() == ["demo-analyst"]
    shown = texts(at)
    assert f"{CASE} · closed" in shown and "Level of need:" in shown and "Evidence files:" in shown
    holds = next(f for f in _frames(at) if "rows" in f.columns)
    assert dict(zip(holds["table"], holds["rows"], strict=True))["cases"] == 1
    everything = shown + "".join(f.to_csv() for f in _frames(at))
    assert _title(db) not in everything


def test_deleting_needs_the_reason_and_the_reference_typed_again(db):
    at = _open_case_review(db)
    _field(at, "Why it is deleted *").input("Retention period over")
    _field(at, "Type the case reference to confirm *").input("DEMO-002")
    at = button(at, "Delete this case for good").click().run()
    assert not at.exception
    assert escape("type the case reference, DEMO-001, to confirm") in errors(at)
    assert db.execute("SELECT COUNT(*) FROM cases WHERE reference = ?", (CASE,)).fetchone()[0] == 1


def test_deleting_a_case_leaves_its_tombstone(db):
    at = _open_case_review(db)
    _field(at, "Why it is deleted *").input("Retention period over **now**")
    _field(at, "Type the case reference to confirm *").input(CASE.lower())
    at = button(at, "Delete this case for good").click().run()
    assert not at.exception
    assert not errors(at)
    assert escape("DEMO-001 is deleted:") in _successes(at)
    assert db.execute("SELECT COUNT(*) FROM cases WHERE reference = ?", (CASE,)).fetchone()[0] == 0
    stones = next(f for f in _frames(at) if "deleted_by" in f.columns)
    assert stones[["reference", "deleted_by", "reason"]].values.tolist() == [
        [CASE, "demo-admin", "Retention period over **now**"]
    ]


def test_keeping_a_case_longer_needs_a_later_date(db):
    at = _open_case_review(db)
    _field(at, "Why keep it longer *").input("Complaint under investigation")
    at = button(at, "Keep it longer").click().run()
    assert not at.exception
    assert escape("is required, as YYYY-MM-DD") in errors(at)
    assert db.execute("SELECT COUNT(*) FROM case_retention WHERE event = 'extend'").fetchone()[0] == 0


def test_the_lead_closes_and_reopens_on_the_overview(db):
    at = signed_in(db, "demo-analyst", page=OVERVIEW)
    assert not at.exception
    at = button(at, "Close the case").click().run()
    assert "is required" in errors(at)
    assert db.execute("SELECT status FROM cases WHERE reference = ?", (CASE,)).fetchone()[0] == "open"
    _field(at, "Why close it *").input("Plan ended [see](http://example.org)")
    at = button(at, "Close the case").click().run()
    assert not at.exception
    assert not errors(at)
    assert escape("DEMO-001 is closed; review by") in _successes(at)
    assert "Closed " in texts(at) and "review by" in texts(at)
    history = next(f for f in _frames(at) if "recorded_by" in f.columns)
    assert history["reason"].tolist() == ["Plan ended [see](http://example.org)"]
    _field(at, "Why reopen it *").input("New referral from school")
    at = button(at, "Reopen the case").click().run()
    assert not errors(at)
    assert db.execute("SELECT status FROM cases WHERE reference = ?", (CASE,)).fetchone()[0] == "open"


def test_a_reviewer_sees_the_status_but_no_close_form(db):
    retention.close_case(db, access.SYSTEM, CASE, "Plan ended")
    at = signed_in(db, "demo-reviewer", page=OVERVIEW)
    assert not at.exception
    assert "Closed " in texts(at)
    assert not [b for b in at.button if b.label in ("Close the case", "Reopen the case")]
