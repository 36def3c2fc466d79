"""The hash-chained audit log: it verifies, it names the row that was tampered with, and every
domain read and write leaves the right event."""

from __future__ import annotations

import csv
import io
import json
import sqlite3

import pytest

from workbench import audit, cases, facts, observations, people
from workbench.access import SYSTEM
from workbench.audit import GENESIS, chain_hash
from workbench.errors import ValidationError


def _last_seq(db) -> int:
    return db.execute("SELECT COALESCE(MAX(seq), 0) FROM audit_events").fetchone()[0]


def _events(db, after: int) -> list[dict]:
    return list(db.query("SELECT * FROM audit_events WHERE seq > ? ORDER BY seq", (after,)))


def _tamper(path, *statements: str) -> None:
    """Change the file behind the workbench's back, as someone with the file could."""
    conn = sqlite3.connect(path)
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()


@pytest.fixture
def busy(db, analyst):
    """Enough events to tamper with one in the middle (the template has six already)."""
    for n in range(4):
        audit.record(db, analyst.username, "test.event", case_ref="CASE-1", details={"n": n, "text": "Zoë ✨"})
    assert _last_seq(db) >= 8
    return db


# --- the chain -----------------------------------------------------------------------------------


def test_chain_verifies(busy):
    report = audit.verify(busy)
    assert report.intact
    assert report.events == busy.execute("SELECT COUNT(*) FROM audit_events").fetchone()[0]
    assert report.first_bad_seq is None


def test_an_empty_log_verifies(empty_db):
    assert audit.verify(empty_db) == audit.ChainReport(True, 0)


def test_each_event_is_chained_to_the_one_before(busy):
    rows = list(busy.query("SELECT * FROM audit_events ORDER BY seq"))
    assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1))
    assert rows[0]["prev_hash"] == GENESIS
    for before, row in zip(rows, rows[1:], strict=False):
        assert row["prev_hash"] == before["hash"]
        assert row["hash"] == chain_hash(before["hash"], row)


def test_record_returns_the_next_sequence_number(db):
    first = audit.record(db, "someone", "test.event")
    second = audit.record(db, "someone", "test.event")
    assert second == first + 1 == _last_seq(db)


def test_record_keeps_details_and_justification(db):
    seq = audit.record(
        db, "someone", "test.event", case_ref="CASE-1", item_code="OBS-0001",
        details={"b": 2, "a": "Zoë"}, justification="because",
    )  # fmt: skip
    [row] = _events(db, seq - 1)
    assert (row["case_ref"], row["item_code"], row["justification"]) == ("CASE-1", "OBS-0001", "because")
    assert json.loads(row["details"]) == {"a": "Zoë", "b": 2}


def test_editing_an_event_is_reported_at_that_event(busy, settings):
    _tamper(
        settings.database_path,
        "DROP TRIGGER audit_events_no_update",
        "UPDATE audit_events SET details = '{\"n\": 99}' WHERE seq = 5",
    )
    report = audit.verify(busy)
    assert not report.intact
    assert report.first_bad_seq == 5
    assert report.events == 4
    assert "does not match its hash" in report.problem


def test_editing_an_event_and_its_hash_is_reported_at_the_next_event(busy, settings):
    row = next(busy.query("SELECT * FROM audit_events WHERE seq = 5"))
    forged = {**row, "username": "someone-else"}
    forged_hash = chain_hash(row["prev_hash"], forged)
    _tamper(
        settings.database_path,
        "DROP TRIGGER audit_events_no_update",
        f"UPDATE audit_events SET username = 'someone-else', hash = '{forged_hash}' WHERE seq = 5",  # noqa: S608
    )
    report = audit.verify(busy)
    assert not report.intact
    assert report.first_bad_seq == 6
    assert "does not follow" in report.problem


def test_deleting_an_event_is_reported_at_that_event(busy, settings):
    _tamper(settings.database_path, "DROP TRIGGER audit_events_no_delete", "DELETE FROM audit_events WHERE seq = 4")
    report = audit.verify(busy)
    assert not report.intact
    assert report.first_bad_seq == 4
    assert "missing" in report.problem


