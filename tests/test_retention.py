"""Retention: closing and reopening with a review-by date from the schedule, the admins' due list,
and deleting a closed case for good (every row, its evidence files, a tombstone, the audit event)."""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import CASE, TEMPLATE_AUTHORISATION
from workbench import (
    actions,
    audit,
    authorisations,
    cases,
    crossref,
    evidence,
    export,
    facts,
    milestones,
    need,
    observations,
    people,
    retention,
    veracity,
)
from workbench.access import SYSTEM
from workbench.errors import ConfigurationError, NotFound, PermissionDenied, ValidationError
from workbench.evidence_store import EvidenceStore
from workbench.schemas import SCHEMAS_DIR

OTHER = "CASE-2"
CAPTURE = {"shows": "Profile page", "confirmed_no_indecent_image": True}
# Fictional strings that only CASE-1's content holds: after the deletion they are nowhere.
CONTENT = ("Zephyrine Quarto", "zq.fictional.handle", "Bio says Zephyr lives near the quarry", "Quarrytown Academy")


def _png(colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(out, format="PNG")
    return out.getvalue()


def _events(db, action: str) -> list[dict]:
    return list(db.query("SELECT * FROM audit_events WHERE action = ? ORDER BY seq", (action,)))


def _tables(db) -> list[str]:
    return [
        r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    ]


def _everything(db) -> dict[str, list]:
    return {t: list(db.query(f"SELECT * FROM [{t}] ORDER BY rowid")) for t in _tables(db)}  # noqa: S608


def _triggers(db) -> set[tuple[str, str]]:
    return {(r[0], r[1]) for r in db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")}


@pytest.fixture
def full(db, analyst, analyst2, admin, observation_input, tmp_path):
    """CASE-1 with something in every table a case fills, and CASE-2 holding the same image bytes."""
    need.set_level(db, analyst, CASE, "child_protection", "Strategy discussion agreed a s.47 enquiry")
    people.add_person(db, analyst, CASE, CONTENT[0], "associate")
    people.add_account(db, analyst, CASE, "instagram", CONTENT[1], person="P-0001")
    observations.record(db, analyst, CASE, observation_input(summary=CONTENT[2], account="AC-0001"))
    facts.add_fact(db, analyst, CASE, {"person": "P-0001", "attribute": "school", "value": CONTENT[3],
                                       "source_agency": "school"})  # fmt: skip
    facts.add_fact(
        db,
        analyst,
        CASE,
        {"person": "P-0001", "attribute": "date_of_birth", "value": "2012-05-01", "source_agency": "school"},
    )  # fmt: skip  (the bio's age 19 contradicts it)
    crossref.link(db, analyst, CASE, "OBS-0001", "F-0001", "context", "seen in the school photo")
    milestones.add_milestone(db, analyst, CASE, {"kind": "referral", "occurred_at": "2026-02-01"})
    actions.add_action(db, analyst, CASE, {"kind": "reported_to_platform", "observation": "OBS-0001"})
    evidence.add_files(db, analyst, CASE, [evidence.Upload.of_bytes("red.png", _png("red")),
                                           evidence.Upload.of_bytes("blue.png", _png("blue"))], CAPTURE)  # fmt: skip
    evidence.purge(db, analyst, CASE, "EV-0002", "recorded in the wrong case")
    evidence.verify_case(db, analyst, CASE)
    export.export_case(db, analyst, CASE, tmp_path / "bundle.zip", export.ExportOptions("Strategy meeting", "Police"))
    cases.add_member(db, SYSTEM, CASE, "analyst2", "analyst")
    if "account_views" in _tables(db):  # the viewing log (migration 0013)
        db.execute(
            """INSERT INTO account_views (case_id, code, account_id, viewed_at, viewed_by, note, recorded_at)
               SELECT case_id, 'VW-0001', id, '2026-01-05T10:00:00Z', ?, 'looked', '2026-01-05T10:00:00Z'
               FROM accounts WHERE code = 'AC-0001'""",
            (analyst.id,),
        )
    cases.create_case(db, SYSTEM, OTHER, "Another case", lead="analyst2")
    authorisations.add_authorisation(db, analyst2, OTHER, TEMPLATE_AUTHORISATION)
    evidence.add_files(db, analyst2, OTHER, [evidence.Upload.of_bytes("same.png", _png("red"))], CAPTURE)
    observations.record(db, analyst2, OTHER, observation_input(summary="Another child's bio"))
    return db


def _case_id(db, reference: str) -> int:
    return db.execute("SELECT id FROM cases WHERE reference = ?", (reference,)).fetchone()[0]


# --- the schedule ----------------------------------------------------------------------------------


def test_the_shipped_schedule_loads_and_covers_every_anchor():
    schedule = retention.load_schedule()
    assert set(schedule.by_anchor) == set(need.ANCHORS)
    assert schedule.years_for("child_protection", "s47_child_protection") == (25, "s47_child_protection: 25 years")
    assert schedule.years_for(None, None)[0] == schedule.default_years


@pytest.fixture
def schedule_copy(tmp_path, monkeypatch):
    copy = tmp_path / "schemas"
    shutil.copytree(SCHEMAS_DIR, copy)
    monkeypatch.setenv("WORKBENCH_SCHEMAS", str(copy))
    return copy


def _write_schedule(folder: Path, **changes) -> None:
    path = folder / "retention.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    raw.update(changes)
    path.write_text(json.dumps(raw), encoding="utf-8")


def test_a_partnerships_own_schedule_is_used_and_a_level_may_have_its_own_line(schedule_copy):
    _write_schedule(schedule_copy, default_years=3, by_level={"targeted_early_help": 9})
    schedule = retention.load_schedule()
    assert schedule.years_for("targeted_early_help", "early_help") == (9, "level targeted_early_help: 9 years")
    assert schedule.years_for("early_help", "early_help")[0] == schedule.by_anchor["early_help"]
    assert schedule.years_for(None, None) == (3, "default: 3 years")


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({"by_anchor": {"s48_made_up": 3}}, "by_anchor names 's48_made_up'"),
        ({"by_level": {"level_9": 3}}, "by_level names 'level_9'"),
        ({"default_years": 0}, "default_years must be a whole number"),
        ({"default_years": "six"}, "default_years must be a whole number"),
        ({"by_anchor": {"universal": True}}, "by_anchor.universal must be a whole number"),
        ({"due_within_days": -1}, "due_within_days must be a whole number"),
        ({"years_after": 3}, "unknown setting 'years_after'"),
    ],
    ids=["anchor", "level", "zero", "text", "bool", "window", "typo"],
)
def test_a_broken_schedule_stops_with_the_file_named(schedule_copy, changes, complaint):
    _write_schedule(schedule_copy, **changes)
    with pytest.raises(ConfigurationError) as raised:
        retention.load_schedule()
    assert "retention.json" in str(raised.value)
    assert complaint in str(raised.value)


