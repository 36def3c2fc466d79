"""Opening cases (issue 24, point 4): the workbench gives the reference, the partnership's own
case-management number is a field of its own, and a refused name reads the same whatever the reason."""

from __future__ import annotations

import sqlite3

import pytest

from workbench import cases, retention, users
from workbench.access import SYSTEM
from workbench.errors import PermissionDenied, ValidationError
from workbench.timeutil import london_day, now_utc

YEAR = london_day(now_utc()).year


def _events(db, action: str) -> list[dict]:
    return list(db.query("SELECT * FROM audit_events WHERE action = ? ORDER BY seq", (action,)))


def _last_number(db, year: int = YEAR) -> int | None:
    row = db.execute("SELECT last FROM case_reference_numbers WHERE year = ?", (year,)).fetchone()
    return row[0] if row else None


# --- the reference is the workbench's --------------------------------------------------------------


def test_an_analyst_opens_a_case_under_the_next_reference_of_the_year(db, analyst2):
    first = cases.open_case(db, analyst2, "Early help review", external_ref="EH-2026-0142")
    second = cases.open_case(db, analyst2, "Another review")
    assert (first.reference, second.reference) == (f"C-{YEAR}-0001", f"C-{YEAR}-0002")
    assert first.member_role == "lead"
    row = db.execute(
        "SELECT external_ref, title, created_by FROM cases WHERE reference = ?", (first.reference,)
    ).fetchone()
    assert row == ("EH-2026-0142", "Early help review", analyst2.id)
    assert db.execute("SELECT external_ref FROM cases WHERE reference = ?", (second.reference,)).fetchone() == ("",)


def test_opening_is_audited_under_the_reference_given(db, analyst2):
    opened = cases.open_case(db, analyst2, "Early help review")
    (event,) = [e for e in _events(db, "case.create") if e["case_ref"] == opened.reference]
    assert event["username"] == "analyst2"


def test_an_opening_whose_event_cannot_be_written_leaves_nothing(db, analyst2, counts, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the log is unwritable")

    before = counts()
    monkeypatch.setattr(cases.audit, "record", broken)
    with pytest.raises(RuntimeError):
        cases.open_case(db, analyst2, "Early help review")
    assert counts() == before
    assert _last_number(db) is None


def test_a_case_management_number_another_case_carries_is_no_refusal(db, analyst, analyst2):
    """Another team's number, or another case's reference, typed as the case-management number:
    the case opens all the same, so nothing is learnt about the other case."""
    cases.open_case(db, analyst, "Ours", external_ref="EH-2026-0142")
    theirs = cases.open_case(db, analyst2, "Theirs", external_ref="EH-2026-0142")
    also = cases.open_case(db, analyst2, "Also", external_ref="CASE-1")
    assert theirs.reference != also.reference
    assert "CASE-1" not in (theirs.reference, also.reference)
    shared = db.execute("SELECT COUNT(*) FROM cases WHERE external_ref = 'EH-2026-0142'").fetchone()[0]
    assert shared == 2


def test_no_user_may_name_the_reference(db, analyst2, counts):
    before = counts()
    with pytest.raises(PermissionDenied):
        cases.create_case(db, analyst2, "CASE-2", "Named by a user", lead="analyst2")
    assert counts() == before


def test_the_operators_own_path_still_names_a_reference(db):
    """The demo (DEMO-001), the fixtures and the benchmarks: `access.SYSTEM` only."""
    opened = cases.create_case(db, SYSTEM, "DEMO-002", "Named by the operator", lead="analyst", external_ref="X-1")
    assert opened.reference == "DEMO-002"
    assert _last_number(db) is None  # the year's numbering is untouched


def test_a_deleted_cases_reference_is_never_given_again(db, admin, analyst):
    gone = cases.open_case(db, analyst, "To be deleted")
    retention.close_case(db, analyst, gone.reference, "done")
    retention.delete_case(db, admin, gone.reference, "over", confirm=gone.reference)
    assert db.execute("SELECT COUNT(*) FROM case_tombstones WHERE reference = ?", (gone.reference,)).fetchone()[0]
    after = cases.open_case(db, analyst, "After the deletion")
    assert (gone.reference, after.reference) == (f"C-{YEAR}-0001", f"C-{YEAR}-0002")


def test_the_numbering_passes_over_a_reference_already_held(db, admin, analyst):
    """A reference in the assigned form the operator gave, or a tombstone of one: passed over, not refused."""
    cases.create_case(db, SYSTEM, f"C-{YEAR}-0001", "Named like an assigned one", lead="analyst")
    held = cases.create_case(db, SYSTEM, f"c-{YEAR}-0002", "Lower case, the same reference", lead="analyst")
    retention.close_case(db, analyst, held.reference, "done")
    retention.delete_case(db, admin, held.reference, "over", confirm=held.reference)
    assert cases.open_case(db, analyst, "Numbered").reference == f"C-{YEAR}-0003"
    assert _last_number(db) == 3


def test_the_numbering_starts_again_each_year_in_london(db, analyst, monkeypatch):
    monkeypatch.setattr(cases, "now_utc", lambda: "2031-12-31T23:59:00Z")
    assert cases.open_case(db, analyst, "Old year").reference == "C-2031-0001"
    monkeypatch.setattr(cases, "now_utc", lambda: "2032-01-01T00:00:30Z")
    assert cases.open_case(db, analyst, "New year").reference == "C-2032-0001"
    monkeypatch.setattr(cases, "now_utc", lambda: "2032-06-30T23:30:00Z")  # BST: 1 July in London
    assert cases.open_case(db, analyst, "Summer").reference == "C-2032-0002"


def test_the_numbers_only_go_up_and_are_never_taken_back(db, analyst):
    cases.open_case(db, analyst, "Numbered")
    with pytest.raises(sqlite3.IntegrityError, match="only go up"):
        db.execute("UPDATE case_reference_numbers SET last = 0 WHERE year = ?", (YEAR,))
    with pytest.raises(sqlite3.IntegrityError, match="never taken back"):
        db.execute("DELETE FROM case_reference_numbers")
    assert _last_number(db) == 1


def test_a_refused_opening_takes_no_number(db, analyst):
    with pytest.raises(ValidationError):
        cases.open_case(db, analyst, "")
    assert _last_number(db) is None
    assert cases.open_case(db, analyst, "Numbered").reference == f"C-{YEAR}-0001"


# --- the case-management number ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "reason"),
    [("x" * 61, "must be at most 60 characters (it has 61)"), ("EH-1\nEH-2", "must be one line")],
)
def test_a_bad_case_management_number_is_refused_by_field(db, analyst, counts, given, reason):
    before = counts()
    with pytest.raises(ValidationError) as raised:
        cases.open_case(db, analyst, "A case", external_ref=given)
    assert set(raised.value.errors) == {"external_ref"}
    assert raised.value.errors["external_ref"].startswith(reason)
    assert counts() == before