def test_deleting_the_newest_event_is_reported(busy, settings):
    last = _last_seq(busy)
    _tamper(
        settings.database_path,
        "DROP TRIGGER audit_events_no_delete",
        f"DELETE FROM audit_events WHERE seq = {last}",  # noqa: S608
    )
    report = audit.verify(busy)
    assert not report.intact, "the newest event was deleted and the chain still reads as intact"
    assert report.first_bad_seq == last


def test_the_head_follows_the_newest_event(busy):
    head = next(busy.query("SELECT seq, hash FROM audit_head"))
    newest = next(busy.query("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1"))
    assert head == newest


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_head SET seq = 0", "UPDATE audit_head SET seq = seq + 2", "DELETE FROM audit_head"],
)
def test_the_head_cannot_be_moved_back_skipped_or_removed(busy, statement):
    before = list(busy.query("SELECT * FROM audit_head"))
    with pytest.raises(sqlite3.IntegrityError):
        busy.execute(statement)
    assert list(busy.query("SELECT * FROM audit_head")) == before


# --- every read and write leaves its event -------------------------------------------------------

FACT = {"person": "P-0001", "attribute": "school", "value": "Northfield", "source_agency": "school"}


def _observation_csv(observation_input, n: int) -> bytes:
    given = observation_input()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    columns = [c for c in given if c != "details"] + ["details"]
    writer.writerow(columns)
    for i in range(n):
        cells = [given[c] if c != "summary" else f"row {i}" for c in columns[:-1]]
        writer.writerow([*cells, json.dumps(given["details"])])
    return buffer.getvalue().encode()


def _one_event(db, seq: int) -> dict:
    new = _events(db, seq)
    assert len(new) == 1, [e["action"] for e in new]
    return new[0]


def test_recording_an_observation_is_audited(db, analyst, observation_input):
    seq = _last_seq(db)
    observations.record(db, analyst, "CASE-1", observation_input(immediate_risk=True))
    event = _one_event(db, seq)
    assert (event["username"], event["action"], event["case_ref"], event["item_code"]) == (
        "analyst", "observation.create", "CASE-1", "OBS-0001",
    )  # fmt: skip
    assert json.loads(event["details"]) == {"kind": "profile_indicator", "immediate_risk": 1}


def test_amending_an_observation_is_audited_with_its_reason(db, analyst, observation_input):
    recorded = observations.record(db, analyst, "CASE-1", observation_input())
    seq = _last_seq(db)
    observations.amend(db, analyst, "CASE-1", recorded.code, {**recorded.as_input(), "summary": "New"}, "Typo fixed")
    event = _one_event(db, seq)
    assert (event["action"], event["case_ref"], event["item_code"], event["justification"]) == (
        "observation.amend", "CASE-1", "OBS-0001", "Typo fixed",
    )  # fmt: skip
    assert json.loads(event["details"]) == {"version": 2, "changed": ["summary"]}


def test_retracting_an_observation_is_audited_with_its_reason(db, analyst, observation_input):
    recorded = observations.record(db, analyst, "CASE-1", observation_input())
    seq = _last_seq(db)
    observations.retract(db, analyst, "CASE-1", recorded.code, "Wrong child")
    event = _one_event(db, seq)
    assert (event["action"], event["item_code"], event["justification"]) == (
        "observation.retract", "OBS-0001", "Wrong child",
    )  # fmt: skip


def test_importing_observations_is_one_event(db, analyst, observation_input):
    seq = _last_seq(db)
    observations.import_csv(db, analyst, "CASE-1", _observation_csv(observation_input, 3))
    event = _one_event(db, seq)
    assert (event["action"], event["case_ref"], event["item_code"]) == ("observation.import", "CASE-1", None)
    details = json.loads(event["details"])
    assert (details["count"], details["first"], details["last"]) == (3, "OBS-0001", "OBS-0003")
    assert len(details["file_sha256"]) == 64


def test_adding_a_person_is_audited(db, analyst):
    seq = _last_seq(db)
    code = people.add_person(db, analyst, "CASE-1", "Mother", "family")
    event = _one_event(db, seq)
    assert (event["action"], event["case_ref"], event["item_code"]) == ("person.create", "CASE-1", code)


def test_adding_an_account_is_audited(db, analyst):
    seq = _last_seq(db)
    code = people.add_account(db, analyst, "CASE-1", "Instagram", "@child.a")
    event = _one_event(db, seq)
    assert (event["action"], event["case_ref"], event["item_code"]) == ("account.create", "CASE-1", code)