def test_a_folder_without_a_schedule_is_refused(schedule_copy):
    (schedule_copy / "retention.json").unlink()
    with pytest.raises(ConfigurationError, match="retention.json: missing"):
        retention.load_schedule()


@pytest.mark.parametrize(
    ("closed_at", "years", "review_by"),
    [
        ("2026-03-14T09:30:00Z", 6, "2032-03-14"),
        ("2024-02-29T12:00:00Z", 1, "2025-02-28"),
        ("2026-06-30T23:30:00Z", 2, "2028-07-01"),  # 00:30 on 1 July in London
    ],
)
def test_the_review_by_date_is_whole_years_after_the_london_day_it_closed(closed_at, years, review_by):
    assert retention.review_date(closed_at, years) == review_by


# --- closing and reopening -------------------------------------------------------------------------


def test_the_lead_closes_with_a_reason_and_the_schedule_gives_the_review_by_date(db, analyst):
    need.set_level(db, analyst, CASE, "child_protection", "s.47 enquiry")
    review_by = retention.close_case(db, analyst, CASE, "Plan ended; no further concerns")
    today = date.today()
    assert review_by in {f"{today.year + 25}-{today:%m-%d}", f"{today.year + 25}-02-28"}
    case_id = _case_id(db, CASE)
    state = retention.closure(db, case_id)
    assert (state.status, state.review_by, state.rule) == ("closed", review_by, "s47_child_protection: 25 years")
    assert db.execute("SELECT status FROM cases WHERE id = ?", (case_id,)).fetchone()[0] == "closed"
    [event] = _events(db, "case.close")
    assert (event["username"], event["case_ref"], event["justification"]) == (
        "analyst",
        CASE,
        state.history.iloc[0]["reason"],
    )
    assert json.loads(event["details"]) == {"review_by": review_by, "rule": "s47_child_protection: 25 years"}