def test_the_case_management_number_is_trimmed_and_shown_where_the_reference_is(db, analyst):
    opened = cases.open_case(db, analyst, "A case", external_ref="  EH-2026-0142  ")
    assert cases.overview(db, analyst, opened.reference).external_ref == "EH-2026-0142"
    listed = cases.list_cases(db, analyst).set_index("reference")["external_ref"].to_dict()
    assert listed == {opened.reference: "EH-2026-0142", "CASE-1": ""}


def test_administrators_list_of_cases_leaves_the_case_management_number_out(db, admin, analyst):
    cases.open_case(db, analyst, "A case", external_ref="EH-2026-0142")
    assert "external_ref" not in cases.managed_cases(db, admin).columns


# --- one answer for every refused name -------------------------------------------------------------


def _refused_lead(db, actor, lead: str) -> dict[str, str]:
    with pytest.raises(ValidationError) as raised:
        cases.open_case(db, actor, "A case", lead=lead)
    return raised.value.errors


def test_every_lead_refused_reads_the_same(db, admin, analyst, counts):
    users.set_active(db, admin, "analyst2", False)
    before = counts()
    refusals = {
        "no such account": _refused_lead(db, analyst, "nobody-by-this-name"),
        "deactivated": _refused_lead(db, analyst, "analyst2"),
        "a reviewer's": _refused_lead(db, analyst, "reviewer"),
    }
    assert refusals == dict.fromkeys(refusals, {"lead": cases.LEAD_REFUSED})
    assert cases.LEAD_REFUSED == "no analyst or administrator account by that name can lead"
    assert counts() == before
    assert _last_number(db) is None


def test_an_administrator_may_lead(db, analyst):
    assert cases.open_case(db, analyst, "A case", lead="admin").reference == f"C-{YEAR}-0001"


def test_a_lead_refused_with_other_fields_names_them_all(db, analyst):
    with pytest.raises(ValidationError) as raised:
        cases.open_case(db, analyst, "", external_ref="x" * 61, lead="reviewer")
    assert set(raised.value.errors) == {"title", "external_ref", "lead"}
    assert raised.value.errors["lead"] == cases.LEAD_REFUSED


def test_every_name_refused_as_a_cases_lead_reads_the_same(db, admin, analyst, counts):
    users.set_active(db, admin, "analyst2", False)
    before = counts()
    refusals = []
    for username in ("nobody-by-this-name", "analyst2", "reviewer"):
        with pytest.raises(ValidationError) as raised:
            cases.add_member(db, analyst, "CASE-1", username, "lead")
        refusals.append(raised.value.errors)
    assert refusals == [{"username": cases.LEAD_REFUSED}] * 3
    assert counts() == before


def test_every_name_refused_as_a_member_reads_the_same(db, admin, analyst, counts):
    users.set_active(db, admin, "analyst2", False)
    before = counts()
    refusals = []
    for username in ("nobody-by-this-name", "analyst2"):
        with pytest.raises(ValidationError) as raised:
            cases.add_member(db, analyst, "CASE-1", username, "analyst")
        refusals.append(raised.value.errors)
    assert refusals == [{"username": cases.MEMBER_REFUSED}] * 2
    assert counts() == before


def test_an_active_analyst_named_as_lead_still_takes_it(db, analyst):
    cases.add_member(db, analyst, "CASE-1", "analyst2", "lead")
    lead = db.execute(
        "SELECT u.username FROM cases c JOIN users u ON u.id = c.lead_user_id WHERE c.reference = 'CASE-1'"
    ).fetchone()
    assert lead == ("analyst2",)