def test_adding_a_fact_is_audited(db, analyst):
    seq = _last_seq(db)
    code = facts.add_fact(db, analyst, "CASE-1", FACT)
    event = _one_event(db, seq)
    assert (event["action"], event["case_ref"], event["item_code"]) == ("fact.create", "CASE-1", code)
    assert json.loads(event["details"]) == {"attribute": "school"}


def test_importing_facts_is_one_event(db, analyst):
    seq = _last_seq(db)
    facts.import_csv(db, analyst, "CASE-1", b"person,attribute,value,source_agency\nP-0001,gender,female,school\n")
    event = _one_event(db, seq)
    assert (event["action"], event["case_ref"], json.loads(event["details"])["count"]) == ("fact.import", "CASE-1", 1)


def test_managing_members_and_cases_is_audited(db):
    seq = _last_seq(db)
    cases.create_case(db, SYSTEM, "CASE-2", "Second", lead="analyst")
    cases.add_member(db, SYSTEM, "CASE-2", "analyst2", "analyst")
    cases.add_member(db, SYSTEM, "CASE-2", "analyst2", "reviewer")
    cases.remove_member(db, SYSTEM, "CASE-2", "analyst2")
    created, added, changed, removed = _events(db, seq)
    assert (created["username"], created["action"], created["case_ref"]) == ("system", "case.create", "CASE-2")
    assert (added["action"], added["case_ref"], added["item_code"]) == ("case.member.add", "CASE-2", "analyst2")
    assert json.loads(added["details"]) == {"role": "analyst", "was": None}
    assert (changed["action"], json.loads(changed["details"])) == (
        "case.member.role",
        {"role": "reviewer", "was": "analyst"},
    )
    assert (removed["action"], json.loads(removed["details"])) == ("case.member.remove", {"role": "reviewer"})


@pytest.mark.parametrize(
    ("read", "action", "item_code"),
    [
        (lambda db, who: observations.list_observations(db, who, "CASE-1"), "observation.list", None),
        (lambda db, who: observations.view(db, who, "CASE-1", "OBS-0001"), "observation.view", "OBS-0001"),
        (lambda db, who: cases.overview(db, who, "CASE-1"), "case.view", None),
        (lambda db, who: facts.list_facts(db, who, "CASE-1"), "fact.list", None),
        (lambda db, who: people.list_people(db, who, "CASE-1"), "person.list", None),
        (lambda db, who: people.list_accounts(db, who, "CASE-1"), "account.list", None),
    ],
    ids=["list_observations", "view", "overview", "list_facts", "list_people", "list_accounts"],
)
def test_reading_a_case_is_audited(db, analyst, reviewer, observation_input, read, action, item_code):
    observations.record(db, analyst, "CASE-1", observation_input())
    seq = _last_seq(db)
    read(db, reviewer)
    event = _one_event(db, seq)
    assert (event["username"], event["action"], event["case_ref"], event["item_code"]) == (
        "reviewer", action, "CASE-1", item_code,
    )  # fmt: skip


def test_a_list_event_counts_the_rows_shown(db, analyst, observation_input):
    for _ in range(2):
        observations.record(db, analyst, "CASE-1", observation_input())
    seq = _last_seq(db)
    observations.list_observations(db, analyst, "CASE-1")
    assert json.loads(_one_event(db, seq)["details"]) == {"rows": 2}


def test_a_refused_write_leaves_no_event(db, analyst, observation_input):
    seq = _last_seq(db)
    with pytest.raises(ValidationError):
        observations.record(db, analyst, "CASE-1", observation_input(source_grade="9"))
    assert _events(db, seq) == []


def test_the_chain_holds_after_a_day_of_work(db, analyst, reviewer, observation_input):
    recorded = observations.record(db, analyst, "CASE-1", observation_input())
    observations.amend(db, analyst, "CASE-1", recorded.code, {**recorded.as_input(), "summary": "Changed"}, "Why")
    observations.retract(db, analyst, "CASE-1", recorded.code, "Withdrawn")
    facts.add_fact(db, analyst, "CASE-1", FACT)
    people.add_person(db, analyst, "CASE-1", "Zoë ✨ \u202eevil", "associate")
    cases.overview(db, reviewer, "CASE-1")
    report = audit.verify(db)
    assert report.intact
    assert report.events == _last_seq(db)