def test_a_case_without_a_level_takes_the_default(db, admin):
    review_by = retention.close_case(db, admin, CASE, "Closed by the administrator")
    assert int(review_by[:4]) == date.today().year + retention.load_schedule().default_years


def test_closing_reopening_and_closing_again_keeps_every_step(db, analyst, admin):
    retention.close_case(db, analyst, CASE, "first close")
    retention.reopen_case(db, admin, CASE, "new referral")
    assert retention.closure(db, _case_id(db, CASE)).status == "open"
    assert retention.closure(db, _case_id(db, CASE)).review_by is None
    retention.close_case(db, analyst, CASE, "second close")
    history = retention.closure(db, _case_id(db, CASE)).history
    assert history["event"].tolist() == ["close", "reopen", "close"]
    assert history["reason"].tolist() == ["second close", "new referral", "first close"]
    assert history["recorded_by"].tolist() == ["analyst", "admin", "analyst"]
    assert history["review_by"].isna().tolist() == [False, True, False]
    steps = db.query("SELECT action FROM audit_events WHERE action IN ('case.close', 'case.reopen') ORDER BY seq")
    assert [e["action"] for e in steps] == ["case.close", "case.reopen", "case.close"]


@pytest.mark.parametrize(("who", "member", "refusal"), [
    ("analyst2", True, PermissionDenied), ("reviewer", True, PermissionDenied), ("analyst2", False, NotFound),
])  # fmt: skip
def test_only_the_lead_or_an_administrator_closes(db, counts, who, member, refusal, request):
    if member and who == "analyst2":
        cases.add_member(db, SYSTEM, CASE, "analyst2", "analyst")
    actor = request.getfixturevalue(who)
    before = counts()
    with pytest.raises(refusal):
        retention.close_case(db, actor, CASE, "not mine to close")
    assert counts() == before


def test_refusals_of_close_and_reopen_name_the_field_and_change_nothing(db, analyst, counts):
    before = counts()
    with pytest.raises(ValidationError) as raised:
        retention.close_case(db, analyst, CASE, "  ")
    assert set(raised.value.errors) == {"reason"}
    with pytest.raises(ValidationError) as raised:
        retention.reopen_case(db, analyst, CASE, "it is open")
    assert set(raised.value.errors) == {"status"}
    assert counts() == before
    retention.close_case(db, analyst, CASE, "done")
    before = counts()
    with pytest.raises(ValidationError) as raised:
        retention.close_case(db, analyst, CASE, "again")
    assert "already closed" in raised.value.errors["status"]
    assert counts() == before


def test_extending_keeps_a_case_longer_with_a_reason(db, analyst, admin):
    review_by = retention.close_case(db, analyst, CASE, "done")
    with pytest.raises(ValidationError) as raised:
        retention.extend_review(db, admin, CASE, review_by, "")
    assert set(raised.value.errors) == {"review_by", "reason"}
    later = f"{int(review_by[:4]) + 2}{review_by[4:]}"
    assert retention.extend_review(db, admin, CASE, later, "Complaint under investigation") == later
    state = retention.closure(db, _case_id(db, CASE))
    assert (state.review_by, state.history.iloc[0]["event"]) == (later, "extend")
    assert state.closed_at == state.history.iloc[1]["recorded_at"]


# --- due for review ----------------------------------------------------------------------------------


def test_the_due_list_shows_passed_and_near_review_dates_without_titles(db, analyst, admin, analyst2):
    cases.create_case(db, SYSTEM, OTHER, "Title that must not show", lead="analyst2")
    cases.create_case(db, SYSTEM, "CASE-3", "Still open", lead="analyst2")
    first = retention.close_case(db, analyst, CASE, "done")
    second = retention.close_case(db, analyst2, OTHER, "done")
    assert first == second
    review = date.fromisoformat(first)
    window = retention.load_schedule().due_within_days
    assert retention.due_for_review(db, admin, today=date(review.year - 1, 1, 1)).empty
    near = retention.due_for_review(db, admin, today=date.fromordinal(review.toordinal() - window))
    assert near["reference"].tolist() == [CASE, OTHER]
    assert near["days_left"].tolist() == [window, window]
    late = retention.due_for_review(db, admin, today=date.fromordinal(review.toordinal() + 3))
    assert list(late.columns) == retention.DUE_COLUMNS
    assert late.iloc[0].to_dict() | {"closed_at": None} == {
        "reference": CASE, "status": "closed", "closed_at": None, "review_by": first, "days_left": -3,
        "lead": "analyst",
    }  # fmt: skip
    assert "Title that must not show" not in late.to_csv()
    everything = retention.due_for_review(db, admin, today=date(2000, 1, 1), every_closed=True)
    assert everything["reference"].tolist() == [CASE, OTHER]
    assert json.loads(_events(db, "retention.due")[-1]["details"])["every_closed"] is True