HOSTILE = [
    'quote " and backslash \\', "new\nline\rreturn\ttab\b\f", "\x00\x01\x1f\x7f", "é 中文 😀 \u2028\u2029 \u202e",
    "/slash/ </script>", "", "=1+1",
]  # fmt: skip


def test_verify_reads_sqlite_s_json_as_the_canonical_content_for_hostile_text(db):
    """verify builds each row's content with SQLite's json_object for speed; it must be exactly
    audit.canonical's, or every chain holding such text would fail (or pass wrongly)."""
    for text in HOSTILE:
        audit.record(
            db, text or "u", text or "a", case_ref=text, item_code=text, details={text: text}, justification=text
        )
    rows = db.conn.execute(f"SELECT seq, {audit._CANONICAL_SQL} FROM audit_events ORDER BY seq").fetchall()  # noqa: S608
    by_python = [audit.canonical(row).decode() for row in db.query("SELECT * FROM audit_events ORDER BY seq")]
    assert [content for _, content in rows] == by_python
    assert audit.verify(db) == audit.ChainReport(True, len(rows))


def test_verify_asks_audit_canonical_before_calling_a_row_bad(db, monkeypatch):
    """Were SQLite's text ever to differ, the row is judged by audit.canonical: no false alarm, and
    a real change is still found."""
    seqs = [audit.record(db, "u", "a", details={"note": text}, justification=text) for text in HOSTILE]
    monkeypatch.setattr(audit, "_CANONICAL_SQL", "json_object('username', username, 'seq', seq)")
    assert audit.verify(db) == audit.ChainReport(True, seqs[-1])
    db.conn.execute("DROP TRIGGER audit_events_no_update")
    db.conn.execute("UPDATE audit_events SET justification = 'changed' WHERE seq = ?", (seqs[2],))
    report = audit.verify(db)
    assert (report.intact, report.first_bad_seq) == (False, seqs[2])


# --- the channel (issue 24, point 7) -------------------------------------------------------------


def test_events_inside_a_channel_say_so_in_their_details(db):
    outside = audit.record(db, "someone", "test.event", details={"n": 1})
    with audit.channel("cli"):
        assert audit.current_channel() == "cli"
        inside = audit.record(db, "someone", "test.event", details={"n": 2})
        bare = audit.record(db, "someone", "test.event")
    after = audit.record(db, "someone", "test.event")
    assert audit.current_channel() is None
    details = {row["seq"]: json.loads(row["details"]) for row in _events(db, outside - 1)}
    assert details == {outside: {"n": 1}, inside: {"n": 2, "channel": "cli"}, bare: {"channel": "cli"}, after: {}}


def test_the_channel_is_kept_out_of_the_canonical_columns_so_old_rows_still_verify(busy):
    # Rows written before channels existed and rows with one, in one chain.
    with audit.channel("cli"):
        audit.record(busy, "someone", "test.event", case_ref="CASE-1", details={"text": "Zoë ✨"})
    audit.record(busy, "someone", "test.event")
    assert audit._FIELDS == ("seq", "at", "username", "action", "case_ref", "item_code", "details", "justification")
    assert audit.verify(busy).intact


def test_a_channel_ends_even_when_its_block_raises(db):
    with pytest.raises(RuntimeError), audit.channel("cli"):
        raise RuntimeError("boom")
    assert audit.current_channel() is None


def test_every_event_a_command_writes_carries_the_cli_channel_and_the_browser_s_do_not(run, world, db, analyst):
    seq = _last_seq(db)
    result = run("case", "member", "list", "CASE-1", "--as", "analyst")
    assert result.exit_code == 0, result.output
    result = run("case", "member", "add", "CASE-1", "analyst2", "--role", "analyst")
    assert result.exit_code == 0, result.output
    events = _events(db, seq)
    assert [(e["username"], e["action"], json.loads(e["details"])["channel"]) for e in events] == [
        ("analyst", "case.members.view", "cli"),
        ("system", "case.member.add", "cli"),
    ]
    # The command has ended: the same process's next event, made as a page would, carries none.
    seq = _last_seq(db)
    cases.members(db, analyst, "CASE-1")
    [event] = _events(db, seq)
    assert "channel" not in json.loads(event["details"])