@pytest.mark.parametrize("who", ["analyst", "reviewer"])
def test_only_administrators_see_the_due_list(db, who, request):
    with pytest.raises(PermissionDenied):
        retention.due_for_review(db, request.getfixturevalue(who))
    with pytest.raises(PermissionDenied):
        retention.tombstones(db, request.getfixturevalue(who))


# --- deleting --------------------------------------------------------------------------------------


def test_an_open_case_is_not_deleted(full, admin, counts):
    before, store = counts(), _everything(full)
    with pytest.raises(ValidationError) as raised:
        retention.delete_case(full, admin, CASE, "Retention period over", confirm=CASE)
    assert "is open: close it first" in raised.value.errors["reference"]
    assert counts() == before
    assert _everything(full) == store


def test_the_reason_and_the_typed_reference_are_required(full, admin, analyst):
    retention.close_case(full, analyst, CASE, "done")
    before = _everything(full)
    with pytest.raises(ValidationError) as raised:
        retention.delete_case(full, admin, CASE, " ", confirm="CASE-2")
    assert set(raised.value.errors) == {"reason", "confirm"}
    assert _everything(full) == before


@pytest.mark.parametrize("who", ["analyst", "reviewer", "analyst2"])
def test_members_even_the_lead_do_not_delete(full, who, request, analyst):
    retention.close_case(full, analyst, CASE, "done")
    before = _everything(full)
    with pytest.raises(PermissionDenied):
        retention.delete_case(full, request.getfixturevalue(who), CASE, "mine", confirm=CASE)
    assert _everything(full) == before


def test_deleting_removes_every_row_and_file_of_the_case_and_nothing_else(full, admin, analyst):
    retention.close_case(full, analyst, CASE, "Plan ended")
    case_id, other_id = _case_id(full, CASE), _case_id(full, OTHER)
    store = EvidenceStore.for_database(full)
    red = evidence.view(full, analyst, CASE, "EV-0001").sha256
    assert store.exists(case_id, red) and store.exists(other_id, red)  # the same bytes, a folder each
    evidence.previews(full, analyst, CASE, ["EV-0001"])
    assert store.preview_path(case_id, red).exists()
    other_before = {t: n for t, n in _case_rows(full, other_id).items()}
    triggers = _triggers(full)
    seq = full.execute("SELECT MAX(seq) FROM audit_events").fetchone()[0]

    done = retention.delete_case(full, admin, CASE, "Review: retention period over", confirm="case-1")

    # Every table the case filled lost its rows; the counts say so.
    for table in ("cases", "case_members", "people", "accounts", "observations", "observation_versions", "facts",
                  "fact_versions", "evidence", "evidence_purges", "evidence_checks", "crossrefs", "crossref_versions",
                  "rule_findings", "rule_state", "milestones", "milestone_versions", "actions", "action_versions",
                  "exports", "case_levels", "case_members", "case_codes", "case_retention", "authorisations",
                  "authorisation_versions"):  # fmt: skip
        assert done.counts.get(table, 0) > 0, table
    if "account_views" in _tables(full):
        assert done.counts["account_views"] == 1
    assert done.counts["cases"] == 1 and done.counts["evidence"] == 2
    # Nothing anywhere still points at the deleted case: no case_id, no foreign key left dangling.
    _assert_nothing_references(full, case_id)
    # ... and its content is nowhere, not even in the audit log.
    for text in CONTENT:
        assert _tables_holding(full, text) == set(), text
    # What the hash-chained log keeps (it cannot be edited): the title given when the case was
    # opened (case.create) and the reasons typed for changes (justifications), as written.
    assert _tables_holding(full, "Test case") == {"audit_events"}
    assert _tables_holding(full, "seen in the school photo") == {"audit_events"}
    assert _tables_holding(full, CASE) <= {"audit_events", "case_tombstones"}
    # The other case is whole, and so are its bytes (the same bytes the deleted case held).
    assert _case_rows(full, other_id) == other_before
    assert store.exists(other_id, red)
    assert evidence.verify_case(full, users_lead(full), OTHER).problems == []
    # The deleted case's files and its folder are gone.
    assert not store.exists(case_id, red) and not store.preview_path(case_id, red).exists()
    assert not (store.root / f"case-{case_id}").exists()
    assert (done.files_removed, done.files_left) == (1, [])
    assert done.bytes_removed == len(_png("red"))
    # The triggers are back exactly as they were.
    assert _triggers(full) == triggers
    # The tombstone and the audit event.
    [stone] = full.query("SELECT * FROM case_tombstones")
    assert stone["reference"] == CASE and stone["deleted_by"] == "admin"
    assert stone["reason"] == "Review: retention period over"
    assert json.loads(stone["counts"]) == done.counts
    assert (stone["files_removed"], stone["bytes_removed"], stone["audit_seq"]) == (
        1,
        done.bytes_removed,
        done.audit_seq,
    )
    assert stone["review_by"] and stone["closed_at"]
    [event] = full.query("SELECT * FROM audit_events WHERE seq > ? AND action = 'case.delete'", (seq,))
    assert (event["username"], event["case_ref"], event["seq"]) == ("admin", CASE, done.audit_seq)
    assert json.loads(event["details"])["counts"] == done.counts
    assert event["justification"] == "Review: retention period over"
    assert audit.verify(full).intact
    listed = retention.tombstones(full, admin)
    assert listed.iloc[0]["reference"] == CASE and listed.iloc[0]["rows_deleted"] == sum(done.counts.values())


def users_lead(db):
    from workbench.users import user_by_name

    return user_by_name(db, "analyst2")


def _case_rows(db, case_id: int) -> dict[str, int]:
    plan = retention._plan(db)
    return {t: db.execute(f"SELECT COUNT(*) FROM [{t}] WHERE {w}", {"case_id": case_id}).fetchone()[0]  # noqa: S608
            for t, w in plan}  # fmt: skip


def _assert_nothing_references(db, case_id: int) -> None:
    """Walks every table the schema has (including ones added after this test was written)."""
    for table in _tables(db):
        columns = [c[1] for c in db.execute(f"PRAGMA table_info([{table}])")]
        if "case_id" in columns:
            left = db.execute(f"SELECT COUNT(*) FROM [{table}] WHERE case_id = ?", (case_id,)).fetchone()[0]  # noqa: S608
            assert left == 0, f"{table} still holds rows of the deleted case"
    assert list(db.execute("PRAGMA foreign_key_check")) == [], "a row points at a deleted row"


def _tables_holding(db, text: str) -> set[str]:
    found = set()
    for table in _tables(db):
        columns = [c[1] for c in db.execute(f"PRAGMA table_info([{table}])")]
        for column in columns:
            hit = db.execute(f"SELECT 1 FROM [{table}] WHERE instr(CAST([{column}] AS TEXT), ?) LIMIT 1",  # noqa: S608
                             (text,)).fetchone()  # fmt: skip
            if hit:
                found.add(table)
    return found


def test_a_deleted_reference_is_not_given_to_a_new_case(full, admin, analyst):
    retention.close_case(full, analyst, CASE, "done")
    retention.delete_case(full, admin, CASE, "over", confirm=CASE)
    with pytest.raises(ValidationError, match="belonged to a deleted case") as raised:
        cases.create_case(full, SYSTEM, "case-1", "A new case", lead="analyst")
    assert set(raised.value.errors) == {"reference"}
    with pytest.raises(sqlite3.IntegrityError, match="deleted case"):  # and the database refuses it too
        full.execute("INSERT INTO cases (reference, title, subject_pseudonym, lead_user_id, created_at)"
                     " VALUES ('CASE-1', 't', 'Child A', 1, '2026-01-01T00:00:00Z')")  # fmt: skip


def test_a_failure_part_way_rolls_back_the_rows_and_the_triggers(full, admin, analyst, monkeypatch):
    retention.close_case(full, analyst, CASE, "done")
    store = EvidenceStore.for_database(full)
    red = evidence.view(full, analyst, CASE, "EV-0001").sha256
    before, triggers = _everything(full), _triggers(full)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(retention.audit, "record", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        retention.delete_case(full, admin, CASE, "over", confirm=CASE)
    monkeypatch.undo()
    assert _everything(full) == before
    assert _triggers(full) == triggers
    assert store.exists(_case_id(full, CASE), red), "files go only after the commit"
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        full.execute("DELETE FROM observations")


def test_delete_is_still_refused_outside_a_case_deletion(full, admin, analyst, analyst2):
    need.set_level(full, analyst2, OTHER, "early_help", "TAF agreed")
    retention.close_case(full, analyst2, OTHER, "kept closed, not deleted")
    retention.close_case(full, analyst, CASE, "done")
    retention.delete_case(full, admin, CASE, "over", confirm=CASE)
    # Every append-only table still refuses DELETE and UPDATE of the rows left (OTHER's, the log's).
    triggers = [name for (name,) in full.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")]
    guarded = [name.removesuffix("_no_delete") for name in triggers if name.endswith("_no_delete")]
    with_rows = [t for t in guarded if full.execute(f"SELECT COUNT(*) FROM [{t}]").fetchone()[0]]  # noqa: S608
    assert {"observations", "observation_versions", "evidence", "case_levels", "authorisations", "case_retention",
            "case_tombstones", "audit_events"} <= set(with_rows)  # fmt: skip
    for table in with_rows:
        before = full.execute(f"SELECT COUNT(*) FROM [{table}]").fetchone()[0]  # noqa: S608
        with pytest.raises(sqlite3.IntegrityError):
            full.execute(f"DELETE FROM [{table}]")  # noqa: S608
        assert full.execute(f"SELECT COUNT(*) FROM [{table}]").fetchone()[0] == before  # noqa: S608
    for table in ("case_retention", "case_tombstones"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            full.execute(f"UPDATE [{table}] SET reason = 'rewritten'")  # noqa: S608


def test_every_refusing_delete_trigger_of_a_case_table_is_found(db):
    tables = [t for t, _ in retention._plan(db)]
    names = {name for name, _ in retention._refusing_delete_triggers(db, tables)}
    expected = {f"{t}_no_delete" for t in tables if (f"{t}_no_delete",) in set(db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger'"))}  # fmt: skip
    assert names == expected
    assert {"observations_no_delete", "evidence_no_delete", "case_retention_no_delete"} <= names
    assert "audit_events" not in tables and "case_tombstones" not in tables and "users" not in tables


def test_rows_are_purged_only_inside_a_transaction(db):
    with pytest.raises(RuntimeError, match="inside its deletion's transaction"):
        retention._purge_rows(db, _case_id(db, CASE))


def test_files_left_by_a_stopped_deletion_are_swept(full, admin, analyst, monkeypatch):
    retention.close_case(full, analyst, CASE, "done")
    case_id = _case_id(full, CASE)
    store = EvidenceStore.for_database(full)
    red = evidence.view(full, analyst, CASE, "EV-0001").sha256
    monkeypatch.setattr(retention, "_remove_files", lambda *args: [])  # the process died after the commit
    retention.delete_case(full, admin, CASE, "over", confirm=CASE)
    assert store.exists(case_id, red)
    stray = store.original_path(_case_id(full, OTHER), "f" * 64)
    stray.write_bytes(b"no record vouches for this")
    swept = retention.sweep_store(full, admin)
    assert (swept.folders_removed, swept.files_removed) == (1, 2)
    assert not (store.root / f"case-{case_id}").exists() and not stray.exists()
    assert store.exists(_case_id(full, OTHER), red)
    assert evidence.verify_case(full, users_lead(full), OTHER).problems == []
    with pytest.raises(PermissionDenied):
        retention.sweep_store(full, analyst)


def test_review_details_count_what_a_deletion_would_remove(full, admin, analyst):
    retention.close_case(full, analyst, CASE, "done")
    details = retention.review_details(full, admin, CASE)
    assert details.closure.status == "closed" and details.level == "Level 4: Child protection (s.47)"
    assert details.counts["evidence"] == 2 and details.counts["cases"] == 1
    assert (details.files, details.bytes) == (1, len(_png("red")))
    done = retention.delete_case(full, admin, CASE, "over", confirm=CASE)
    assert done.counts == details.counts


def test_deleting_a_case_drops_what_the_rules_remember_of_its_values(full, admin, analyst):
    veracity.similarity("Harbour View Academy", "Harbourview Academy")
    veracity.handle_key("@someone.fictional")
    assert veracity.similarity.cache_info().currsize and veracity.handle_key.cache_info().currsize
    retention.close_case(full, analyst, CASE, "Plan ended")
    retention.delete_case(full, admin, CASE, "Retention period over", confirm=CASE)
    assert veracity.similarity.cache_info().currsize == 0
    assert veracity.handle_key.cache_info().currsize == 0
